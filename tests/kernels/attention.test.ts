import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../../src/errors.js';
import type { Device } from '../../src/gpu/device.js';
import { attentionBackward, attentionBackwardWorkspaceSize, attentionForward } from '../../src/ops/attention.js';
import { attentionBackward as backwardRef, attentionForward as forwardRef, type AttentionDims } from '../../src/ref/attention.js';
import { expectBitEqual, expectClose, TOL } from '../helpers/close.js';
import { testDevice } from '../helpers/device.js';
import { mulberry32, randomF32 } from '../helpers/rand.js';

interface Case {
  B: number;
  T: number;
  NH: number;
  hd: number;
}

/** Right padding with a random length in [1, T] per sequence (the first sequence is full length). */
function paddingMask(B: number, T: number, seed: number): Uint32Array {
  const r = mulberry32(seed);
  const mask = new Uint32Array(B * T);
  for (let b = 0; b < B; b++) {
    const len = b === 0 ? T : 1 + Math.floor(r() * T);
    for (let t = 0; t < len; t++) mask[b * T + t] = 1;
  }
  return mask;
}

/** qkv whose q and k parts are scaled by qkScale (logits grow with its square) and v part by 1. */
function randomQkv(c: Case, seed: number, qkScale = 1): Float32Array {
  const C = c.NH * c.hd;
  const qkv = randomF32(c.B * c.T * 3 * C, seed);
  if (qkScale !== 1) {
    for (let row = 0; row < c.B * c.T; row++) for (let x = 0; x < 2 * C; x++) qkv[row * 3 * C + x]! *= qkScale;
  }
  return qkv;
}

interface GpuResult {
  out: Float32Array;
  lse: Float32Array;
  dqkv: Float32Array;
}

/** Runs forward and backward in one submit; dqkv starts from `dqkvInit` (zeros by default). */
async function runGpu(
  device: Device,
  c: Case,
  qkv: Float32Array,
  mask: Uint32Array,
  dout: Float32Array,
  options: { workgroupSize?: number; accumulate?: boolean; dqkvInit?: Float32Array } = {},
): Promise<GpuResult> {
  const C = c.NH * c.hd;
  const tq = device.tensor('qkv', [c.B, c.T, 3 * C], 'f32', qkv);
  const tm = device.tensor('mask', [c.B, c.T], 'u32', mask);
  const tdout = device.tensor('dout', [c.B, c.T, C], 'f32', dout);
  const tout = device.tensor('out', [c.B, c.T, C]);
  const tlse = device.tensor('lse', [c.B, c.NH, c.T]);
  const tdq = device.tensor('dqkv', [c.B, c.T, 3 * C], 'f32', options.dqkvInit);
  const ws = device.tensor('ws', [attentionBackwardWorkspaceSize({ batch: c.B, seqLen: c.T, numHeads: c.NH })]);
  const opts = { numHeads: c.NH, ...(options.workgroupSize ? { workgroupSize: options.workgroupSize } : {}) };
  const rec = device.recorder('attention');
  attentionForward(rec, tout, tlse, tq, tm, opts);
  attentionBackward(rec, tdq, ws, tdout, tq, tm, tout, tlse, { ...opts, accumulate: options.accumulate ?? false });
  const reads = [rec.read(tout), rec.read(tlse), rec.read(tdq)];
  await rec.submit();
  const [out, lse, dqkv] = (await Promise.all(reads)).map((b) => new Float32Array(b));
  for (const t of [tq, tm, tdout, tout, tlse, tdq, ws]) device.release(t);
  return { out: out!, lse: lse!, dqkv: dqkv! };
}

function scaled(xs: Float64Array, k: number): Float64Array {
  return xs.map((x) => x * k);
}

function dimsOf(c: Case): AttentionDims {
  return { B: c.B, T: c.T, C: c.NH * c.hd, NH: c.NH };
}

async function checkAgainstRef(c: Case, seed: number, qkScale: number, mask: Uint32Array, what: string): Promise<void> {
  const device = await testDevice();
  const C = c.NH * c.hd;
  const qkv = randomQkv(c, seed, qkScale);
  const dout = randomF32(c.B * c.T * C, seed + 1);
  const got = await runGpu(device, c, qkv, mask, dout);
  const f = forwardRef(qkv, mask, dimsOf(c));
  const g = backwardRef(dout, qkv, mask, dimsOf(c));
  // DESIGN §3.5 dot-product tolerance: atol 1e-6·√K·Σ|terms|, the terms weighted by their scores'
  // rounding sensitivity (src/ref/attention.ts); K = T for sums over keys, hd for the lse's scores.
  expectClose(got.out, f.out, TOL.dot, `${what} out`, scaled(f.outScale, Math.sqrt(c.T)));
  expectClose(got.lse, f.lse, TOL.dot, `${what} lse`, scaled(f.lseScale, Math.sqrt(c.hd)));
  expectClose(got.dqkv, g.dqkv, TOL.dot, `${what} dqkv`, scaled(g.dqkvScale, Math.sqrt(c.T)));
}

// Pipelines compile once per worker; on lavapipe that takes seconds per head size (fully unrolled loops).
const SLOW = { timeout: 600_000 };

describe('attention forward and backward vs the f64 reference', SLOW, () => {
  const cases: (Case & { nodeOnly?: boolean })[] = [
    { B: 1, T: 1, NH: 1, hd: 32 },
    { B: 2, T: 7, NH: 3, hd: 64 },
    { B: 3, T: 13, NH: 12, hd: 32 },
    { B: 2, T: 64, NH: 2, hd: 64 },
    { B: 3, T: 65, NH: 5, hd: 32 },
    { B: 2, T: 128, NH: 4, hd: 64 },
    { B: 1, T: 512, NH: 2, hd: 64, nodeOnly: true },
  ];
  for (const c of cases) {
    it(`B=${c.B} T=${c.T} NH=${c.NH} hd=${c.hd}, random right padding`, async (ctx) => {
      const device = await testDevice();
      if (c.nodeOnly && device.info.runtime !== 'node') ctx.skip();
      await checkAgainstRef(c, c.T * 31 + c.hd, 1, paddingMask(c.B, c.T, c.T), `T=${c.T}`);
    });
  }

  it('scattered padding inside sequences, T=32 (one workgroup of 8 invocations × 4 rows), hd=32 NH=2', async () => {
    const c = { B: 2, T: 32, NH: 2, hd: 32 };
    const r = mulberry32(5);
    const mask = Uint32Array.from({ length: c.B * c.T }, (_, i) => (i % c.T === 0 || r() < 0.6 ? 1 : 0));
    await checkAgainstRef(c, 77, 1, mask, 'scattered');
  });

  it('logits ~1e4 (large q, k): no overflow, the softmax saturates as in f64', async () => {
    const c = { B: 2, T: 33, NH: 2, hd: 64 };
    // Entries uniform in ±200: q·k/8 has a standard deviation of 200²/3 ≈ 1.3e4.
    await checkAgainstRef(c, 9, 200, paddingMask(c.B, c.T, 4), 'large logits');
  });

  it('a batch fully padded but for [CLS]: row 0 copies v_0, other rows and their gradients are 0', async () => {
    const c = { B: 3, T: 9, NH: 2, hd: 32 };
    const mask = new Uint32Array(c.B * c.T);
    for (let b = 0; b < c.B; b++) mask[b * c.T] = 1;
    await checkAgainstRef(c, 13, 1, mask, 'only [CLS]');
    const device = await testDevice();
    const qkv = randomQkv(c, 13);
    const got = await runGpu(device, c, qkv, mask, randomF32(c.B * c.T * c.NH * c.hd, 14));
    const C = c.NH * c.hd;
    for (let b = 0; b < c.B; b++) {
      const v0 = qkv.subarray((b * c.T) * 3 * C + 2 * C, (b * c.T + 1) * 3 * C);
      expectBitEqual(got.out.subarray(b * c.T * C, (b * c.T + 1) * C), v0, `out row 0 of sequence ${b} is v_0`);
    }
  });
});

describe('attention: accumulate, determinism, workgroup independence', SLOW, () => {
  const c = { B: 2, T: 65, NH: 2, hd: 32 };
  const C = c.NH * c.hd;
  const mask = paddingMask(c.B, c.T, 21);
  const qkv = randomQkv(c, 22);
  const dout = randomF32(c.B * c.T * C, 23);

  it('accumulate adds the gradient to what dqkv held', async () => {
    const device = await testDevice();
    const init = randomF32(c.B * c.T * 3 * C, 24, 3);
    const got = await runGpu(device, c, qkv, mask, dout, { accumulate: true, dqkvInit: init });
    const g = backwardRef(dout, qkv, mask, dimsOf(c));
    const expected = g.dqkv.map((x, i) => x + init[i]!);
    expectClose(got.dqkv, expected, TOL.dot, 'accumulated dqkv', g.dqkvScale.map((s, i) => Math.sqrt(c.T) * s + Math.abs(init[i]!)));
    // Padded rows receive exactly nothing.
    for (let row = 0; row < c.B * c.T; row++) {
      if (mask[row] === 0) expectBitEqual(got.dqkv.subarray(row * 3 * C, (row + 1) * 3 * C), init.subarray(row * 3 * C, (row + 1) * 3 * C), `padded row ${row}`);
    }
  });

  it('the same dispatch twice gives bit-identical outputs and gradients', async () => {
    const device = await testDevice();
    const a = await runGpu(device, c, qkv, mask, dout);
    const b = await runGpu(device, c, qkv, mask, dout);
    expectBitEqual(a.out, b.out, 'out');
    expectBitEqual(a.lse, b.lse, 'lse');
    expectBitEqual(a.dqkv, b.dqkv, 'dqkv');
  });

  it('results do not depend on the workgroup size (default vs WG 1)', async () => {
    const device = await testDevice();
    const a = await runGpu(device, c, qkv, mask, dout);
    for (const wg of [1]) {
      const b = await runGpu(device, c, qkv, mask, dout, { workgroupSize: wg });
      expectBitEqual(a.out, b.out, `out WG=${wg}`);
      expectBitEqual(a.lse, b.lse, `lse WG=${wg}`);
      expectBitEqual(a.dqkv, b.dqkv, `dqkv WG=${wg}`);
    }
  });

  it('covers every (batch, head) past 65535 workgroups in one dimension', async () => {
    // T = 1 and WG = 1: one workgroup per (b, h), and B·NH = 65537 folds into (y, z). A lone key has
    // p = 1, so out = v exactly, and dq = dk = 0 exactly (ds = p·(dp − D) with D = dp).
    const device = await testDevice();
    const big = { B: 65537, T: 1, NH: 1, hd: 32 };
    const C = big.hd;
    const x = randomQkv(big, 31);
    const got = await runGpu(device, big, x, new Uint32Array(big.B).fill(1), randomF32(big.B * C, 32), { workgroupSize: 1 });
    const v = new Float32Array(big.B * C);
    for (let b = 0; b < big.B; b++) v.set(x.subarray(b * 3 * C + 2 * C, (b + 1) * 3 * C), b * C);
    expectBitEqual(got.out, v, 'out = v for every sequence');
    let nonzeroQk = 0;
    for (let b = 0; b < big.B; b++) for (let e = 0; e < 2 * C; e++) if (got.dqkv[b * 3 * C + e] !== 0) nonzeroQk++;
    expect(nonzeroQk, 'dq and dk of single-token sequences').toBe(0);
  });
});

describe('attention backward vs finite differences of the GPU forward (f32, eps 1e-3)', SLOW, () => {
  it('B=1 T=3 NH=2 hd=4 with a padded token', async () => {
    const device = await testDevice();
    const c = { B: 1, T: 3, NH: 2, hd: 4 };
    const C = c.NH * c.hd;
    const n = c.T * 3 * C;
    const mask = Uint32Array.from([1, 1, 0]);
    const qkv = randomQkv(c, 41);
    const g = randomF32(c.T * C, 42);
    const analytic = (await runGpu(device, c, qkv, mask, g)).dqkv;
    // Every ± perturbation is its own sequence of one batched forward: 2n sequences, one dispatch.
    const eps = 1e-3;
    const batch = { ...c, B: 2 * n };
    const xs = new Float32Array(2 * n * n);
    for (let e = 0; e < n; e++) {
      for (const [s, sign] of [[0, 1], [1, -1]] as const) {
        const at = (2 * e + s) * n;
        xs.set(qkv, at);
        xs[at + e]! += sign * eps;
      }
    }
    const masks = new Uint32Array(2 * n * c.T);
    for (let s = 0; s < 2 * n; s++) masks.set(mask, s * c.T);
    const out = (await runGpu(device, batch, xs, masks, new Float32Array(2 * n * c.T * C))).out;
    const fd = new Float64Array(n);
    for (let e = 0; e < n; e++) {
      let plus = 0;
      let minus = 0;
      for (let k = 0; k < c.T * C; k++) {
        plus += out[2 * e * c.T * C + k]! * g[k]!;
        minus += out[(2 * e + 1) * c.T * C + k]! * g[k]!;
      }
      fd[e] = (plus - minus) / (2 * eps);
    }
    expectClose(analytic, fd, TOL.gpuFd, 'dqkv vs FD');
    expect(analytic.some((x) => Math.abs(x) > 0.05)).toBe(true);
  });
});

describe('attention shape errors', SLOW, () => {
  it('names the op and every shape', async () => {
    const device = await testDevice();
    const qkv = device.tensor('qkv', [2, 5, 3 * 64]);
    const mask = device.tensor('mask', [2, 5], 'u32');
    const out = device.tensor('out', [2, 5, 64]);
    const lse = device.tensor('lse', [2, 2, 5]);
    const badOut = device.tensor('bad', [2, 4, 64]);
    const ws = device.tensor('ws', [20]);
    const rec = device.recorder('shapes');
    try {
      expect(() => attentionForward(rec, badOut, lse, qkv, mask, { numHeads: 2 })).toThrow(ShapeError);
      expect(() => attentionForward(rec, badOut, lse, qkv, mask, { numHeads: 2 })).toThrow(
        /attentionForward: out \(2,4,64\) vs lse \(2,2,5\) vs qkv \(2,5,192\) vs mask \(2,5\)/,
      );
      // Head size 64/3 is not an integer; 64/16 = 4 is fine but 64/32 = 2 is not a multiple of 4.
      expect(() => attentionForward(rec, out, lse, qkv, mask, { numHeads: 3 })).toThrow(/head size C\/NH = 64\/3/);
      expect(() => attentionForward(rec, out, lse, qkv, mask, { numHeads: 32 })).toThrow(ShapeError);
      expect(() => attentionForward(rec, out, lse, qkv, mask, { numHeads: 0 })).toThrow(ConfigError);
      const floatMask = device.tensor('mask.f32', [2, 5]);
      expect(() => attentionForward(rec, out, lse, qkv, floatMask, { numHeads: 2 })).toThrow(/mask must be u32 .*got f32/);
      device.release(floatMask);
      expect(() => attentionBackward(rec, qkv, ws, badOut, qkv, mask, out, lse, { numHeads: 2, accumulate: false })).toThrow(
        /attentionBackward: dqkv \(2,5,192\) vs workspace \(20\) vs dout \(2,4,64\) vs qkv \(2,5,192\) vs mask \(2,5\) vs out \(2,5,64\) vs lse \(2,2,5\)/,
      );
      const smallWs = device.tensor('ws.small', [19]);
      expect(() => attentionBackward(rec, qkv, smallWs, out, qkv, mask, out, lse, { numHeads: 2, accumulate: false })).toThrow(/workspace ≥ 20/);
      device.release(smallWs);
    } finally {
      await rec.submit();
      for (const t of [qkv, mask, out, lse, badOut, ws]) device.release(t);
    }
  });
});
