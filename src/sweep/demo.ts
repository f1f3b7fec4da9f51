// The embedded-default demo: a model-size sweep, a data-size sweep and a joint grid on WordNet word-sense
// retrieval, sized by adapter class, and the three fits (L(N) on the model sweep, L(D) on the data sweep,
// the joint L(N, D) on every run with the largest run by N·D held out and predicted).
//
// How the CPU grid was chosen (measurements in docs/SWEEP.md "Choosing the demo grid"):
// - Widths 8…48 at one layer, heads of width 8, span N = 0.9k…28k (32×). On lavapipe a step of a
//   one-layer model costs ~100 dispatches whatever its width, so narrow models cost little and the widest
//   takes about 40% of the demo. A constant head width matters: mixing head widths put one model off
//   the curve.
// - Every run makes one pass over its data at a fixed number of steps, so D is set by the batch. Runs
//   that repeat data (the paper's 2.5+ passes with early stopping) were measured too: these from-scratch
//   models memorise rare tokens through the embedding table at every epoch boundary, which made
//   early-stopped losses vary by ~2% between seeds (0.7% for one-pass runs) and bent the joint law.
// - The joint law gets a real grid: every width at three D, as the paper fits it on its whole N × D grid.
//   Fitted on an L (one data sweep at one width, one model sweep at one D) it had to extrapolate the
//   widest model to the largest D from the other arm, and missed by 13%.
// - D starts at 3,200 pairs: below ~3k pairs these models hardly leave the random-guess plateau, and the
//   data law's losses bent the wrong way there (R² 0.92 with them, 0.99 without).
// - Every batch has random negatives (96 passages per query at every batch up to 64): with none at the
//   largest batch, that run fell off the data curve.
// - Learning rates are 0.25/H at every batch: Adam's square-root rule for smaller batches gave higher
//   losses at every smaller batch measured (these runs are far from converged, so step size is progress).
import { ConfigError } from '../errors.js';
import { fitScalingLaw, type FitPoint, type ScalingFit } from '../scaling/fit.js';
import { validateSweepConfig, type SweepConfig } from './config.js';
import type { SweepRow } from './run.js';

export type DemoScale = 'quick' | 'cpu' | 'gpu';

/** A model-size sweep, a data-size sweep and a joint grid, and which runs each law is fitted on. */
export interface LawSweepPlan {
  /** What the grid was sized for (the demo: quick, cpu or gpu). */
  scale: string;
  config: SweepConfig;
  /** The model law's runs: these presets at D = `pairs` (human pairs, seed 0). */
  modelSweep: { presets: string[]; pairs: number };
  /** The data law's runs: this preset at these D. */
  dataSweep: { preset: string; pairs: number[] };
  /**
   * The joint law's grid: every one of these presets at every one of these D (the data sweep's other runs
   * join it). Absent: the joint law is fitted on the model and data sweeps alone.
   */
  jointSweep?: { presets: string[]; pairs: number[] };
  /** The joint law holds out this many runs, the largest by N·D, and predicts them. */
  holdout: number;
  /** WordPiece vocabulary size to learn (when the dataset brings none). */
  vocabSize: number;
}

/**
 * The shape of a law sweep. Every run makes one pass over its D pairs in `steps` steps (no pair is seen
 * twice), with batches of b pairs, so D = steps × b: the model sweep at b = `batchSize` (the largest), the
 * data sweep at each b of `dataBatches` at the data width, and the joint grid at each b of `jointBatches`
 * at every width. Every step scores `columns` passages per query (the b in-batch positives plus
 * columns − b > 0 random negatives), so runs differ in their annotations and nothing else: not in the
 * number of updates, nor in the number of passages a query is scored against.
 */
export interface LawGrid {
  widths: number[];
  /** The width of the data sweep. */
  dataWidth: number;
  layers: number;
  /** Attention head width; a width it does not divide gets one head. */
  headDim: number;
  steps: number;
  /** Pairs per batch in the model sweep: the largest of `dataBatches`. */
  batchSize: number;
  /** Pairs per batch of each data-sweep run. */
  dataBatches: number[];
  /** Pairs per batch of the joint grid, at every width: some of `dataBatches`, `batchSize` among them. */
  jointBatches: number[];
  /** Passages per batch: b positives plus columns − b random negatives; more than every batch. */
  columns: number;
  queryLength: number;
  passageLength: number;
  /** Peak learning rate of width H at the largest batch: scale / H. */
  learningRateScale: number;
  /** A batch of b gets (b / batchSize)^power times the largest batch's rate (0.5: Adam's square-root rule). */
  learningRateBatchPower: number;
  /** Early stopping on held-out pairs (one-pass runs do not need it). */
  validation?: { pairs: number; every: number; negatives: number; pool: number; patience?: number };
  eval: { negatives: number; repeats: number; maxPairs?: number; pool?: number; ranking: boolean; queryLength: number; passageLength: number };
  vocabSize: number;
}

const GRIDS: Record<DemoScale, LawGrid> = {
  cpu: {
    widths: [8, 16, 24, 32, 48],
    dataWidth: 16,
    layers: 1,
    headDim: 8,
    steps: 400,
    batchSize: 64,
    // D = 3,200 … 25,600 (8×) in steps of about √2: below ~3k pairs these models barely leave the
    // random-guess plateau, and losses there bend the power law.
    dataBatches: [8, 11, 16, 23, 32, 45, 64],
    jointBatches: [16, 32, 64],
    columns: 96,
    queryLength: 16,
    passageLength: 32,
    learningRateScale: 0.25,
    learningRateBatchPower: 0,
    eval: { negatives: 128, repeats: 2, maxPairs: 1024, pool: 4096, ranking: true, queryLength: 16, passageLength: 32 },
    vocabSize: 8192,
  },
  quick: {
    widths: [8, 12, 16, 24, 32],
    // The data sweep at a wider model, which leaves the random-guess plateau at fewer pairs.
    dataWidth: 32,
    layers: 1,
    headDim: 8,
    steps: 150,
    batchSize: 64,
    // D = 2,400 … 9,600 (4×); 120 steps put the narrowest model off its curve.
    dataBatches: [16, 23, 32, 45, 64],
    jointBatches: [32, 64],
    columns: 96,
    queryLength: 16,
    passageLength: 32,
    learningRateScale: 0.25,
    learningRateBatchPower: 0,
    eval: { negatives: 128, repeats: 1, maxPairs: 512, pool: 2048, ranking: true, queryLength: 16, passageLength: 32 },
    vocabSize: 8192,
  },
  gpu: {
    widths: [64, 96, 128, 192, 256],
    dataWidth: 128,
    layers: 2,
    headDim: 32,
    steps: 320,
    batchSize: 128,
    dataBatches: [16, 23, 32, 45, 64, 91, 128],
    jointBatches: [32, 64, 128],
    columns: 256,
    queryLength: 24,
    passageLength: 48,
    learningRateScale: 0.25,
    learningRateBatchPower: 0,
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

/** The demo's grid for a scale (a copy), e.g. to derive a variant for `lawSweepPlan`. */
export function demoGrid(scale: DemoScale): LawGrid {
  return structuredClone(GRIDS[scale]);
}

/**
 * A model-size sweep, a data-size sweep and a joint grid from a grid: shapes `demo-L<layers>-H<width>`,
 * the model sweep at the largest batch, the data sweep at the data width, the joint grid at every width ×
 * `jointBatches`, human pairs and seed 0 throughout.
 *
 * @example
 * const plan = lawSweepPlan({ ...demoGrid('cpu'), widths: [16, 32, 64], dataWidth: 32 }, 'cpu', 'my sweep');
 */
export function lawSweepPlan(g: LawGrid, scale: string, name: string): LawSweepPlan {
  const preset = (h: number) => `demo-L${g.layers}-H${h}`;
  const shapes = Object.fromEntries(g.widths.map((h) => [preset(h), { layers: g.layers, hidden: h, heads: h % g.headDim === 0 ? h / g.headDim : 1 }]));
  if (!g.widths.includes(g.dataWidth)) throw new ConfigError(`the data width ${g.dataWidth} is not one of the widths ${g.widths.join(', ')}`, 'dataWidth');
  if (Math.max(...g.dataBatches) !== g.batchSize) throw new ConfigError(`the model sweep's batch ${g.batchSize} is not the largest of the data sweep's ${g.dataBatches.join(', ')}`, 'batchSize');
  for (const b of g.jointBatches) if (!g.dataBatches.includes(b)) throw new ConfigError(`the joint grid's batch ${b} is not one of the data sweep's ${g.dataBatches.join(', ')}`, 'jointBatches');
  if (!g.jointBatches.includes(g.batchSize)) throw new ConfigError(`the joint grid lacks the model sweep's batch ${g.batchSize}`, 'jointBatches');
  if (g.batchSize >= g.columns) throw new ConfigError(`a batch of ${g.batchSize} pairs leaves no random negative among ${g.columns} passages per batch`, 'columns');
  const presets = g.widths.map(preset);
  const dataPreset = preset(g.dataWidth);
  // A batch of b pairs gets (b/B)^power times the largest batch's peak rate scale/H. The demo's grids use
  // power 0 (one rate per width): Adam's square-root rule (0.5) trained every smaller batch worse.
  const rate = (h: number, b: number) => Number(((g.learningRateScale / h) * (b / g.batchSize) ** g.learningRateBatchPower).toPrecision(3));
  const run = (h: number, b: number) => ({ preset: [preset(h)], pairs: [g.steps * b], train: { batchSize: b, negatives: g.columns - b, learningRate: rate(h, b) } });
  // Cheap runs first: the data sweep at its width, then the joint grid from narrow to wide, so the ETA
  // has measured rates before the expensive runs.
  const grid = [
    ...g.dataBatches.map((b) => run(g.dataWidth, b)),
    ...g.widths.filter((h) => h !== g.dataWidth).flatMap((h) => g.jointBatches.map((b) => run(h, b))),
  ];
  const config = validateSweepConfig(
    {
      name,
      shapes,
      grid,
      model: { maxPositions: Math.max(g.queryLength, g.passageLength, g.eval.queryLength, g.eval.passageLength), projection: 0, pooler: false },
      train: {
        steps: g.steps,
        batchSize: g.batchSize,
        negatives: g.columns - g.batchSize,
        queryLength: g.queryLength,
        passageLength: g.passageLength,
        learningRate: Object.fromEntries(g.widths.map((h) => [preset(h), rate(h, g.batchSize)])),
        warmup: Math.round(g.steps / 10),
        weightDecay: 0.01,
        maxGradNorm: 1,
        ...(g.validation === undefined ? {} : { validation: g.validation }),
      },
      eval: { split: 'test', seed: 1, ...g.eval },
    },
    { methods: ['human'] },
  );
  return {
    scale,
    config,
    modelSweep: { presets, pairs: g.steps * g.batchSize },
    dataSweep: { preset: dataPreset, pairs: g.dataBatches.map((b) => g.steps * b) },
    jointSweep: { presets, pairs: g.jointBatches.map((b) => g.steps * b) },
    holdout: 1,
    vocabSize: g.vocabSize,
  };
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
  const gridRows = (plan.jointSweep?.presets ?? []).flatMap((p) => plan.jointSweep!.pairs.map((d) => mine.find((r) => r.preset === p && r.pairs === d))).filter((r) => r !== undefined);
  const jointRows = [...new Map([...dataRows, ...gridRows, ...modelRows].map((r) => [r.id, r])).values()];
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
