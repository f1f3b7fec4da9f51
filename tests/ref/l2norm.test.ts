import { describe, expect, it } from 'vitest';
import { l2normBackward, l2normForward } from '../../src/ref/l2norm.js';
import { jacobianMismatches } from '../helpers/nn_grad.js';
import { randomF32 } from '../helpers/rand.js';

describe('ref l2norm', () => {
  it('maps [3, 4] to [0.6, 0.8] with norm 5, and leaves a row below eps scaled by 1/eps', () => {
    const { out, norm } = l2normForward([3, 4, 0, 0], 2, 2);
    expect(Array.from(out)).toEqual([0.6, 0.8, 0, 0]);
    expect(Array.from(norm)).toEqual([5, 0]);
    expect(l2normForward([3e-13, 4e-13], 1, 2).out[0]).toBeCloseTo(0.3, 12);
  });

  it('backward equals the full finite-difference Jacobian', () => {
    const bad = jacobianMismatches(
      ([x]) => l2normForward(x!, 3, 4).out,
      (dout, [x]) => [l2normBackward(dout, x!, 3, 4)],
      [Float64Array.from(randomF32(12, 4))],
    );
    expect(bad).toEqual([]);
  });

  it('has a gradient orthogonal to y: y·dinp = 0 for ‖x‖ > eps', () => {
    const x = Float64Array.from(randomF32(8, 5, 3));
    const dy = Float64Array.from(randomF32(8, 6));
    const y = l2normForward(x, 1, 8).out;
    const dx = l2normBackward(dy, x, 1, 8);
    expect(Math.abs(y.reduce((s, v, i) => s + v * dx[i]!, 0))).toBeLessThan(1e-14);
  });
});
