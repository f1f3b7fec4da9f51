import { describe, expect, it } from 'vitest';
import { contrastiveBackward, contrastiveForward } from '../../src/ops/contrastive.js';
import { contrastiveBackward as backwardRef, contrastiveForward as forwardRef } from '../../src/ref/contrastive.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { grid1d } from '../../src/gpu/kernel.js';
import type { Device } from '../../src/gpu/device.js';
import type { Tensor } from '../../src/gpu/tensor.js';
import { testDevice } from '../helpers/device.js';
import { compare, expectBitEqual, expectClose, TOL } from '../helpers/close.js';
import { mulberry32, randomF32 } from '../helpers/rand.js';

interface Run {
  loss: Float32Array;
  rowLoss: Float32Array;
  rowStats: Float32Array;
  dscores: Float32Array;
}

/** Forward then backward on the GPU; dscores starts from `initialGrad` when given (accumulate). */
async function run(device: Device, S: Float32Array, B: number, N: number, scale: number, maskData?: Uint32Array, initialGrad?: Float32Array): Promise<Run> {
  const scores = device.tensor('scores', [B, N], 'f32', S);
  const mask = maskData ? device.tensor('mask', [B, N], 'u32', maskData) : undefined;
  const loss = device.tensor('loss', [1]);
  const rowLoss = device.tensor('row_loss', [B]);
  const rowStats = device.tensor('row_stats', [B, 2]);
  const dscores = device.tensor('dscores', [B, N], 'f32', initialGrad);
  const rec = device.recorder('contrastive');
  contrastiveForward(rec, loss, rowLoss, rowStats, scores, { scale, mask });
  contrastiveBackward(rec, dscores, scores, rowStats, { scale, mask, accumulate: initialGrad !== undefined });
  const reads = [rec.read(loss), rec.read(rowLoss), rec.read(rowStats), rec.read(dscores)];
  await rec.submit();
  const [l, rl, rs, ds] = (await Promise.all(reads)).map((b) => new Float32Array(b));
  for (const t of [scores, loss, rowLoss, rowStats, dscores, ...(mask ? [mask] : [])]) device.release(t as Tensor);
  return { loss: l!, rowLoss: rl!, rowStats: rs!, dscores: ds! };
}

function randomMask(B: number, N: number, seed: number): Uint32Array {
  const r = mulberry32(seed);
  return Uint32Array.from({ length: B * N }, () => (r() < 0.25 ? 0 : 1));
}

function checkAgainstRef(got: Run, S: Float32Array, B: number, N: number, scale: number, mask: Uint32Array | undefined, what: string): void {
  const ref = forwardRef(S, B, N, scale, mask);
  expectClose(got.rowLoss, ref.rowLoss, TOL.reduction, `${what} rowLoss`, ref.magnitude);
  const meanScale = ref.magnitude.reduce((a, b) => a + b, 0) / B;
  expectClose(got.loss, [ref.loss], TOL.reduction, `${what} loss`, meanScale);
  // logsumexp from the saved (max, logsum) pair.
  const lse = Array.from({ length: B }, (_, i) => scale * got.rowStats[2 * i]! + got.rowStats[2 * i + 1]!);
  expectClose(lse, ref.lse, TOL.reduction, `${what} lse`, ref.magnitude.map((m, i) => m + Math.abs(ref.lse[i]!)));
  const dRef = backwardRef(S, B, N, scale, mask);
  const dScale = new Float64Array(B * N).map((_, i) => (scale / B) * ref.magnitude[Math.floor(i / N)]!);
  expectClose(got.dscores, dRef, TOL.reduction, `${what} dscores`, dScale);
}

describe('contrastive_forward / contrastive_backward vs the f64 reference', () => {
  // Rows are one workgroup of 64 lanes: N = 64 fills each lane once, 65 spills one column over.
  const shapes: [number, number][] = [[1, 1], [1, 7], [7, 13], [13, 13], [3, 64], [5, 65], [64, 320]];
  for (const [B, N] of shapes) {
    it(`B=${B} N=${N}, scale 1 and 20, with and without a mask`, async () => {
      const device = await testDevice();
      const S = randomF32(B * N, B * 1000 + N, 1);
      for (const scale of [1, 20]) {
        for (const mask of [undefined, randomMask(B, N, B + N)]) {
          checkAgainstRef(await run(device, S, B, N, scale, mask), S, B, N, scale, mask, `B=${B} N=${N} scale=${scale}${mask ? ' masked' : ''}`);
        }
      }
    });
  }

  it('gives log(N) for orthogonal queries and passages (all scores 0)', async () => {
    const device = await testDevice();
    const B = 8;
    const N = 8 + 256;
    const got = await run(device, new Float32Array(B * N), B, N, 1);
    expectClose(got.rowLoss, new Float64Array(B).fill(Math.log(N)), TOL.reduction, 'rowLoss = log N');
    expectClose(got.loss, [Math.log(N)], TOL.reduction, 'loss = log N');
  });

  it('keeps full precision with logits near 1e4 and −1e4 (adversarial)', async () => {
    const device = await testDevice();
    const B = 6;
    const N = 70;
    const r = mulberry32(9);
    // Scores 1e4 ± 10 (spacing of f32 there is 1e-3), and a few at −1e4 whose exp underflows to 0.
    const S = Float32Array.from({ length: B * N }, () => (r() < 0.1 ? -1e4 : 1e4 + (r() * 2 - 1) * 10));
    const got = await run(device, S, B, N, 1);
    for (const v of [...got.loss, ...got.rowLoss, ...got.dscores]) expect(Number.isFinite(v)).toBe(true);
    checkAgainstRef(got, S, B, N, 1, undefined, 'logits ~1e4');
  });

  it('adds into dscores with accumulate (shared towers sum two backward passes)', async () => {
    const device = await testDevice();
    const B = 5;
    const N = 11;
    const S = randomF32(B * N, 44, 2);
    const initial = randomF32(B * N, 45, 1);
    const got = await run(device, S, B, N, 3, undefined, initial);
    const dRef = backwardRef(S, B, N, 3);
    expectClose(got.dscores, dRef.map((d, i) => d + initial[i]!), TOL.reduction, 'initial + dS', 1);
  });

  it('flushes gradients below the smallest normal f32 to 0 (SwiftShader flushes, lavapipe did not)', async () => {
    const device = await testDevice();
    // Row 0: softmax of column 1 ≈ exp(−87) ≈ 1.6e-38, times scale/B = 0.5 → 8e-39, a subnormal.
    const S = new Float32Array([0, -87, 0, 0]);
    const got = await run(device, S, 2, 2, 1);
    expect(Object.is(got.dscores[1], 0)).toBe(true);
    expect(backwardRef(S, 2, 2, 1)[1]).toBeGreaterThan(0);
    expect(backwardRef(S, 2, 2, 1)[1]).toBeLessThan(1.1754943508222875e-38);
  });

  it('is bitwise deterministic: the same dispatch twice', async () => {
    const device = await testDevice();
    const B = 32;
    const N = 200;
    const S = randomF32(B * N, 77, 5);
    const mask = randomMask(B, N, 78);
    const a = await run(device, S, B, N, 7, mask);
    const b = await run(device, S, B, N, 7, mask);
    for (const k of ['loss', 'rowLoss', 'rowStats', 'dscores'] as const) expectBitEqual(a[k], b[k], k);
  });

  it('covers every score past 65535 workgroups in the backward pass (WG=16 override)', async () => {
    const device = await testDevice();
    const B = 512;
    const N = 2053;
    expect(grid1d(B * N, 16)[1]).toBeGreaterThan(1);
    const S = randomF32(B * N, 12, 3);
    const scores = device.tensor('scores', [B, N], 'f32', S);
    const loss = device.tensor('loss', [1]);
    const rowLoss = device.tensor('row_loss', [B]);
    const rowStats = device.tensor('row_stats', [B, 2]);
    const dscores = device.tensor('dscores', [B, N]);
    const rec = device.recorder('contrastive.fold');
    contrastiveForward(rec, loss, rowLoss, rowStats, scores, { scale: 2 });
    contrastiveBackward(rec, dscores, scores, rowStats, { scale: 2, accumulate: false, overrides: { WG: 16 } });
    const read = rec.read(dscores);
    await rec.submit();
    const got = new Float32Array(await read);
    const ref = forwardRef(S, B, N, 2);
    const dScale = new Float64Array(B * N).map((_, i) => (2 / B) * ref.magnitude[Math.floor(i / N)]!);
    const c = compare(got, backwardRef(S, B, N, 2), TOL.reduction, dScale);
    expect(c.faults, c.report).toBe(0);
    for (const t of [scores, loss, rowLoss, rowStats, dscores]) device.release(t);
  }, 60_000);

  it('GPU finite differences (f32, eps 1e-3) agree with the backward kernel', async () => {
    const device = await testDevice();
    const B = 2;
    const N = 3;
    const scale = 1.5;
    const S = randomF32(B * N, 3, 1);
    const mask = new Uint32Array([1, 1, 0, 1, 1, 1]);
    const base = await run(device, S, B, N, scale, mask);
    const fd = new Float64Array(B * N);
    const eps = 1e-3;
    for (let i = 0; i < B * N; i++) {
      const up = Float32Array.from(S);
      up[i] = up[i]! + eps;
      const down = Float32Array.from(S);
      down[i] = down[i]! - eps;
      const lu = (await run(device, up, B, N, scale, mask)).loss[0]!;
      const ld = (await run(device, down, B, N, scale, mask)).loss[0]!;
      fd[i] = (lu - ld) / (Math.fround(up[i]!) - Math.fround(down[i]!));
    }
    expectClose(base.dscores, fd, TOL.gpuFd, 'dS vs GPU finite differences');
  });
});

describe('contrastive launchers reject bad input', () => {
  it('names every shape in a ShapeError', async () => {
    const device = await testDevice();
    const scores = device.tensor('scores', [4, 3]);
    const loss = device.tensor('loss', [1]);
    const rowLoss = device.tensor('row_loss', [4]);
    const rowStats = device.tensor('row_stats', [4, 2]);
    const rec = device.recorder('bad');
    expect(() => contrastiveForward(rec, loss, rowLoss, rowStats, scores)).toThrow(ShapeError);
    expect(() => contrastiveForward(rec, loss, rowLoss, rowStats, scores)).toThrow(/contrastiveForward: scores \(4,3\) vs loss \(1\) vs rowLoss \(4\) vs rowStats \(4,2\)/);
    const wide = device.tensor('wide', [4, 6]);
    expect(() => contrastiveForward(rec, loss, device.tensor('short', [3]), rowStats, wide)).toThrow(/rowLoss \(3\)/);
    const floatMask = device.tensor('fmask', [4, 6]);
    expect(() => contrastiveBackward(rec, wide, wide, rowStats, { accumulate: false, mask: floatMask })).toThrow(/mask fmask must be u32/);
    expect(() => contrastiveBackward(rec, wide, wide, rowStats, { accumulate: false, scale: 0 })).toThrow(ConfigError);
    expect(() => contrastiveBackward(rec, wide, wide, rowStats, { accumulate: false, scale: -1 })).toThrow(/contrastiveBackward.scale/);
    await rec.submit();
  });
});
