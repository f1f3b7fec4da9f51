// Held-out pairs never overlap the training prefix; pairEntropy on a whole split is contrastiveEntropy's
// computation bit for bit, and each pair's loss matches an f64 CPU computation from the embeddings.
import { describe, expect, it } from 'vitest';
import { PairDataset } from '../../src/data/pairs.js';
import { negativePool, permutation } from '../../src/data/sampling.js';
import { ConfigError } from '../../src/errors.js';
import { contrastiveEntropy } from '../../src/eval/entropy.js';
import { BiEncoder } from '../../src/model/biencoder.js';
import { holdOutPairs, pairEntropy, poolExcluding } from '../../src/train/holdout.js';
import { testDevice } from '../helpers/device.js';
import { fixture } from './fixture.js';

const fx = await fixture();

describe('holdOutPairs', () => {
  it('is the end of the subset permutation, disjoint from the largest training prefix', () => {
    const { pairs, maxTrainPairs } = holdOutPairs(fx.data, { pairs: 7, seed: 521 });
    expect(maxTrainPairs).toBe(33);
    const positives = fx.data.positives('train');
    const order = permutation(40, 521);
    expect(Array.from(pairs.query)).toEqual(Array.from(order.subarray(33), (row) => positives.query[row]));
    const training = PairDataset.fromRetrievalData(fx.data, { pairs: maxTrainPairs, seed: 521 });
    const trained = new Set(Array.from({ length: training.size }, (_, i) => `${training.pairIndices(i).queryIndex}:${training.pairIndices(i).passageIndex}`));
    for (let i = 0; i < 7; i++) expect(trained.has(`${pairs.query[i]}:${pairs.passage[i]}`)).toBe(false);
    expect(() => holdOutPairs(fx.data, { pairs: 40 })).toThrow(ConfigError);
    const pool = poolExcluding(fx.data, pairs);
    expect(pool.length).toBe(48 - new Set(pairs.passage).size);
    expect(pool.some((p) => pairs.passage.includes(p))).toBe(false);
  });
});

describe('pairEntropy', () => {
  it('equals contrastiveEntropy on a whole split and the f64 formula on the same embeddings', async () => {
    const device = await testDevice();
    const model = BiEncoder.create(device, { ...fx.config, projection: 0 }, { seed: 4 });
    try {
      const test = fx.data.positives('test');
      const options = { negatives: 5, repeats: 2, seed: 3, queryLength: 8, passageLength: 12 };
      const mine = await pairEntropy(model, fx.tokenizer, fx.data, test, { ...options, pool: negativePool(fx.data, ['test']) });
      const theirs = await contrastiveEntropy(model, fx.tokenizer, fx.data, { ...options, split: 'test' });
      expect(mine.nats).toBe(theirs.nats);
      expect(Array.from(mine.losses)).toEqual(Array.from(theirs.losses));

      // Independent check: with W = the whole pool every pool passage is a negative of every pair, so each
      // loss is fixed by the embeddings alone: the f64 −log softmax from model.embed's embeddings.
      const embed = async (tower: 'query' | 'passage', texts: string[], length: number) => {
        const enc = fx.tokenizer.encodeBatch(texts, { maxLength: length, padding: 'max_length' });
        return model.embed(tower, enc.ids, enc.mask, texts.length, length);
      };
      const D = model.embeddingSize;
      const Q = await embed('query', Array.from(test.query, (q) => fx.data.queryText(q)), 8);
      const P = await embed('passage', Array.from({ length: 48 }, (_, p) => fx.data.passageText(p)), 12);
      const pool = negativePool(fx.data, ['test']);
      const full = await pairEntropy(model, fx.tokenizer, fx.data, test, { negatives: pool.length, queryLength: 8, passageLength: 12, pool });
      for (let i = 0; i < test.query.length; i++) {
        const dot = (p: number) => {
          let s = 0;
          for (let k = 0; k < D; k++) s += Q[i * D + k]! * P[p * D + k]!;
          return s;
        };
        const scores = [dot(test.passage[i]!), ...Array.from(pool, dot)];
        const max = Math.max(...scores);
        const ce = max + Math.log(scores.reduce((a, s) => a + Math.exp(s - max), 0)) - scores[0]!;
        expect(Math.abs(full.losses[i]! - ce), `pair ${i}: GPU ${full.losses[i]} vs f64 ${ce}`).toBeLessThanOrEqual(1e-4 * Math.max(1, ce));
      }
      await expect(pairEntropy(model, fx.tokenizer, fx.data, test, { negatives: pool.length + 1, queryLength: 8, passageLength: 12, pool })).rejects.toThrow(ConfigError);
    } finally {
      model.destroy();
    }
  });
});
