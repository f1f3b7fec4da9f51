// train() against manual trainStep calls, checkpoint round trips and resume (bit for bit), abort,
// early stopping, and the option checks. Portable: runs in Node and in Chromium.
import { describe, expect, it } from 'vitest';
import { AbortError, ConfigError } from '../../src/errors.js';
import { BiEncoder } from '../../src/model/biencoder.js';
import { memoryCheckpointStore, parseTrainerState, restoreTraining } from '../../src/train/checkpoint.js';
import { learningRate } from '../../src/train/schedule.js';
import { train, type TrainOptions, type TrainProgress } from '../../src/train/train.js';
import { testDevice } from '../helpers/device.js';
import { fixture, SHAPE } from './fixture.js';

const fx = await fixture();

const OPTIONS: TrainOptions = { ...SHAPE, steps: 10, learningRate: 3e-3, warmup: 2, weightDecay: 0.01, maxGradNorm: 1, seed: 3, logEvery: 4 };

async function newModel(seed = 1): Promise<BiEncoder> {
  return BiEncoder.create(await testDevice(), fx.config, { seed, train: SHAPE });
}

function bits(x: Float32Array): Uint32Array {
  return new Uint32Array(x.buffer, x.byteOffset, x.length);
}

async function state(model: BiEncoder): Promise<{ params: Uint32Array; m: Uint32Array; v: Uint32Array; step: number }> {
  return { params: bits(await model.readFlat('params')), m: bits(await model.readFlat('m')), v: bits(await model.readFlat('v')), step: model.step };
}

function expectSameState(a: Awaited<ReturnType<typeof state>>, b: Awaited<ReturnType<typeof state>>, what: string): void {
  expect(b.step, `${what}: AdamW step`).toBe(a.step);
  for (const k of ['params', 'm', 'v'] as const) {
    const first = a[k].findIndex((x, i) => x !== b[k][i]);
    expect(first, `${what}: first differing ${k} element`).toBe(-1);
  }
}

describe('train()', () => {
  it('equals the same steps taken by hand with model.trainStep, bit for bit', async () => {
    const byTrain = await newModel();
    const byHand = await newModel();
    try {
      const losses: number[] = [];
      const progress: TrainProgress[] = [];
      const result = await train(byTrain, fx.dataset, fx.tokenizer, { ...OPTIONS, onProgress: (p) => progress.push(p) });
      const batches = fx.dataset.batches({ ...SHAPE, seed: OPTIONS.seed, tokenizer: fx.tokenizer, steps: OPTIONS.steps });
      for (const batch of batches) {
        const lr = learningRate(batch.step, OPTIONS.learningRate, OPTIONS.warmup!, OPTIONS.steps);
        losses.push((await byHand.trainStep(batch, { learningRate: lr, weightDecay: 0.01, maxGradNorm: 1 }, { readLoss: true }))!);
      }
      expectSameState(await state(byHand), await state(byTrain), 'train() vs trainStep');
      expect(result.steps).toBe(10);
      expect(result.pairsSeen).toBe(40);
      expect(result.tokensSeen).toBe(10 * (4 * 6 + 7 * 10));
      expect(result.finalLoss).toBe(Math.fround(losses[9]!));
      expect(result.resumedFrom).toBeNull();
      // Loss read back every 4 steps and at the last one, each equal to the hand-run loss of that step.
      expect(progress.map((p) => p.step)).toEqual([4, 8, 10]);
      expect(progress.map((p) => p.loss)).toEqual([losses[3]!, losses[7]!, losses[9]!].map(Math.fround));
      expect(progress.every((p) => p.pairsPerSecond > 0 && p.tokensPerSecond > p.pairsPerSecond && p.steps === 10)).toBe(true);
      expect(progress[2]!.etaMs).toBe(0);
      expect(progress[0]!.learningRate).toBe(learningRate(3, 3e-3, 2, 10));
    } finally {
      byTrain.destroy();
      byHand.destroy();
    }
  });

  it('checkpoint round trip: restored params, moments, step and next batch are bit-identical, and the resumed run ends where a straight one does', async () => {
    const straight = await newModel();
    const first = await newModel();
    const second = await newModel(99); // different initial weights: everything must come from the checkpoint
    try {
      await train(straight, fx.dataset, fx.tokenizer, OPTIONS);
      const store = memoryCheckpointStore();
      const controller = new AbortController();
      // Abort while step 6 is reported: the run stops after step 6 with a checkpoint.
      const stopped = train(first, fx.dataset, fx.tokenizer, { ...OPTIONS, logEvery: 1, checkpoints: store, checkpointEvery: 4, signal: controller.signal, onProgress: (p) => p.step === 6 && controller.abort() });
      await expect(stopped).rejects.toThrow(AbortError);
      const saved = parseTrainerState(store.files!['trainer_state.json']!);
      expect(saved.step).toBe(6);
      expect(saved.pairsSeen).toBe(24);

      // The files hold exactly the model's state at the stop.
      const probe = await newModel(42);
      restoreTraining(probe, fx.tokenizer, store.files!);
      expectSameState(await state(first), await state(probe), 'restored checkpoint');
      probe.destroy();

      const resumed = await train(second, fx.dataset, fx.tokenizer, { ...OPTIONS, checkpoints: store, checkpointEvery: 4 });
      expect(resumed.resumedFrom).toBe(6);
      expect(resumed.steps).toBe(10);
      expect(resumed.pairsSeen).toBe(40);
      expectSameState(await state(straight), await state(second), 'resumed vs straight');
      // A finished run resumes to nothing and returns the same result.
      const again = await train(second, fx.dataset, fx.tokenizer, { ...OPTIONS, checkpoints: store });
      expect(again.resumedFrom).toBe(10);
      expect(again.finalLoss).toBe(resumed.finalLoss);
    } finally {
      for (const m of [straight, first, second]) m.destroy();
    }
  });

  it('refuses to resume a checkpoint of another run, naming what differs', async () => {
    const model = await newModel();
    try {
      const store = memoryCheckpointStore();
      await train(model, fx.dataset, fx.tokenizer, { ...OPTIONS, steps: 2, warmup: 0, checkpoints: store });
      const other = train(model, fx.dataset, fx.tokenizer, { ...OPTIONS, steps: 2, warmup: 0, learningRate: 1e-3, checkpoints: store });
      await expect(other).rejects.toThrow(ConfigError);
      await expect(other).rejects.toThrow(/learningRate: checkpoint has 0.003, this run has 0.001/);
    } finally {
      model.destroy();
    }
  });

  it('an AbortSignal already raised stops before any step', async () => {
    const model = await newModel();
    try {
      const before = await state(model);
      await expect(train(model, fx.dataset, fx.tokenizer, { ...OPTIONS, signal: AbortSignal.abort() })).rejects.toThrow(AbortError);
      expectSameState(before, await state(model), 'untouched');
    } finally {
      model.destroy();
    }
  });

  it('keeps the weights of the best evaluation (early stopping) and resumes the best-so-far', async () => {
    const model = await newModel();
    const again = await newModel();
    try {
      const scores = [5, 2, 3, 4, 6];
      const atEval: Uint32Array[] = [];
      const evaluate = {
        every: 2,
        run: async (m: BiEncoder) => {
          atEval.push(bits(await m.readFlat('params')));
          return scores[atEval.length - 1]!;
        },
      };
      const result = await train(model, fx.dataset, fx.tokenizer, { ...OPTIONS, evaluate });
      expect(result.evaluations).toEqual([2, 4, 6, 8, 10].map((step, i) => ({ step, score: scores[i] })));
      expect(result.bestStep).toBe(4);
      expect(result.bestScore).toBe(2);
      expect(Array.from(bits(await model.readFlat('params')))).toEqual(Array.from(atEval[1]!));

      // Resumed after the best evaluation: the best weights come back from the checkpoint.
      atEval.length = 0;
      scores.splice(0, scores.length, 5, 2, 3, 4, 6);
      const store = memoryCheckpointStore();
      const controller = new AbortController();
      await expect(train(again, fx.dataset, fx.tokenizer, { ...OPTIONS, evaluate, checkpoints: store, signal: controller.signal, onProgress: (p) => p.evaluation?.best.step === 4 && p.step === 6 && controller.abort() })).rejects.toThrow(AbortError);
      const resumed = await train(again, fx.dataset, fx.tokenizer, { ...OPTIONS, evaluate, checkpoints: store });
      expect(resumed.resumedFrom).toBe(6);
      expect(resumed.bestStep).toBe(4);
      expect(resumed.evaluations.map((e) => e.step)).toEqual([2, 4, 6, 8, 10]);
      expect(Array.from(bits(await again.readFlat('params')))).toEqual(Array.from(atEval[1]!));
    } finally {
      model.destroy();
      again.destroy();
    }
  });

  it('names the bad option', async () => {
    const model = await newModel();
    try {
      const bad: [Partial<TrainOptions>, string][] = [
        [{ steps: 0 }, 'steps'],
        [{ learningRate: -1 }, 'learningRate'],
        [{ warmup: 11 }, 'warmup'],
        [{ batchSize: 2.5 }, 'batchSize'],
        [{ weightDecay: Number.NaN }, 'weightDecay'],
        [{ evaluate: { every: 0, run: async () => 0 } }, 'evaluate.every'],
      ];
      for (const [patch, field] of bad) {
        const e = await train(model, fx.dataset, fx.tokenizer, { ...OPTIONS, ...patch }).catch((x: unknown) => x);
        expect(e, field).toBeInstanceOf(ConfigError);
        expect((e as ConfigError).field, field).toBe(field);
      }
      // A diverging run stops at the first loss that is not finite, naming the learning rate.
      const diverged = await train(model, fx.dataset, fx.tokenizer, { ...OPTIONS, warmup: 0, learningRate: 1e38, logEvery: 1 }).catch((x: unknown) => x);
      expect(diverged).toBeInstanceOf(ConfigError);
      expect((diverged as ConfigError).message).toMatch(/^learningRate: the loss became (NaN|-?Infinity) at step \d+/);
      // A batch shape other than the model's is caught at the first step.
      await expect(train(model, fx.dataset, fx.tokenizer, { ...OPTIONS, negatives: 2 })).rejects.toThrow(ConfigError);
    } finally {
      model.destroy();
    }
  });
});
