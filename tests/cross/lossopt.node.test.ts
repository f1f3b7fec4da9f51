import { describe, expect, it } from 'vitest';
import { contrastiveEvalForward as evalRef, contrastiveForward as forwardRef } from '../../src/ref/contrastive.js';
import { topkForward as topkRef } from '../../src/ref/topk.js';
import { runInEveryRuntime } from '../helpers/cross_runtime.js';
import { expectBitEqual, expectClose, TOL } from '../helpers/close.js';
import { randomF32 } from '../helpers/rand.js';
import { evalIndices, trainMask, type LossoptInput } from './lossopt_entry.js';

const f32 = (u8: Uint8Array) => new Float32Array(u8.buffer, u8.byteOffset, u8.byteLength / 4);

describe('cross-runtime determinism of the loss and retrieval kernels', () => {
  it('contrastive (train, eval), global norm, AdamW and top-k outputs are bit-identical on lavapipe, SwiftShader and Chromium', async () => {
    const input: LossoptInput = {
      seed: 11,
      eval: { B: 37, D: 67, W: 255, Np: 500 },
      train: { B: 33, N: 300, scale: 20 },
      topk: { Q: 5, Nc: 700, D: 20, k: 50, blockRows: 128 },
      optim: { n: 5000, steps: 3 },
    };
    const r = await runInEveryRuntime(new URL('./lossopt_entry.ts', import.meta.url).pathname, input);
    expect(r.lavapipe.adapter).toMatch(/llvmpipe/);
    expect(r.swiftshader.adapter).toMatch(/swiftshader/i);
    expect(r.chromium.adapter).toMatch(/swiftshader/i);
    const names = Object.keys(r.lavapipe.outputs).sort();
    expect(names).toEqual([
      'adamwM',
      'adamwParams',
      'adamwV',
      'clipScale',
      'evalLoss',
      'evalScores',
      'gradNorm',
      'topkIndices',
      'topkScores',
      'trainDscores',
      'trainLoss',
      'trainRowLoss',
      'trainRowStats',
    ]);
    for (const rt of ['swiftshader', 'chromium'] as const) {
      for (const name of names) {
        // Compared as 32-bit words (f32 bits, or u32 indices); the message shows the first differences.
        expectBitEqual(f32(r[rt].outputs[name]!), f32(r.lavapipe.outputs[name]!), `${name}: ${rt} (${r[rt].adapter}) vs lavapipe`);
      }
    }

    // The agreed bits must also be right: compare with the f64 references.
    const out = r.lavapipe.outputs;
    const e = input.eval;
    const { pos, neg } = evalIndices(input);
    const er = evalRef(randomF32(e.B * e.D, input.seed, 1), randomF32(e.Np * e.D, input.seed + 1, 1), pos, neg, e.B, e.D, e.W);
    expectClose(f32(out.evalLoss!), er.loss, TOL.reduction, 'eval loss', Array.from(er.dotMagnitude, (m) => Math.sqrt(e.D) * m + 1));
    const t = input.train;
    const tr = forwardRef(randomF32(t.B * t.N, input.seed + 2, 3), t.B, t.N, t.scale, trainMask(input));
    expectClose(f32(out.trainRowLoss!), tr.rowLoss, TOL.reduction, 'train row loss', tr.magnitude);
    const k = input.topk;
    const kr = topkRef(randomF32(k.Q * k.D, input.seed + 5, 1), randomF32(k.Nc * k.D, input.seed + 6, 1), k.Q, k.Nc, k.D, k.k);
    expectClose(f32(out.topkScores!), kr.scores, TOL.dot, 'top-k scores', Math.sqrt(k.D) * k.D);
  }, 180_000);
});
