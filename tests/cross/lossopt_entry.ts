// Portable module for the cross-runtime test: seeded inputs through the loss, optimizer and retrieval
// ops, raw output bytes back. Every output must be bit-identical in every runtime.
import type { Device } from '../../src/gpu/device.js';
import { adamwDecayMask, adamwUpdate } from '../../src/ops/adamw.js';
import { contrastiveBackward, contrastiveEvalForward, contrastiveForward } from '../../src/ops/contrastive.js';
import { globalNorm, globalNormWorkspaceSize } from '../../src/ops/global_norm.js';
import { topkForward, topkWorkspaceSize } from '../../src/ops/topk.js';
import { mulberry32, randomF32 } from '../helpers/rand.js';

export interface LossoptInput {
  seed: number;
  eval: { B: number; D: number; W: number; Np: number };
  train: { B: number; N: number; scale: number };
  topk: { Q: number; Nc: number; D: number; k: number; blockRows: number };
  optim: { n: number; steps: number };
}

/** The index arrays of the eval case, shared with the test's reference computation. */
export function evalIndices(input: LossoptInput): { pos: Uint32Array; neg: Uint32Array } {
  const { B, W, Np } = input.eval;
  const r = mulberry32(input.seed + 3);
  return {
    pos: Uint32Array.from({ length: B }, () => Math.floor(r() * Np)),
    neg: Uint32Array.from({ length: B * W }, () => Math.floor(r() * Np)),
  };
}

export function trainMask(input: LossoptInput): Uint32Array {
  const r = mulberry32(input.seed + 4);
  return Uint32Array.from({ length: input.train.B * input.train.N }, () => (r() < 0.2 ? 0 : 1));
}

export async function run(device: Device, input: LossoptInput): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  const bytes = async (t: Parameters<Device['read']>[0]) => new Uint8Array((await device.read(t)).buffer);

  const e = input.eval;
  const { pos, neg } = evalIndices(input);
  const q = device.tensor('eval.q', [e.B, e.D], 'f32', randomF32(e.B * e.D, input.seed, 1));
  const p = device.tensor('eval.p', [e.Np, e.D], 'f32', randomF32(e.Np * e.D, input.seed + 1, 1));
  const posT = device.tensor('eval.pos', [e.B], 'u32', pos);
  const negT = device.tensor('eval.neg', [e.B, e.W], 'u32', neg);
  const loss = device.tensor('eval.loss', [e.B]);
  const scores = device.tensor('eval.scores', [e.B, e.W + 1]);
  let rec = device.recorder('cross.eval');
  contrastiveEvalForward(rec, loss, scores, q, p, posT, negT);
  await rec.submit();
  out.evalLoss = await bytes(loss);
  out.evalScores = await bytes(scores);

  const t = input.train;
  const S = device.tensor('train.scores', [t.B, t.N], 'f32', randomF32(t.B * t.N, input.seed + 2, 3));
  const mask = device.tensor('train.mask', [t.B, t.N], 'u32', trainMask(input));
  const mean = device.tensor('train.loss', [1]);
  const rowLoss = device.tensor('train.row_loss', [t.B]);
  const rowStats = device.tensor('train.row_stats', [t.B, 2]);
  const dS = device.tensor('train.dscores', [t.B, t.N]);
  rec = device.recorder('cross.train');
  contrastiveForward(rec, mean, rowLoss, rowStats, S, { scale: t.scale, mask });
  contrastiveBackward(rec, dS, S, rowStats, { scale: t.scale, mask, accumulate: false });
  await rec.submit();
  out.trainLoss = await bytes(mean);
  out.trainRowLoss = await bytes(rowLoss);
  out.trainRowStats = await bytes(rowStats);
  out.trainDscores = await bytes(dS);

  const o = input.optim;
  const params = device.tensor('optim.params', [o.n], 'f32', randomF32(o.n, input.seed + 7, 1));
  const m = device.tensor('optim.m', [o.n]);
  const v = device.tensor('optim.v', [o.n]);
  const grads = device.tensor('optim.grads', [o.n]);
  const norm = device.tensor('optim.norm', [1]);
  const clip = device.tensor('optim.clip', [1]);
  const partials = device.tensor('optim.partials', [globalNormWorkspaceSize(o.n)]);
  const decay = adamwDecayMask(o.n, [{ offset: 0, numel: o.n >> 1 }]);
  const decayMask = device.tensor('optim.decay', [decay.length], 'u32', decay);
  for (let step = 1; step <= o.steps; step++) {
    device.write(grads, randomF32(o.n, input.seed + 100 + step, 0.05));
    rec = device.recorder('cross.optim');
    globalNorm(rec, norm, clip, partials, grads, { maxNorm: 1 });
    adamwUpdate(rec, params, m, v, grads, clip, { learningRate: 1e-2, step, weightDecay: 0.1, decayMask });
    await rec.submit();
  }
  out.gradNorm = await bytes(norm);
  out.clipScale = await bytes(clip);
  out.adamwParams = await bytes(params);
  out.adamwM = await bytes(m);
  out.adamwV = await bytes(v);

  const k = input.topk;
  const tq = device.tensor('topk.q', [k.Q, k.D], 'f32', randomF32(k.Q * k.D, input.seed + 5, 1));
  const tc = device.tensor('topk.corpus', [k.Nc, k.D], 'f32', randomF32(k.Nc * k.D, input.seed + 6, 1));
  const ts = device.tensor('topk.scores', [k.Q, k.k]);
  const ti = device.tensor('topk.indices', [k.Q, k.k], 'u32');
  const ws = device.tensor('topk.workspace', [topkWorkspaceSize(k.Q, k.blockRows)]);
  rec = device.recorder('cross.topk');
  topkForward(rec, ts, ti, ws, tq, tc);
  await rec.submit();
  out.topkScores = await bytes(ts);
  out.topkIndices = await bytes(ti);
  return out;
}
