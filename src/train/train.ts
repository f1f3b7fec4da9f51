// The training loop (PAPER.md §Training): batches from a PairDataset, one BiEncoder.trainStep (one GPU
// submit) per step, a linear LR schedule with optional warmup, periodic evaluation keeping the best
// step's weights (the paper reports the best checkpoint by evaluation contrastive entropy), checkpoints
// through a CheckpointStore, and resume.
//
// Resume is exact: batch k is a pure function of (seed, k) (data/pairs.ts), the learning rate a pure
// function of k, and a checkpoint holds the parameters, AdamW's moments and t bit for bit, so a run that
// is stopped (or killed) and restarted from its last checkpoint ends with the same bits as one that ran
// straight through. What must match for that (schedule, batch shape, seed, data, model, vocabulary) is
// stored in the checkpoint and checked on resume.
//
// Pipelining: trainStep returns once its step is submitted; the next batch is tokenised while the GPU
// runs, and the loop waits on the GPU only where it reads the loss back (every `logEvery` steps), so at
// most `logEvery` steps are in flight.
import { AbortError, ConfigError } from '../errors.js';
import type { PairBatch, PairDataset } from '../data/pairs.js';
import type { BiEncoder } from '../model/biencoder.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import {
  restoreTraining,
  runDifference,
  trainingCheckpointFiles,
  TRAINER_STATE_FORMAT,
  TRAINER_STATE_VERSION,
  trainerStateOf,
  type CheckpointStore,
  type TrainerState,
} from './checkpoint.js';
import { learningRate } from './schedule.js';

/** Periodic evaluation: `run` returns a score where lower is better (e.g. contrastive entropy). */
export interface PeriodicEvaluation {
  /** Evaluate after every `every` steps, and after the last step. */
  every: number;
  run: (model: BiEncoder) => Promise<number>;
}

/** What onProgress receives, after every step whose loss was read back and after each evaluation. */
export interface TrainProgress {
  /** Steps done. */
  step: number;
  steps: number;
  /** Loss of the last step read back (nats). */
  loss: number;
  /** Learning rate of the last step. */
  learningRate: number;
  /** Throughput of this session's training steps (evaluation and checkpoint time excluded). */
  pairsPerSecond: number;
  /** Token positions (padding included: what the GPU computes) per second. */
  tokensPerSecond: number;
  /** Wall time of the run so far, over every session. */
  elapsedMs: number;
  /** Estimated time to the last step at this session's pace. */
  etaMs: number;
  /** Set on the report that follows an evaluation. */
  evaluation?: { score: number; best: { step: number; score: number } };
}

export interface TrainOptions {
  /** Total optimizer steps of the run (a resumed run passes the same number). */
  steps: number;
  /** B: pairs per batch. */
  batchSize: number;
  /** W: random negatives shared by the batch. */
  negatives: number;
  queryLength: number;
  passageLength: number;
  /** Peak learning rate. */
  learningRate: number;
  /** Linear warmup steps. Default 0 (the paper). */
  warmup?: number;
  /** AdamW decoupled weight decay. Default 0.001 (the paper's code). */
  weightDecay?: number;
  /** Global gradient-norm clip; 0 disables. Default 1. */
  maxGradNorm?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Seed of the batch order and negatives. */
  seed: number;
  /** Read the loss back (and report progress) every this many steps. Default 10. */
  logEvery?: number;
  evaluate?: PeriodicEvaluation;
  onProgress?: (progress: TrainProgress) => void;
  /** Stop after the current step: a checkpoint is saved (with `checkpoints`), then AbortError is thrown. */
  signal?: AbortSignal;
  /** Resume from its checkpoint if it has one; save to it every `checkpointEvery` steps and at the end. */
  checkpoints?: CheckpointStore;
  /** Default: a tenth of the steps, at most 1000. */
  checkpointEvery?: number;
  /** More identity of the run (e.g. where the initial weights came from), checked on resume. */
  runIdentity?: Record<string, unknown>;
}

export interface TrainResult {
  /** Steps done in total (= options.steps). */
  steps: number;
  pairsSeen: number;
  /** Token positions processed (padding included). */
  tokensSeen: number;
  /** Loss of the last step. */
  finalLoss: number;
  /** Step of the best evaluation (its weights are in the model now), or null without evaluation. */
  bestStep: number | null;
  bestScore: number | null;
  evaluations: { step: number; score: number }[];
  /** Wall time of this call. */
  wallMs: number;
  /** The step this call resumed from, or null when it started fresh. */
  resumedFrom: number | null;
}

function checkInt(value: number | undefined, field: string, min: number): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= min)) throw new ConfigError(`must be an integer ≥ ${min}, got ${value}`, field);
}

function checkNumber(value: number | undefined, field: string, ok: (v: number) => boolean, what: string): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && ok(value))) throw new ConfigError(`must be ${what}, got ${value}`, field);
}

function validate(o: TrainOptions): void {
  checkInt(o.steps, 'steps', 1);
  checkInt(o.batchSize, 'batchSize', 1);
  checkInt(o.negatives, 'negatives', 0);
  checkInt(o.queryLength, 'queryLength', 1);
  checkInt(o.passageLength, 'passageLength', 1);
  checkInt(o.seed, 'seed', 0);
  checkInt(o.warmup, 'warmup', 0);
  checkInt(o.logEvery, 'logEvery', 1);
  checkInt(o.checkpointEvery, 'checkpointEvery', 1);
  checkNumber(o.learningRate, 'learningRate', (v) => v > 0, '> 0');
  checkNumber(o.weightDecay, 'weightDecay', (v) => v >= 0, '≥ 0');
  checkNumber(o.maxGradNorm, 'maxGradNorm', (v) => v >= 0, '≥ 0');
  if ((o.warmup ?? 0) > o.steps) throw new ConfigError(`${o.warmup} exceeds the ${o.steps} steps`, 'warmup');
  if (o.evaluate !== undefined) checkInt(o.evaluate.every, 'evaluate.every', 1);
}

/** A diverged run stops here with an error on the learning rate, rather than checkpointing NaN weights. */
function finiteOrThrow(loss: number, step: number): number {
  if (!Number.isFinite(loss)) throw new ConfigError(`the loss became ${loss} at step ${step}; lower the learning rate or clip gradients`, 'learningRate');
  return loss;
}

/**
 * Trains `model` on `dataset` (PAPER.md protocol): `steps` AdamW steps on batches of B pairs with W
 * shared random negatives, a linear schedule (optional warmup), gradient clipping, periodic evaluation
 * whose best step's weights end up in the model, and resumable checkpoints. Portable (no Node APIs).
 *
 * @example
 * const model = BiEncoder.create(device, modelConfig('mini', { vocabSize: tok.vocabSize }),
 *   { seed: 0, train: { batchSize: 32, negatives: 32, queryLength: 32, passageLength: 128 } });
 * const result = await train(model, dataset, tok, {
 *   steps: 1000, batchSize: 32, negatives: 32, queryLength: 32, passageLength: 128,
 *   learningRate: 5e-4, warmup: 100, seed: 0,
 *   evaluate: { every: 200, run: async (m) => (await pairEntropy(m, tok, data, heldOut, evalOptions)).nats },
 *   onProgress: (p) => console.log(p.step, p.loss, p.pairsPerSecond),
 * });
 * result.bestStep;   // the model now holds that step's weights
 */
export async function train(model: BiEncoder, dataset: PairDataset, tokenizer: Tokenizer, options: TrainOptions): Promise<TrainResult> {
  validate(options);
  const started = performance.now();
  const { steps, batchSize, negatives, queryLength, passageLength, seed } = options;
  const warmup = options.warmup ?? 0;
  const logEvery = options.logEvery ?? 10;
  const checkpointEvery = options.checkpointEvery ?? Math.max(1, Math.min(1000, Math.ceil(steps / 10)));
  const optimizer = {
    weightDecay: options.weightDecay ?? 0.001,
    maxGradNorm: options.maxGradNorm ?? 1,
    ...(options.beta1 === undefined ? {} : { beta1: options.beta1 }),
    ...(options.beta2 === undefined ? {} : { beta2: options.beta2 }),
    ...(options.epsilon === undefined ? {} : { epsilon: options.epsilon }),
  };
  const run: Record<string, unknown> = {
    ...options.runIdentity,
    steps,
    batchSize,
    negatives,
    queryLength,
    passageLength,
    seed,
    learningRate: options.learningRate,
    warmup,
    ...optimizer,
    evaluateEvery: options.evaluate?.every ?? null,
    data: { split: dataset.split, pairs: dataset.size, subsetSeed: dataset.seed },
  };
  const tokensPerStep = batchSize * queryLength + (batchSize + negatives) * passageLength;

  let state: TrainerState = {
    format: TRAINER_STATE_FORMAT,
    version: TRAINER_STATE_VERSION,
    step: 0,
    run,
    best: null,
    evaluations: [],
    lastLoss: null,
    pairsSeen: 0,
    tokensSeen: 0,
    elapsedMs: 0,
  };
  let bestParams: Float32Array | null = null;
  let resumedFrom: number | null = null;
  const saved = options.checkpoints === undefined ? null : await options.checkpoints.load();
  if (saved !== null) {
    // Checked before anything is restored, so a refused checkpoint leaves the model untouched.
    const difference = runDifference(trainerStateOf(saved).run, run);
    if (difference !== null) throw new ConfigError(`the checkpoint belongs to another run (${difference}); resume with the same settings or start in an empty place`, 'checkpoints');
    const restored = restoreTraining(model, tokenizer, saved);
    state = restored.state;
    bestParams = restored.bestParams;
    resumedFrom = state.step;
  }

  const elapsedBefore = state.elapsedMs;
  let trainMs = 0;
  let stepsThisSession = 0;
  const save = async (): Promise<void> => {
    if (options.checkpoints === undefined) return;
    state.elapsedMs = elapsedBefore + (performance.now() - started);
    await options.checkpoints.save(await trainingCheckpointFiles(model, tokenizer, state, bestParams));
  };
  const report = (lr: number, evaluation?: TrainProgress['evaluation']): void => {
    if (options.onProgress === undefined || state.lastLoss === null) return;
    const perStepMs = stepsThisSession > 0 ? trainMs / stepsThisSession : 0;
    const seconds = trainMs / 1000;
    const progress: TrainProgress = {
      step: state.step,
      steps,
      loss: state.lastLoss,
      learningRate: lr,
      pairsPerSecond: seconds > 0 ? (stepsThisSession * batchSize) / seconds : 0,
      tokensPerSecond: seconds > 0 ? (stepsThisSession * tokensPerStep) / seconds : 0,
      elapsedMs: elapsedBefore + (performance.now() - started),
      etaMs: perStepMs * (steps - state.step),
    };
    if (evaluation !== undefined) progress.evaluation = evaluation;
    options.onProgress(progress);
  };

  if (options.signal?.aborted) throw new AbortError(`training stopped before step ${state.step}`);
  const batches = dataset.batches({ batchSize, negatives, seed, tokenizer, queryLength, passageLength, startStep: state.step, steps });
  let next: IteratorResult<PairBatch> = state.step < steps ? batches.next() : { done: true, value: undefined };
  let sliceStart = performance.now();
  while (!next.done) {
    const batch = next.value;
    const k = batch.step;
    const lr = learningRate(k, options.learningRate, warmup, steps);
    const done = k + 1;
    const evaluateNow = options.evaluate !== undefined && (done % options.evaluate.every === 0 || done === steps);
    const checkpointNow = options.checkpoints !== undefined && (done % checkpointEvery === 0 || done === steps);
    const readLoss = done % logEvery === 0 || done === steps || evaluateNow || checkpointNow || options.signal?.aborted === true;
    const stepDone = model.trainStep(batch, { learningRate: lr, ...optimizer }, { readLoss });
    // The next batch is tokenised while the GPU runs this step.
    next = done < steps ? batches.next() : { done: true, value: undefined };
    const loss = await stepDone;
    state.step = done;
    state.pairsSeen += batchSize;
    state.tokensSeen += tokensPerStep;
    stepsThisSession++;
    if (loss === undefined && options.signal?.aborted !== true) continue;
    if (loss !== undefined) {
      state.lastLoss = finiteOrThrow(loss, done);
      trainMs += performance.now() - sliceStart;
      report(lr);
    }
    if (evaluateNow) {
      const score = await options.evaluate!.run(model);
      state.evaluations.push({ step: done, score });
      if (state.best === null || score < state.best.score) {
        state.best = { step: done, score };
        bestParams = await model.readFlat('params');
      }
      report(lr, { score, best: state.best });
    }
    // Checked again here: an abort raised while this step was reported or evaluated stops after this step.
    const stop = options.signal?.aborted === true;
    if (checkpointNow || stop) await save();
    if (stop) throw new AbortError(`training stopped after step ${done} of ${steps}${options.checkpoints ? '; the checkpoint resumes it' : ''}`);
    sliceStart = performance.now();
  }

  if (bestParams !== null) model.writeFlat('params', bestParams);
  return {
    steps: state.step,
    pairsSeen: state.pairsSeen,
    tokensSeen: state.tokensSeen,
    finalLoss: state.lastLoss ?? NaN,
    bestStep: state.best?.step ?? null,
    bestScore: state.best?.score ?? null,
    evaluations: state.evaluations,
    wallMs: performance.now() - started,
    resumedFrom,
  };
}
