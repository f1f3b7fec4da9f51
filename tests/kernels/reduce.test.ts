import { describe, expect, it } from 'vitest';
import { reduceSum } from '../../src/ops/reduce.js';
import { reduceSum as sumRef, reduceSumF32 } from '../../src/ref/reduce.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import type { Device } from '../../src/gpu/device.js';
import { testDevice } from '../helpers/device.js';
import { expectClose, TOL } from '../helpers/close.js';
import { randomF32 } from '../helpers/rand.js';

async function gpuSum(device: Device, x: Float32Array, scale?: number): Promise<number> {
  const inp = device.tensor('inp', [x.length], 'f32', x);
  const out = device.tensor('out', [1]);
  const rec = device.recorder('reduce');
  reduceSum(rec, out, inp, scale === undefined ? {} : { scale });
  await rec.submit();
  const got = (await device.read(out))[0]!;
  device.release(inp);
  device.release(out);
  return got;
}

describe('reduce_sum', () => {
  // 256 lanes: n = 256 fills each lane once, 257 puts a second value in lane 0.
  for (const n of [1, 7, 13, 256, 257, 4099, 100_003]) {
    it(`gives exactly the bits of its fixed order (f32 emulation) and the f64 sum within tolerance, n=${n}`, async () => {
      const device = await testDevice();
      const x = randomF32(n, n, 100);
      const scale = 1 / 3;
      const got = await gpuSum(device, x, scale);
      // Only additions and one multiply: nothing to fuse, so every adapter must agree with the emulation.
      expect(got).toBe(reduceSumF32(x, scale));
      const magnitude = x.reduce((a, v) => a + Math.abs(v), 0) * scale;
      expectClose([got], [sumRef(x, scale)], TOL.reduction, `sum n=${n}`, magnitude);
    });
  }

  it('does not depend on anything but its input (same dispatch twice)', async () => {
    const device = await testDevice();
    const x = randomF32(5000, 9, 1e6);
    expect(Object.is(await gpuSum(device, x), await gpuSum(device, x))).toBe(true);
  });

  it('rejects an output that is not one element, and a non-finite scale', async () => {
    const device = await testDevice();
    const inp = device.tensor('inp', [10]);
    const out2 = device.tensor('out2', [2]);
    const rec = device.recorder('bad');
    expect(() => reduceSum(rec, out2, inp)).toThrow(ShapeError);
    expect(() => reduceSum(rec, out2, inp)).toThrow(/reduceSum: out \(2\) vs inp \(10\)/);
    expect(() => reduceSum(rec, device.tensor('out1', [1]), inp, { scale: Infinity })).toThrow(ConfigError);
    await rec.submit();
  });
});
