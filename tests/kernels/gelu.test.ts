import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../../src/errors.js';
import type { Device } from '../../src/gpu/device.js';
import { grid1d } from '../../src/gpu/kernel.js';
import { geluBackward, geluForward, type GeluForm } from '../../src/ops/gelu.js';
import { erf, geluBackward as refBackward, geluForward as refForward } from '../../src/ref/gelu.js';
import { expectBitEqual, expectClose, TOL } from '../helpers/close.js';
import { testDevice } from '../helpers/device.js';
import { dot, gpuCentralDifferences } from '../helpers/nn_grad.js';
import { randomF32 } from '../helpers/rand.js';

const FORMS: GeluForm[] = ['gelu', 'gelu_new'];

async function forward(device: Device, x: Float32Array, form: GeluForm): Promise<Float32Array> {
  const inp = device.tensor('gelu.inp', [x.length], 'f32', x);
  const out = device.tensor('gelu.out', [x.length]);
  const rec = device.recorder('gelu.fwd');
  geluForward(rec, out, inp, { form });
  await rec.submit();
  const got = (await device.read(out)) as Float32Array;
  device.release(inp);
  device.release(out);
  return got;
}

async function backward(device: Device, x: Float32Array, dout: Float32Array, form: GeluForm, accumulate = false, initial?: Float32Array): Promise<Float32Array> {
  const inp = device.tensor('gelu.inp', [x.length], 'f32', x);
  const dy = device.tensor('gelu.dout', [x.length], 'f32', dout);
  const dinp = device.tensor('gelu.dinp', [x.length], 'f32', initial);
  const rec = device.recorder('gelu.bwd');
  geluBackward(rec, dinp, inp, dy, { form, accumulate });
  await rec.submit();
  const got = (await device.read(dinp)) as Float32Array;
  for (const t of [inp, dy, dinp]) device.release(t);
  return got;
}

/** Values where GELU implementations go wrong: huge, tiny, signed zeros, the erf series/tail switch at |x| = √2, the tanh clamp. */
const ADVERSARIAL = Float32Array.from([
  100, -100, 1e4, -1e4, 3e38, -3e38, 1e30, -1e30, 0, -0, 1e-30, -1e-30, 1e-6, -1e-6,
  Math.SQRT2, -Math.SQRT2, Math.fround(Math.SQRT2) + 1e-6, -Math.SQRT2 - 1e-6, 5.5, -5.5, 6.4, -6.4, 6.5, -6.5, 8, -8, 13, -13, 40, -40,
]);

describe('erf_det (gelu_forward_erf probe)', { timeout: 120_000 }, () => {
  it('is within 1e-6 of the f64 erf over the real line, densely sampled', async () => {
    const device = await testDevice();
    const dense = 1 << 18;
    const xs: number[] = [];
    for (let i = 0; i < dense; i++) xs.push(-8 + (16 * i) / dense);
    // Log-spaced magnitudes from 1e-30 to 1e30 for the far ends.
    for (let e = -30; e <= 30; e += 0.05) xs.push(10 ** e, -(10 ** e));
    const x = Float32Array.from(xs);
    const inp = device.tensor('erf.inp', [x.length], 'f32', x);
    const out = device.tensor('erf.out', [x.length]);
    const rec = device.recorder('erf');
    const k = device.kernel('gelu_forward_erf');
    rec.dispatch(k, { n: x.length, form: 0 }, { out, inp }, grid1d(x.length, k.workgroupSize[0]));
    await rec.submit();
    const got = (await device.read(out)) as Float32Array;
    device.release(inp);
    device.release(out);
    let worst = 0;
    let at = 0;
    for (let i = 0; i < x.length; i++) {
      const e = Math.abs(got[i]! - erf(x[i]!));
      if (!(e <= worst)) [worst, at] = [e, x[i]!];
    }
    expect(worst, `max |erf_det − erf| = ${worst} at x = ${at}`).toBeLessThan(1e-6);
    // Odd symmetry holds exactly: both signs take the same path (x[dense − i] = −x[i] for 0 < i < dense).
    let asymmetric = 0;
    for (let i = 1; i < dense / 2; i++) if (got[i] !== -got[dense - i]!) asymmetric++;
    expect(asymmetric).toBe(0);
  });
});

describe('gelu_forward', { timeout: 120_000 }, () => {
  for (const form of FORMS) {
    // 1, primes, one vec4 workgroup (256 quads), one more, and a longer odd length.
    for (const n of [1, 7, 13, 1024, 1028, 4099]) {
      it(`${form} matches the f64 reference (n=${n})`, async () => {
        const device = await testDevice();
        const x = randomF32(n, n + 1, 6);
        expectClose(await forward(device, x, form), refForward(x, form), TOL.elementwise, `${form} n=${n}`);
      });
    }

    it(`${form} is finite and accurate on adversarial inputs (±100, ±1e4, ±3e38, signed zeros, switch points)`, async () => {
      const device = await testDevice();
      const got = await forward(device, ADVERSARIAL, form);
      expect(got.every(Number.isFinite)).toBe(true);
      expectClose(got, refForward(ADVERSARIAL, form), TOL.elementwise, form);
      // gelu(x) = x for large x, and exactly 0 (not NaN) far in the negative tail.
      expect(got[0]).toBe(100);
      expect(got[2]).toBe(1e4);
      expect(Math.abs(got[3]!)).toBe(0);
    });

    it(`${form}: vec4 and scalar entries give bit-identical results`, async () => {
      const device = await testDevice();
      const x = randomF32(4096, 9, 8);
      const vec4 = await forward(device, x, form);
      const odd = await forward(device, Float32Array.from([...x, 0.5]), form);
      expectBitEqual(odd.subarray(0, 4096), vec4, form);
    });
  }

  it('keeps relative precision in the lower tail of the erf form (x·Φ(x), not x·(1 + erf))', async () => {
    const device = await testDevice();
    const x = Float32Array.from([-5, -6, -7, -8, -9, -10, -11, -12]);
    const got = await forward(device, x, 'gelu');
    expectClose(got, refForward(x, 'gelu'), { rtol: 2e-5, atol: 0 }, 'gelu tail');
  });

  it('covers every element past 65535 workgroups (WG=8 override)', async () => {
    const device = await testDevice();
    for (const [entry, per] of [['gelu_forward', 1], ['gelu_forward_vec4', 4]] as const) {
      const n = 65535 * 8 * per + 4 * 9;
      expect(grid1d(n / per, 8)[1]).toBeGreaterThan(1);
      const x = randomF32(n, per, 5);
      const inp = device.tensor('inp', [n], 'f32', x);
      const out = device.tensor('out', [n]);
      const k = device.kernel(entry, { WG: 8 });
      const rec = device.recorder('gelu.fold');
      rec.dispatch(k, { n, form: 1 }, per === 4 ? { out4: out, inp4: inp } : { out, inp }, grid1d(n / per, 8));
      await rec.submit();
      expectClose(await device.read(out), refForward(x, 'gelu_new'), TOL.elementwise, entry);
      device.release(inp);
      device.release(out);
    }
  });

  it('gives bit-identical results when the same dispatch runs twice', async () => {
    const device = await testDevice();
    const x = randomF32(10_000, 3, 10);
    for (const form of FORMS) expectBitEqual(await forward(device, x, form), await forward(device, x, form), form);
  });

  it('rejects mismatched shapes and unknown forms with typed errors', async () => {
    const device = await testDevice();
    const a = device.tensor('a', [2, 8]);
    const b = device.tensor('b', [15]);
    const rec = device.recorder('gelu.bad');
    expect(() => geluForward(rec, b, a, { form: 'gelu' })).toThrow(ShapeError);
    expect(() => geluForward(rec, b, a, { form: 'gelu' })).toThrow(/geluForward: out \(15\) vs inp \(2,8\)/);
    expect(() => geluBackward(rec, a, a, b, { form: 'gelu', accumulate: false })).toThrow(/geluBackward: dinp \(2,8\) vs inp \(2,8\) vs dout \(15\)/);
    expect(() => geluForward(rec, a, a, { form: 'relu' as GeluForm })).toThrow(ConfigError);
    await rec.submit();
    device.release(a);
    device.release(b);
  });
});

describe('gelu_backward', { timeout: 120_000 }, () => {
  for (const form of FORMS) {
    for (const n of [1, 7, 13, 1024, 1028, 4099]) {
      it(`${form} matches the f64 reference (n=${n})`, async () => {
        const device = await testDevice();
        const x = randomF32(n, n + 2, 6);
        const dout = randomF32(n, n + 3, 2);
        expectClose(await backward(device, x, dout, form), refBackward(dout, x, form), TOL.elementwise, `${form} n=${n}`);
      });
    }

    it(`${form} is finite and accurate on adversarial inputs`, async () => {
      const device = await testDevice();
      const dout = new Float32Array(ADVERSARIAL.length).fill(1);
      const got = await backward(device, ADVERSARIAL, dout, form);
      expect(got.every(Number.isFinite)).toBe(true);
      expectClose(got, refBackward(dout, ADVERSARIAL, form), TOL.elementwise, form);
    });

    it(`${form} adds into dinp when accumulating; vec4 and scalar agree bitwise`, async () => {
      const device = await testDevice();
      for (const n of [4096, 4097]) {
        const x = randomF32(n, 1, 5);
        const dout = randomF32(n, 2);
        const initial = randomF32(n, 3);
        const fresh = await backward(device, x, dout, form, false, initial);
        const summed = await backward(device, x, dout, form, true, initial);
        expectBitEqual(summed, fresh.map((v, i) => Math.fround(v + initial[i]!)), `${form} n=${n}`);
        if (n === 4097) expectBitEqual(fresh.subarray(0, 4096), (await backward(device, x.subarray(0, 4096), dout.subarray(0, 4096), form)), `${form} vec4 vs scalar`);
      }
    });

    it(`${form} agrees with f32 central differences of the GPU forward (eps 1e-3)`, async () => {
      const device = await testDevice();
      const x = Float32Array.from([-3.1, -1.2, -0.4, 0.05, 0.7, 1.9, 4.2]);
      const R = randomF32(x.length, 8);
      const fd = await gpuCentralDifferences(async (v) => dot(await forward(device, v, form), R), x);
      expectClose(await backward(device, x, R, form), fd, TOL.gpuFd, `${form} vs FD`);
    });
  }

  it('covers every element past 65535 workgroups (WG=8 override)', async () => {
    const device = await testDevice();
    for (const [entry, per] of [['gelu_backward', 1], ['gelu_backward_vec4', 4]] as const) {
      const n = 65535 * 8 * per + 4 * 9;
      const x = randomF32(n, per + 10, 5);
      const dout = randomF32(n, per + 11);
      const t = { inp: device.tensor('inp', [n], 'f32', x), dout: device.tensor('dout', [n], 'f32', dout), dinp: device.tensor('dinp', [n]) };
      const rec = device.recorder('gelu.bwd.fold');
      const bindings = per === 4 ? { dinp4: t.dinp, inp4: t.inp, dout4: t.dout } : t;
      rec.dispatch(device.kernel(entry, { WG: 8 }), { n, form: 1, accumulate: 0 }, bindings, grid1d(n / per, 8));
      await rec.submit();
      expectClose(await device.read(t.dinp), refBackward(dout, x, 'gelu_new'), TOL.elementwise, entry);
      for (const v of Object.values(t)) device.release(v);
    }
  });

  it('gives bit-identical results when the same dispatch runs twice', async () => {
    const device = await testDevice();
    const x = randomF32(10_001, 4, 10);
    const dout = randomF32(10_001, 5);
    for (const form of FORMS) expectBitEqual(await backward(device, x, dout, form), await backward(device, x, dout, form), form);
  });
});
