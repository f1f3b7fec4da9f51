// Early-stopping evaluation data: a held-out part of the training split (for datasets without a dev
// split) and the contrastive entropy of a model on any list of (query, positive) pairs.
//
// Held-out pairs are the *end* of the same seeded permutation whose *prefix* PairDataset trains on
// (data/pairs.ts): with D ≤ total − H, training never sees a held-out pair, and the paper's
// prefix-of-one-shuffle subsets stay intact.
//
// The entropy is src/eval/entropy.ts's computation (queries and needed passages embedded once,
// contrastiveEvalForward on the GPU, f64 means) on an explicit pair list instead of a split. Negatives
// follow sampleEvalNegatives' contract (rows (repeat, pair), one PCG32 stream EVAL_STREAM, distinct
// positions in the pool), so for a whole split with the split's pool the result is contrastiveEntropy's,
// bit for bit.
import { ConfigError } from '../errors.js';
import type { RetrievalData } from '../data/retrieval.js';
import { EVAL_STREAM, negativePool, permutation, sampleDistinct } from '../data/sampling.js';
import { PAPER_SUBSET_SEED } from '../data/pairs.js';
import { checkLength, distinctSorted, embedQueryTable, passageEmbedder, runEntropy, type ContrastiveEntropyResult, type EntropyPlan } from '../eval/entropy.js';
import type { BiEncoder } from '../model/biencoder.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';

/** (query, passage) index pairs into a RetrievalData. */
export interface PairList {
  query: Int32Array;
  passage: Int32Array;
}

export interface HoldOutOptions {
  /** The split to take pairs from. Default 'train'. */
  split?: string;
  /** H: how many pairs to hold out. */
  pairs: number;
  /** The subset seed PairDataset uses (default 521, the authors'). */
  seed?: number;
}

/**
 * The last H pairs of the split's seeded permutation: never part of a PairDataset built from the same
 * split and seed with at most `maxTrainPairs` = total − H pairs.
 *
 * @example
 * const { pairs, maxTrainPairs } = holdOutPairs(data, { pairs: 500 });
 * const train = PairDataset.fromRetrievalData(data, { pairs: maxTrainPairs });
 */
export function holdOutPairs(data: RetrievalData, options: HoldOutOptions): { pairs: PairList; maxTrainPairs: number } {
  const split = options.split ?? 'train';
  const positives = data.positives(split);
  const total = positives.query.length;
  const H = options.pairs;
  if (!Number.isInteger(H) || H < 1 || H >= total) throw new ConfigError(`must be an integer in 1..${total - 1} (split "${split}" has ${total} pairs), got ${H}`, 'evalPairs');
  const order = permutation(total, options.seed ?? PAPER_SUBSET_SEED);
  const query = new Int32Array(H);
  const passage = new Int32Array(H);
  for (let i = 0; i < H; i++) {
    const row = order[total - H + i]!;
    query[i] = positives.query[row]!;
    passage[i] = positives.passage[row]!;
  }
  return { pairs: { query, passage }, maxTrainPairs: total - H };
}

/** Every passage except the positives of `pairs` (and of `alsoSplits`): where their negatives come from. */
export function poolExcluding(data: RetrievalData, pairs: PairList, alsoSplits: readonly string[] = []): Int32Array {
  const drop = new Set(pairs.passage);
  return negativePool(data, alsoSplits).filter((p) => !drop.has(p));
}

export interface PairEntropyOptions {
  /** W: negatives per pair (the paper: 256). */
  negatives: number;
  /** R: independent draws of the negatives. Default 1. */
  repeats?: number;
  /** Default 1, the paper's evaluation seed. */
  seed?: number;
  queryLength: number;
  passageLength: number;
  /** Where negatives are drawn from. Default: every passage that is not a positive of `pairs`. */
  pool?: Int32Array;
}

/**
 * Contrastive entropy of `model` on explicit (query, positive) pairs, W negatives per pair drawn from
 * `pool`. Deterministic; runs in Node and browsers.
 *
 * @example
 * const { pairs } = holdOutPairs(data, { pairs: 500 });
 * const { nats } = await pairEntropy(model, tokenizer, data, pairs, { negatives: 256, queryLength: 32, passageLength: 180 });
 */
export async function pairEntropy(model: BiEncoder, tokenizer: Tokenizer, data: RetrievalData, pairs: PairList, options: PairEntropyOptions): Promise<ContrastiveEntropyResult> {
  const W = options.negatives;
  const R = options.repeats ?? 1;
  const H = pairs.query.length;
  if (!Number.isInteger(W) || W < 1) throw new ConfigError(`must be a positive integer, got ${W}`, 'negatives');
  if (!Number.isInteger(R) || R < 1) throw new ConfigError(`must be a positive integer, got ${R}`, 'repeats');
  if (H === 0 || pairs.passage.length !== H) throw new ConfigError(`needs as many passages as queries, at least one (got ${H} and ${pairs.passage.length})`, 'pairs');
  const pool = options.pool ?? poolExcluding(data, pairs);
  if (W > pool.length) throw new ConfigError(`${W} negatives per pair but the pool has ${pool.length} passages`, 'negatives');
  const negativeIndex = sampleDistinct(R * H, W, pool.length, options.seed ?? 1, EVAL_STREAM);
  for (let i = 0; i < negativeIndex.length; i++) negativeIndex[i] = pool[negativeIndex[i]!]!;
  const plan: EntropyPlan = {
    split: 'pairs',
    negatives: W,
    repeats: R,
    queryLength: checkLength(model, options.queryLength, 'queryLength'),
    passageLength: checkLength(model, options.passageLength, 'passageLength'),
    pairIndices: Int32Array.from({ length: H }, (_, i) => i),
    query: pairs.query,
    positive: pairs.passage,
    negativeIndex,
  };
  const queries = await embedQueryTable(model, tokenizer, data, distinctSorted(pairs.query), plan.queryLength);
  return runEntropy(model, data, plan, queries, passageEmbedder(model, tokenizer, data, plan.passageLength));
}
