// The embedded-default demo: a model-size sweep and a data-size sweep on WordNet word-sense retrieval,
// sized by adapter class, and the three fits (L(N) on the model sweep, L(D) on the data sweep, the joint
// L(N, D) on every run with the largest run held out and predicted).
//
// How the CPU grid was chosen (measurements in docs/SWEEP.md "Choosing the demo grid"):
// - Widths 8…48 at one layer, heads of width 8, span N = 0.9k…28k (32×). On lavapipe a step of a
//   one-layer model costs ~100 dispatches whatever its width, so narrow models cost little and the widest
//   takes about a fifth of the demo. A constant head width matters: mixing head widths put one model off
//   the curve.
// - Every run makes one pass over its data. Runs that repeat data (the paper's 2.5+ passes with early
//   stopping) were measured too: these from-scratch models memorise rare tokens through the embedding
//   table at every epoch boundary, which made early-stopped losses vary by ~2% between seeds (0.7% for
//   one-pass runs) and bent the joint law at the largest run. One pass at a fixed number of steps and
//   passages per step keeps every run in one regime.
// - Learning rates follow 0.25/H (measured optimum at H = 16 and 32), times √(b/64) for a batch of b.
import { ConfigError } from '../errors.js';
import { fitScalingLaw, type FitPoint, type ScalingFit } from '../scaling/fit.js';
import { validateSweepConfig, type SweepConfig } from './config.js';
import type { SweepRow } from './run.js';

export type DemoScale = 'quick' | 'cpu' | 'gpu';

/** A model-size sweep and a data-size sweep, and which runs each law is fitted on. */
export interface LawSweepPlan {
  /** What the grid was sized for (the demo: quick, cpu or gpu). */
  scale: string;
  config: SweepConfig;
  /** The model law's runs: these presets at D = `pairs` (human pairs, seed 0). */
  modelSweep: { presets: string[]; pairs: number };
  /** The data law's runs: this preset at these D. */
  dataSweep: { preset: string; pairs: number[] };
  /** The joint law holds out this many runs, the largest by N·D, and predicts them. */
  holdout: number;
  /** WordPiece vocabulary size to learn (when the dataset brings none). */
  vocabSize: number;
}

/**
 * The shape of a law sweep. Every run makes one pass over its D pairs in `steps` steps (no pair is seen
 * twice): the model sweep with batches of `batchSize` pairs (D = steps × batchSize), the data sweep with
 * batches of each of `dataBatches` pairs (D = steps × B). Every step scores `columns` passages per query
 * (the B in-batch positives plus columns − B random negatives), so runs differ in their annotations and
 * nothing else: not in the number of updates, nor in the number of negatives.
 */
export interface LawGrid {
  widths: number[];
  /** The width of the data sweep. */
  dataWidth: number;
  layers: number;
  /** Attention head width; a width it does not divide gets one head. */
  headDim: number;
  steps: number;
  /** Pairs per batch in the model sweep. */
  batchSize: number;
  /** Pairs per batch of each data-sweep run. */
  dataBatches: number[];
  /** Passages per batch: B positives plus columns − B random negatives. */
  columns: number;
  queryLength: number;
  passageLength: number;
  /** Peak learning rate of width H: scale / H. */
  learningRateScale: number;
  /** Early stopping on held-out pairs (one-pass runs do not need it). */
  validation?: { pairs: number; every: number; negatives: number; pool: number; patience?: number };
  eval: { negatives: number; repeats: number; maxPairs?: number; pool?: number; ranking: boolean; queryLength: number; passageLength: number };
  vocabSize: number;
}

/** Batch sizes of the data sweep: 4 … 64 in steps of about √2, so D spans 16× at fixed steps. */
const DATA_BATCHES = [4, 6, 8, 11, 16, 23, 32, 45, 64];

const GRIDS: Record<DemoScale, LawGrid> = {
  cpu: {
    widths: [8, 16, 24, 32, 48],
    dataWidth: 16,
    layers: 1,
    headDim: 8,
    steps: 200,
    batchSize: 64,
    dataBatches: DATA_BATCHES,
    columns: 64,
    queryLength: 16,
    passageLength: 32,
    learningRateScale: 0.25,
    eval: { negatives: 128, repeats: 2, maxPairs: 1024, pool: 4096, ranking: true, queryLength: 16, passageLength: 32 },
    vocabSize: 8192,
  },
  quick: {
    widths: [8, 12, 16, 24, 32],
    dataWidth: 12,
    layers: 1,
    headDim: 8,
    steps: 60,
    batchSize: 64,
    dataBatches: DATA_BATCHES,
    columns: 64,
    queryLength: 16,
    passageLength: 32,
    learningRateScale: 0.25,
    eval: { negatives: 64, repeats: 1, maxPairs: 512, pool: 2048, ranking: true, queryLength: 16, passageLength: 32 },
    vocabSize: 8192,
  },
  gpu: {
    widths: [64, 96, 128, 192, 256],
    dataWidth: 128,
    layers: 2,
    headDim: 32,
    steps: 320,
    batchSize: 128,
    dataBatches: [8, 11, 16, 23, 32, 45, 64, 91, 128],
    columns: 256,
    queryLength: 24,
    passageLength: 48,
    learningRateScale: 0.25,
    eval: { negatives: 256, repeats: 10, ranking: true, queryLength: 32, passageLength: 64 },
    vocabSize: 16384,
  },
};

/** The grid for an adapter: CPU adapters (lavapipe, SwiftShader, a browser's fallback) get the CPU grid. */
export function demoScale(adapter: { isFallbackAdapter: boolean; vendor: string; architecture: string }, quick: boolean): DemoScale {
  if (quick) return 'quick';
  const cpu = adapter.isFallbackAdapter || /^(mesa|google)$/.test(adapter.vendor) && /software|swiftshader/.test(adapter.architecture);
  return cpu ? 'cpu' : 'gpu';
}

/**
 * The demo's sweep for a scale, and which runs each law uses.
 *
 * @example
 * const plan = demoPlan(demoScale(device.info, false));
 * await sweep({ device, data, tokenizer, config: plan.config, ... });
 */
export function demoPlan(scale: DemoScale): LawSweepPlan {
  return lawSweepPlan(GRIDS[scale], scale, `WordNet word-sense retrieval, ${scale} demo`);
}

/**
 * A model-size and a data-size sweep from a grid: shapes `demo-L<layers>-H<width>`, the model sweep at
 * the grid's D, the data sweep at the data width, human pairs and seed 0 throughout.
 *
 * @example
 * const plan = lawSweepPlan({ ...grid, widths: [16, 32, 64] }, 'cpu', 'my sweep');
 */
export function lawSweepPlan(g: LawGrid, scale: string, name: string): LawSweepPlan {
  const preset = (h: number) => `demo-L${g.layers}-H${h}`;
  const shapes = Object.fromEntries(g.widths.map((h) => [preset(h), { layers: g.layers, hidden: h, heads: h % g.headDim === 0 ? h / g.headDim : 1 }]));
  if (!g.widths.includes(g.dataWidth)) throw new ConfigError(`the data width ${g.dataWidth} is not one of the widths ${g.widths.join(', ')}`, 'dataWidth');
  for (const b of [g.batchSize, ...g.dataBatches]) if (b > g.columns) throw new ConfigError(`a batch of ${b} pairs exceeds the ${g.columns} passages per batch`, 'columns');
  const modelPairs = g.steps * g.batchSize;
  const dataPairs = g.dataBatches.map((b) => g.steps * b);
  const presets = g.widths.map(preset);
  const dataPreset = preset(g.dataWidth);
  const batch = (b: number) => ({ batchSize: b, negatives: g.columns - b });
  // Adam's square-root rule: a batch of b pairs gets √(b/B) times the model sweep's peak rate, so small
  // batches are not trained with a step size tuned for large ones.
  const dataRate = (b: number) => Number(((g.learningRateScale / g.dataWidth) * Math.sqrt(b / g.batchSize)).toPrecision(3));
  const config = validateSweepConfig(
    {
      name,
      shapes,
      // Cheap runs first: the data sweep at its middle width, then the model sweep from small to large, so
      // the ETA has measured rates before the expensive runs.
      grid: [
        ...g.dataBatches.filter((b) => b !== g.batchSize).map((b) => ({ preset: [dataPreset], pairs: [g.steps * b], train: { ...batch(b), learningRate: dataRate(b) } })),
        { preset: presets, pairs: [modelPairs] },
      ],
      model: { maxPositions: Math.max(g.queryLength, g.passageLength, g.eval.queryLength, g.eval.passageLength), projection: 0, pooler: false },
      train: {
        steps: g.steps,
        ...batch(g.batchSize),
        queryLength: g.queryLength,
        passageLength: g.passageLength,
        learningRate: Object.fromEntries(g.widths.map((h) => [preset(h), Number((g.learningRateScale / h).toPrecision(3))])),
        warmup: Math.round(g.steps / 10),
        weightDecay: 0.01,
        maxGradNorm: 1,
        ...(g.validation === undefined ? {} : { validation: g.validation }),
      },
      eval: { split: 'test', seed: 1, ...g.eval },
    },
    { methods: ['human'] },
  );
  return { scale, config, modelSweep: { presets, pairs: modelPairs }, dataSweep: { preset: dataPreset, pairs: dataPairs }, holdout: 1, vocabSize: g.vocabSize };
}

export interface DemoFits {
  model: ScalingFit;
  data: ScalingFit;
  joint: ScalingFit;
  /** Ids of the runs each law was fitted on (joint: fitted and held out). */
  modelRuns: string[];
  dataRuns: string[];
  jointRuns: string[];
  /** Ids of the joint law's held-out runs. */
  heldOut: string[];
}

const point = (r: SweepRow): FitPoint => ({ params: r.params, pairs: r.pairs, loss: r.loss });

/**
 * Fits the three laws of a law sweep to its rows (rows of other sweeps in the same file are ignored).
 *
 * @example
 * const fits = fitDemo(rows, plan);
 * fits.model.r2; fits.joint.heldOut?.relErrors;
 */
export function fitDemo(rows: readonly SweepRow[], plan: LawSweepPlan, options: { bootstrap?: number } = {}): DemoFits {
  const bootstrap = options.bootstrap ?? 200;
  const mine = rows.filter((r) => r.method === 'human' && r.seed === 0);
  const modelRows = plan.modelSweep.presets.map((p) => mine.find((r) => r.preset === p && r.pairs === plan.modelSweep.pairs)).filter((r) => r !== undefined);
  const dataRows = plan.dataSweep.pairs.map((d) => mine.find((r) => r.preset === plan.dataSweep.preset && r.pairs === d)).filter((r) => r !== undefined);
  if (modelRows.length < 4 || dataRows.length < 4) throw new ConfigError(`the demo needs its runs first: ${modelRows.length} model-sweep and ${dataRows.length} data-sweep runs found`, 'runs');
  const jointRows = [...new Map([...dataRows, ...modelRows].map((r) => [r.id, r])).values()];
  const model = fitScalingLaw(modelRows.map(point), { law: 'model', bootstrap, seed: 0 });
  const data = fitScalingLaw(dataRows.map(point), { law: 'data', bootstrap, seed: 0 });
  const joint = fitScalingLaw(jointRows.map(point), { law: 'joint', bootstrap, seed: 0, holdout: { largest: plan.holdout, by: 'compute' } });
  const byCompute = [...jointRows].sort((a, b) => b.params * b.pairs - a.params * a.pairs);
  return {
    model,
    data,
    joint,
    modelRuns: modelRows.map((r) => r.id),
    dataRuns: dataRows.map((r) => r.id),
    jointRuns: jointRows.map((r) => r.id),
    heldOut: byCompute.slice(0, plan.holdout).map((r) => r.id),
  };
}
