// The whole model against its f64 CPU twin (src/ref/biencoder.ts): per-step losses over 10 AdamW steps,
// a directional finite-difference check of the GPU gradient, bitwise determinism, and chunked
// (GradCache) training against the one-chunk path.
import { describe, expect, it } from 'vitest';
import { BiEncoder, initialParams, type TrainBatch } from '../../src/model/biencoder.js';
import { modelConfig, type BiEncoderConfig } from '../../src/model/config.js';
import { layoutFor } from '../../src/model/layout.js';
import { refLossAndGrads, refTrainStep, type RefBatch } from '../../src/ref/biencoder.js';
import { testDevice } from '../helpers/device.js';
import { mulberry32 } from '../helpers/rand.js';

const SHAPE = { batchSize: 3, negatives: 2, queryLength: 5, passageLength: 8 };

function tinyConfig(overrides: Partial<BiEncoderConfig> = {}): BiEncoderConfig {
  return modelConfig({ layers: 2, hidden: 32, heads: 2 }, { vocabSize: 100, maxPositions: 16, projection: 16, ...overrides });
}

/** Random batches with padding (every sequence keeps its first token) and one masked false negative. */
function makeBatch(seed: number, shape = SHAPE): TrainBatch & RefBatch {
  const r = mulberry32(seed);
  const seqs = (rows: number, T: number) => {
    const ids = new Int32Array(rows * T);
    const mask = new Int32Array(rows * T);
    for (let i = 0; i < rows; i++) {
      const len = 1 + Math.floor(r() * T);
      for (let t = 0; t < T; t++) {
        ids[i * T + t] = t < len ? 1 + Math.floor(r() * 99) : 0;
        mask[i * T + t] = t < len ? 1 : 0;
      }
    }
    return { ids, mask };
  };
  const q = seqs(shape.batchSize, shape.queryLength);
  const p = seqs(shape.batchSize + shape.negatives, shape.passageLength);
  const cols = shape.batchSize + shape.negatives;
  const validNegative = new Uint8Array(shape.batchSize * cols).fill(1);
  validNegative[1 * cols + shape.batchSize] = 0;
  return { queryIds: q.ids, queryMask: q.mask, passageIds: p.ids, passageMask: p.mask, validNegative, ...shape };
}

const OPT = { learningRate: 1e-2, weightDecay: 0.01, maxGradNorm: 1 };

describe('BiEncoder vs the f64 CPU reference', () => {
  for (const variant of [
    { name: 'mean pooling, gelu, raw inner product', cfg: {} },
    { name: 'cls pooling, gelu_new, normalised, temperature 0.1, separate towers', cfg: { pooling: 'cls', hiddenAct: 'gelu_new', normalize: true, temperature: 0.1, sharedTowers: false } },
  ] as const) {
    it(`10 AdamW steps: losses agree step by step (${variant.name})`, async () => {
      const device = await testDevice();
      const cfg = tinyConfig(variant.cfg as Partial<BiEncoderConfig>);
      const layout = layoutFor(cfg);
      const model = BiEncoder.create(device, cfg, { seed: 7, train: SHAPE });
      const state = { params: Float64Array.from(initialParams(layout, 7)), m: new Float64Array(layout.size), v: new Float64Array(layout.size), step: 0 };
      try {
        for (let step = 0; step < 10; step++) {
          const batch = makeBatch(100 + step);
          const gpu = (await model.trainStep(batch, OPT, { readLoss: true }))!;
          const ref = refTrainStep(cfg, layout, state, batch, OPT);
          const tol = 1e-5 + (1e-4 - 1e-5) * (step / 9);
          expect(Math.abs(gpu - ref), `step ${step}: gpu ${gpu} ref ${ref}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(ref)));
        }
      } finally {
        model.destroy();
      }
    });
  }

  it('the GPU gradient matches the reference gradient and a directional finite difference', async () => {
    const device = await testDevice();
    const cfg = tinyConfig();
    const layout = layoutFor(cfg);
    const model = BiEncoder.create(device, cfg, { seed: 3, train: SHAPE });
    try {
      const batch = makeBatch(5);
      const { loss, grads } = await model.gradients(batch);
      const theta = initialParams(layout, 3);
      const ref = refLossAndGrads(cfg, layout, Float64Array.from(theta), batch);
      expect(Math.abs(loss - ref.loss)).toBeLessThan(1e-5 * Math.max(1, ref.loss));
      let num = 0;
      let den = 0;
      for (let i = 0; i < grads.length; i++) {
        num += (grads[i]! - ref.grads![i]!) ** 2;
        den += ref.grads![i]! ** 2;
      }
      expect(Math.sqrt(num / den), 'relative L2 error of the GPU gradient').toBeLessThan(1e-4);
      // Directional derivative in f32 on the GPU: (L(θ+εv) − L(θ−εv)) / 2ε vs ⟨∇L, v⟩, v along the gradient.
      const r = mulberry32(11);
      const v = new Float32Array(theta.length);
      let vNorm = 0;
      for (let i = 0; i < v.length; i++) {
        v[i] = grads[i]! + 0.1 * (r() - 0.5) * Math.abs(grads[i]!);
        vNorm += v[i]! ** 2;
      }
      vNorm = Math.sqrt(vNorm);
      for (let i = 0; i < v.length; i++) v[i]! /= vNorm;
      const eps = 1e-2;
      const shifted = (sign: number) => Float32Array.from(theta, (x, i) => x + sign * eps * v[i]!);
      model.writeFlat('params', shifted(1));
      const lPlus = await model.loss(batch);
      model.writeFlat('params', shifted(-1));
      const lMinus = await model.loss(batch);
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += grads[i]! * v[i]!;
      const fd = (lPlus - lMinus) / (2 * eps);
      expect(Math.abs(fd - dot), `fd ${fd} vs ⟨g,v⟩ ${dot}`).toBeLessThanOrEqual(1e-2 * Math.abs(dot) + 1e-3);
    } finally {
      model.destroy();
    }
  });
});

describe('BiEncoder determinism and chunking', () => {
  it('the same seed gives bit-identical losses', async () => {
    const device = await testDevice();
    const run = async () => {
      const model = BiEncoder.create(device, tinyConfig(), { seed: 1, train: SHAPE });
      const losses: number[] = [];
      for (let s = 0; s < 4; s++) losses.push((await model.trainStep(makeBatch(50 + s), OPT, { readLoss: true }))!);
      model.destroy();
      return new Float32Array(losses);
    };
    const a = await run();
    const b = await run();
    expect(Array.from(new Uint32Array(a.buffer))).toEqual(Array.from(new Uint32Array(b.buffer)));
  });

  it('chunked towers (recomputed activations) give the one-chunk loss bit for bit and the same gradient', async () => {
    const device = await testDevice();
    const shape = { batchSize: 4, negatives: 4, queryLength: 5, passageLength: 8 };
    const one = BiEncoder.create(device, tinyConfig(), { seed: 2, train: shape });
    // 16 tokens per chunk: passages come in chunks of 2 rows, queries in chunks of 3 (rounded to 2 by alignment).
    const many = BiEncoder.create(device, tinyConfig(), { seed: 2, train: shape, chunkTokens: 16 });
    try {
      const batch = makeBatch(9, shape);
      const a = await one.gradients(batch);
      const b = await many.gradients(batch);
      expect(b.loss).toBe(a.loss);
      let num = 0;
      let den = 0;
      for (let i = 0; i < a.grads.length; i++) {
        num += (a.grads[i]! - b.grads[i]!) ** 2;
        den += a.grads[i]! ** 2;
      }
      expect(Math.sqrt(num / den)).toBeLessThan(1e-6);
    } finally {
      one.destroy();
      many.destroy();
    }
  });

  it('embed() gives the reference tower output', async () => {
    const device = await testDevice();
    const cfg = tinyConfig({ normalize: true });
    const layout = layoutFor(cfg);
    const model = BiEncoder.create(device, cfg, { seed: 4, maxLength: 16 });
    try {
      const batch = makeBatch(21);
      const got = await model.embed('passage', batch.passageIds, batch.passageMask, 5, 8);
      const { refTowerForward } = await import('../../src/ref/biencoder.js');
      const ref = refTowerForward(cfg, layout, Float64Array.from(initialParams(layout, 4)), 'p', batch.passageIds, batch.passageMask, 5, 8).out;
      for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i]! - ref[i]!), `[${i}]`).toBeLessThan(1e-5);
    } finally {
      model.destroy();
    }
  });
});
