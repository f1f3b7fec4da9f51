import { describe, expect, it } from 'vitest';
import { matmulBackward, matmulForward, matmulForwardF32, type MatmulDims } from '../../src/ref/matmul.js';
import { expectClose, TOL } from '../helpers/close.js';
import { mulberry32 } from '../helpers/rand.js';

function randomF64(n: number, seed: number): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => r() * 2 - 1);
}

/** L = Σ g·out, whose gradient with respect to out is g: the finite differences below need a scalar. */
function loss(inp: Float64Array, weight: Float64Array, bias: Float64Array, g: Float64Array, dims: MatmulDims): number {
  const { out } = matmulForward(inp, weight, bias, dims);
  let s = 0;
  for (let i = 0; i < out.length; i++) s += g[i]! * out[i]!;
  return s;
}

/** Central differences of `loss` with respect to every element of `x` (modified in place, then restored). */
function finiteDifferences(x: Float64Array, f: () => number, eps = 1e-6): Float64Array {
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i]!;
    x[i] = x0 + eps;
    const up = f();
    x[i] = x0 - eps;
    const down = f();
    x[i] = x0;
    grad[i] = (up - down) / (2 * eps);
  }
  return grad;
}

describe('ref matmulForward', () => {
  it('matches hand-computed values: [1,2]·[[3,4],[5,6]]ᵀ + [0.5,−1] = [11.5, 16]', () => {
    const { out, absSum } = matmulForward([1, 2], [3, 4, 5, 6], [0.5, -1], { M: 1, N: 2, K: 2 });
    expect(Array.from(out)).toEqual([11.5, 16]);
    expect(Array.from(absSum)).toEqual([11.5, 18]);
  });

  it('is the identity map plus bias for an identity weight', () => {
    const K = 5;
    const inp = randomF64(3 * K, 1);
    const eye = new Float64Array(K * K);
    for (let i = 0; i < K; i++) eye[i * K + i] = 1;
    const bias = randomF64(K, 2);
    const { out } = matmulForward(inp, eye, bias, { M: 3, N: K, K });
    expect(Array.from(out)).toEqual(Array.from(inp, (v, i) => v + bias[i % K]!));
  });

  it('sums exactly cancelling products to 0 while Σ|ab| keeps their size', () => {
    const { out, absSum } = matmulForward([1e4, 1e4], [1e4, -1e4], null, { M: 1, N: 1, K: 2 });
    expect(out[0]).toBe(0);
    expect(absSum[0]).toBe(2e8);
  });

  it('matmulForwardF32 rounds like the kernels: sequential f32 sums, not the f64 result', () => {
    // 1 + 2^-24 + 2^-24 in f32 stays 1 (each addition rounds to even), whereas f64 gives 1 + 2^-23.
    const tiny = 2 ** -24;
    const f32 = matmulForwardF32(new Float32Array([1, 1, 1]), new Float32Array([1, tiny, tiny]), null, { M: 1, N: 1, K: 3 });
    expect(f32[0]).toBe(1);
    expect(matmulForward([1, 1, 1], [1, tiny, tiny], null, { M: 1, N: 1, K: 3 }).out[0]).toBe(1 + 2 ** -23);
  });
});

describe('ref matmulBackward', () => {
  it('matches hand-computed values', () => {
    const g = matmulBackward([1, 1], [1, 2], [3, 4, 5, 6], { M: 1, N: 2, K: 2 });
    expect(Array.from(g.dinp)).toEqual([8, 10]);
    expect(Array.from(g.dweight)).toEqual([1, 2, 1, 2]);
    expect(Array.from(g.dbias)).toEqual([1, 1]);
  });

  for (const dims of [
    { M: 1, N: 1, K: 1 },
    { M: 2, N: 3, K: 4 },
    { M: 3, N: 1, K: 5 },
    { M: 4, N: 5, K: 2 },
  ]) {
    it(`equals central finite differences of Σ g·out (full Jacobian) for M=${dims.M} N=${dims.N} K=${dims.K}`, () => {
      const { M, N, K } = dims;
      const inp = randomF64(M * K, 10 + M);
      const weight = randomF64(N * K, 20 + N);
      const bias = randomF64(N, 30 + K);
      const g = randomF64(M * N, 40);
      const f = () => loss(inp, weight, bias, g, dims);
      const grads = matmulBackward(g, inp, weight, dims);
      expectClose(grads.dinp, finiteDifferences(inp, f), TOL.refVsFd, 'dinp');
      expectClose(grads.dweight, finiteDifferences(weight, f), TOL.refVsFd, 'dweight');
      expectClose(grads.dbias, finiteDifferences(bias, f), TOL.refVsFd, 'dbias');
    });
  }

  it('returns Σ|terms| for every gradient', () => {
    const g = matmulBackward([1, -2], [3, -4], [5], { M: 2, N: 1, K: 1 });
    expect(Array.from(g.dinp)).toEqual([5, -10]);
    expect(Array.from(g.dinpAbsSum)).toEqual([5, 10]);
    expect(Array.from(g.dweight)).toEqual([1 * 3 + -2 * -4]);
    expect(Array.from(g.dweightAbsSum)).toEqual([3 + 8]);
    expect(Array.from(g.dbias)).toEqual([-1]);
    expect(Array.from(g.dbiasAbsSum)).toEqual([3]);
  });
});
