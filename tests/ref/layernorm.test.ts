import { describe, expect, it } from 'vitest';
import { layernormBackward, layernormForward } from '../../src/ref/layernorm.js';
import { jacobianMismatches } from '../helpers/nn_grad.js';
import { randomF32 } from '../helpers/rand.js';

describe('ref layernorm', () => {
  it('normalises [1, 2, 3] to [−√1.5, 0, √1.5] with unit weight and zero bias', () => {
    const { out, mean, rstd } = layernormForward([1, 2, 3], [1, 1, 1], [0, 0, 0], 1, 3, 0);
    const s = Math.sqrt(1.5);
    expect(Array.from(out).map((v) => v.toFixed(12))).toEqual([-s, 0, s].map((v) => v.toFixed(12)));
    expect(mean[0]).toBe(2);
    expect(rstd[0]).toBeCloseTo(Math.sqrt(1.5), 14);
  });

  it('applies weight and bias per channel and maps a constant row to the bias', () => {
    const { out } = layernormForward([1, 2, 3, 5, 5, 5], [2, 3, 4], [0.5, -1, 7], 2, 3, 1e-12);
    const s = Math.sqrt(1.5);
    expect(out[0]).toBeCloseTo(-s * 2 + 0.5, 10);
    expect(out[2]).toBeCloseTo(s * 4 + 7, 10);
    expect(Array.from(out.slice(3))).toEqual([0.5, -1, 7]);
  });

  for (const [N, C, eps] of [
    [2, 4, 1e-5],
    [3, 1, 1e-5],
    [1, 7, 1e-12],
  ] as const) {
    it(`backward equals the full finite-difference Jacobian (N=${N}, C=${C}, eps=${eps})`, () => {
      const inputs = [randomF32(N * C, 11 + C, 2), randomF32(C, 12 + C, 1.5), randomF32(C, 13 + C)].map((a) => Float64Array.from(a));
      const fwd = ([x, w, b]: Float64Array[]) => layernormForward(x!, w!, b!, N, C, eps).out;
      const bwd = (dout: Float64Array, [x, w]: Float64Array[]) => {
        const { mean, rstd } = layernormForward(x!, w!, inputs[2]!, N, C, eps);
        const g = layernormBackward(dout, x!, w!, mean, rstd, N, C);
        return [g.dinp, g.dweight, g.dbias];
      };
      expect(jacobianMismatches(fwd, bwd, inputs)).toEqual([]);
    });
  }
});
