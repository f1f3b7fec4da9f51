import { describe, expect, it } from 'vitest';
import { contrastiveBackward, contrastiveEvalForward, contrastiveForward } from '../../src/ref/contrastive.js';
import { expectClose, TOL } from '../helpers/close.js';
import { mulberry32, randomF32 } from '../helpers/rand.js';

/** Central differences of f at x, every coordinate (the full gradient of a scalar function). */
function finiteDifferences(x: Float64Array, f: (x: Float64Array) => number, eps = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i]!;
    x[i] = keep + eps;
    const up = f(x);
    x[i] = keep - eps;
    const down = f(x);
    x[i] = keep;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

describe('ref contrastiveForward: closed forms', () => {
  it('gives log(N) when queries are orthogonal to every passage (all scores 0)', () => {
    for (const [B, N] of [[1, 1], [3, 3], [4, 260]] as const) {
      const r = contrastiveForward(new Float64Array(B * N), B, N, 1);
      expect(r.loss).toBeCloseTo(Math.log(N), 14);
      for (const l of r.rowLoss) expect(l).toBeCloseTo(Math.log(N), 14);
    }
  });

  it('gives log(e^(s·c) + N − 1) − s·c for S = c·I padded with zero negatives', () => {
    const B = 3;
    const N = 7;
    const c = 2.5;
    const scale = 1.5;
    const S = new Float64Array(B * N);
    for (let i = 0; i < B; i++) S[i * N + i] = c;
    expect(contrastiveForward(S, B, N, scale).loss).toBeCloseTo(Math.log(Math.exp(scale * c) + N - 1) - scale * c, 14);
  });

  it('leaves masked columns out but always counts the positive', () => {
    const B = 2;
    const N = 5;
    const mask = new Uint32Array([0, 0, 1, 0, 1, /* row 1 */ 1, 0, 1, 1, 1]);
    // Row 0 keeps columns 0 (its positive, despite mask 0), 2 and 4: log 3. Row 1 keeps all 5: its only
    // masked column is 1, its positive.
    const r = contrastiveForward(new Float64Array(B * N), B, N, 1, mask);
    expect(r.rowLoss[0]).toBeCloseTo(Math.log(3), 14);
    expect(r.rowLoss[1]).toBeCloseTo(Math.log(5), 14);
  });

  it('stays finite and exact for logits near 1e4 (max subtraction)', () => {
    const S = new Float64Array([1e4, 1e4 - 1, 1e4 - 2, 1e4 + 1]);
    const r = contrastiveForward(S, 1, 4, 1);
    const expected = Math.log(Math.exp(0) + Math.exp(-1) + Math.exp(-2) + Math.exp(1));
    expect(r.loss).toBeCloseTo(expected, 10);
  });
});

describe('ref contrastiveBackward vs central finite differences (f64, eps 1e-6)', () => {
  const cases = [
    { B: 1, N: 1, scale: 1, masked: false },
    { B: 2, N: 3, scale: 1, masked: false },
    { B: 3, N: 5, scale: 2.5, masked: true },
    { B: 4, N: 4, scale: 0.7, masked: true },
  ];
  for (const { B, N, scale, masked } of cases) {
    it(`full Jacobian of the mean loss, B=${B} N=${N} scale=${scale}${masked ? ' with mask' : ''}`, () => {
      const S = Float64Array.from(randomF32(B * N, 17 + B * N, 2));
      const rnd = mulberry32(5);
      const mask = masked ? Uint32Array.from({ length: B * N }, () => (rnd() < 0.3 ? 0 : 1)) : undefined;
      const fd = finiteDifferences(S, (x) => contrastiveForward(x, B, N, scale, mask).loss);
      const analytic = contrastiveBackward(S, B, N, scale, mask);
      expectClose(analytic, fd, TOL.refVsFd, 'dS vs finite differences');
      if (mask) {
        for (let i = 0; i < B; i++) for (let j = 0; j < N; j++) if (i !== j && mask[i * N + j] === 0) expect(analytic[i * N + j]).toBe(0);
      }
    });
  }

  it('rows of dS sum to zero (softmax minus one-hot)', () => {
    const B = 5;
    const N = 9;
    const dS = contrastiveBackward(randomF32(B * N, 3, 4), B, N, 3);
    for (let i = 0; i < B; i++) {
      let s = 0;
      for (let j = 0; j < N; j++) s += dS[i * N + j]!;
      expect(Math.abs(s)).toBeLessThan(1e-15);
    }
  });
});

describe('ref contrastiveEvalForward', () => {
  it('gives log(W + 1) when every score is equal', () => {
    const D = 3;
    const W = 4;
    const passages = new Float64Array(6 * D).fill(0.5);
    const r = contrastiveEvalForward([1, -2, 3, 0.1, 0.2, 0.3], passages, [0, 5], [1, 2, 3, 4, 5, 4, 3, 2], 2, D, W);
    for (const l of r.loss) expect(l).toBeCloseTo(Math.log(W + 1), 14);
  });

  it('agrees with the training loss on the same scores (positive as column 0)', () => {
    const D = 4;
    const W = 6;
    const Np = 10;
    const q = randomF32(D, 1);
    const P = randomF32(Np * D, 2);
    const neg = [3, 1, 4, 9, 5, 2];
    const r = contrastiveEvalForward(q, P, [7], neg, 1, D, W, 2);
    // Training layout puts row i's positive in column i; with one row that is column 0.
    const S = new Float64Array(W + 1);
    [7, ...neg].forEach((row, c) => {
      let dot = 0;
      for (let d = 0; d < D; d++) dot += q[d]! * P[row * D + d]!;
      S[c] = dot;
    });
    expect(r.loss[0]).toBeCloseTo(contrastiveForward(S, 1, W + 1, 2).loss, 13);
    expect(r.scores[0]).toBeCloseTo(2 * S[0]!, 14);
  });
});
