import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/errors.js';
import type { Device } from '../../src/gpu/device.js';
import { grid1d } from '../../src/gpu/kernel.js';
import { l2normBackward, l2normForward } from '../../src/ops/l2norm.js';
import type { RowMapping } from '../../src/ops/rows.js';
import { l2normBackward as refBackward, l2normForward as refForward } from '../../src/ref/l2norm.js';
import { expectBitEqual, expectClose, TOL } from '../helpers/close.js';
import { testDevice } from '../helpers/device.js';
import { dot, gpuCentralDifferences } from '../helpers/nn_grad.js';
import { randomF32 } from '../helpers/rand.js';

async function forward(device: Device, x: Float32Array, rows: number, C: number, mapping?: RowMapping): Promise<{ out: Float32Array; norm: Float32Array }> {
  const inp = device.tensor('l2.inp', [rows, C], 'f32', x);
  const out = device.tensor('l2.out', [rows, C]);
  const norm = device.tensor('l2.norm', [rows]);
  const rec = device.recorder('l2.fwd');
  l2normForward(rec, out, norm, inp, mapping ? { mapping } : {});
  const reads = [rec.read(out), rec.read(norm)];
  await rec.submit();
  const [o, n] = (await Promise.all(reads)).map((b) => new Float32Array(b));
  for (const t of [inp, out, norm]) device.release(t);
  return { out: o!, norm: n! };
}

async function backward(device: Device, x: Float32Array, dout: Float32Array, rows: number, C: number, accumulate = false, initial?: Float32Array, mapping?: RowMapping): Promise<Float32Array> {
  const inp = device.tensor('l2.inp', [rows, C], 'f32', x);
  const out = device.tensor('l2.out', [rows, C]);
  const norm = device.tensor('l2.norm', [rows]);
  const dy = device.tensor('l2.dout', [rows, C], 'f32', dout);
  const dinp = device.tensor('l2.dinp', [rows, C], 'f32', initial);
  const rec = device.recorder('l2.bwd');
  l2normForward(rec, out, norm, inp);
  l2normBackward(rec, dinp, dy, inp, norm, mapping ? { accumulate, mapping } : { accumulate });
  await rec.submit();
  const got = (await device.read(dinp)) as Float32Array;
  for (const t of [inp, out, norm, dy, dinp]) device.release(t);
  return got;
}

/** atol scale of dinp: (|dy| + |y|·Σ|y·dy|) / ‖x‖, the magnitudes the kernel combines. */
function backwardScale(x: Float32Array, dout: Float32Array, rows: number, C: number): Float64Array {
  const s = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += x[r * C + c]! ** 2;
    const n = Math.max(Math.sqrt(ss), 1e-12);
    let ydy = 0;
    for (let c = 0; c < C; c++) ydy += Math.abs((x[r * C + c]! / n) * dout[r * C + c]!);
    for (let c = 0; c < C; c++) s[r * C + c] = (Math.abs(dout[r * C + c]!) + (Math.abs(x[r * C + c]!) / n) * ydy) / n;
  }
  return s;
}

// (rows, C): ones, primes, exactly one lane per channel (64), one more, BERT width, > 1024.
const SHAPES: [number, number][] = [
  [1, 1],
  [3, 7],
  [2, 64],
  [2, 65],
  [5, 768],
  [3, 1031],
];

describe('l2norm_forward', { timeout: 120_000 }, () => {
  for (const [rows, C] of SHAPES) {
    it(`matches the f64 reference, bit-identically in both row mappings (rows=${rows}, C=${C})`, async () => {
      const device = await testDevice();
      const x = randomF32(rows * C, rows + C, 3);
      const got = await forward(device, x, rows, C, 'workgroup');
      const other = await forward(device, x, rows, C, 'invocation');
      expectBitEqual(other.out, got.out, 'out: invocation vs workgroup mapping');
      expectBitEqual(other.norm, got.norm, 'norm: invocation vs workgroup mapping');
      const ref = refForward(x, rows, C);
      expectClose(got.out, ref.out, TOL.reduction, 'out');
      expectClose(got.norm, ref.norm, TOL.reduction, 'norm', 0);
    });
  }

  it('handles zero rows, rows below eps and huge rows without NaN (x / max(‖x‖, 1e-12))', async () => {
    const device = await testDevice();
    const C = 5;
    const x = new Float32Array(4 * C);
    x.fill(1e-20, C, 2 * C);
    x.fill(1e18, 2 * C, 3 * C);
    x.set([3, 4, 0, 0, 0], 3 * C);
    const got = await forward(device, x, 4, C);
    expect(got.out.every(Number.isFinite)).toBe(true);
    expect(Array.from(got.out.subarray(0, C))).toEqual([0, 0, 0, 0, 0]);
    expectClose(got.out.subarray(C, 2 * C), new Float64Array(C).fill(1e-8), TOL.reduction, 'below eps');
    expectClose(got.out.subarray(2 * C, 3 * C), new Float64Array(C).fill(1 / Math.sqrt(C)), TOL.reduction, 'huge');
    expect(Array.from(got.out.subarray(3 * C))).toEqual([Math.fround(0.6), Math.fround(0.8), 0, 0, 0]);
    expect(got.norm[3]).toBe(5);
  });

  it('covers every row past 65535 workgroups in both mappings (invocation mapping with WG=1)', async () => {
    const device = await testDevice();
    const rows = 65535 + 40;
    expect(grid1d(rows, 1)[1]).toBeGreaterThan(1);
    const x = randomF32(rows * 3, 7);
    const got = await forward(device, x, rows, 3, 'workgroup');
    expectClose(got.out, refForward(x, rows, 3).out, TOL.reduction, 'out');
    const t = { out: device.tensor('o', [rows, 3]), norm: device.tensor('n', [rows]), inp: device.tensor('x', [rows, 3], 'f32', x) };
    const rec = device.recorder('l2.rows.fold');
    rec.dispatch(device.kernel('l2norm_forward_rows', { WG: 1 }), { rows, C: 3 }, t, grid1d(rows, 1));
    await rec.submit();
    expectBitEqual((await device.read(t.out)) as Float32Array, got.out, 'invocation mapping, folded');
    for (const v of Object.values(t)) device.release(v);
  });

  it('gives bit-identical results when the same dispatch runs twice', async () => {
    const device = await testDevice();
    const x = randomF32(16 * 768, 8);
    const a = await forward(device, x, 16, 768);
    const b = await forward(device, x, 16, 768);
    expectBitEqual(a.out, b.out, 'out');
    expectBitEqual(a.norm, b.norm, 'norm');
  });

  it('throws a ShapeError naming every shape', async () => {
    const device = await testDevice();
    const inp = device.tensor('inp', [4, 8]);
    const out = device.tensor('out', [4, 8]);
    const norm = device.tensor('norm', [3]);
    const rec = device.recorder('l2.bad');
    expect(() => l2normForward(rec, out, norm, inp)).toThrow(ShapeError);
    expect(() => l2normForward(rec, out, norm, inp)).toThrow(/l2normForward: out \(4,8\) vs norm \(3\) vs inp \(4,8\)/);
    await rec.submit();
    for (const t of [inp, out, norm]) device.release(t);
  });
});

describe('l2norm_backward', { timeout: 120_000 }, () => {
  for (const [rows, C] of SHAPES) {
    it(`matches the f64 reference, bit-identically in both row mappings (rows=${rows}, C=${C})`, async () => {
      const device = await testDevice();
      const x = randomF32(rows * C, rows * C, 2);
      const dout = randomF32(rows * C, rows + 3);
      const got = await backward(device, x, dout, rows, C, false, undefined, 'workgroup');
      expectBitEqual(await backward(device, x, dout, rows, C, false, undefined, 'invocation'), got, 'invocation vs workgroup mapping');
      expectClose(got, refBackward(dout, x, rows, C), TOL.reduction, 'dinp', backwardScale(x, dout, rows, C));
    });
  }

  it('uses dout / eps for rows with ‖x‖ below eps and adds into dinp when accumulating', async () => {
    const device = await testDevice();
    const C = 6;
    const x = new Float32Array(2 * C);
    x.fill(1e-20, 0, C);
    x.set(randomF32(C, 1), C);
    const dout = randomF32(2 * C, 2);
    const initial = randomF32(2 * C, 3);
    for (const mapping of ['workgroup', 'invocation'] as const) {
      const fresh = await backward(device, x, dout, 2, C, false, undefined, mapping);
      expectClose(fresh, refBackward(dout, x, 2, C), TOL.reduction, `${mapping}: dinp`, backwardScale(x, dout, 2, C));
      const summed = await backward(device, x, dout, 2, C, true, initial, mapping);
      expectBitEqual(summed, fresh.map((v, i) => Math.fround(initial[i]! + v)), `${mapping}: accumulated`);
    }
  });

  it('agrees with f32 central differences of the GPU forward (eps 1e-3)', async () => {
    const device = await testDevice();
    const x = randomF32(2 * 4, 11, 2);
    const R = randomF32(2 * 4, 12);
    const fd = await gpuCentralDifferences(async (v) => dot((await forward(device, v, 2, 4)).out, R), x);
    expectClose(await backward(device, x, R, 2, 4), fd, TOL.gpuFd, 'vs FD');
  });

  it('invocation mapping: covers every row past 65535 workgroups (WG=1 override)', async () => {
    const device = await testDevice();
    const rows = 65535 + 40;
    const x = randomF32(rows * 3, 17);
    const dout = randomF32(rows * 3, 18);
    const expected = await backward(device, x, dout, rows, 3, false, undefined, 'invocation');
    const t = { dinp: device.tensor('dx', [rows, 3]), dout: device.tensor('dy', [rows, 3], 'f32', dout), inp: device.tensor('x', [rows, 3], 'f32', x), norm: device.tensor('n', [rows]) };
    const unit = device.tensor('y', [rows, 3]);
    const rec = device.recorder('l2.bwd.fold');
    l2normForward(rec, unit, t.norm, t.inp);
    rec.dispatch(device.kernel('l2norm_backward_rows', { WG: 1 }), { rows, C: 3, accumulate: 0 }, t, grid1d(rows, 1));
    await rec.submit();
    expectBitEqual((await device.read(t.dinp)) as Float32Array, expected, 'folded');
    for (const v of [...Object.values(t), unit]) device.release(v);
  });

  it('gives bit-identical results when the same dispatch runs twice', async () => {
    const device = await testDevice();
    const x = randomF32(16 * 768, 9);
    const dout = randomF32(16 * 768, 10);
    expectBitEqual(await backward(device, x, dout, 16, 768), await backward(device, x, dout, 16, 768), 'twice');
  });
});
