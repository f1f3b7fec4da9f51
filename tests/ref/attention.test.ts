import { describe, expect, it } from 'vitest';
import { attentionBackward, attentionForward, type AttentionDims } from '../../src/ref/attention.js';
import { expectClose, TOL } from '../helpers/close.js';
import { mulberry32 } from '../helpers/rand.js';

function randomQkv(dims: AttentionDims, seed: number, scale = 1): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: dims.B * dims.T * 3 * dims.C }, () => (r() * 2 - 1) * scale);
}

/** qkv with explicit per-token q, k, v rows for a single head (C = hd). */
function qkvFromRows(q: number[][], k: number[][], v: number[][]): Float64Array {
  const C = q[0]!.length;
  const out = new Float64Array(q.length * 3 * C);
  q.forEach((_, t) => {
    out.set(q[t]!, t * 3 * C);
    out.set(k[t]!, t * 3 * C + C);
    out.set(v[t]!, t * 3 * C + 2 * C);
  });
  return out;
}

describe('ref attentionForward: closed forms', () => {
  it('q = 0 attends uniformly: out is the mean of the valid values and lse = log(#valid)', () => {
    const dims = { B: 1, T: 4, C: 2, NH: 1 };
    const zero = [0, 0];
    const v = [[1, 2], [3, -4], [100, 100], [5, 6]];
    const qkv = qkvFromRows([zero, zero, zero, zero], [[1, 2], [3, 4], [5, 6], [7, 8]], v);
    const mask = [1, 1, 0, 1];
    const { out, lse } = attentionForward(qkv, mask, dims);
    for (const i of [0, 1, 3]) {
      expect(out[i * 2]).toBeCloseTo(3, 14);
      expect(out[i * 2 + 1]).toBeCloseTo(4 / 3, 14);
      expect(lse[i]).toBeCloseTo(Math.log(3), 14);
    }
    expect([out[4], out[5], lse[2]]).toEqual([0, 0, 0]);
  });

  it('two keys: p = sigmoid(s0 − s1) with s = q·k/√hd', () => {
    // hd = 4, so scores are q·k/2: s0 = 3/2, s1 = −1/2 for query 0.
    const dims = { B: 1, T: 2, C: 4, NH: 1 };
    const qkv = qkvFromRows(
      [[3, 0, 0, 0], [0, 0, 0, 0]],
      [[1, 0, 0, 0], [0, 0, 0, 0]].map((r, j) => (j === 1 ? [-1 / 3, 0, 0, 0] : r)),
      [[1, 0, 0, 0], [0, 1, 0, 0]],
    );
    const { out, lse } = attentionForward(qkv, [1, 1], dims);
    const p0 = 1 / (1 + Math.exp(-2));
    expect(out[0]).toBeCloseTo(p0, 14);
    expect(out[1]).toBeCloseTo(1 - p0, 14);
    expect(lse[0]).toBeCloseTo(Math.log(Math.exp(1.5) + Math.exp(-0.5)), 14);
  });

  it('a sequence padded but for [CLS] copies v_0 into row 0 and zeroes the padded rows', () => {
    const dims = { B: 1, T: 3, C: 4, NH: 2 };
    const qkv = randomQkv(dims, 3);
    const { out, lse } = attentionForward(qkv, [1, 0, 0], dims);
    for (let h = 0; h < 2; h++) {
      for (let d = 0; d < 2; d++) expect(out[h * 2 + d]).toBe(qkv[2 * 4 + h * 2 + d]);
      const s = (qkv[h * 2]! * qkv[4 + h * 2]! + qkv[h * 2 + 1]! * qkv[4 + h * 2 + 1]!) / Math.SQRT2;
      expect(lse[h * 3]).toBeCloseTo(s, 14);
    }
    expect(Array.from(out.subarray(4))).toEqual(new Array(8).fill(0));
  });
});

describe('ref attentionBackward vs central finite differences (full Jacobian, f64)', () => {
  const cases: [string, AttentionDims, number[]][] = [
    ['B=2 T=3 NH=2 hd=2, padding', { B: 2, T: 3, C: 4, NH: 2 }, [1, 1, 0, 1, 1, 1]],
    ['B=1 T=1 NH=1 hd=3', { B: 1, T: 1, C: 3, NH: 1 }, [1]],
    ['B=1 T=4 NH=3 hd=1, only [CLS]', { B: 1, T: 4, C: 3, NH: 3 }, [1, 0, 0, 0]],
    ['B=1 T=5 NH=1 hd=4, middle padding', { B: 1, T: 5, C: 4, NH: 1 }, [1, 1, 0, 1, 0]],
  ];
  for (const [name, dims, mask] of cases) {
    it(name, () => {
      const qkv = randomQkv(dims, 11, 1.5);
      const nIn = qkv.length;
      const nOut = dims.B * dims.T * dims.C;
      const eps = 1e-6;
      // Column c of the Jacobian d out / d qkv[c] by central differences.
      const fd = new Float64Array(nOut * nIn);
      for (let c = 0; c < nIn; c++) {
        const x = Float64Array.from(qkv);
        x[c] = qkv[c]! + eps;
        const plus = attentionForward(x, mask, dims).out;
        x[c] = qkv[c]! - eps;
        const minus = attentionForward(x, mask, dims).out;
        for (let o = 0; o < nOut; o++) fd[o * nIn + c] = (plus[o]! - minus[o]!) / (2 * eps);
      }
      // Row o of the Jacobian from the backward pass with a one-hot upstream gradient.
      const analytic = new Float64Array(nOut * nIn);
      for (let o = 0; o < nOut; o++) {
        const dout = new Float64Array(nOut);
        dout[o] = 1;
        analytic.set(attentionBackward(dout, qkv, mask, dims).dqkv, o * nIn);
      }
      expectClose(analytic, fd, TOL.refVsFd, `jacobian ${name}`);
      let nonzero = 0;
      for (const v of analytic) if (Math.abs(v) > 1e-3) nonzero++;
      // At least d out_i / d v_i is nonzero for every valid row: the check cannot pass on an all-zero Jacobian.
      const validRows = mask.filter((m) => m === 1).length;
      expect(nonzero, 'nonzero Jacobian entries').toBeGreaterThanOrEqual(validRows * dims.C);
    });
  }
});
