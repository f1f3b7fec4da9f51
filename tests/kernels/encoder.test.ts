import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../../src/errors.js';
import type { Device } from '../../src/gpu/device.js';
import { grid1d } from '../../src/gpu/kernel.js';
import type { Tensor } from '../../src/gpu/tensor.js';
import { createCsrTensors, encoderBackward, encoderForward, writeCsr } from '../../src/ops/encoder.js';
import { encoderBackward as refBackward, encoderForward as refForward } from '../../src/ref/encoder.js';
import { tokenCsr } from '../../src/util/csr.js';
import { expectBitEqual, expectClose, TOL } from '../helpers/close.js';
import { testDevice } from '../helpers/device.js';
import { dot, gpuCentralDifferences } from '../helpers/nn_grad.js';
import { mulberry32, randomF32 } from '../helpers/rand.js';

interface Case {
  B: number;
  T: number;
  C: number;
  V: number;
  P: number;
  /** token types, or 0 for none */
  NT: number;
  ids: Int32Array;
  typeIds: Int32Array;
  wte: Float32Array;
  wpe: Float32Array;
  wtt: Float32Array;
}

function makeCase(B: number, T: number, C: number, V: number, P: number, NT: number, seed: number): Case {
  const rnd = mulberry32(seed);
  // Skewed ids: many repeats (like [CLS], [PAD]), as in a real batch.
  const ids = Int32Array.from({ length: B * T }, () => Math.floor(rnd() ** 2 * V));
  const typeIds = Int32Array.from({ length: B * T }, () => Math.floor(rnd() * Math.max(NT, 1)));
  return { B, T, C, V, P, NT, ids, typeIds, wte: randomF32(V * C, seed + 1), wpe: randomF32(P * C, seed + 2), wtt: randomF32(Math.max(NT, 1) * C, seed + 3) };
}

function tables(device: Device, k: Case) {
  return {
    ids: device.tensor('enc.ids', [k.B, k.T], 'i32', k.ids),
    typeIds: device.tensor('enc.type_ids', [k.B, k.T], 'i32', k.typeIds),
    wte: device.tensor('enc.wte', [k.V, k.C], 'f32', k.wte),
    wpe: device.tensor('enc.wpe', [k.P, k.C], 'f32', k.wpe),
    wtt: device.tensor('enc.wtt', [Math.max(k.NT, 1), k.C], 'f32', k.wtt),
  };
}

async function forward(device: Device, k: Case): Promise<Float32Array> {
  const t = tables(device, k);
  const out = device.tensor('enc.out', [k.B, k.T, k.C]);
  const rec = device.recorder('enc.fwd');
  encoderForward(rec, out, t.ids, t.wte, t.wpe, k.NT > 0 ? { ids: t.typeIds, table: t.wtt } : null);
  await rec.submit();
  const got = (await device.read(out)) as Float32Array;
  for (const x of [...Object.values(t), out]) device.release(x);
  return got;
}

/** The forward sum in f32, in the kernel's order: (wte + wpe) + wtt. */
function f32Forward(k: Case): Float32Array {
  const out = new Float32Array(k.B * k.T * k.C);
  for (let r = 0; r < k.B * k.T; r++) {
    for (let c = 0; c < k.C; c++) {
      let v = Math.fround(k.wte[k.ids[r]! * k.C + c]! + k.wpe[(r % k.T) * k.C + c]!);
      if (k.NT > 0) v = Math.fround(v + k.wtt[k.typeIds[r]! * k.C + c]!);
      out[r * k.C + c] = v;
    }
  }
  return out;
}

interface Grads {
  dwte: Float32Array;
  dwpe: Float32Array;
  dwtt: Float32Array | null;
}

async function backward(device: Device, k: Case, dout: Float32Array, accumulate: boolean, initial?: Grads): Promise<Grads> {
  const g = {
    dwte: device.tensor('enc.dwte', [k.V, k.C], 'f32', initial?.dwte),
    dwpe: device.tensor('enc.dwpe', [k.P, k.C], 'f32', initial?.dwpe),
    dwtt: device.tensor('enc.dwtt', [Math.max(k.NT, 1), k.C], 'f32', initial?.dwtt ?? undefined),
    dout: device.tensor('enc.dout', [k.B, k.T, k.C], 'f32', dout),
  };
  const tokenBufs = createCsrTensors(device, 'enc.tokens', k.B * k.T);
  const typeBufs = createCsrTensors(device, 'enc.types', k.B * k.T);
  const tokens = writeCsr(device, tokenBufs, tokenCsr(k.ids, k.V));
  const types = k.NT > 0 ? writeCsr(device, typeBufs, tokenCsr(k.typeIds, k.NT)) : null;
  const rec = device.recorder('enc.bwd');
  encoderBackward(rec, g.dwte, g.dwpe, k.NT > 0 ? g.dwtt : null, g.dout, tokens, types, { accumulate });
  const reads = [rec.read(g.dwte), rec.read(g.dwpe), rec.read(g.dwtt)];
  await rec.submit();
  const [dwte, dwpe, dwtt] = (await Promise.all(reads)).map((b) => new Float32Array(b));
  for (const x of [...Object.values(g), tokenBufs.uniqueIds, tokenBufs.offsets, tokenBufs.positions, typeBufs.uniqueIds, typeBufs.offsets, typeBufs.positions]) device.release(x);
  return { dwte: dwte!, dwpe: dwpe!, dwtt: k.NT > 0 ? dwtt! : null };
}

/** The backward sums in f32 in the kernel's order: positions ascending per id, batch ascending per position. */
function f32Backward(k: Case, dout: Float32Array): Grads {
  const dwte = new Float32Array(k.V * k.C);
  const dwpe = new Float32Array(k.P * k.C);
  const dwtt = k.NT > 0 ? new Float32Array(k.NT * k.C) : null;
  for (let r = 0; r < k.B * k.T; r++) {
    for (let c = 0; c < k.C; c++) {
      const g = dout[r * k.C + c]!;
      dwte[k.ids[r]! * k.C + c] = Math.fround(dwte[k.ids[r]! * k.C + c]! + g);
      if (dwtt !== null) dwtt[k.typeIds[r]! * k.C + c] = Math.fround(dwtt[k.typeIds[r]! * k.C + c]! + g);
    }
  }
  for (let t = 0; t < k.T; t++) {
    for (let c = 0; c < k.C; c++) {
      let s = 0;
      for (let b = 0; b < k.B; b++) s = Math.fround(s + dout[(b * k.T + t) * k.C + c]!);
      dwpe[t * k.C + c] = s;
    }
  }
  return { dwte, dwpe, dwtt };
}

// (B, T, C, V, P, types): ones, primes (scalar path), vec4 paths, one workgroup of quads (C·B·T/4 = 256), BERT width.
const SHAPES: [number, number, number, number, number, number][] = [
  [1, 1, 1, 1, 1, 1],
  [2, 3, 7, 11, 5, 2],
  [3, 5, 13, 6, 5, 0],
  [2, 4, 128, 9, 4, 2],
  [4, 9, 768, 300, 16, 2],
  [5, 7, 20, 3, 12, 0],
];

describe('encoder_forward', { timeout: 120_000 }, () => {
  for (const [B, T, C, V, P, NT] of SHAPES) {
    it(`equals the f32 sum (wte + wpe) + wtt bitwise and the f64 reference (B=${B}, T=${T}, C=${C}, V=${V}, types=${NT})`, async () => {
      const device = await testDevice();
      const k = makeCase(B, T, C, V, P, NT, B * 100 + C);
      const got = await forward(device, k);
      expectBitEqual(got, f32Forward(k), 'out vs f32 emulation');
      const ref = refForward(k.ids, NT > 0 ? k.typeIds : null, k.wte, k.wpe, NT > 0 ? k.wtt : null, { B, T, C });
      expectClose(got, ref, TOL.elementwise, 'out vs f64');
    });
  }

  it('writes NaN rows for out-of-range token or type ids instead of reading another row', async () => {
    const device = await testDevice();
    for (const C of [8, 5]) {
      const k = makeCase(1, 4, C, 6, 4, 2, 3);
      k.ids.set([0, 6, 2, 0]);
      k.typeIds.set([0, 1, 1, 2]);
      const got = await forward(device, k);
      const rowNaN = (r: number) => got.subarray(r * C, (r + 1) * C).every(Number.isNaN);
      expect([0, 1, 2, 3].map(rowNaN), `C=${C}`).toEqual([false, true, false, true]);
    }
  });

  it('covers every element past 65535 workgroups (WG=1 override), scalar and vec4', async () => {
    const device = await testDevice();
    for (const [C, T, entry, per] of [[547, 64, 'encoder_forward', 1], [1096, 128, 'encoder_forward_vec4', 4]] as const) {
      const k = makeCase(2, T, C, 50, T, 2, C);
      const t = tables(device, k);
      const out = device.tensor('out', [k.B, k.T, C]);
      const n = (k.B * k.T * C) / per;
      expect(n).toBeGreaterThan(65535);
      const kernel = device.kernel(entry, { WG: 1 });
      const rec = device.recorder('enc.fold');
      const params = { rows: k.B * k.T, T: k.T, C, vocab: k.V, types: 2, has_types: 1, invalid: NaN };
      const inputs = { ids: t.ids, type_ids: t.typeIds };
      if (per === 4) rec.dispatch(kernel, params, { ...inputs, out4: out, wte4: t.wte, wpe4: t.wpe, wtt4: t.wtt }, grid1d(n, 1));
      else rec.dispatch(kernel, params, { ...inputs, out, wte: t.wte, wpe: t.wpe, wtt: t.wtt }, grid1d(n, 1));
      await rec.submit();
      expectBitEqual((await device.read(out)) as Float32Array, f32Forward(k), entry);
      for (const x of [...Object.values(t), out]) device.release(x);
    }
  });

  it('rejects inconsistent shapes with a ShapeError naming every shape', async () => {
    const device = await testDevice();
    const out = device.tensor('out', [2, 3, 8]);
    const ids = device.tensor('ids', [2, 3], 'i32');
    const wte = device.tensor('wte', [10, 8]);
    const wpe = device.tensor('wpe', [2, 8]);
    const rec = device.recorder('enc.bad');
    expect(() => encoderForward(rec, out, ids, wte, wpe, null)).toThrow(ShapeError);
    expect(() => encoderForward(rec, out, ids, wte, wpe, null)).toThrow(/encoderForward: out \(2,3,8\) vs ids \(2,3\) vs wte \(10,8\) vs wpe \(2,8\)/);
    await rec.submit();
    for (const t of [out, ids, wte, wpe]) device.release(t);
  });
});

describe('encoder_backward', { timeout: 120_000 }, () => {
  for (const [B, T, C, V, P, NT] of SHAPES) {
    it(`equals the ordered f32 sums bitwise and the f64 reference (B=${B}, T=${T}, C=${C}, V=${V}, types=${NT})`, async () => {
      const device = await testDevice();
      const k = makeCase(B, T, C, V, P, NT, B * 31 + C);
      const dout = randomF32(B * T * C, C + 7);
      // Start from garbage: accumulate = false must still give the full gradient (untouched rows = 0).
      const garbage = { dwte: randomF32(V * C, 1), dwpe: randomF32(P * C, 2), dwtt: randomF32(Math.max(NT, 1) * C, 3) };
      const got = await backward(device, k, dout, false, garbage);
      const exact = f32Backward(k, dout);
      expectBitEqual(got.dwte, exact.dwte, 'dwte');
      expectBitEqual(got.dwpe, exact.dwpe, 'dwpe');
      if (NT > 0) expectBitEqual(got.dwtt!, exact.dwtt!, 'dwtt');
      const ref = refBackward(dout, k.ids, NT > 0 ? k.typeIds : null, { B, T, C }, { V, P, NT: NT > 0 ? NT : null });
      expectClose(got.dwte, ref.dwte, TOL.reduction, 'dwte vs f64', B * T);
      expectClose(got.dwpe, ref.dwpe, TOL.reduction, 'dwpe vs f64', B);
      if (NT > 0) expectClose(got.dwtt!, ref.dwtt!, TOL.reduction, 'dwtt vs f64', B * T);
    });
  }

  it('adds into every table when accumulating and leaves rows of absent ids untouched', async () => {
    const device = await testDevice();
    for (const C of [8, 7]) {
      const k = makeCase(3, 6, C, 40, 9, 2, C);
      const dout = randomF32(3 * 6 * C, 5);
      const initial = { dwte: randomF32(40 * C, 6), dwpe: randomF32(9 * C, 7), dwtt: randomF32(2 * C, 8) };
      const fresh = f32Backward(k, dout);
      const got = await backward(device, k, dout, true, initial);
      const sum = (a: Float32Array, b: Float32Array) => a.map((v, i) => Math.fround(v + b[i]!));
      expectBitEqual(got.dwte, sum(initial.dwte, fresh.dwte), `C=${C} dwte`);
      expectBitEqual(got.dwpe, sum(initial.dwpe, fresh.dwpe), `C=${C} dwpe`);
      expectBitEqual(got.dwtt!, sum(initial.dwtt, fresh.dwtt!), `C=${C} dwtt`);
      const absent = [...Array(40).keys()].filter((v) => !k.ids.includes(v));
      expect(absent.length).toBeGreaterThan(0);
    }
  });

  it('agrees with f32 central differences of the GPU forward (eps 1e-3)', async () => {
    const device = await testDevice();
    const k = makeCase(2, 3, 2, 4, 3, 2, 9);
    const R = randomF32(2 * 3 * 2, 10);
    const grads = await backward(device, k, R, false);
    const loss = async (over: Partial<Case>) => dot(await forward(device, { ...k, ...over }), R);
    expectClose(grads.dwte, await gpuCentralDifferences((wte) => loss({ wte }), k.wte), TOL.gpuFd, 'dwte vs FD');
    expectClose(grads.dwpe, await gpuCentralDifferences((wpe) => loss({ wpe }), k.wpe), TOL.gpuFd, 'dwpe vs FD');
    expectClose(grads.dwtt!, await gpuCentralDifferences((wtt) => loss({ wtt }), k.wtt), TOL.gpuFd, 'dwtt vs FD');
  });

  it('covers every gradient row past 65535 workgroups (WG=1 override)', async () => {
    const device = await testDevice();
    // 80 distinct ids and 70 position rows of C = 1001: 80 080 and 70 070 invocations.
    const k = makeCase(2, 40, 1001, 80, 70, 0, 14);
    k.ids = Int32Array.from({ length: 80 }, (_, i) => (i * 37) % 80);
    const dout = randomF32(80 * 1001, 15);
    const exact = f32Backward(k, dout);
    const t = { dtable: device.tensor('dwte', [80, 1001]), dwpe: device.tensor('dwpe', [70, 1001]), dout: device.tensor('dout', [2, 40, 1001], 'f32', dout) };
    const csr = writeCsr(device, createCsrTensors(device, 'fold.csr', 80), tokenCsr(k.ids, 80));
    const rec = device.recorder('enc.bwd.fold');
    const params = { B: 2, T: 40, C: 1001, accumulate: 0 };
    rec.dispatch(device.kernel('encoder_backward_rows', { WG: 1 }), { ...params, rows: 80 }, { dtable: t.dtable, dout: t.dout, unique_ids: csr.uniqueIds, offsets: csr.offsets, positions: csr.positions }, grid1d(80 * 1001, 1));
    rec.dispatch(device.kernel('encoder_backward_positions', { WG: 1 }), { ...params, rows: 70 }, { dwpe: t.dwpe, dout: t.dout }, grid1d(70 * 1001, 1));
    await rec.submit();
    expect(grid1d(70 * 1001, 1)[1]).toBeGreaterThan(1);
    expectBitEqual((await device.read(t.dtable)) as Float32Array, exact.dwte, 'dwte');
    expectBitEqual((await device.read(t.dwpe)) as Float32Array, exact.dwpe, 'dwpe');
    for (const v of [...Object.values(t), csr.uniqueIds, csr.offsets, csr.positions]) device.release(v);
  });

  it('gives bit-identical gradients when the same dispatches run twice', async () => {
    const device = await testDevice();
    const k = makeCase(8, 33, 64, 500, 40, 2, 12);
    const dout = randomF32(8 * 33 * 64, 13);
    const a = await backward(device, k, dout, false);
    const b = await backward(device, k, dout, false);
    expectBitEqual(a.dwte, b.dwte, 'dwte');
    expectBitEqual(a.dwpe, b.dwpe, 'dwpe');
    expectBitEqual(a.dwtt!, b.dwtt!, 'dwtt');
  });

  it('rejects bad shapes, a CSR that does not fit and a token-type table without its CSR', async () => {
    const device = await testDevice();
    const dwte = device.tensor('dwte', [10, 8]);
    const dwpe = device.tensor('dwpe', [3, 8]);
    const dwtt = device.tensor('dwtt', [2, 8]);
    const dout = device.tensor('dout', [2, 3, 8]);
    const csr = createCsrTensors(device, 'csr', 6);
    const small = createCsrTensors(device, 'small', 4);
    const rec = device.recorder('enc.bad');
    const tokens = { ...csr, uniqueCount: 3 };
    expect(() => encoderBackward(rec, dwte, dwpe, dwtt, dout, tokens, null, { accumulate: false })).toThrow(ConfigError);
    expect(() => encoderBackward(rec, dwte, dwpe, null, dout, { ...small, uniqueCount: 3 }, null, { accumulate: false })).toThrow(/tokens.positions \(4\).*tokens 6/);
    expect(() => encoderBackward(rec, dwte, dwpe, null, dout, { ...csr, uniqueCount: 11 }, null, { accumulate: false })).toThrow(ShapeError);
    expect(() => encoderBackward(rec, dwte, dwtt, null, dout, tokens, null, { accumulate: false })).toThrow(/encoderBackward: dwte \(10,8\) vs dwpe \(2,8\) vs dout \(2,3,8\)/);
    await rec.submit();
    for (const t of [dwte, dwpe, dwtt, dout, csr.uniqueIds, csr.offsets, csr.positions, small.uniqueIds, small.offsets, small.positions] as Tensor[]) device.release(t);
  });
});
