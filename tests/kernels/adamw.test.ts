import { describe, expect, it } from 'vitest';
import { adamwDecayMask, adamwUpdate, type AdamwOptions } from '../../src/ops/adamw.js';
import { adamwUpdate as adamwRef } from '../../src/ref/adamw.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { grid1d } from '../../src/gpu/kernel.js';
import { Tensor } from '../../src/gpu/tensor.js';
import type { Device } from '../../src/gpu/device.js';
import { testDevice } from '../helpers/device.js';
import { expectBitEqual, expectClose, TOL } from '../helpers/close.js';
import { randomF32 } from '../helpers/rand.js';

const HYPER = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 };

interface State {
  params: Tensor;
  m: Tensor;
  v: Tensor;
  grads: Tensor;
  clip: Tensor;
  mask?: Tensor;
  release(): void;
}

function upload(device: Device, p: Float32Array, clip: number, mask?: Uint32Array): State {
  const n = p.length;
  const s: State = {
    params: device.tensor('params', [n], 'f32', p),
    m: device.tensor('m', [n]),
    v: device.tensor('v', [n]),
    grads: device.tensor('grads', [n]),
    clip: device.tensor('clip', [1], 'f32', new Float32Array([clip])),
    release: () => {
      for (const t of [s.params, s.m, s.v, s.grads, s.clip, ...(s.mask ? [s.mask] : [])]) device.release(t);
    },
  };
  if (mask) s.mask = device.tensor('mask', [mask.length], 'u32', mask);
  return s;
}

/** `steps` AdamW steps on the GPU and in f64, fresh gradients each step; returns GPU params, m, v. */
async function compareSteps(device: Device, n: number, steps: number, clip: number, mask: Uint32Array | undefined, extra: Partial<AdamwOptions> = {}) {
  const p0 = randomF32(n, n + 1, 1);
  const s = upload(device, p0, clip, mask);
  const rp = Float64Array.from(p0);
  const rm = new Float64Array(n);
  const rv = new Float64Array(n);
  for (let t = 1; t <= steps; t++) {
    const g = randomF32(n, 1000 * t + n, 0.5);
    device.write(s.grads, g);
    const rec = device.recorder('adamw');
    adamwUpdate(rec, s.params, s.m, s.v, s.grads, s.clip, { ...HYPER, step: t, decayMask: s.mask, ...extra });
    await rec.submit();
    adamwRef(rp, rm, rv, g, clip, { ...HYPER, step: t }, mask);
  }
  const got = { params: (await device.read(s.params)) as Float32Array, m: (await device.read(s.m)) as Float32Array, v: (await device.read(s.v)) as Float32Array };
  s.release();
  return { got, ref: { params: rp, m: rm, v: rv } };
}

describe('adamw_update vs the f64 reference', () => {
  for (const n of [1, 13, 256, 257, 10_007]) {
    it(`5 steps with clipping and a decay mask, n=${n}`, async () => {
      const device = await testDevice();
      const mask = adamwDecayMask(n, [{ offset: 0, numel: Math.min(n, 100) }, ...(n > 192 ? [{ offset: 192, numel: n - 192 }] : [])]);
      const { got, ref } = await compareSteps(device, n, 5, 0.37, mask);
      expectClose(got.params, ref.params, TOL.elementwise, `params n=${n}`);
      expectClose(got.m, ref.m, TOL.elementwise, `m n=${n}`);
      expectClose(got.v, ref.v, TOL.elementwise, `v n=${n}`, 1e-3);
    });
  }

  it('first step in closed form: θ(1 − lr·λ) − lr·g/(|g| + ε)', async () => {
    const device = await testDevice();
    const n = 300;
    const p0 = randomF32(n, 1, 1);
    const g = randomF32(n, 2, 0.01);
    const s = upload(device, p0, 1);
    device.write(s.grads, g);
    const rec = device.recorder('adamw.first');
    adamwUpdate(rec, s.params, s.m, s.v, s.grads, s.clip, { ...HYPER, step: 1 });
    await rec.submit();
    const expected = Array.from(p0, (p, i) => p * (1 - HYPER.learningRate * HYPER.weightDecay) - (HYPER.learningRate * g[i]!) / (Math.abs(g[i]!) + HYPER.epsilon));
    expectClose((await device.read(s.params)) as Float32Array, expected, TOL.elementwise, 'first step');
    s.release();
  });

  it('pieces of a range give the same bits as one dispatch (artificial chunk size)', async () => {
    const device = await testDevice();
    const n = 1000;
    const mask = adamwDecayMask(n, [{ offset: 64, numel: 300 }, { offset: 640, numel: 10 }]);
    const whole = await compareSteps(device, n, 3, 0.5, mask);
    for (const chunkElements of [64, 192]) {
      const pieces = await compareSteps(device, n, 3, 0.5, mask, { chunkElements });
      expectBitEqual(pieces.got.params, whole.got.params, `params, chunk ${chunkElements}`);
      expectBitEqual(pieces.got.v, whole.got.v, `v, chunk ${chunkElements}`);
    }
    expectClose(whole.got.params, whole.ref.params, TOL.elementwise, 'params');
  });

  it('updates a sub-range of a flat buffer in place and leaves the rest alone', async () => {
    const device = await testDevice();
    const total = 1024;
    const offset = 128;
    const n = 700;
    const flat = (label: string, data?: Float32Array) => {
      const buf = device.buffer(label, total * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
      const t = new Tensor(buf, 0, [total], label);
      if (data) device.write(t, data);
      return t;
    };
    const p0 = randomF32(total, 3, 1);
    const g = randomF32(total, 4, 1);
    const [params, m, v, grads] = [flat('flat.params', p0), flat('flat.m'), flat('flat.v'), flat('flat.grads', g)];
    const clip = device.tensor('clip', [1], 'f32', new Float32Array([1]));
    const rec = device.recorder('adamw.range');
    adamwUpdate(rec, params.slice(offset, [n]), m.slice(offset, [n]), v.slice(offset, [n]), grads.slice(offset, [n]), clip, { ...HYPER, step: 1, chunkElements: 128 });
    await rec.submit();
    const got = (await device.read(params)) as Float32Array;
    const ref = Float64Array.from(p0.subarray(offset, offset + n));
    adamwRef(ref, new Float64Array(n), new Float64Array(n), g.subarray(offset, offset + n), 1, { ...HYPER, step: 1 });
    expectClose(got.subarray(offset, offset + n), ref, TOL.elementwise, 'range');
    expectBitEqual(got.subarray(0, offset), p0.subarray(0, offset), 'before the range');
    expectBitEqual(got.subarray(offset + n), p0.subarray(offset + n), 'after the range');
    for (const t of [params, m, v, grads, clip]) device.release(t);
  });

  it('covers every element past 65535 workgroups (WG=32 override)', async () => {
    const device = await testDevice();
    const n = 65535 * 32 + 45;
    expect(grid1d(n, 32)[1]).toBeGreaterThan(1);
    const { got, ref } = await compareSteps(device, n, 1, 1, undefined, { overrides: { WG: 32 } });
    expectClose(got.params, ref.params, TOL.elementwise, 'folded');
  }, 60_000);

  it('is bitwise deterministic: the same steps twice', async () => {
    const device = await testDevice();
    const a = await compareSteps(device, 4321, 3, 0.8, undefined);
    const b = await compareSteps(device, 4321, 3, 0.8, undefined);
    expectBitEqual(a.got.params, b.got.params, 'params');
    expectBitEqual(a.got.m, b.got.m, 'm');
    expectBitEqual(a.got.v, b.got.v, 'v');
  });

  it('rejects mismatched ranges, a wrong mask size and bad hyperparameters', async () => {
    const device = await testDevice();
    const s = upload(device, new Float32Array(100), 1);
    const short = device.tensor('short', [99]);
    const rec = device.recorder('bad');
    expect(() => adamwUpdate(rec, s.params, s.m, short, s.grads, s.clip, { ...HYPER, step: 1 })).toThrow(ShapeError);
    expect(() => adamwUpdate(rec, s.params, s.m, short, s.grads, s.clip, { ...HYPER, step: 1 })).toThrow(
      /adamwUpdate: params \(100\) vs m \(100\) vs v \(99\) vs grads \(100\) vs clipScale \(1\)/,
    );
    const mask = device.tensor('mask', [3], 'u32');
    expect(() => adamwUpdate(rec, s.params, s.m, s.v, s.grads, s.clip, { ...HYPER, step: 1, decayMask: mask })).toThrow(/decayMask \(3\)/);
    expect(() => adamwUpdate(rec, s.params, s.m, s.v, s.grads, s.clip, { ...HYPER, step: 0 })).toThrow(ConfigError);
    expect(() => adamwUpdate(rec, s.params, s.m, s.v, s.grads, s.clip, { ...HYPER, step: 1, beta2: 1 })).toThrow(/adamwUpdate.beta2/);
    expect(() => adamwUpdate(rec, s.params, s.m, s.v, s.grads, s.clip, { ...HYPER, step: 1, chunkElements: 100 })).toThrow(/adamwUpdate.chunkElements/);
    await rec.submit();
    s.release();
  });
});
