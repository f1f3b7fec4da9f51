// One sweep run: a RunSpec in, a result row out. Trains a fresh model on the first D annotated pairs
// (AdamW, linear warmup then linear decay, the paper's schedule), keeps the parameters of the best
// validation step when early stopping is on (the paper reports the best checkpoint), and evaluates them
// on the human test pairs. Resumable: the state after any checkpointed step restores the exact run
// (batch k is a pure function of the seed and k, and AdamW's state travels with the parameters).
import { AbortError, ConfigError } from '../errors.js';
import type { Annotation } from '../annotate/annotation.js';
import { PairDataset } from '../data/pairs.js';
import type { RetrievalData } from '../data/retrieval.js';
import { contrastiveEntropy } from '../eval/entropy.js';
import { evaluate } from '../eval/evaluate.js';
import type { Device } from '../gpu/device.js';
import { BiEncoder } from '../model/biencoder.js';
import { learningRate } from '../train/schedule.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { EVAL_SET_SPLIT } from './evalset.js';
import type { PlannedRun, RunSpec } from './plan.js';

/** Training loss is read back (a GPU round trip) every this many steps, and at the last step. */
const LOSS_EVERY = 10;

/** What a run needs to resume: the optimizer state after `step` steps, and the early-stopping record. */
export interface RunState {
  /** Steps completed. */
  step: number;
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
  /** The best validation point so far and its parameters (early stopping), or null. */
  best: { step: number; loss: number; params: Float32Array } | null;
  /** Validation contrastive entropy (nats) by step. */
  validation: { step: number; loss: number }[];
  /** Training batch loss (nats) by step, every LOSS_EVERY steps. */
  trainLoss: { step: number; loss: number }[];
  /** Training and validation time spent so far, over every session of this run. */
  trainMs: number;
  /** The part of trainMs spent on validation. */
  validationMs?: number;
  /** Set when validation stopped the run before its last step (patience ran out). */
  stoppedEarly?: boolean;
}

/**
 * Where a run's state is kept between sessions (the CLI writes a directory per run id; a queue worker
 * might use object storage). The library never touches files itself.
 */
export interface RunCheckpointStore {
  load(): Promise<RunState | null>;
  save(state: RunState): Promise<void>;
  /** Called once the run's row is stored: the state is no longer needed. */
  clear(): Promise<void>;
}

/** The result row of one run (one line of runs.jsonl); `params`, `pairs`, `loss` are what the fits read. */
export interface SweepRow {
  id: string;
  preset: string;
  method: string;
  seed: number;
  /** N: non-embedding parameters. */
  params: number;
  /** D: training pairs. */
  pairs: number;
  /** Contrastive entropy on the human test pairs, nats (the paper's metric). */
  loss: number;
  lossBits: number;
  /** Ranking metrics over the evaluated corpus, when the config asks for them. */
  metrics?: Record<string, number>;
  /** Passages the ranking metrics searched (the whole corpus, or the evaluation pool). */
  rankingCorpus?: number;
  /** Test pairs behind `loss`, per repeat. */
  evalPairs: number;
  /** Steps trained (fewer than spec.train.steps when validation stopped the run early). */
  steps: number;
  /** The step whose parameters were evaluated (the best validation step, or the last). */
  bestStep: number;
  validation: { step: number; loss: number }[];
  trainLoss: { step: number; loss: number }[];
  wallMs: number;
  /** Training time, validation included (validationMs of it). */
  trainMs: number;
  validationMs: number;
  evalMs: number;
  /** The adapter that ran it: vendor/architecture and device name. */
  adapter: string;
  finishedAt: string;
  spec: RunSpec;
}

/** Everything shared by the runs of a sweep; built once by sweep() (or by a queue worker). */
export interface RunEnvironment {
  device: Device;
  tokenizer: Tokenizer;
  /** The annotated training set of a method and seed (cached by the caller). */
  annotation(method: string, seed: number): Promise<Annotation>;
  /** The test set the final evaluation scores, and the split in it. */
  testSet: { data: RetrievalData; split: string };
  /** Validation pairs for early stopping (split EVAL_SET_SPLIT), when the spec asks for it. */
  validationSet: RetrievalData | null;
}

export interface RunHooks {
  store?: RunCheckpointStore;
  /** Save the state every this many steps (default 50) and whenever validation improves. */
  checkpointEvery?: number;
  onStep?: (progress: { step: number; steps: number; loss?: number; validation?: number }) => void;
  signal?: AbortSignal;
  /** The clock for wall times (default performance.now). */
  now?: () => number;
}

export function adapterName(device: Device): string {
  const i = device.info;
  return `${i.vendor}/${i.architecture}${i.device ? ` ${i.device}` : ''}`;
}

/**
 * Trains and evaluates one planned run and returns its row. A pure function of the spec given the
 * environment (same device class ⇒ same bits): a queue worker can call it with a spec from a message.
 *
 * @example
 * const row = await runSweepRun(planned, env, { store: myStore, onStep: (p) => console.log(p.step) });
 */
export async function runSweepRun(run: PlannedRun, env: RunEnvironment, hooks: RunHooks = {}): Promise<SweepRow> {
  const now = hooks.now ?? (() => performance.now());
  const { spec } = run;
  const t = spec.train;
  const annotation = await env.annotation(spec.method, spec.seed);
  if (spec.pairs > annotation.pairs) throw new ConfigError(`D = ${spec.pairs} exceeds the ${annotation.pairs} pairs of method "${spec.method}"`, 'pairs');
  const dataset = PairDataset.fromRetrievalData(annotation.data, { split: annotation.split, heldOutSplits: annotation.heldOutSplits, pairs: spec.pairs, seed: spec.subsetSeed });
  const shape = { batchSize: t.batchSize, negatives: t.negatives, queryLength: t.queryLength, passageLength: t.passageLength };
  const maxLength = Math.max(spec.eval.queryLength, spec.eval.passageLength, t.queryLength, t.passageLength);
  const model = BiEncoder.create(env.device, spec.model, { seed: spec.seed, train: shape, maxLength });
  try {
    const state: RunState = (await hooks.store?.load()) ?? { step: 0, params: new Float32Array(0), m: new Float32Array(0), v: new Float32Array(0), best: null, validation: [], trainLoss: [], trainMs: 0 };
    if (state.step > 0) {
      model.writeFlat('params', state.params);
      model.writeFlat('m', state.m);
      model.writeFlat('v', state.v);
      model.step = state.step;
    }
    const save = async () => {
      if (hooks.store === undefined) return;
      state.params = await model.readFlat('params');
      state.m = await model.readFlat('m');
      state.v = await model.readFlat('v');
      await hooks.store.save(state);
    };
    const checkpointEvery = hooks.checkpointEvery ?? 50;
    const validation = t.validation;
    let sessionStart = now();
    // A run that validation stopped early is resumed straight into its evaluation.
    const batches = dataset.batches({ ...shape, seed: spec.seed, tokenizer: env.tokenizer, startStep: state.step, steps: state.stoppedEarly ? state.step : t.steps });
    for (const batch of batches) {
      if (hooks.signal?.aborted) {
        // Keep every finished step: the rerun resumes exactly here.
        await save();
        throw new AbortError(`run ${run.id} aborted at step ${state.step}`);
      }
      const step = batch.step + 1;
      const readLoss = step % LOSS_EVERY === 0 || step === t.steps;
      const opt = { learningRate: learningRate(batch.step, t.learningRate, t.warmup, t.steps), weightDecay: t.weightDecay, maxGradNorm: t.maxGradNorm };
      const loss = await model.trainStep(batch, opt, { readLoss });
      state.step = step;
      if (loss !== undefined) {
        if (!Number.isFinite(loss)) throw new ConfigError(`run ${run.id}: training loss became ${loss} at step ${step}; lower train.learningRate`, 'train.learningRate');
        state.trainLoss.push({ step, loss });
      }
      let validationLoss: number | undefined;
      let improved = false;
      if (validation !== undefined && env.validationSet !== null && (step % validation.every === 0 || step === t.steps)) {
        const validationStart = now();
        const ce = await contrastiveEntropy(model, env.tokenizer, env.validationSet, {
          split: EVAL_SET_SPLIT,
          negatives: validation.negatives,
          repeats: 1,
          seed: spec.eval.seed,
          queryLength: spec.eval.queryLength,
          passageLength: spec.eval.passageLength,
        });
        validationLoss = ce.nats;
        state.validation.push({ step, loss: ce.nats });
        if (state.best === null || ce.nats < state.best.loss) {
          state.best = { step, loss: ce.nats, params: await model.readFlat('params') };
          improved = true;
        }
        state.validationMs = (state.validationMs ?? 0) + (now() - validationStart);
      }
      const elapsed = now();
      state.trainMs += elapsed - sessionStart;
      sessionStart = elapsed;
      const stale = validation?.patience !== undefined && state.best !== null && state.validation.length - 1 - state.validation.findIndex((v) => v.step === state.best!.step) >= validation.patience;
      if (stale) state.stoppedEarly = true;
      if (step < t.steps && !stale && (step % checkpointEvery === 0 || improved)) await save();
      hooks.onStep?.({ step, steps: t.steps, ...(loss === undefined ? {} : { loss }), ...(validationLoss === undefined ? {} : { validation: validationLoss }) });
      if (stale) break;
    }
    state.trainMs += now() - sessionStart;
    if (state.stoppedEarly) await save();
    if (state.best !== null) model.writeFlat('params', state.best.params);

    const evalStart = now();
    const e = spec.eval;
    const options = { split: env.testSet.split, negatives: e.negatives, repeats: e.repeats, seed: e.seed, queryLength: e.queryLength, passageLength: e.passageLength };
    const set = env.testSet.data;
    let loss: number;
    let lossBits: number;
    let evalPairs: number;
    let metrics: Record<string, number> | undefined;
    if (e.ranking) {
      const r = await evaluate(model, env.tokenizer, set, { ...options, k: Math.min(1000, set.passageCount) });
      ({ nats: loss, bits: lossBits, pairs: evalPairs } = r.entropy);
      metrics = { 'mrr@10': r['mrr@10'], 'ndcg@10': r['ndcg@10'], 'recall@10': r['recall@10'], 'recall@100': r['recall@100'], 'recall@1000': r['recall@1000'] };
    } else {
      ({ nats: loss, bits: lossBits, pairs: evalPairs } = await contrastiveEntropy(model, env.tokenizer, set, options));
    }
    const finished = now();
    const row: SweepRow = {
      id: run.id,
      preset: spec.preset,
      method: spec.method,
      seed: spec.seed,
      params: run.params,
      pairs: spec.pairs,
      loss,
      lossBits,
      evalPairs,
      steps: state.step,
      bestStep: state.best?.step ?? state.step,
      validation: state.validation,
      trainLoss: state.trainLoss,
      wallMs: state.trainMs + (finished - evalStart),
      trainMs: state.trainMs,
      validationMs: state.validationMs ?? 0,
      evalMs: finished - evalStart,
      adapter: adapterName(env.device),
      finishedAt: new Date().toISOString(),
      spec,
    };
    if (metrics !== undefined) {
      row.metrics = metrics;
      row.rankingCorpus = set.passageCount;
    }
    return row;
  } finally {
    model.destroy();
  }
}
