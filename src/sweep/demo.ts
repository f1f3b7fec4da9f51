// The embedded-default demo: a model-size sweep and a data-size sweep on WordNet word-sense retrieval,
// sized by adapter class, and the three fits (L(N) on the model sweep, L(D) on the data sweep, the joint
// L(N, D) on every run with the largest runs held out and predicted).
//
// How the CPU grid was chosen (measurements in README "The demo"): on lavapipe a training step of a
// one-layer model costs a fixed ~100 dispatches whatever its width, so the smallest widths cost nearly
// the same and the step count, not N, sets the budget. Widths 8…48 at one layer span N = 0.9k…28k (32×)
// for about one fifth of the demo's time in the largest model. The model sweep trains every width on one
// epoch of D = steps·batch pairs; the data sweep trains one width on D = that epoch / 16 … the epoch, so
// small sets see many epochs and are limited by data (validation keeps their best step). Learning rates
// follow 0.25/H (measured optimum at H = 16 and 32; wider models want proportionally less).
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

/** The shape of a law sweep: widths of one depth, one step budget, data sizes as fractions of the model sweep's D. */
export interface LawGrid {
  widths: number[];
  /** The width of the data sweep (the paper: its largest model). */
  dataWidth: number;
  layers: number;
  /** Attention head width; a width it does not divide gets one head. */
  headDim: number;
  steps: number;
  batchSize: number;
  negatives: number;
  queryLength: number;
  passageLength: number;
  /** D of the model sweep (the data sweep's largest D). */
  modelPairs: number;
  /** D of the data sweep as fractions of the model sweep's D. */
  fractions: number[];
  /** Peak learning rate of width H: scale / H. */
  learningRateScale: number;
  validation: { pairs: number; every: number; negatives: number; pool: number; patience: number };
  eval: { negatives: number; repeats: number; maxPairs?: number; pool?: number; ranking: boolean; queryLength: number; passageLength: number };
  vocabSize: number;
}

/**
 * The data sweep: D from 1/8 of the model sweep's D up to it in steps of √2. The model sweep's D is a
 * quarter of the samples a run sees (steps × batch), so every run makes at least four passes over its
 * data and reaches its best validation step within the step budget: losses are limited by N and D, the
 * two axes of the laws, not by the number of steps (a one-pass run is, and does not fit the joint law).
 */
const DATA_FRACTIONS = [1 / 8, Math.SQRT1_2 / 4, 1 / 4, Math.SQRT1_2 / 2, 1 / 2, Math.SQRT1_2, 1];

const GRIDS: Record<DemoScale, LawGrid> = {
  cpu: {
    widths: [8, 16, 24, 32, 48],
    dataWidth: 48,
    steps: 200,
    batchSize: 64,
    negatives: 0,
    queryLength: 16,
    passageLength: 32,
    modelPairs: 3200,
    fractions: DATA_FRACTIONS,
    learningRateScale: 0.25,
    validation: { pairs: 256, every: 10, negatives: 32, pool: 512, patience: 4 },
    eval: { negatives: 128, repeats: 2, maxPairs: 1024, pool: 4096, ranking: true, queryLength: 16, passageLength: 32 },
    vocabSize: 8192,
    layers: 1,
    headDim: 8,
  },
  quick: {
    widths: [8, 12, 16, 24, 32],
    dataWidth: 32,
    steps: 60,
    batchSize: 64,
    negatives: 0,
    queryLength: 16,
    passageLength: 32,
    modelPairs: 960,
    fractions: DATA_FRACTIONS,
    learningRateScale: 0.25,
    validation: { pairs: 128, every: 5, negatives: 32, pool: 512, patience: 4 },
    eval: { negatives: 64, repeats: 1, maxPairs: 512, pool: 2048, ranking: true, queryLength: 16, passageLength: 32 },
    vocabSize: 8192,
    layers: 1,
    headDim: 16,
  },
  gpu: {
    widths: [64, 96, 128, 192, 256],
    dataWidth: 256,
    steps: 2000,
    batchSize: 128,
    negatives: 128,
    queryLength: 24,
    passageLength: 48,
    modelPairs: 40_000,
    fractions: DATA_FRACTIONS,
    learningRateScale: 0.25,
    validation: { pairs: 1000, every: 200, negatives: 256, pool: 8192, patience: 3 },
    eval: { negatives: 256, repeats: 10, ranking: true, queryLength: 32, passageLength: 64 },
    vocabSize: 16384,
    layers: 2,
    headDim: 32,
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
  const modelPairs = g.modelPairs;
  const dataPairs = g.fractions.map((f) => Math.round(f * modelPairs));
  const presets = g.widths.map(preset);
  if (!g.widths.includes(g.dataWidth)) throw new ConfigError(`the data width ${g.dataWidth} is not one of the widths ${g.widths.join(', ')}`, 'dataWidth');
  const dataPreset = preset(g.dataWidth);
  const config = validateSweepConfig(
    {
      name,
      shapes,
      // Cheap runs first: the data sweep's small sets (validation stops them early), then the model sweep
      // from small to large, so the ETA has measured rates before the expensive runs.
      grid: [
        { preset: [dataPreset], pairs: dataPairs },
        { preset: presets, pairs: [modelPairs] },
      ],
      model: { maxPositions: Math.max(g.queryLength, g.passageLength, g.eval.queryLength, g.eval.passageLength), projection: 0, pooler: false },
      train: {
        steps: g.steps,
        batchSize: g.batchSize,
        negatives: g.negatives,
        queryLength: g.queryLength,
        passageLength: g.passageLength,
        learningRate: Object.fromEntries(g.widths.map((h) => [preset(h), Number((g.learningRateScale / h).toPrecision(3))])),
        warmup: Math.round(g.steps / 10),
        weightDecay: 0.01,
        maxGradNorm: 1,
        validation: g.validation,
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
