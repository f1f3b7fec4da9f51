// The front door: exactly the documented values, and a whole study (data, vocabulary, model, training,
// evaluation, checkpoint round trip, fit, budget, report) using nothing but them. Portable: Node and Chromium.
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import { testDevice } from './helpers/device.js';
import { fixtureRecords, SHAPE } from './train/fixture.js';

/** The public values (README "API"). Adding one is a decision: update this list and the README together. */
const VALUES = [
  'createDevice',
  'loadRetrievalData',
  'memorySource',
  'PairDataset',
  'Tokenizer',
  'trainWordPieceVocab',
  'BiEncoder',
  'modelConfig',
  'paramCount',
  'train',
  'loadCheckpoint',
  'modelFiles',
  'contrastiveEntropy',
  'evaluate',
  'sweep',
  'validateSweepConfig',
  'ANNOTATION_METHODS',
  'fileMethod',
  'fitScalingLaw',
  'optimalAllocation',
  'budgetFrontier',
  'renderReport',
];
const ERRORS = ['DensescaleError', 'GpuUnavailableError', 'ShaderError', 'DeviceLostError', 'LimitError', 'ShapeError', 'FormatError', 'TokenizerError', 'ConfigError', 'AbortError', 'DataFormatError'];

describe('public API', () => {
  it('exports exactly the documented values and error classes', () => {
    expect(Object.keys(api).sort()).toEqual([...VALUES, ...ERRORS].sort());
  });

  it('every error is a DensescaleError with its own name', () => {
    const errors = api as unknown as Record<string, new (message: string) => Error>;
    for (const name of ERRORS) {
      const e = name === 'DensescaleError' ? new errors[name]!('x') : Object.create(errors[name]!.prototype);
      expect(e, name).toBeInstanceOf(api.DensescaleError);
      expect(errors[name]!.name).toBe(name);
    }
    expect(new api.ConfigError('must be positive', 'train.steps').message).toMatch(/train\.steps/);
  });

  it('a study through the front door: load, learn a vocabulary, train, evaluate, save, reload', async () => {
    const records = fixtureRecords();
    const jsonl = (rows: { id: string; text: string }[]) => rows.map((r) => JSON.stringify({ _id: r.id, text: r.text })).join('\n');
    const qrels = (split: 'train' | 'test') => `query-id\tcorpus-id\tscore\n${records.qrels[split]!.map((p) => `${p.queryId}\t${p.passageId}\t1`).join('\n')}\n`;
    const data = await api.loadRetrievalData(
      api.memorySource({ 'corpus.jsonl': jsonl(records.passages), 'queries.jsonl': jsonl(records.queries), 'qrels/train.tsv': qrels('train'), 'qrels/test.tsv': qrels('test') }),
    );
    expect(data.passageCount).toBe(48);
    const texts = [...records.passages, ...records.queries].map((r) => r.text);
    const tokenizer = await api.Tokenizer.fromVocab(await api.trainWordPieceVocab(texts, { vocabSize: 120 }));
    const config = api.modelConfig({ layers: 1, hidden: 16, heads: 2 }, { vocabSize: tokenizer.vocabSize, maxPositions: 16, projection: 8 });
    // One layer (QKV + output, FFN, two LayerNorms), the pooler dense, the projection: embeddings excluded.
    expect(api.paramCount(config, { nonEmbedding: true })).toBe(4 * 16 * 16 + 4 * 16 + 2 * 16 * 64 + 64 + 16 + 4 * 16 + (16 * 16 + 16) + (16 * 8 + 8));
    const device = await testDevice();
    const model = api.BiEncoder.create(device, config, { seed: 1, train: SHAPE });
    const measure = { split: 'test', negatives: 16, repeats: 2, seed: 1, queryLength: SHAPE.queryLength, passageLength: SHAPE.passageLength };
    try {
      const before = await api.contrastiveEntropy(model, tokenizer, data, measure);
      await api.train(model, api.PairDataset.fromRetrievalData(data, { split: 'train' }), tokenizer, { ...SHAPE, steps: 300, learningRate: 1e-2, warmup: 30, seed: 0 });
      const after = await api.contrastiveEntropy(model, tokenizer, data, measure);
      // Random scores give about ln(17) = 2.83 nats; the topic words make the test pairs learnable.
      expect(before.nats).toBeGreaterThan(2.3);
      expect(after.nats, `before ${before.nats}, after ${after.nats}`).toBeLessThan(before.nats - 0.5);
      const loaded = await api.loadCheckpoint(device, await api.modelFiles(model, tokenizer), { train: SHAPE });
      try {
        const again = await api.contrastiveEntropy(loaded.model, loaded.tokenizer, data, measure);
        expect(again.nats).toBe(after.nats);
      } finally {
        loaded.model.destroy();
        loaded.tokenizer.free();
      }
    } finally {
      model.destroy();
    }
  });

  it('fit, budget and report: a known joint law comes back, its optimum costs the budget, the report draws it', () => {
    const truth = { law: 'joint' as const, params: { A: 3e5, alpha: 0.5, B: 2e4, beta: 0.6, delta: 0.2 } };
    const points: api.FitPoint[] = [];
    for (const params of [1e5, 3e5, 1e6, 3e6, 1e7]) {
      for (const pairs of [1e3, 3e3, 1e4, 3e4, 1e5]) {
        const L = ((truth.params.A / params) ** (truth.params.alpha / truth.params.beta) + truth.params.B / pairs) ** truth.params.beta + truth.params.delta;
        points.push({ params, pairs, loss: L });
      }
    }
    const fit = api.fitScalingLaw(points, { law: 'joint', bootstrap: 0 });
    expect(fit.r2).toBeGreaterThan(0.9999);
    expect(fit.params.alpha).toBeCloseTo(0.5, 2);
    expect(fit.params.beta).toBeCloseTo(0.6, 2);
    const best = api.optimalAllocation(fit, { budget: 1e5 });
    expect(Math.abs(best.cost.total / 1e5 - 1)).toBeLessThan(1e-6);
    expect(best.predictedLoss).toBeCloseTo(fit.predict({ params: best.N, pairs: best.D }), 10);
    const html = api.renderReport({
      title: 'api test',
      runs: points.map((p, i) => ({ id: `r${i}`, preset: 'x', params: p.params!, pairs: p.pairs!, loss: p.loss })),
      fits: { joint: fit },
      frontier: api.budgetFrontier(fit, [1e4, 1e5, 1e6]),
      meta: { adapter: 'none', version: 'test', date: '2026-11-28', seed: 0 },
    });
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html.match(/<svg/g)!.length).toBeGreaterThanOrEqual(2);
  });
});
