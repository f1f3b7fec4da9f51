// sweep(): a grid of model presets × training-set sizes × annotation methods × seeds, each run trained,
// evaluated on the human test pairs and handed to onResult as one row. The library does no IO: the caller
// says which runs are finished (skip), stores rows (onResult) and provides per-run checkpoint stores; the
// CLI does these with files (src/cli/sweep.ts).
//
// Runs are independent units (RunSpec → SweepRow, see plan.ts and run.ts), executed one after another on
// one device here; each can equally be sent to a worker through a queue, because everything it needs is
// in its spec plus the environment built below from the same data and tokenizer.
import { ConfigError } from '../errors.js';
import type { Annotation, AnnotationMethod } from '../annotate/annotation.js';
import { ANNOTATION_METHODS } from '../annotate/methods.js';
import type { RetrievalData } from '../data/retrieval.js';
import type { Device } from '../gpu/device.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { SweepConfig } from './config.js';
import { EVAL_SET_SPLIT, evaluationSet, samplePairs, validationPairs } from './evalset.js';
import { datasetFingerprint, planRuns, tokenizerFingerprint, type PlannedRun } from './plan.js';
import { EtaModel, type SweepProgress } from './progress.js';
import { runSweepRun, type RunCheckpointStore, type RunEnvironment, type SweepRow } from './run.js';

export interface SweepOptions {
  device: Device;
  /** The human-annotated dataset: its training split feeds the methods, its eval split scores every run. */
  data: RetrievalData;
  tokenizer: Tokenizer;
  /** A validated configuration (validateSweepConfig). */
  config: SweepConfig;
  /** Annotation plug-ins besides the built-ins (human, ict, crop), e.g. fileMethod(...), by grid name. */
  methods?: Readonly<Record<string, AnnotationMethod>>;
  /** Input fingerprints of plug-ins that read one (a file's SHA-256), so a changed file changes run ids. */
  methodInputs?: Readonly<Record<string, string>>;
  /** True for runs already finished (their rows stored): they are not run again. */
  skip?: (id: string) => boolean | Promise<boolean>;
  /** Receives each finished run's row; the sweep waits for it (store the row before the next run). */
  onResult?: (row: SweepRow) => void | Promise<void>;
  /** A checkpoint store per run id: an interrupted run resumes from its last saved step. */
  checkpoints?: (id: string) => RunCheckpointStore;
  /** Checkpoint every this many steps (default 50). */
  checkpointEvery?: number;
  onProgress?: (progress: SweepProgress) => void;
  signal?: AbortSignal;
  /** Clock for elapsed times and the ETA (default performance.now). */
  now?: () => number;
}

/**
 * Plans a sweep without running it: every run's id, spec and N, in execution order.
 *
 * @example
 * const runs = await planSweep({ data, tokenizer, config });
 * console.log(runs.length, runs[0].id);
 */
export async function planSweep(options: Pick<SweepOptions, 'data' | 'tokenizer' | 'config' | 'methods' | 'methodInputs'>): Promise<PlannedRun[]> {
  const methods = { ...ANNOTATION_METHODS, ...options.methods };
  for (const [g, grid] of options.config.grid.entries()) {
    grid.method.forEach((m, i) => {
      if (methods[m] === undefined) throw new ConfigError(`unknown annotation method "${m}" (have: ${Object.keys(methods).join(', ')})`, `grid[${g}].method[${i}]`);
    });
  }
  return planRuns(options.config, {
    dataset: await datasetFingerprint(options.data),
    tokenizer: await tokenizerFingerprint(options.tokenizer),
    vocabSize: options.tokenizer.vocabSize,
    ...(options.methodInputs === undefined ? {} : { methodInputs: options.methodInputs }),
  });
}

/**
 * The environment runs share: annotations (cached per method and seed), the test set and the
 * validation set. Exported for queue workers, which build it once and call runSweepRun per message.
 *
 * @example
 * const env = sweepEnvironment({ device, data, tokenizer, config });
 * const row = await runSweepRun(planned, env);
 */
export function sweepEnvironment(options: Pick<SweepOptions, 'device' | 'data' | 'tokenizer' | 'config' | 'methods'>): RunEnvironment {
  const { data, config } = options;
  const methods = { ...ANNOTATION_METHODS, ...options.methods };
  const heldOutSplits = data.splits.filter((s) => s !== config.trainSplit);
  if (!heldOutSplits.includes(config.eval.split)) throw new ConfigError(`the data has no split "${config.eval.split}" (have: ${data.splits.join(', ')})`, 'eval.split');
  if (!data.splits.includes(config.trainSplit)) throw new ConfigError(`the data has no split "${config.trainSplit}" (have: ${data.splits.join(', ')})`, 'trainSplit');
  const cache = new Map<string, Promise<Annotation>>();
  const annotation = (method: string, seed: number): Promise<Annotation> => {
    const key = `${method}\u0000${seed}`;
    let a = cache.get(key);
    if (a === undefined) {
      const plugin = methods[method];
      if (plugin === undefined) throw new ConfigError(`unknown annotation method "${method}"`, 'method');
      a = Promise.resolve(plugin.annotate({ data, split: config.trainSplit, heldOutSplits, seed }));
      cache.set(key, a);
    }
    return a;
  };
  const e = config.eval;
  const testSet =
    e.pool === undefined && e.maxPairs === undefined
      ? { data, split: e.split }
      : { data: evaluationSet(data, { pairs: samplePairs(data, e.split, e.maxPairs, e.seed), excludeSplits: [e.split], ...(e.pool === undefined ? {} : { pool: e.pool }), seed: e.seed }), split: EVAL_SET_SPLIT };
  const v = config.train.validation;
  const validationSet =
    v === undefined
      ? null
      : evaluationSet(data, { pairs: validationPairs(data, config.trainSplit, v.pairs, config.subsetSeed).pairs, excludeSplits: heldOutSplits, pool: v.pool, seed: e.seed });
  return { device: options.device, tokenizer: options.tokenizer, annotation, testSet, validationSet };
}

/** Checks every run's D against what its method (and the validation hold-out) leaves, before training. */
async function checkSizes(env: RunEnvironment, config: SweepConfig, data: RetrievalData): Promise<void> {
  const maxHuman = config.train.validation === undefined ? Infinity : validationPairs(data, config.trainSplit, config.train.validation.pairs, config.subsetSeed).maxTrainPairs;
  for (const [g, grid] of config.grid.entries()) {
    for (const method of grid.method) {
      for (const seed of grid.seed) {
        const available = (await env.annotation(method, seed)).pairs;
        const limit = method === 'human' ? Math.min(available, maxHuman) : available;
        grid.pairs.forEach((d, i) => {
          if (d > limit) {
            const why = method === 'human' && maxHuman < available ? ` (${available} human pairs minus ${config.train.validation!.pairs} held out for validation)` : '';
            throw new ConfigError(`D = ${d} exceeds the ${limit} training pairs of method "${method}"${why}`, `grid[${g}].pairs[${i}]`);
          }
          const batchSize = grid.train?.batchSize ?? config.train.batchSize;
          if (batchSize > d) throw new ConfigError(`D = ${d} is smaller than the batch size ${batchSize}`, `grid[${g}].pairs[${i}]`);
        });
      }
    }
  }
}

/**
 * Runs a sweep: plans it, skips finished runs, resumes an interrupted one from its checkpoint, and
 * returns the rows of the runs it finished (also passed to onResult one by one).
 *
 * @example
 * const config = validateSweepConfig(JSON.parse(text), { methods: ['human', 'ict', 'crop'] });
 * const rows = await sweep({
 *   device, data, tokenizer, config,
 *   skip: (id) => done.has(id),
 *   onResult: (row) => appendJsonlAtomic('runs.jsonl', row),   // Node: src/io/atomic.ts
 *   onProgress: (p) => console.error(formatProgress(p)),
 * });
 */
export async function sweep(options: SweepOptions): Promise<SweepRow[]> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const runs = await planSweep(options);
  const env = sweepEnvironment(options);
  await checkSizes(env, options.config, options.data);
  const pending: PlannedRun[] = [];
  for (const r of runs) if (!(await options.skip?.(r.id))) pending.push(r);
  const skipped = runs.length - pending.length;
  const eta = new EtaModel();
  const rows: SweepRow[] = [];
  const remaining = (from: number) => pending.slice(from).map((r) => ({ preset: r.spec.preset, params: r.params, steps: r.spec.train.steps }));
  const report = (progress: Omit<SweepProgress, 'total' | 'skipped' | 'done' | 'elapsedMs'>) =>
    options.onProgress?.({ total: runs.length, skipped, done: rows.length, elapsedMs: now() - started, ...progress });
  for (const [k, run] of pending.entries()) {
    const { spec } = run;
    const runStart = now();
    let firstStep: number | null = null;
    const store = options.checkpoints?.(run.id);
    const row = await runSweepRun(run, env, {
      ...(store === undefined ? {} : { store }),
      ...(options.checkpointEvery === undefined ? {} : { checkpointEvery: options.checkpointEvery }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      now,
      onStep: (p) => {
        firstStep ??= p.step - 1;
        // The current run's own pace is the best estimate for its preset once a few steps are in.
        if (p.step - firstStep >= 5) eta.observe(spec.preset, run.params, p.step - firstStep, now() - runStart);
        const left = eta.remainingMs(remaining(k + 1));
        const own = eta.msPerStep(spec.preset, run.params);
        report({
          current: { id: run.id, preset: spec.preset, pairs: spec.pairs, method: spec.method, seed: spec.seed, step: p.step, steps: p.steps, ...(p.loss === undefined ? {} : { loss: p.loss }), ...(p.validation === undefined ? {} : { validation: p.validation }) },
          ...(left === undefined || own === undefined ? {} : { etaMs: left + own * (p.steps - p.step) }),
        });
      },
    });
    const ranSteps = row.steps - (firstStep ?? row.steps);
    if (ranSteps > 0) eta.observe(spec.preset, run.params, ranSteps, now() - runStart);
    await options.onResult?.(row);
    await store?.clear();
    rows.push(row);
    const left = eta.remainingMs(remaining(k + 1));
    report(left === undefined ? {} : { etaMs: left });
  }
  return rows;
}
