import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/errors.js';
import type { Device } from '../../src/gpu/device.js';
import { grid1d } from '../../src/gpu/kernel.js';
import type { Tensor } from '../../src/gpu/tensor.js';
import { layernormBackward, layernormForward, layernormWorkspaceSize, type LayernormAccumulate } from '../../src/ops/layernorm.js';
import type { RowMapping } from '../../src/ops/rows.js';
import { layernormBackward as refBackward, layernormForward as refForward } from '../../src/ref/layernorm.js';
import { expectBitEqual, expectClose, TOL } from '../helpers/close.js';
import { testDevice } from '../helpers/device.js';
import { dot, gpuCentralDifferences } from '../helpers/nn_grad.js';
import { randomF32 } from '../helpers/rand.js';

interface Case {
  x: Float32Array;
  w: Float32Array;
  b: Float32Array;
  rows: number;
  C: number;
}

function makeCase(rows: number, C: number, seed: number, scale = 3): Case {
  // An offset per row, so the mean is not ~0 and cancellation in x − μ is exercised.
  const x = randomF32(rows * C, seed, scale);
  for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) x[r * C + c]! += (r % 5) * 10 - 20;
  return { x, w: randomF32(C, seed + 1, 2), b: randomF32(C, seed + 2, 1), rows, C };
}

const MAPPINGS: RowMapping[] = ['workgroup', 'invocation'];

async function forward(device: Device, k: Case, eps: number, mapping?: RowMapping): Promise<{ out: Float32Array; mean: Float32Array; rstd: Float32Array }> {
  const t = {
    inp: device.tensor('ln.inp', [k.rows, k.C], 'f32', k.x),
    weight: device.tensor('ln.w', [k.C], 'f32', k.w),
    bias: device.tensor('ln.b', [k.C], 'f32', k.b),
    out: device.tensor('ln.out', [k.rows, k.C]),
    mean: device.tensor('ln.mean', [k.rows]),
    rstd: device.tensor('ln.rstd', [k.rows]),
  };
  const rec = device.recorder('ln.fwd');
  layernormForward(rec, t.out, t.mean, t.rstd, t.inp, t.weight, t.bias, mapping ? { eps, mapping } : { eps });
  const reads = [rec.read(t.out), rec.read(t.mean), rec.read(t.rstd)];
  await rec.submit();
  const [out, mean, rstd] = (await Promise.all(reads)).map((b) => new Float32Array(b));
  for (const x of Object.values(t)) device.release(x);
  return { out: out!, mean: mean!, rstd: rstd! };
}

interface Grads {
  dinp: Float32Array;
  dweight: Float32Array;
  dbias: Float32Array;
}

async function backward(device: Device, k: Case, eps: number, dout: Float32Array, accumulate: LayernormAccumulate, initial?: Grads, mapping?: RowMapping): Promise<Grads> {
  const { rows, C } = k;
  const t = {
    inp: device.tensor('ln.inp', [rows, C], 'f32', k.x),
    weight: device.tensor('ln.w', [C], 'f32', k.w),
    bias: device.tensor('ln.b', [C], 'f32', k.b),
    out: device.tensor('ln.out', [rows, C]),
    mean: device.tensor('ln.mean', [rows]),
    rstd: device.tensor('ln.rstd', [rows]),
    dout: device.tensor('ln.dout', [rows, C], 'f32', dout),
    dinp: device.tensor('ln.dinp', [rows, C], 'f32', initial?.dinp),
    dweight: device.tensor('ln.dw', [C], 'f32', initial?.dweight),
    dbias: device.tensor('ln.db', [C], 'f32', initial?.dbias),
    workspace: device.tensor('ln.ws', [layernormWorkspaceSize({ rows, channels: C })]),
  };
  const rec = device.recorder('ln.bwd');
  layernormForward(rec, t.out, t.mean, t.rstd, t.inp, t.weight, t.bias, { eps });
  layernormBackward(rec, t.dinp, t.dweight, t.dbias, t.workspace, t.dout, t.inp, t.weight, t.mean, t.rstd, mapping ? { accumulate, mapping } : { accumulate });
  const reads = [rec.read(t.dinp), rec.read(t.dweight), rec.read(t.dbias)];
  await rec.submit();
  const [dinp, dweight, dbias] = (await Promise.all(reads)).map((b) => new Float32Array(b));
  for (const x of Object.values(t)) device.release(x);
  return { dinp: dinp!, dweight: dweight!, dbias: dbias! };
}

/** Per-element atol scale for out: |w|·max|x̂| + |b|, the magnitude the reduction errors are relative to. */
function outScale(k: Case, ref: ReturnType<typeof refForward>): Float64Array {
  const s = new Float64Array(k.rows * k.C);
  for (let r = 0; r < k.rows; r++) {
    let m = 0;
    for (let c = 0; c < k.C; c++) m = Math.max(m, Math.abs((k.x[r * k.C + c]! - ref.mean[r]!) * ref.rstd[r]!));
    for (let c = 0; c < k.C; c++) s[r * k.C + c] = Math.abs(k.w[c]!) * m + Math.abs(k.b[c]!);
  }
  return s;
}

function gradScales(k: Case, dout: Float32Array, ref: ReturnType<typeof refForward>): { dinp: Float64Array; dparams: Float64Array } {
  // dinp_c = rstd·(g_c − mean(g) − x̂_c·mean(g·x̂)): errors scale with rstd·(|g| + mean|g| + |x̂|·mean|g·x̂|).
  const dinp = new Float64Array(k.rows * k.C);
  const dparams = new Float64Array(k.C);
  for (let r = 0; r < k.rows; r++) {
    let sg = 0;
    let sgx = 0;
    for (let c = 0; c < k.C; c++) {
      const i = r * k.C + c;
      const xhat = (k.x[i]! - ref.mean[r]!) * ref.rstd[r]!;
      sg += Math.abs(k.w[c]! * dout[i]!);
      sgx += Math.abs(k.w[c]! * dout[i]! * xhat);
      dparams[c]! += Math.abs(dout[i]!) * (1 + Math.abs(xhat));
    }
    for (let c = 0; c < k.C; c++) {
      const i = r * k.C + c;
      const xhat = (k.x[i]! - ref.mean[r]!) * ref.rstd[r]!;
      dinp[i] = ref.rstd[r]! * (Math.abs(k.w[c]! * dout[i]!) + sg / k.C + (Math.abs(xhat) * sgx) / k.C);
    }
  }
  return { dinp, dparams };
}

const EPS = 1e-5;
// C: 1, primes, exactly one quad per lane (256), one more (257), BERT sizes, and a C that is 4·(64k + r).
const SHAPES: [number, number][] = [
  [1, 1],
  [1, 7],
  [3, 13],
  [5, 64],
  [2, 256],
  [2, 257],
  [4, 1000],
  [9, 768],
  [3, 1031],
];
// The backward kernel takes C ≤ 1024.
const BACKWARD_SHAPES: [number, number][] = [...SHAPES.filter(([, C]) => C <= 1024), [3, 1021], [2, 1024], [1100, 20]];

// Generous per-test limits: the 2-core CI machine is shared, and a first dispatch compiles the pipeline.
describe('layernorm_forward', { timeout: 120_000 }, () => {
  for (const [rows, C] of SHAPES) {
    it(`matches the f64 reference, bit-identically in both row mappings (rows=${rows}, C=${C})`, async () => {
      const device = await testDevice();
      const k = makeCase(rows, C, rows * 1000 + C);
      const got = await forward(device, k, EPS, 'workgroup');
      const other = await forward(device, k, EPS, 'invocation');
      expectBitEqual(other.out, got.out, 'out: invocation vs workgroup mapping');
      expectBitEqual(other.rstd, got.rstd, 'rstd: invocation vs workgroup mapping');
      const ref = refForward(k.x, k.w, k.b, rows, C, EPS);
      expectClose(got.out, ref.out, TOL.reduction, 'out', outScale(k, ref));
      expectClose(got.mean, ref.mean, TOL.reduction, 'mean', 1 + 30);
      expectClose(got.rstd, ref.rstd, TOL.reduction, 'rstd', 0);
    });
  }

  it('vec4 and scalar entries give bit-identical results when C % 4 == 0', async () => {
    const device = await testDevice();
    const k = makeCase(6, 772, 5);
    const vec4 = await forward(device, k, 1e-12, 'workgroup');
    // Force the scalar entry with a direct dispatch.
    const t = {
      out: device.tensor('o', [6, 772]),
      mean: device.tensor('m', [6]),
      rstd: device.tensor('r', [6]),
      inp: device.tensor('x', [6, 772], 'f32', k.x),
      weight: device.tensor('w', [772], 'f32', k.w),
      bias: device.tensor('b', [772], 'f32', k.b),
    };
    const rec = device.recorder('ln.scalar');
    rec.dispatch(device.kernel('layernorm_forward'), { rows: 6, C: 772, eps: 1e-12 }, t, [6, 1, 1]);
    await rec.submit();
    expectBitEqual((await device.read(t.out)) as Float32Array, vec4.out, 'out');
    expectBitEqual((await device.read(t.mean)) as Float32Array, vec4.mean, 'mean');
    expectBitEqual((await device.read(t.rstd)) as Float32Array, vec4.rstd, 'rstd');
    for (const x of Object.values(t)) device.release(x);
  });

  it('maps constant rows (var = 0) exactly to the bias, with mean = the constant and rstd = 1/√eps', async () => {
    const device = await testDevice();
    const values = [0.1, 1000.1, -3.7e3, 0, 1e-20, 7e30, 1 / 3];
    for (const C of [768, 13]) {
      const x = new Float32Array(values.length * C);
      values.forEach((v, r) => x.fill(v, r * C, (r + 1) * C));
      const k: Case = { x, w: randomF32(C, 1, 2), b: randomF32(C, 2, 1), rows: values.length, C };
      const got = await forward(device, k, 1e-12);
      expectBitEqual((await forward(device, k, 1e-12, 'workgroup')).out, got.out, 'mappings agree');
      for (let r = 0; r < values.length; r++) {
        expectBitEqual(got.out.subarray(r * C, (r + 1) * C), k.b, `C=${C} row of ${values[r]}: out`);
        expect(got.mean[r], `C=${C} mean of a row of ${values[r]}`).toBe(Math.fround(values[r]!));
      }
      expectClose(got.rstd, new Float64Array(values.length).fill(1e6), TOL.reduction, `C=${C} rstd`, 0);
    }
  });

  it('stays accurate for rows that are constant up to a few ulps, where eps = 1e-12 amplifies errors in the mean', async () => {
    const device = await testDevice();
    const C = 256;
    const x = new Float32Array(2 * C);
    for (let c = 0; c < C; c++) {
      x[c] = 1 + ((c % 3) - 1) * 2 ** -23;
      x[C + c] = 1000.5 + ((c * 7) % 5) * 2 ** -13;
    }
    const k: Case = { x, w: new Float32Array(C).fill(1), b: new Float32Array(C), rows: 2, C };
    const got = await forward(device, k, 1e-12);
    const ref = refForward(k.x, k.w, k.b, 2, C, 1e-12);
    expectClose(got.out, ref.out, TOL.reduction, 'out', outScale(k, ref));
  });

  it('covers every row past 65535 workgroups in both mappings (invocation mapping with WG=1)', async () => {
    const device = await testDevice();
    const rows = 65535 + 70;
    expect(grid1d(rows, 1)[1]).toBeGreaterThan(1);
    // Both workgroup entries find their row with the same folded index, so the vec4 one stands for both.
    const k = makeCase(rows, 4, 4);
    const got = await forward(device, k, EPS, 'workgroup');
    const ref = refForward(k.x, k.w, k.b, rows, 4, EPS);
    expectClose(got.out, ref.out, TOL.reduction, 'out', outScale(k, ref));
    expectClose(got.rstd, ref.rstd, TOL.reduction, 'rstd', 0);
    const t = {
      out4: device.tensor('o', [rows, 4]),
      mean: device.tensor('m', [rows]),
      rstd: device.tensor('r', [rows]),
      inp4: device.tensor('x', [rows, 4], 'f32', k.x),
      weight4: device.tensor('w', [4], 'f32', k.w),
      bias4: device.tensor('b', [4], 'f32', k.b),
    };
    const rec = device.recorder('ln.rows.fold');
    rec.dispatch(device.kernel('layernorm_forward_rows_vec4', { WG: 1 }), { rows, C: 4, eps: EPS }, t, grid1d(rows, 1));
    await rec.submit();
    expectBitEqual((await device.read(t.out4)) as Float32Array, got.out, 'invocation mapping, folded');
    for (const x of Object.values(t)) device.release(x);
  });

  it('gives bit-identical results when the same dispatch runs twice', async () => {
    const device = await testDevice();
    const k = makeCase(17, 384, 77);
    const a = await forward(device, k, 1e-12);
    const b = await forward(device, k, 1e-12);
    expectBitEqual(a.out, b.out, 'out');
    expectBitEqual(a.rstd, b.rstd, 'rstd');
  });

  it('throws a ShapeError naming every shape', async () => {
    const device = await testDevice();
    const inp = device.tensor('x', [2, 8]);
    const w = device.tensor('w', [8]);
    const b = device.tensor('b', [7]);
    const out = device.tensor('o', [2, 8]);
    const m = device.tensor('m', [3]);
    const rec = device.recorder('ln.bad');
    expect(() => layernormForward(rec, out, m, m, inp, w, w, { eps: 1e-5 })).toThrow(ShapeError);
    expect(() => layernormForward(rec, out, m, m, inp, w, w, { eps: 1e-5 })).toThrow(/layernormForward: out \(2,8\) vs mean \(3\) vs rstd \(3\) vs inp \(2,8\) vs weight \(8\) vs bias \(8\)/);
    expect(() => layernormForward(rec, out, m, m, inp, b, b, { eps: 1e-5 })).toThrow(/last dimension/);
    await rec.submit();
    for (const t of [inp, w, b, out, m]) device.release(t);
  });
});

describe('layernorm_backward', { timeout: 120_000 }, () => {
  for (const [rows, C] of BACKWARD_SHAPES) {
    it(`matches the f64 reference, bit-identically in both row mappings (rows=${rows}, C=${C})`, async () => {
      const device = await testDevice();
      const k = makeCase(rows, C, rows * 7 + C);
      const dout = randomF32(rows * C, rows + C + 5, 1);
      const got = await backward(device, k, EPS, dout, false, undefined, 'workgroup');
      const other = await backward(device, k, EPS, dout, false, undefined, 'invocation');
      expectBitEqual(other.dinp, got.dinp, 'dinp: invocation vs workgroup mapping');
      expectBitEqual(other.dweight, got.dweight, 'dweight: invocation vs workgroup mapping');
      expectBitEqual(other.dbias, got.dbias, 'dbias: invocation vs workgroup mapping');
      const fwd = refForward(k.x, k.w, k.b, rows, C, EPS);
      const ref = refBackward(dout, k.x, k.w, fwd.mean, fwd.rstd, rows, C);
      const scale = gradScales(k, dout, fwd);
      expectClose(got.dinp, ref.dinp, TOL.reduction, 'dinp', scale.dinp);
      expectClose(got.dweight, ref.dweight, TOL.reduction, 'dweight', scale.dparams);
      expectClose(got.dbias, ref.dbias, TOL.reduction, 'dbias', scale.dparams);
    });
  }

  it('adds into existing gradients when accumulating, separately for dinp and for the parameters', async () => {
    const device = await testDevice();
    for (const [C, mapping] of [[12, 'workgroup'], [12, 'invocation'], [9, 'workgroup']] as const) {
      const rows = 37;
      const k = makeCase(rows, C, 3 + C);
      const dout = randomF32(rows * C, 4, 1);
      const initial = { dinp: randomF32(rows * C, 5), dweight: randomF32(C, 6), dbias: randomF32(C, 7) };
      const fresh = await backward(device, k, EPS, dout, false, initial, mapping);
      const both = await backward(device, k, EPS, dout, true, initial, mapping);
      const paramsOnly = await backward(device, k, EPS, dout, { input: false, params: true }, initial, mapping);
      const sum = (a: Float32Array, b: Float32Array) => a.map((v, i) => Math.fround(v + b[i]!));
      expectBitEqual(both.dinp, sum(initial.dinp, fresh.dinp), `C=${C} dinp accumulated`);
      expectBitEqual(both.dweight, sum(initial.dweight, fresh.dweight), `C=${C} dweight accumulated`);
      expectBitEqual(both.dbias, sum(initial.dbias, fresh.dbias), `C=${C} dbias accumulated`);
      expectBitEqual(paramsOnly.dinp, fresh.dinp, `C=${C} dinp overwritten`);
      expectBitEqual(paramsOnly.dweight, both.dweight, `C=${C} dweight accumulated`);
    }
  });

  it('handles constant rows: x̂ = 0, so dinp = rstd·(g − mean(g)) with rstd = 1e6', async () => {
    const device = await testDevice();
    const C = 64;
    const x = new Float32Array(3 * C);
    [0.1, -42.25, 1000.1].forEach((v, r) => x.fill(v, r * C, (r + 1) * C));
    const k: Case = { x, w: randomF32(C, 8, 2), b: randomF32(C, 9), rows: 3, C };
    const dout = randomF32(3 * C, 10);
    const got = await backward(device, k, 1e-12, dout, false);
    const fwd = refForward(k.x, k.w, k.b, 3, C, 1e-12);
    const ref = refBackward(dout, k.x, k.w, fwd.mean, fwd.rstd, 3, C);
    const scale = gradScales(k, dout, fwd);
    expectClose(got.dinp, ref.dinp, TOL.reduction, 'dinp', scale.dinp);
    expectClose(got.dweight, ref.dweight, TOL.reduction, 'dweight', scale.dparams);
    expect(got.dweight.every((v) => v === 0)).toBe(true);
  });

  it('agrees with f32 central differences of the GPU forward (eps 1e-3)', async () => {
    const device = await testDevice();
    const k = makeCase(2, 5, 21, 1);
    const R = randomF32(10, 22);
    const grads = await backward(device, k, EPS, R, false);
    const loss = async (over: Partial<Case>) => dot((await forward(device, { ...k, ...over }, EPS)).out, R);
    const fdX = await gpuCentralDifferences((x) => loss({ x }), k.x);
    const fdW = await gpuCentralDifferences((w) => loss({ w }), k.w);
    const fdB = await gpuCentralDifferences((b) => loss({ b }), k.b);
    expectClose(grads.dinp, fdX, TOL.gpuFd, 'dinp vs FD');
    expectClose(grads.dweight, fdW, TOL.gpuFd, 'dweight vs FD');
    expectClose(grads.dbias, fdB, TOL.gpuFd, 'dbias vs FD');
  });

  it('invocation mapping: dinp covers every row past 65535 workgroups (WG=1 override)', async () => {
    const device = await testDevice();
    const rows = 65535 + 70;
    const k = makeCase(rows, 4, 41);
    const dout = randomF32(rows * 4, 42);
    const expected = await backward(device, k, EPS, dout, false, undefined, 'invocation');
    const t = {
      dinp4: device.tensor('dx', [rows, 4]),
      dout4: device.tensor('dy', [rows, 4], 'f32', dout),
      inp4: device.tensor('x', [rows, 4], 'f32', k.x),
      weight4: device.tensor('w', [4], 'f32', k.w),
      // The forward's f32 mean and rstd, as the launcher path uses them.
      mean: device.tensor('m', [rows]),
      rstd: device.tensor('r', [rows]),
    };
    const forwardOnly = { out: device.tensor('o', [rows, 4]), bias: device.tensor('b', [4], 'f32', k.b) };
    const rec = device.recorder('ln.bwd.fold');
    layernormForward(rec, forwardOnly.out, t.mean, t.rstd, t.inp4, t.weight4, forwardOnly.bias, { eps: EPS });
    rec.dispatch(device.kernel('layernorm_backward_dinp_rows_vec4', { WG: 1 }), { rows, C: 4, rows_per_group: 1, accumulate: 0 }, t, grid1d(rows, 1));
    await rec.submit();
    expectBitEqual((await device.read(t.dinp4)) as Float32Array, expected.dinp, 'dinp folded');
    for (const v of [...Object.values(t), ...Object.values(forwardOnly)]) device.release(v);
  });

  it('gives bit-identical gradients when the same dispatches run twice', async () => {
    const device = await testDevice();
    const k = makeCase(1030, 96, 31);
    const dout = randomF32(1030 * 96, 32);
    const a = await backward(device, k, EPS, dout, false);
    const b = await backward(device, k, EPS, dout, false);
    expectBitEqual(a.dinp, b.dinp, 'dinp');
    expectBitEqual(a.dweight, b.dweight, 'dweight');
    expectBitEqual(a.dbias, b.dbias, 'dbias');
  });

  it('rejects a short workspace and a C wider than the backward kernel takes', async () => {
    const device = await testDevice();
    const mk = (rows: number, C: number, ws: number) => ({
      x: device.tensor('x', [rows, C]),
      w: device.tensor('w', [C]),
      m: device.tensor('m', [rows]),
      d: device.tensor('d', [rows, C]),
      dx: device.tensor('dx', [rows, C]),
      dw: device.tensor('dw', [C]),
      db: device.tensor('db', [C]),
      ws: device.tensor('ws', [ws]),
    });
    const small = mk(4, 8, 8);
    const big = mk(1, 1025, layernormWorkspaceSize({ rows: 1, channels: 1025 }));
    const rec = device.recorder('ln.bad');
    const call = (t: ReturnType<typeof mk>) => () => layernormBackward(rec, t.dx, t.dw, t.db, t.ws, t.d, t.x, t.w, t.m, t.m, { accumulate: false });
    expect(call(small)).toThrow(ShapeError);
    expect(call(small)).toThrow(/workspace \(8\).*workspace needs 64 elements/);
    expect(call(big)).toThrow(/C must be at most 1024/);
    await rec.submit();
    for (const t of [...Object.values(small), ...Object.values(big)]) device.release(t as Tensor);
  });
});
