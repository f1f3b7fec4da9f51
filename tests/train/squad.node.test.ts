// Real data: a small model trained from scratch on SQuAD-as-retrieval (../shared/data, train split,
// 8,595 pairs; vocabulary learned from those pairs) must beat the same model at initialisation by a
// wide margin on the test split's contrastive entropy (1,975 pairs, W = 256, the paper's metric; the
// test articles are disjoint from the training ones).
//
// Setting: preset cpu-1 (1 layer, H 32) without the projection head, 400 steps of 32 pairs with
// in-batch negatives only, passages cut to 64 tokens: about a minute of training on lavapipe. Measured
// here (lavapipe, 2 shared vCPUs): random 5.46 nats (log 257 = 5.55), trained 4.00, i.e. 27% lower;
// neighbouring settings gave 24–28% (lr 5e-3: 25%; 300 steps: 24%). The bar is 15% lower, so ten
// points of headroom absorb other adapters' rounding. Why no projection: with the 768-wide head at its
// 0.02 initialisation the raw inner products start near zero and grow slowly; the same budget then only
// reaches 10–19% (measured), which says more about the head's scale than about learning.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRetrievalData } from '../../src/data/load.js';
import { nodeSource } from '../../src/data/node.js';
import { PairDataset } from '../../src/data/pairs.js';
import { contrastiveEntropy } from '../../src/eval/entropy.js';
import { BiEncoder } from '../../src/model/biencoder.js';
import { modelConfig } from '../../src/model/config.js';
import { train } from '../../src/train/train.js';
import { learnTrainingVocabulary } from '../../src/train/vocab.js';
import { testDevice } from '../helpers/device.js';

const SQUAD = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'squad11-dev-retrieval');
const SHAPE = { batchSize: 32, negatives: 0, queryLength: 32, passageLength: 64 };
const W = 256;

describe('training on real data (SQuAD retrieval)', () => {
  it('a cpu-1 model trained from scratch for 400 steps is ≥ 15% below the random encoder in test contrastive entropy', async () => {
    const device = await testDevice();
    const data = await loadRetrievalData(nodeSource(SQUAD));
    const dataset = PairDataset.fromRetrievalData(data, { split: 'train' });
    expect(dataset.size).toBe(8595);
    const tokenizer = await learnTrainingVocabulary(dataset, { vocabSize: 1500 });
    const model = BiEncoder.create(device, modelConfig('cpu-1', { vocabSize: tokenizer.vocabSize, projection: 0 }), { seed: 0, train: SHAPE });
    try {
      const evaluate = async () => (await contrastiveEntropy(model, tokenizer, data, { split: 'test', negatives: W, repeats: 1, seed: 1, queryLength: 32, passageLength: 64 })).nats;
      const random = await evaluate();
      const started = performance.now();
      const result = await train(model, dataset, tokenizer, { ...SHAPE, steps: 400, learningRate: 1e-2, warmup: 20, weightDecay: 0.01, seed: 0, logEvery: 100 });
      const seconds = (performance.now() - started) / 1000;
      const trained = await evaluate();
      console.log(
        `squad test contrastive entropy (W=${W}, 1975 pairs): random encoder ${random.toFixed(4)} nats (log(W+1) = ${Math.log(W + 1).toFixed(4)}), ` +
          `trained ${trained.toFixed(4)} nats (${((1 - trained / random) * 100).toFixed(1)}% lower) after ${result.steps} steps / ${result.pairsSeen} pairs in ${seconds.toFixed(1)} s on ${device.info.description}; final training loss ${result.finalLoss.toFixed(4)}`,
      );
      expect(random, 'the random encoder is near log(W+1)').toBeGreaterThan(Math.log(W + 1) - 0.25);
      expect(trained, `trained ${trained} vs random ${random}`).toBeLessThan(0.85 * random);
    } finally {
      model.destroy();
      tokenizer.free();
    }
  });
});
