import { describe, expect, it } from 'vitest';
import type { Device } from '../../src/gpu/device.js';
import type { Tensor } from '../../src/gpu/tensor.js';
import { LimitError, ShapeError } from '../../src/errors.js';
import {
  matmulBackward,
  matmulBackwardBias,
  matmulBackwardInput,
  matmulBackwardWeight,
  matmulDefaultTile,
  matmulForward,
  matmulSplitKPays,
  matmulSplitKWorkspaceSize,
  matmulWorkspaceSize,
  MATMUL_SPLIT_MAX_SLOTS,
  MATMUL_SPLIT_ROWS,
  type MatmulBackwardOptions,
  type MatmulOptions,
} from '../../src/ops/matmul.js';
import { matmulBackward as backwardRef, matmulForward as forwardRef, type MatmulDims } from '../../src/ref/matmul.js';
import { testDevice } from '../helpers/device.js';
import { expectBitEqual, expectClose, TOL } from '../helpers/close.js';
import { randomF32 } from '../helpers/rand.js';

/** The dot-product tolerance scale √len·Σ|ab| (DESIGN.md §3.5), plus |old| when a gradient accumulates. */
function dotScale(absSum: Float64Array, len: number, old?: Float32Array): Float64Array {
  return absSum.map((a, i) => Math.sqrt(len) * a + (old ? Math.abs(old[i]!) : 0));
}

interface Problem extends MatmulDims {
  inp: Float32Array;
  weight: Float32Array;
  bias: Float32Array;
  dout: Float32Array;
}

function problem(dims: MatmulDims, seed: number, scale = 1): Problem {
  const { M, N, K } = dims;
  return {
    ...dims,
    inp: randomF32(M * K, seed, scale),
    weight: randomF32(N * K, seed + 1, scale),
    bias: randomF32(N, seed + 2, scale),
    dout: randomF32(M * N, seed + 3, scale),
  };
}

/** Runs `record` in one submit and returns the named tensors' contents; frees every tensor it made. */
async function run(
  device: Device,
  make: (t: (label: string, shape: number[], data?: Float32Array) => Tensor) => Record<string, Tensor>,
  record: (rec: ReturnType<Device['recorder']>, ts: Record<string, Tensor>) => void,
  read: string[],
): Promise<Record<string, Float32Array>> {
  const made: Tensor[] = [];
  const t = (label: string, shape: number[], data?: Float32Array) => {
    const x = device.tensor(label, shape, 'f32', data);
    made.push(x);
    return x;
  };
  try {
    const ts = make(t);
    const rec = device.recorder('matmul.test');
    record(rec, ts);
    await rec.submit();
    const out: Record<string, Float32Array> = {};
    for (const name of read) out[name] = (await device.read(ts[name]!)) as Float32Array;
    return out;
  } finally {
    for (const x of made) device.release(x);
  }
}

/** The forward; with `workspace` the transposed-weight path (wide kernel), else a direct kernel. */
async function forwardGpu(device: Device, p: Problem, withBias: boolean, options: MatmulOptions = {}, workspace = false): Promise<Float32Array> {
  const r = await run(
    device,
    (t) => ({
      out: t('out', [p.M, p.N]),
      workspace: t('workspace', [matmulWorkspaceSize(p)]),
      inp: t('inp', [p.M, p.K], p.inp),
      weight: t('weight', [p.N, p.K], p.weight),
      bias: t('bias', [p.N], p.bias),
    }),
    (rec, x) => matmulForward(rec, x.out!, x.inp!, x.weight!, withBias ? x.bias! : null, { ...options, workspace: workspace ? x.workspace! : null, transposeWeight: workspace }),
    ['out'],
  );
  return r.out!;
}

interface Grads {
  dinp: Float32Array;
  dweight: Float32Array;
  dbias: Float32Array;
}

/** All three gradients; with `old`, each output starts with those values and accumulates into them. */
async function backwardGpu(device: Device, p: Problem, options: MatmulOptions & { splitK?: boolean } = {}, old?: Grads, useWorkspace = true): Promise<Grads> {
  const { M, N, K } = p;
  const ws = useWorkspace ? matmulWorkspaceSize(p) : 0;
  const r = await run(
    device,
    (t) => ({
      dinp: t('dinp', [M, K], old?.dinp),
      dweight: t('dweight', [N, K], old?.dweight),
      dbias: t('dbias', [N], old?.dbias),
      workspace: t('workspace', [Math.max(1, ws)]),
      dout: t('dout', [M, N], p.dout),
      inp: t('inp', [M, K], p.inp),
      weight: t('weight', [N, K], p.weight),
    }),
    (rec, x) => matmulBackward(rec, x.dinp!, x.dweight!, x.dbias!, ws > 0 ? x.workspace! : null, x.dout!, x.inp!, x.weight!, { ...options, accumulate: old !== undefined }),
    ['dinp', 'dweight', 'dbias'],
  );
  return { dinp: r.dinp!, dweight: r.dweight!, dbias: r.dbias! };
}

function checkForward(got: Float32Array, p: Problem, withBias: boolean, what: string): void {
  const ref = forwardRef(p.inp, p.weight, withBias ? p.bias : null, p);
  expectClose(got, ref.out, TOL.dot, what, dotScale(ref.absSum, p.K));
}

function checkBackward(got: Grads, p: Problem, what: string, old?: Grads): void {
  const ref = backwardRef(p.dout, p.inp, p.weight, p);
  const plus = (g: Float64Array, o?: Float32Array) => (o ? g.map((v, i) => o[i]! + v) : g);
  expectClose(got.dinp, plus(ref.dinp, old?.dinp), TOL.dot, `${what} dinp`, dotScale(ref.dinpAbsSum, p.N, old?.dinp));
  expectClose(got.dweight, plus(ref.dweight, old?.dweight), TOL.dot, `${what} dweight`, dotScale(ref.dweightAbsSum, p.M, old?.dweight));
  expectClose(got.dbias, plus(ref.dbias, old?.dbias), TOL.dot, `${what} dbias`, dotScale(ref.dbiasAbsSum, p.M, old?.dbias));
}

const name = ({ M, N, K }: MatmulDims) => `M=${M} N=${N} K=${K}`;

// Pipelines compile on first use (lavapipe JIT: about a second each, more on a busy machine), hence the timeouts.
describe('matmul_forward and matmul_backward vs the f64 reference', { timeout: 60_000 }, async () => {
  const device = await testDevice();
  const tile = matmulDefaultTile(device);
  const rowsPerWg = tile.rowsPerThread * tile.workgroupRows;
  // The wide kernels' workgroup width; the direct and any-shape kernels cover 4·workgroupColumns.
  const colsPerWg = 4 * tile.columnGroupsPerThread * tile.workgroupColumns;
  const shapes: MatmulDims[] = [
    { M: 1, N: 1, K: 1 },
    { M: 1, N: 1, K: 4 },
    { M: 7, N: 13, K: 31 },
    { M: 13, N: 7, K: 5 },
    { M: 31, N: 1, K: 13 },
    { M: 2, N: 3, K: 6 },
    { M: 5, N: 12, K: 8 }, // aligned N and K: every vec4 entry point
    // exactly one workgroup tile of the wide and of the direct kernels, then one more row and column
    { M: rowsPerWg, N: colsPerWg, K: 64 },
    { M: rowsPerWg + 1, N: colsPerWg + 1, K: 64 },
    { M: rowsPerWg + 1, N: colsPerWg + 4, K: 67 },
    { M: rowsPerWg, N: 4 * tile.workgroupColumns, K: 8 },
    { M: rowsPerWg + 1, N: 4 * tile.workgroupColumns + 1, K: 8 },
    // wide enough for four column groups per thread in every wide kernel
    { M: 17, N: 260, K: 264 },
    // a batch of B·T = 4096 rows
    { M: 4096, N: 24, K: 40 },
  ];
  for (const dims of shapes) {
    it(`forward with and without bias, direct and through the transposed weight, ${name(dims)}`, async () => {
      const p = problem(dims, dims.M * 131 + dims.N * 7 + dims.K);
      checkForward(await forwardGpu(device, p, true), p, true, `forward+bias ${name(dims)}`);
      checkForward(await forwardGpu(device, p, false), p, false, `forward ${name(dims)}`);
      checkForward(await forwardGpu(device, p, true, {}, true), p, true, `forward+bias, workspace ${name(dims)}`);
    });
    it(`backward (dinp, dweight, dbias), overwriting and accumulating, ${name(dims)}`, async () => {
      const p = problem(dims, dims.M * 17 + dims.N * 3 + dims.K);
      checkBackward(await backwardGpu(device, p), p, `backward ${name(dims)}`);
      const old = { dinp: randomF32(p.M * p.K, 91), dweight: randomF32(p.N * p.K, 92), dbias: randomF32(p.N, 93) };
      checkBackward(await backwardGpu(device, p, {}, old), p, `backward accumulate ${name(dims)}`, old);
    });
  }

  it('dbias sums in two stages past 256 rows (M = 257, 515), bitwise as in one stage, and accumulates', async () => {
    for (const M of [257, 515]) {
      const p = problem({ M, N: 5, K: 1 }, M);
      const twoStages = await backwardGpu(device, p);
      checkBackward(twoStages, p, `M=${M}`);
      expectBitEqual(twoStages.dbias, (await backwardGpu(device, p, {}, undefined, false)).dbias, `dbias M=${M}, one stage`);
      const old = { dinp: randomF32(M, 1), dweight: randomF32(5, 2), dbias: randomF32(5, 3) };
      checkBackward(await backwardGpu(device, p, {}, old), p, `M=${M} accumulate`, old);
    }
  });

  it('handles 1e4 magnitudes and exact cancellation', async () => {
    const p = problem({ M: 9, N: 11, K: 36 }, 5, 1e4);
    checkForward(await forwardGpu(device, p, true), p, true, 'forward 1e4');
    checkBackward(await backwardGpu(device, p), p, 'backward 1e4');
    // Row 0 of inp is [1e4, 1e4, …] and weight row 0 is [1e4, −1e4, …]: out[0,0] is exactly 0.
    const c = problem({ M: 3, N: 2, K: 8 }, 6);
    for (let k = 0; k < 8; k++) {
      c.inp[k] = 1e4;
      c.weight[k] = k % 2 === 0 ? 1e4 : -1e4;
    }
    const out = await forwardGpu(device, c, false);
    expect(out[0]).toBe(0);
    checkForward(out, c, false, 'cancellation');
  });

  it('gives exact zeros (and exactly the bias) for zero inputs', async () => {
    for (const K of [4, 5]) {
      const p = problem({ M: 6, N: 9, K }, 7);
      p.inp.fill(0);
      for (const workspace of [false, true]) {
        expect(Array.from(await forwardGpu(device, p, false, {}, workspace))).toEqual(new Array(6 * 9).fill(0));
        const withBias = await forwardGpu(device, p, true, {}, workspace);
        expect(Array.from(withBias)).toEqual(Array.from({ length: 6 * 9 }, (_, i) => p.bias[i % 9]!));
      }
    }
  });

  it('keeps a non-finite weight row inside its own output column (edge clamping never leaks)', async () => {
    // N = 6 leaves the last column group half empty: its clamped loads re-read row 5, the Inf row.
    for (const K of [8, 7]) {
      const p = problem({ M: 10, N: 6, K }, 8);
      p.weight.fill(Infinity, 5 * K, 6 * K);
      for (const workspace of [false, true]) {
        const out = await forwardGpu(device, p, false, {}, workspace);
        for (let m = 0; m < 10; m++) {
          for (let n = 0; n < 6; n++) expect(Number.isFinite(out[m * 6 + n]!), `K=${K} workspace=${workspace} out[${m},${n}]`).toBe(n !== 5);
        }
      }
    }
  });
});

describe('matmul determinism', { timeout: 60_000 }, async () => {
  const device = await testDevice();
  const other: MatmulOptions = { tile: { rowsPerThread: 4, columnGroupsPerThread: 2, workgroupColumns: 8, workgroupRows: 2 } };

  it('the same dispatch twice is bit-identical', async () => {
    const p = problem({ M: 37, N: 29, K: 23 }, 11);
    expectBitEqual(await forwardGpu(device, p, true), await forwardGpu(device, p, true), 'forward');
    const a = await backwardGpu(device, p);
    const b = await backwardGpu(device, p);
    for (const g of ['dinp', 'dweight', 'dbias'] as const) expectBitEqual(a[g], b[g], g);
  });

  for (const dims of [
    { M: 37, N: 29, K: 23 },
    { M: 40, N: 36, K: 44 },
    { M: 20, N: 264, K: 268 },
  ]) {
    it(`different tile overrides and scalar vs vec4 loads give the same bits, ${name(dims)}`, async () => {
      const p = problem(dims, 12);
      const base = await forwardGpu(device, p, true);
      expectBitEqual(base, await forwardGpu(device, p, true, other), 'forward, other tile');
      expectBitEqual(base, await forwardGpu(device, p, true, { vectorLoads: false }), 'forward, scalar loads');
      expectBitEqual(base, await forwardGpu(device, p, true, {}, true), 'forward, transposed weight');
      expectBitEqual(base, await forwardGpu(device, p, true, other, true), 'forward, transposed weight, other tile');
      const g = await backwardGpu(device, p);
      for (const options of [other, { vectorLoads: false }]) {
        const h = await backwardGpu(device, p, options);
        for (const k of ['dinp', 'dweight', 'dbias'] as const) expectBitEqual(g[k], h[k], `${k} ${JSON.stringify(options)}`);
      }
    });
  }

  it('covers every row when row tiles fold past 65535 workgroups', async () => {
    // One thread of 4 rows per workgroup: 262147 rows need 65537 row tiles, folded into (y, z).
    const options: MatmulOptions = { tile: { rowsPerThread: 4, workgroupColumns: 1, workgroupRows: 1 } };
    const M = 262_147;
    const p = problem({ M, N: 1, K: 1 }, 13);
    // K = 1: out = fl(0 + fl(inp·weight)), exactly one f32 product.
    let bad = 0;
    for (const workspace of [false, true]) {
      const out = await forwardGpu(device, p, false, options, workspace);
      for (let m = 0; m < M; m++) if (out[m] !== Math.fround(p.inp[m]! * p.weight[0]!)) bad++;
    }
    expect(bad).toBe(0);
    const r = await run(
      device,
      (t) => ({ dinp: t('dinp', [M, 1]), dout: t('dout', [M, 1], p.dout), weight: t('weight', [1, 1], p.weight) }),
      (rec, x) => matmulBackwardInput(rec, x.dinp!, x.dout!, x.weight!, options),
      ['dinp'],
    );
    for (let m = 0; m < M; m++) if (r.dinp![m] !== Math.fround(p.dout[m]! * p.weight[0]!)) bad++;
    expect(bad).toBe(0);
    // dweight's rows are N: N = 262147 output rows, M = 1.
    const q = problem({ M: 1, N: M, K: 1 }, 14);
    const s = await run(
      device,
      (t) => ({ dweight: t('dweight', [M, 1]), dout: t('dout', [1, M], q.dout), inp: t('inp', [1, 1], q.inp) }),
      (rec, x) => matmulBackwardWeight(rec, x.dweight!, x.dout!, x.inp!, options),
      ['dweight'],
    );
    for (let n = 0; n < M; n++) if (s.dweight![n] !== Math.fround(q.dout[n]! * q.inp[0]!)) bad++;
    expect(bad).toBe(0);
  });
});

/** dweight alone through matmulBackwardWeight with a workspace of matmulWorkspaceSize; `old` to accumulate. */
async function dweightGpu(device: Device, p: Problem, options: MatmulBackwardOptions = {}, old?: Float32Array): Promise<Float32Array> {
  const { M, N, K } = p;
  const r = await run(
    device,
    (t) => ({
      dweight: t('dweight', [N, K], old),
      workspace: t('workspace', [matmulWorkspaceSize(p)]),
      dout: t('dout', [M, N], p.dout),
      inp: t('inp', [M, K], p.inp),
    }),
    (rec, x) => matmulBackwardWeight(rec, x.dweight!, x.dout!, x.inp!, { ...options, accumulate: old !== undefined, workspace: x.workspace! }),
    ['dweight'],
  );
  return r.dweight!;
}

/**
 * The split-K order emulated in f32 (Math.fround after every operation): per chunk of MATMUL_SPLIT_ROWS
 * rows a partial from 0 upwards, the partials added in chunk order from 0, then old + total.
 */
function dweightSplitF32(p: Problem, old?: Float32Array): Float32Array {
  const { M, N, K } = p;
  const out = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      let total = 0;
      for (let m0 = 0; m0 < M; m0 += MATMUL_SPLIT_ROWS) {
        let part = 0;
        for (let m = m0; m < Math.min(M, m0 + MATMUL_SPLIT_ROWS); m++) part = Math.fround(part + Math.fround(p.dout[m * N + n]! * p.inp[m * K + k]!));
        total = Math.fround(total + part);
      }
      out[n * K + k] = old ? Math.fround(old[n * K + k]! + total) : total;
    }
  }
  return out;
}

describe('matmul dweight split-K', { timeout: 60_000 }, async () => {
  const device = await testDevice();
  const split = { splitK: true } as const;
  const S = MATMUL_SPLIT_ROWS;
  const other: MatmulOptions = { tile: { rowsPerThread: 4, columnGroupsPerThread: 2, workgroupColumns: 8, workgroupRows: 2 } };
  // M < SPLIT_ROWS, exactly one chunk, one chunk + 1 row, not a multiple of SPLIT_ROWS, a partial row and column tile.
  const shapes: MatmulDims[] = [
    { M: 1, N: 4, K: 4 },
    { M: 37, N: 12, K: 8 },
    { M: S, N: 8, K: 12 },
    { M: S + 1, N: 12, K: 8 },
    { M: 2 * S + 77, N: 20, K: 36 },
    { M: 3 * S, N: 36, K: 264 },
  ];
  for (const dims of shapes) {
    it(`matches the f64 reference and its f32 emulation bit for bit, overwriting and accumulating, ${name(dims)}`, async () => {
      const p = problem(dims, dims.M * 5 + dims.N * 3 + dims.K);
      const ref = backwardRef(p.dout, p.inp, p.weight, p);
      const got = await dweightGpu(device, p, split);
      expectClose(got, ref.dweight, TOL.dot, `split-K dweight ${name(dims)}`, dotScale(ref.dweightAbsSum, p.M));
      expectBitEqual(got, dweightSplitF32(p), `split-K dweight vs f32 emulation ${name(dims)}`);
      const old = randomF32(p.N * p.K, 94);
      const acc = await dweightGpu(device, p, split, old);
      expectClose(acc, ref.dweight.map((v, i) => old[i]! + v), TOL.dot, `split-K accumulate ${name(dims)}`, dotScale(ref.dweightAbsSum, p.M, old));
      expectBitEqual(acc, dweightSplitF32(p, old), `split-K accumulate vs f32 emulation ${name(dims)}`);
      // The tile never changes the bits, and the same dispatch twice gives the same bits.
      expectBitEqual(got, await dweightGpu(device, p, { ...split, ...other }), `split-K other tile ${name(dims)}`);
      expectBitEqual(got, await dweightGpu(device, p, split), `split-K twice ${name(dims)}`);
      if (dims.M > 2 * S) {
        // Another order than the plain kernel's: proof that the split path ran.
        const plain = await dweightGpu(device, p, { splitK: false });
        expect(got.some((v, i) => v !== plain[i]), `split-K differs from plain ${name(dims)}`).toBe(true);
      }
    });
  }

  it(`runs in passes past ${MATMUL_SPLIT_MAX_SLOTS} chunks with the bits of one pass (the f32 emulation)`, async () => {
    // 66 chunks: two passes of 33; 193 chunks: four passes, 49, 49, 49 and 46.
    for (const M of [MATMUL_SPLIT_MAX_SLOTS * S + 300, 3 * MATMUL_SPLIT_MAX_SLOTS * S + 1]) {
      const p = problem({ M, N: 4, K: 8 }, M);
      expect(matmulSplitKWorkspaceSize(p)).toBe((MATMUL_SPLIT_MAX_SLOTS + 1) * 4 * 8);
      const got = await dweightGpu(device, p, split);
      expectBitEqual(got, dweightSplitF32(p), `passes M=${M}`);
      const ref = backwardRef(p.dout, p.inp, p.weight, p);
      expectClose(got, ref.dweight, TOL.dot, `passes M=${M} vs f64`, dotScale(ref.dweightAbsSum, p.M));
      const old = randomF32(4 * 8, 95);
      expectBitEqual(await dweightGpu(device, p, split, old), dweightSplitF32(p, old), `passes accumulate M=${M}`);
    }
  });

  it('takes the plain kernel for shapes without the vec4 layout or with scalar loads (same bits as splitK: false)', async () => {
    for (const [dims, options] of [
      [{ M: 300, N: 6, K: 8 }, {}],
      [{ M: 300, N: 8, K: 7 }, {}],
      [{ M: 300, N: 8, K: 8 }, { vectorLoads: false }],
    ] as const) {
      const p = problem(dims, 31);
      const plain = await dweightGpu(device, p, { ...options, splitK: false });
      expectBitEqual(await dweightGpu(device, p, { ...options, splitK: true }), plain, `${name(dims)} ${JSON.stringify(options)}`);
    }
  });

  it('is off by default on a fallback adapter, so the default keeps the plain bits', async () => {
    const big = { M: 37_888, N: 128, K: 512 };
    if (device.info.isFallbackAdapter) expect(matmulSplitKPays(device, big)).toBe(false);
    // Small M never pays; 2·N·K beyond 64 MiB never splits.
    expect(matmulSplitKPays(device, { M: S, N: 128, K: 512 })).toBe(false);
    expect(matmulSplitKWorkspaceSize({ M: 4 * S, N: 4096, K: 4096 })).toBe(0);
    expect(matmulWorkspaceSize(big, { splitK: false })).toBeLessThan(matmulWorkspaceSize(big));
    const p = problem({ M: 2 * S + 5, N: 8, K: 16 }, 32);
    const byDefault = await dweightGpu(device, p);
    const plain = await dweightGpu(device, p, { splitK: false });
    if (device.info.isFallbackAdapter) expectBitEqual(byDefault, plain, 'default = plain on a fallback adapter');
    checkBackward(await backwardGpu(device, p, { splitK: true }), p, 'matmulBackward with splitK');
  });

  it('throws ShapeError when forced without a large-enough workspace', async () => {
    const dout = device.tensor('dout', [600, 8]);
    const inp = device.tensor('inp', [600, 8]);
    const dweight = device.tensor('dweight', [8, 8]);
    const small = device.tensor('small', [8]);
    const rec = device.recorder('errors.split');
    try {
      expect(() => matmulBackwardWeight(rec, dweight, dout, inp, { splitK: true })).toThrow(ShapeError);
      expect(() => matmulBackwardWeight(rec, dweight, dout, inp, { splitK: true, workspace: small })).toThrow('matmulBackwardWeight: split-K for dout (600,8) and inp (600,8) needs a workspace of 192 elements (matmulSplitKWorkspaceSize), got (8)');
      // Not forced: a too-small workspace just means the plain kernel.
      matmulBackwardWeight(rec, dweight, dout, inp, { workspace: small });
    } finally {
      await rec.submit();
      for (const t of [dout, inp, dweight, small]) device.release(t);
    }
  });
});

describe('matmul finite-difference smoke test on the GPU (f32, eps 1e-3)', { timeout: 60_000 }, async () => {
  const device = await testDevice();
  it('backward kernels match central differences of L = Σ dout·out computed with the forward kernel', async () => {
    const p = problem({ M: 2, N: 3, K: 5 }, 21);
    const lossOf = async (q: Problem) => {
      const out = await forwardGpu(device, q, true);
      let s = 0;
      for (let i = 0; i < out.length; i++) s += p.dout[i]! * out[i]!;
      return s;
    };
    const eps = 1e-3;
    const fd = async (x: Float32Array) => {
      const g = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) {
        const x0 = x[i]!;
        x[i] = x0 + eps;
        const up = await lossOf(p);
        x[i] = x0 - eps;
        const down = await lossOf(p);
        x[i] = x0;
        g[i] = (up - down) / (2 * eps);
      }
      return g;
    };
    const grads = await backwardGpu(device, p);
    expectClose(grads.dinp, await fd(p.inp), TOL.gpuFd, 'dinp vs finite differences');
    expectClose(grads.dweight, await fd(p.weight), TOL.gpuFd, 'dweight vs finite differences');
    expectClose(grads.dbias, await fd(p.bias), TOL.gpuFd, 'dbias vs finite differences');
  });
});

describe('matmul errors', { timeout: 60_000 }, async () => {
  const device = await testDevice();

  it('throws ShapeError naming every shape on a mismatch, before recording anything', async () => {
    const inp = device.tensor('inp', [2, 3, 8]);
    const weight = device.tensor('weight', [5, 7]);
    const out = device.tensor('out', [6, 5]);
    const bias = device.tensor('bias', [4]);
    const rec = device.recorder('errors');
    try {
      expect(() => matmulForward(rec, out, inp, weight, null)).toThrow(ShapeError);
      expect(() => matmulForward(rec, out, inp, weight, null)).toThrow('matmulForward: out (6,5) vs inp (2,3,8) vs weight (5,7)');
      const w = device.tensor('w', [5, 8]);
      expect(() => matmulForward(rec, out, inp, w, bias)).toThrow('matmulForward: out (6,5) vs inp (2,3,8) vs weight (5,8) vs bias (4)');
      expect(() => matmulBackwardInput(rec, inp, out, weight)).toThrow('matmulBackwardInput: dinp (2,3,8) vs dout (6,5) vs weight (5,7)');
      expect(() => matmulBackwardWeight(rec, weight, out, inp)).toThrow('matmulBackwardWeight: dweight (5,7) vs dout (6,5) vs inp (2,3,8)');
      expect(() => matmulBackwardBias(rec, bias, null, out)).toThrow('matmulBackwardBias: dbias (4) vs dout (6,5) vs workspace 0');
      const tall = device.tensor('tall', [300, 4]);
      const db = device.tensor('db', [4]);
      expect(() => matmulBackwardBias(rec, db, bias, tall)).toThrow('matmulBackwardBias: dout (300,4) needs a workspace of 8 elements, got (4)');
      const w8 = device.tensor('w8', [5, 8]);
      expect(() => matmulForward(rec, out, inp, w8, null, { workspace: bias, transposeWeight: true })).toThrow('matmulForward: weight (5,8) needs a workspace of 64 elements (matmulWorkspaceSize), got (4)');
      device.release(w8);
      for (const t of [w, tall, db]) device.release(t);
    } finally {
      await rec.submit();
      for (const t of [inp, weight, out, bias]) device.release(t);
    }
  });

  it('refuses tile overrides that break the register tiling', async () => {
    const t = device.tensor('x', [4, 4]);
    const rec = device.recorder('errors.tile');
    try {
      expect(() => matmulForward(rec, t, t, t, null, { tile: { rowsPerThread: 2 as 4 } })).toThrow(/rowsPerThread must be 4 or 8/);
      expect(() => matmulForward(rec, t, t, t, null, { tile: { columnGroupsPerThread: 3 as 4 } })).toThrow(/columnGroupsPerThread must be 1, 2 or 4/);
    } finally {
      await rec.submit();
      device.release(t);
    }
  });

  it('throws LimitError before allocating a tensor larger than one storage binding', () => {
    const max = device.gpu.limits.maxStorageBufferBindingSize;
    const before = device.stats().buffers;
    let error: unknown;
    try {
      device.tensor('matmul.huge_weight', [max / 4 + 1]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LimitError);
    expect((error as Error).message).toContain(`matmul.huge_weight: ${max + 4} bytes exceeds the device's maxStorageBufferBindingSize (${max} bytes`);
    expect((error as Error).message).toMatch(/lower the batch size/);
    expect(device.stats().buffers).toBe(before);
  });
});
