import { describe, expect, it } from 'vitest';
import { poolBackward, poolForward, type PoolModeName } from '../../src/ref/pool.js';
import { jacobianMismatches } from '../helpers/nn_grad.js';
import { randomF32 } from '../helpers/rand.js';

describe('ref pool', () => {
  it('averages the valid tokens only, takes token 0 for [CLS], and pools an empty row to 0', () => {
    // B = 3, T = 3, C = 2
    const x = [1, 2, 3, 4, 100, 200, 5, 6, 7, 8, 9, 10, -1, -2, -3, -4, -5, -6];
    const mask = [1, 1, 0, 1, 0, 0, 0, 0, 0];
    expect(Array.from(poolForward(x, mask, 3, 3, 2, 'mean'))).toEqual([2, 3, 5, 6, 0, 0]);
    expect(Array.from(poolForward(x, mask, 3, 3, 2, 'cls'))).toEqual([1, 2, 5, 6, -1, -2]);
  });

  for (const mode of ['mean', 'cls'] as PoolModeName[]) {
    it(`${mode} backward equals the full finite-difference Jacobian`, () => {
      const mask = [1, 1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0];
      const bad = jacobianMismatches(
        ([x]) => poolForward(x!, mask, 3, 4, 2, mode),
        (dout) => [poolBackward(dout, mask, 3, 4, 2, mode)],
        [Float64Array.from(randomF32(3 * 4 * 2, 1))],
      );
      expect(bad).toEqual([]);
    });
  }
});
