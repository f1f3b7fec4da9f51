// Sweep configuration validation (every error names its field path) and run planning (stable ids that
// change exactly when something that decides a result changes).
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { modelConfig, paramCount } from '../../src/model/config.js';
import { learningRateFor, validateSweepConfig } from '../../src/sweep/config.js';
import { planRuns, runId } from '../../src/sweep/plan.js';

const METHODS = { methods: ['human', 'ict', 'crop'] };
const BASE = {
  grid: { preset: ['cpu-1', 'cpu-2'], pairs: [100, 200] },
  train: { steps: 10, batchSize: 4, negatives: 4, queryLength: 8, passageLength: 16, learningRate: 1e-3 },
  eval: { queryLength: 8, passageLength: 16 },
};
const CONTEXT = { dataset: 'd0', tokenizer: 't0', vocabSize: 100 };

function fails(change: (c: Record<string, any>) => void, message: string): void {
  const c = structuredClone(BASE) as Record<string, any>;
  change(c);
  let error: unknown;
  try {
    validateSweepConfig(c, METHODS);
  } catch (e) {
    error = e;
  }
  expect(error, message).toBeInstanceOf(ConfigError);
  expect((error as Error).message).toContain(message);
}

describe('validateSweepConfig', () => {
  it('fills defaults: one human seed-0 grid, paper evaluation settings, subset seed 521', () => {
    const c = validateSweepConfig(BASE, METHODS);
    expect(c.grid).toEqual([{ preset: ['cpu-1', 'cpu-2'], pairs: [100, 200], method: ['human'], seed: [0] }]);
    expect(c.eval).toEqual({ split: 'test', negatives: 256, repeats: 10, seed: 1, queryLength: 8, passageLength: 16, ranking: false });
    expect(c.train).toMatchObject({ warmup: 0, weightDecay: 0.01, maxGradNorm: 1 });
    expect(c.subsetSeed).toBe(521);
    expect(c.shapes).toEqual({});
    expect(c.trainSplit).toBe('train');
  });

  it('names the path of every bad value', () => {
    fails((c) => (c.grid.preset[1] = 'x'), 'grid.preset[1]: unknown preset "x"');
    fails((c) => (c.grid = [c.grid, { preset: ['cpu-1', 'cpu-2', 'nope'], pairs: [1] }]), 'grid[1].preset[2]: unknown preset "nope"');
    fails((c) => (c.grid.pairs = [100, 0]), 'grid.pairs[1]: expected an integer ≥ 1, got 0');
    fails((c) => (c.grid.pairs = []), 'grid.pairs: expected a non-empty array');
    fails((c) => (c.grid.method = ['human', 'llm']), 'grid.method[1]: unknown annotation method "llm"');
    fails((c) => (c.grid.seed = [-1]), 'grid.seed[0]');
    fails((c) => (c.grid.presets = ['cpu-1']), 'grid.presets: unknown field');
    fails((c) => (c.train.stepz = 3), 'train.stepz: unknown field');
    fails((c) => delete c.train.steps, 'train.steps: expected an integer ≥ 1, got nothing');
    fails((c) => (c.train.learningRate = -1), 'train.learningRate: expected a positive number');
    fails((c) => (c.train.learningRate = { 'cpu-1': 1e-3 }), 'train.learningRate: no learning rate for preset "cpu-2"');
    fails((c) => (c.train.learningRate = { '*': 1e-3, 'cpu-9': 1 }), 'train.learningRate.cpu-9: unknown preset "cpu-9"');
    fails((c) => (c.shapes = { 'cpu-1': { layers: 1, hidden: 8, heads: 1 } }), 'shapes.cpu-1: "cpu-1" is a built-in preset');
    fails((c) => (c.shapes = { w: { layers: 1, hidden: 12, heads: 5 } }), 'shapes.w.heads: hidden 12 is not divisible by heads 5');
    fails((c) => (c.shapes = { w: { layers: 1, hidden: 6, heads: 1 } }), 'shapes.w.hidden: must be a multiple of 4');
    fails((c) => (c.train.warmup = 11), 'train.warmup: warmup 11 exceeds steps 10');
    fails((c) => (c.train.validation = { pairs: 5, every: 0, negatives: 2, pool: 4 }), 'train.validation.every');
    fails((c) => (c.eval.pool = 3), 'eval.pool: a pool of 3 passages cannot give 256 distinct negatives');
    fails((c) => (c.eval.ranking = 'yes'), 'eval.ranking: expected true or false');
    fails((c) => (c.eval.split = 'train'), 'eval.split: the evaluation split must differ');
    fails((c) => (c.model = { projection: -1 }), 'model.projection');
    fails((c) => (c.model = { hidden: 64 }), 'model.hidden: unknown field');
    fails((c) => (c.model = { maxPositions: 12 }), 'train.passageLength: 16 tokens exceed model.maxPositions 12');
    fails((c) => (c.data = {}), 'data: unknown field');
  });

  it('takes per-grid training overrides and names their bad fields', async () => {
    const c = validateSweepConfig({ ...BASE, grid: [BASE.grid, { preset: ['cpu-1'], pairs: [50], train: { batchSize: 2, negatives: 6, steps: 20, learningRate: 3e-4 } }] }, METHODS);
    expect(c.grid[1]!.train).toEqual({ batchSize: 2, negatives: 6, steps: 20, learningRate: 3e-4 });
    const runs = await planRuns(c, CONTEXT);
    expect(runs.at(-1)!.spec.train).toMatchObject({ batchSize: 2, negatives: 6, steps: 20, queryLength: 8, learningRate: 3e-4 });
    expect(runs[0]!.spec.train).toMatchObject({ batchSize: 4, negatives: 4, steps: 10 });
    fails((c) => (c.grid.train = { learningRate: 0 }), 'grid.train.learningRate: expected a positive number');
    fails((c) => (c.grid.train = { queryLength: 4 }), 'grid.train.queryLength: unknown field');
    fails((c) => (c.grid.train = { batchSize: 0 }), 'grid.train.batchSize: expected an integer ≥ 1, got 0');
    fails((c) => (c.grid.train = { steps: 3, warmup: 4 }), 'grid[0].train.warmup: warmup 4 exceeds steps 3');
  });

  it('accepts fields another layer owns when told to', () => {
    expect(validateSweepConfig({ ...BASE, data: { source: 'wordnet' } }, { ...METHODS, ignore: ['data'] }).name).toBe('sweep');
  });

  it('resolves per-preset learning rates with a "*" default', () => {
    const c = validateSweepConfig({ ...BASE, train: { ...BASE.train, learningRate: { '*': 1e-3, 'cpu-2': 5e-4 } } }, METHODS);
    expect(learningRateFor(c.train, 'cpu-1')).toBe(1e-3);
    expect(learningRateFor(c.train, 'cpu-2')).toBe(5e-4);
  });
});

describe('planRuns', () => {
  it('expands the grid in order with N = paramCount(nonEmbedding) and drops duplicates', async () => {
    const c = validateSweepConfig({ ...BASE, grid: [BASE.grid, { preset: ['cpu-1'], pairs: [200, 50], method: ['human', 'ict'] }] }, METHODS);
    const runs = await planRuns(c, CONTEXT);
    expect(runs.map((r) => `${r.spec.preset}/${r.spec.pairs}/${r.spec.method}`)).toEqual([
      'cpu-1/100/human', 'cpu-1/200/human', 'cpu-2/100/human', 'cpu-2/200/human', 'cpu-1/200/ict', 'cpu-1/50/human', 'cpu-1/50/ict',
    ]);
    expect(runs[2]!.params).toBe(paramCount(modelConfig('cpu-2', { vocabSize: 100 }), { nonEmbedding: true }));
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    for (const r of runs) expect(r.id).toBe(await runId(r.spec));
  });

  it('resolves custom shapes, whose definition is part of the run id', async () => {
    const shaped = (hidden: number) => validateSweepConfig({ ...BASE, shapes: { w: { layers: 1, hidden, heads: 2 } }, grid: { preset: ['w'], pairs: [100] } }, METHODS);
    const [a] = await planRuns(shaped(16), CONTEXT);
    const [b] = await planRuns(shaped(24), CONTEXT);
    expect(a!.spec.model).toMatchObject({ layers: 1, hidden: 16, heads: 2, intermediate: 64 });
    expect(a!.params).toBe(paramCount(modelConfig({ layers: 1, hidden: 16, heads: 2 }, { vocabSize: 100 }), { nonEmbedding: true }));
    expect(a!.id).not.toBe(b!.id);
  });

  it('gives the same ids whatever the key order, and new ids when a result-deciding input changes', async () => {
    const ids = async (config: unknown, context = CONTEXT) => (await planRuns(validateSweepConfig(config, METHODS), context)).map((r) => r.id);
    const base = await ids(BASE);
    const reordered = { eval: { passageLength: 16, queryLength: 8 }, train: Object.fromEntries(Object.entries(BASE.train).reverse()), grid: BASE.grid };
    expect(await ids(reordered)).toEqual(base);
    expect(base.every((id) => /^[0-9a-f]{12}$/.test(id))).toBe(true);
    const changed = [
      await ids({ ...BASE, train: { ...BASE.train, steps: 11 } }),
      await ids({ ...BASE, eval: { ...BASE.eval, seed: 2 } }),
      await ids({ ...BASE, model: { projection: 0 } }),
      await ids(BASE, { ...CONTEXT, dataset: 'd1' }),
      await ids(BASE, { ...CONTEXT, tokenizer: 't1' }),
      await ids(BASE, { ...CONTEXT, vocabSize: 101 }),
    ];
    for (const c of changed) for (let i = 0; i < base.length; i++) expect(c[i]).not.toBe(base[i]);
  });
});
