import { describe, expect, it } from 'vitest';
import { checkEvalIndices, contrastiveEvalForward } from '../../src/ops/contrastive.js';
import { contrastiveEvalForward as evalRef } from '../../src/ref/contrastive.js';
import { ShapeError } from '../../src/errors.js';
import type { Device } from '../../src/gpu/device.js';
import { testDevice } from '../helpers/device.js';
import { expectBitEqual, expectClose, TOL } from '../helpers/close.js';
import { mulberry32, randomF32 } from '../helpers/rand.js';

interface EvalCase {
  B: number;
  D: number;
  W: number;
  Np: number;
  queries: Float32Array;
  passages: Float32Array;
  pos: Uint32Array;
  neg: Uint32Array;
}

function makeCase(B: number, D: number, W: number, Np: number, seed: number, scale = 1): EvalCase {
  const r = mulberry32(seed);
  return {
    B,
    D,
    W,
    Np,
    queries: randomF32(B * D, seed + 1, scale),
    passages: randomF32(Np * D, seed + 2, scale),
    pos: Uint32Array.from({ length: B }, () => Math.floor(r() * Np)),
    neg: Uint32Array.from({ length: B * W }, () => Math.floor(r() * Np)),
  };
}

async function runEval(device: Device, c: EvalCase, scale = 1, vectorLoads = true): Promise<{ loss: Float32Array; scores: Float32Array }> {
  const q = device.tensor('queries', [c.B, c.D], 'f32', c.queries);
  const p = device.tensor('passages', [c.Np, c.D], 'f32', c.passages);
  const pos = device.tensor('pos', [c.B], 'u32', c.pos);
  const neg = device.tensor('neg', [c.B, c.W], 'u32', c.W > 0 ? c.neg : undefined);
  const loss = device.tensor('loss', [c.B]);
  const scores = device.tensor('scores', [c.B, c.W + 1]);
  const rec = device.recorder('eval');
  contrastiveEvalForward(rec, loss, scores, q, p, pos, neg, { scale, vectorLoads });
  const reads = [rec.read(loss), rec.read(scores)];
  await rec.submit();
  const [l, s] = (await Promise.all(reads)).map((b) => new Float32Array(b));
  for (const t of [q, p, pos, neg, loss, scores]) device.release(t);
  return { loss: l!, scores: s! };
}

function checkEval(got: { loss: Float32Array; scores: Float32Array }, c: EvalCase, scale: number, what: string): void {
  const ref = evalRef(c.queries, c.passages, c.pos, c.neg, c.B, c.D, c.W, scale);
  // Dot products of length D: atol scales with √D·Σ|q p|; the loss inherits the error of its scores.
  const dotScale = Array.from(ref.dotMagnitude, (m) => Math.sqrt(c.D) * m + 1);
  expectClose(got.scores, ref.scores, TOL.dot, `${what} scores`, Array.from(ref.scores, (_, i) => dotScale[Math.floor(i / (c.W + 1))]!));
  expectClose(got.loss, ref.loss, TOL.reduction, `${what} loss`, dotScale);
}

describe('contrastive_eval_forward vs the f64 reference', () => {
  // A query is one workgroup of 64 lanes: W + 1 = 64 candidates fill it once, 65 spill one over.
  const cases: [number, number, number, number][] = [
    [1, 1, 1, 2],
    [7, 13, 0, 20],
    [13, 7, 63, 100],
    [5, 64, 64, 300],
    [3, 96, 256, 1000],
  ];
  for (const [B, D, W, Np] of cases) {
    it(`B=${B} D=${D} W=${W} Np=${Np}`, async () => {
      const device = await testDevice();
      const c = makeCase(B, D, W, Np, B * 7 + D + W);
      for (const scale of [1, 0.5]) checkEval(await runEval(device, c, scale), c, scale, `B=${B} D=${D} W=${W} scale=${scale}`);
    });
  }

  it('vec4 and scalar loads give the same bits (D % 4 == 0)', async () => {
    const device = await testDevice();
    const c = makeCase(6, 68, 70, 200, 5);
    const vec = await runEval(device, c, 1, true);
    const scalar = await runEval(device, c, 1, false);
    expectBitEqual(vec.scores, scalar.scores, 'scores');
    expectBitEqual(vec.loss, scalar.loss, 'loss');
  });

  it('gives log(W + 1) when every score is equal (zero queries)', async () => {
    const device = await testDevice();
    const c = makeCase(4, 16, 256, 50, 3);
    c.queries.fill(0);
    const got = await runEval(device, c);
    expectClose(got.loss, new Float64Array(4).fill(Math.log(257)), TOL.reduction, 'loss = log 257');
  });

  it('handles scores of magnitude 1e4 (max subtraction)', async () => {
    const device = await testDevice();
    const c = makeCase(3, 4, 100, 40, 8, 50);
    const got = await runEval(device, c);
    for (const v of got.loss) expect(Number.isFinite(v)).toBe(true);
    checkEval(got, c, 1, 'large scores');
  });

  it('is bitwise deterministic: the same dispatch twice', async () => {
    const device = await testDevice();
    const c = makeCase(9, 33, 129, 200, 21);
    const a = await runEval(device, c);
    const b = await runEval(device, c);
    expectBitEqual(a.loss, b.loss, 'loss');
    expectBitEqual(a.scores, b.scores, 'scores');
  });

  it('covers every query past 65535 workgroups', async () => {
    const device = await testDevice();
    const c = makeCase(65537, 1, 1, 3, 4);
    const got = await runEval(device, c);
    checkEval(got, c, 1, 'B=65537');
  }, 60_000);
});

describe('contrastive_eval_forward rejects bad input', () => {
  it('names every shape, checks index dtypes and index ranges', async () => {
    const device = await testDevice();
    const q = device.tensor('q', [4, 8]);
    const p = device.tensor('p', [10, 8]);
    const pos = device.tensor('pos', [4], 'u32');
    const neg = device.tensor('neg', [4, 3], 'u32');
    const loss = device.tensor('loss', [4]);
    const rec = device.recorder('bad');
    expect(() => contrastiveEvalForward(rec, loss, device.tensor('s', [4, 3]), q, p, pos, neg)).toThrow(
      /contrastiveEvalForward: loss \(4\) vs scores \(4,3\) vs queries \(4,8\) vs passages \(10,8\) vs posIndex \(4\) vs negIndex \(4,3\)/,
    );
    expect(() => contrastiveEvalForward(rec, loss, device.tensor('s2', [4, 4]), q, device.tensor('p7', [10, 7]), pos, neg)).toThrow(ShapeError);
    expect(() => contrastiveEvalForward(rec, loss, device.tensor('s3', [4, 4]), q, p, device.tensor('fpos', [4]), neg)).toThrow(/posIndex fpos must be u32/);
    await rec.submit();
    expect(() => checkEvalIndices([0, 9], [3, 10], 10)).toThrow(/negIndex\[1\] = 10 is not a row/);
    expect(() => checkEvalIndices([0, 9], [3, 4], 10)).not.toThrow();
  });
});
