import { describe, expect, it } from 'vitest';
import { residualForward } from '../../src/ops/residual.js';
import { residualForward as residualRef } from '../../src/ref/residual.js';
import { grid1d } from '../../src/gpu/kernel.js';
import { testDevice } from '../helpers/device.js';
import { expectClose, TOL } from '../helpers/close.js';
import { randomF32 } from '../helpers/rand.js';

describe('residual_forward', () => {
  for (const n of [1, 7, 13, 256, 257, 4099]) {
    it(`matches the f64 reference for n=${n}`, async () => {
      const device = await testDevice();
      const a = randomF32(n, n, 10);
      const b = randomF32(n, n + 1, 10);
      const ta = device.tensor('a', [n], 'f32', a);
      const tb = device.tensor('b', [n], 'f32', b);
      const out = device.tensor('out', [n]);
      const rec = device.recorder('residual');
      residualForward(rec, out, ta, tb);
      await rec.submit();
      expectClose(await device.read(out), residualRef(a, b), TOL.elementwise, `residual n=${n}`);
      for (const t of [ta, tb, out]) device.release(t);
    });
  }

  it('covers every element past 65535 workgroups (WG=32 override)', async () => {
    const device = await testDevice();
    const n = 65535 * 32 + 33;
    expect(grid1d(n, 32)[1]).toBeGreaterThan(1);
    const a = randomF32(n, 1);
    const b = randomF32(n, 2);
    const ta = device.tensor('a', [n], 'f32', a);
    const tb = device.tensor('b', [n], 'f32', b);
    const out = device.tensor('out', [n]);
    const k = device.kernel('residual_forward', { WG: 32 });
    const rec = device.recorder('residual.fold');
    rec.dispatch(k, { n }, { out, a: ta, b: tb }, grid1d(n, 32));
    await rec.submit();
    const got = (await device.read(out)) as Float32Array;
    // f32 addition is correctly rounded, so the GPU must equal the f32-rounded sum exactly.
    let bad = 0;
    for (let i = 0; i < n; i++) if (got[i] !== Math.fround(a[i]! + b[i]!)) bad++;
    expect(bad).toBe(0);
    for (const t of [ta, tb, out]) device.release(t);
  });

  it('reuses pipelines and bind groups when a step is recorded again', async () => {
    const device = await testDevice();
    const n = 1000;
    const ta = device.tensor('a', [n], 'f32', randomF32(n, 3));
    const tb = device.tensor('b', [n], 'f32', randomF32(n, 4));
    const out = device.tensor('out', [n]);
    const out2 = device.tensor('out2', [n]);
    const step = async () => {
      const rec = device.recorder('step');
      residualForward(rec, out, ta, tb);
      residualForward(rec, out2, out, tb);
      await rec.submit();
    };
    await step();
    const after1 = device.stats();
    await step();
    await step();
    expect(device.stats()).toEqual(after1);
    for (const t of [ta, tb, out, out2]) device.release(t);
  });

  it('profiles each dispatch separately where the adapter has timestamp queries', async () => {
    const device = await testDevice();
    const n = 1 << 14;
    const ta = device.tensor('a', [n], 'f32', randomF32(n, 8));
    const out = device.tensor('out', [n]);
    const out2 = device.tensor('out2', [n]);
    const before = device.stats().buffers;
    const rec = device.recorder('profiled', { profile: true });
    residualForward(rec, out, ta, ta);
    residualForward(rec, out2, out, ta);
    await rec.submit();
    if (device.info.features.includes('timestamp-query')) {
      const entries = await rec.profile!;
      expect(entries.map((e) => e.entry)).toEqual(['residual_forward', 'residual_forward']);
      for (const e of entries) expect(e.ms).toBeGreaterThanOrEqual(0);
    } else {
      expect(rec.profile).toBeNull();
    }
    // The profile's own buffers are released (the pooled staging buffer may stay).
    expect(device.stats().buffers).toBeLessThanOrEqual(before + 1);
    expect(Array.from((await device.read(out2)) as Float32Array).slice(0, 3)).toEqual(Array.from((await device.read(ta)) as Float32Array).slice(0, 3).map((x) => Math.fround(x + x + x)));
    for (const t of [ta, out, out2]) device.release(t);
  });

  it('names the aliased buffer when an op would read and write it in one dispatch', async () => {
    const device = await testDevice();
    const t = device.tensor('inplace', [8]);
    const rec = device.recorder('alias');
    expect(() => residualForward(rec, t, t, t)).toThrow(/share buffer "inplace"/);
    await rec.submit();
    device.release(t);
  });

  it('times a submit with timestamp queries where the adapter has them', async () => {
    const device = await testDevice();
    const n = 1 << 16;
    const ta = device.tensor('a', [n], 'f32', randomF32(n, 5));
    const out = device.tensor('out', [n]);
    const rec = device.recorder('timed', { timed: true });
    residualForward(rec, out, ta, ta);
    const ms = await rec.submit();
    if (device.info.features.includes('timestamp-query')) {
      expect(ms).toBeTypeOf('number');
      expect(ms!).toBeGreaterThanOrEqual(0);
    } else {
      expect(ms).toBeUndefined();
    }
    for (const t of [ta, out]) device.release(t);
  });
});
