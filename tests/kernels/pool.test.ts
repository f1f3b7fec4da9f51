import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../../src/errors.js';
import type { Device } from '../../src/gpu/device.js';
import { grid1d } from '../../src/gpu/kernel.js';
import { poolBackward, poolForward, type PoolMode } from '../../src/ops/pool.js';
import { poolBackward as refBackward, poolForward as refForward } from '../../src/ref/pool.js';
import { expectBitEqual, expectClose, TOL } from '../helpers/close.js';
import { testDevice } from '../helpers/device.js';
import { dot, gpuCentralDifferences } from '../helpers/nn_grad.js';
import { mulberry32, randomF32 } from '../helpers/rand.js';

const MODES: PoolMode[] = ['mean', 'cls'];

/** Random lengths, plus the adversarial rows: only [CLS] valid, and nothing valid. */
function makeMask(B: number, T: number, seed: number): Uint32Array {
  const rnd = mulberry32(seed);
  const mask = new Uint32Array(B * T);
  for (let b = 0; b < B; b++) {
    const len = b === 0 ? 1 : b === 1 ? 0 : 1 + Math.floor(rnd() * T);
    mask.fill(1, b * T, b * T + Math.min(len, T));
  }
  return mask;
}

async function forward(device: Device, x: Float32Array, mask: Uint32Array, B: number, T: number, C: number, mode: PoolMode): Promise<Float32Array> {
  const inp = device.tensor('pool.inp', [B, T, C], 'f32', x);
  const m = device.tensor('pool.mask', [B, T], 'u32', mask);
  const out = device.tensor('pool.out', [B, C]);
  const rec = device.recorder('pool.fwd');
  poolForward(rec, out, inp, m, { mode });
  await rec.submit();
  const got = (await device.read(out)) as Float32Array;
  for (const t of [inp, m, out]) device.release(t);
  return got;
}

async function backward(device: Device, dout: Float32Array, mask: Uint32Array, B: number, T: number, C: number, mode: PoolMode, accumulate = false, initial?: Float32Array): Promise<Float32Array> {
  const dy = device.tensor('pool.dout', [B, C], 'f32', dout);
  const m = device.tensor('pool.mask', [B, T], 'u32', mask);
  const dinp = device.tensor('pool.dinp', [B, T, C], 'f32', initial);
  const rec = device.recorder('pool.bwd');
  poolBackward(rec, dinp, dy, m, { mode, accumulate });
  await rec.submit();
  const got = (await device.read(dinp)) as Float32Array;
  for (const t of [dy, m, dinp]) device.release(t);
  return got;
}

/** The kernel's arithmetic in f32: tokens summed in t order, one division. */
function f32Forward(x: Float32Array, mask: Uint32Array, B: number, T: number, C: number, mode: PoolMode): Float32Array {
  const out = new Float32Array(B * C);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      if (mode === 'cls') {
        out[b * C + c] = x[b * T * C + c]!;
        continue;
      }
      let acc = 0;
      let count = 0;
      for (let t = 0; t < T; t++) {
        if (mask[b * T + t] === 0) continue;
        acc = Math.fround(acc + x[(b * T + t) * C + c]!);
        count++;
      }
      out[b * C + c] = Math.fround(acc / Math.max(count, 1));
    }
  }
  return out;
}

// (B, T, C): ones, primes, exactly one workgroup of (b, c) pairs (B·C = 256), one more, BERT width.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [2, 3, 7],
  [3, 13, 5],
  [2, 5, 128],
  [1, 3, 257],
  [5, 32, 768],
];

describe('pool_forward', { timeout: 120_000 }, () => {
  for (const mode of MODES) {
    for (const [B, T, C] of SHAPES) {
      it(`${mode}: equals the ordered f32 sum bitwise and the f64 reference (B=${B}, T=${T}, C=${C})`, async () => {
        const device = await testDevice();
        const x = randomF32(B * T * C, B + T + C, 4);
        const mask = makeMask(B, T, C);
        const got = await forward(device, x, mask, B, T, C, mode);
        expectBitEqual(got, f32Forward(x, mask, B, T, C, mode), 'vs f32 emulation');
        expectClose(got, refForward(x, mask, B, T, C, mode), TOL.reduction, 'vs f64', 4);
      });
    }
  }

  it('ignores NaN and inf in padding, pools a [CLS]-only row to token 0 and an empty row to 0', async () => {
    const device = await testDevice();
    const [B, T, C] = [2, 4, 3];
    const x = randomF32(B * T * C, 1);
    for (const t of [1, 2, 3]) x.fill(t === 2 ? Infinity : NaN, t * C, (t + 1) * C);
    const mask = Uint32Array.from([1, 0, 0, 0, 0, 0, 0, 0]);
    const got = await forward(device, x, mask, B, T, C, 'mean');
    expect(Array.from(got.subarray(0, C))).toEqual(Array.from(x.subarray(0, C)));
    expect(Array.from(got.subarray(C))).toEqual([0, 0, 0]);
  });

  it('covers every (b, c) past 65535 workgroups (WG=1 override)', async () => {
    const device = await testDevice();
    const [B, T, C] = [70, 2, 1000];
    const x = randomF32(B * T * C, 2);
    const mask = makeMask(B, T, 3);
    const inp = device.tensor('inp', [B, T, C], 'f32', x);
    const m = device.tensor('mask', [B, T], 'u32', mask);
    const out = device.tensor('out', [B, C]);
    expect(grid1d(B * C, 1)[1]).toBeGreaterThan(1);
    const rec = device.recorder('pool.fold');
    rec.dispatch(device.kernel('pool_forward', { WG: 1 }), { B, T, C, mode: 0 }, { out, inp, mask: m }, grid1d(B * C, 1));
    await rec.submit();
    expectBitEqual((await device.read(out)) as Float32Array, f32Forward(x, mask, B, T, C, 'mean'), 'folded');
    for (const t of [inp, m, out]) device.release(t);
  });

  it('gives bit-identical results when the same dispatch runs twice', async () => {
    const device = await testDevice();
    const x = randomF32(8 * 40 * 96, 5);
    const mask = makeMask(8, 40, 6);
    expectBitEqual(await forward(device, x, mask, 8, 40, 96, 'mean'), await forward(device, x, mask, 8, 40, 96, 'mean'), 'twice');
  });

  it('rejects bad shapes and unknown modes with typed errors', async () => {
    const device = await testDevice();
    const inp = device.tensor('inp', [2, 3, 4]);
    const out = device.tensor('out', [2, 5]);
    const mask = device.tensor('mask', [2, 3], 'u32');
    const rec = device.recorder('pool.bad');
    expect(() => poolForward(rec, out, inp, mask, { mode: 'mean' })).toThrow(ShapeError);
    expect(() => poolForward(rec, out, inp, mask, { mode: 'mean' })).toThrow(/poolForward: out \(2,5\) vs inp \(2,3,4\) vs mask \(2,3\)/);
    expect(() => poolForward(rec, out, inp, mask, { mode: 'max' as PoolMode })).toThrow(ConfigError);
    await rec.submit();
    for (const t of [inp, out, mask]) device.release(t);
  });
});

describe('pool_backward', { timeout: 120_000 }, () => {
  for (const mode of MODES) {
    for (const [B, T, C] of SHAPES) {
      it(`${mode}: matches the f64 reference, zero on tokens not pooled (B=${B}, T=${T}, C=${C})`, async () => {
        const device = await testDevice();
        const dout = randomF32(B * C, B * T + C);
        const mask = makeMask(B, T, C + 1);
        const got = await backward(device, dout, mask, B, T, C, mode, false, randomF32(B * T * C, 9));
        // dout/count is one correctly rounded division, so the reference rounded to f32 is exact.
        expectBitEqual(got, new Float32Array(refBackward(dout, mask, B, T, C, mode)), 'vs f64 rounded');
      });
    }

    it(`${mode}: adds into dinp when accumulating`, async () => {
      const device = await testDevice();
      const [B, T, C] = [3, 6, 10];
      const dout = randomF32(B * C, 1);
      const mask = makeMask(B, T, 2);
      const initial = randomF32(B * T * C, 3);
      const fresh = await backward(device, dout, mask, B, T, C, mode);
      const summed = await backward(device, dout, mask, B, T, C, mode, true, initial);
      expectBitEqual(summed, fresh.map((v, i) => Math.fround(initial[i]! + v)), 'accumulated');
    });

    it(`${mode}: agrees with f32 central differences of the GPU forward (eps 1e-3)`, async () => {
      const device = await testDevice();
      const [B, T, C] = [3, 3, 2];
      const x = randomF32(B * T * C, 4);
      const mask = Uint32Array.from([1, 1, 0, 1, 0, 0, 1, 1, 1]);
      const R = randomF32(B * C, 5);
      const fd = await gpuCentralDifferences(async (v) => dot(await forward(device, v, mask, B, T, C, mode), R), x);
      expectClose(await backward(device, R, mask, B, T, C, mode), fd, TOL.gpuFd, 'vs FD');
    });
  }

  it('covers every (b, c) past 65535 workgroups (WG=1 override)', async () => {
    const device = await testDevice();
    const [B, T, C] = [70, 2, 1000];
    const dout = randomF32(B * C, 12);
    const mask = makeMask(B, T, 13);
    const t = { dinp: device.tensor('dinp', [B, T, C]), dout: device.tensor('dout', [B, C], 'f32', dout), mask: device.tensor('mask', [B, T], 'u32', mask) };
    const rec = device.recorder('pool.bwd.fold');
    rec.dispatch(device.kernel('pool_backward', { WG: 1 }), { B, T, C, mode: 0, accumulate: 0 }, t, grid1d(B * C, 1));
    await rec.submit();
    expectBitEqual((await device.read(t.dinp)) as Float32Array, new Float32Array(refBackward(dout, mask, B, T, C, 'mean')), 'folded');
    for (const v of Object.values(t)) device.release(v);
  });

  it('gives bit-identical results when the same dispatch runs twice', async () => {
    const device = await testDevice();
    const dout = randomF32(8 * 96, 5);
    const mask = makeMask(8, 40, 6);
    expectBitEqual(await backward(device, dout, mask, 8, 40, 96, 'mean'), await backward(device, dout, mask, 8, 40, 96, 'mean'), 'twice');
  });
});
