import { describe, expect, it } from 'vitest';
import { encoderBackward, encoderForward } from '../../src/ref/encoder.js';
import { jacobianMismatches } from '../helpers/nn_grad.js';
import { randomF32 } from '../helpers/rand.js';

describe('ref encoder', () => {
  it('adds the token, position and token-type rows', () => {
    // V = 3, P = 2, types = 2, C = 2; batch B = 1, T = 2: ids [2, 0], types [1, 0].
    const wte = [1, 2, 10, 20, 100, 200];
    const wpe = [0.5, 0.25, -1, -2];
    const wtt = [1000, 2000, 3000, 4000];
    const out = encoderForward([2, 0], [1, 0], wte, wpe, wtt, { B: 1, T: 2, C: 2 });
    expect(Array.from(out)).toEqual([100 + 0.5 + 3000, 200 + 0.25 + 4000, 1 - 1 + 1000, 2 - 2 + 2000]);
    expect(Array.from(encoderForward([2, 0], null, wte, wpe, null, { B: 1, T: 2, C: 2 }))).toEqual([100.5, 200.25, 0, 0]);
  });

  it('backward equals the full finite-difference Jacobian w.r.t. every table', () => {
    const dims = { B: 2, T: 3, C: 2 };
    const ids = [4, 1, 4, 0, 4, 2];
    const types = [0, 1, 1, 0, 0, 1];
    const inputs = [randomF32(5 * 2, 1), randomF32(4 * 2, 2), randomF32(2 * 2, 3)].map((a) => Float64Array.from(a));
    const bad = jacobianMismatches(
      ([wte, wpe, wtt]) => encoderForward(ids, types, wte!, wpe!, wtt!, dims),
      (dout) => {
        const g = encoderBackward(dout, ids, types, dims, { V: 5, P: 4, NT: 2 });
        return [g.dwte, g.dwpe, g.dwtt!];
      },
      inputs,
    );
    expect(bad).toEqual([]);
  });
});
