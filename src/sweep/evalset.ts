// Evaluation sets small enough to run after every sweep run (and every few steps for early stopping):
// a seeded subset of pairs, and a seeded sample of corpus passages as the negative pool.
//
// Contrastive entropy draws W negatives per pair from a pool. Over the whole corpus a run embeds up to
// pairs·W·R distinct passages; with a pool of M passages sampled uniformly (without replacement) from the
// same candidates, it embeds at most M + pairs. Every pair's negatives are then still a uniform sample of
// the candidates, so each pair's expected entropy is unchanged; pairs share negatives more often, which
// only correlates their noise. The set is a function of (data, pairs, pool size, seed): every run of a
// sweep is scored on the same set.
import { ConfigError } from '../errors.js';
import { RetrievalData } from '../data/retrieval.js';
import { negativePool, permutation, sampleDistinct } from '../data/sampling.js';

/** The split name of the pairs in an evaluation set. */
export const EVAL_SET_SPLIT = 'eval';
/** PCG32 streams of the pool and pair samples (apart from the data layer's streams). */
const POOL_STREAM = 0x5e7a;
const PAIR_STREAM = 0x5e7b;

export interface EvalSetOptions {
  /** (query, passage) index pairs of `data` to evaluate. */
  pairs: { query: Int32Array; passage: Int32Array };
  /** Passages that must not be negatives: positives of these splits (the evaluated pairs' always are). */
  excludeSplits: readonly string[];
  /** M: pool size; undefined keeps every candidate passage. */
  pool?: number;
  seed: number;
}

/**
 * A RetrievalData holding only the given pairs (split 'eval') and a seeded pool of negatives drawn from
 * the passages that are neither one of the pairs' positives nor a positive of `excludeSplits`.
 *
 * @example
 * const set = evaluationSet(data, { pairs: data.positives('test'), excludeSplits: ['test'], pool: 4096, seed: 1 });
 * await contrastiveEntropy(model, tok, set, { split: 'eval', negatives: 128, repeats: 1 });
 */
export function evaluationSet(data: RetrievalData, options: EvalSetOptions): RetrievalData {
  const { pairs } = options;
  if (pairs.query.length === 0) throw new ConfigError('no pairs to evaluate', 'pairs');
  const candidates = negativePool(data, options.excludeSplits);
  const positive = new Uint8Array(data.passageCount);
  for (const p of pairs.passage) positive[p] = 1;
  const allowed = candidates.filter((p) => positive[p] === 0);
  let pool = allowed;
  if (options.pool !== undefined && options.pool < allowed.length) {
    pool = Int32Array.from(sampleDistinct(1, options.pool, allowed.length, options.seed, POOL_STREAM), (i) => allowed[i]!);
  }
  const keep = new Uint8Array(data.passageCount);
  for (const p of pool) keep[p] = 1;
  for (const p of pairs.passage) keep[p] = 1;
  const passages: { id: string; text: string; title?: string }[] = [];
  for (let i = 0; i < data.passageCount; i++) {
    if (keep[i] === 0) continue;
    const p = data.passage(i);
    passages.push(p.title === '' ? { id: p.id, text: p.text } : p);
  }
  const queryIndices = [...new Set(pairs.query)].sort((a, b) => a - b);
  const queries = queryIndices.map((q) => ({ id: data.queryId(q), text: data.queryText(q) }));
  const seenPair = new Set<string>();
  const qrels: { queryId: string; passageId: string }[] = [];
  for (let i = 0; i < pairs.query.length; i++) {
    const queryId = data.queryId(pairs.query[i]!);
    const passageId = data.passageId(pairs.passage[i]!);
    const key = `${queryId}\u0000${passageId}`;
    if (seenPair.has(key)) continue;
    seenPair.add(key);
    qrels.push({ queryId, passageId });
  }
  return RetrievalData.fromRecords({ passages, queries, qrels: { [EVAL_SET_SPLIT]: qrels } });
}

/**
 * A seeded subset of `count` positive pairs of a split (all of them when count is undefined or larger),
 * in the split's order.
 *
 * @example
 * const pairs = samplePairs(data, 'test', 1024, 1);
 */
export function samplePairs(data: RetrievalData, split: string, count: number | undefined, seed: number): { query: Int32Array; passage: Int32Array } {
  const all = data.positives(split);
  const total = all.query.length;
  if (count === undefined || count >= total) return { query: all.query, passage: all.passage };
  const rows = sampleDistinct(1, count, total, seed, PAIR_STREAM).sort();
  return { query: Int32Array.from(rows, (r) => all.query[r]!), passage: Int32Array.from(rows, (r) => all.passage[r]!) };
}

/**
 * The H validation pairs of a training split: the last H of the seeded subset shuffle whose prefix
 * PairDataset trains on (data/pairs.ts), so a training set of D ≤ total − H pairs never contains them.
 *
 * @example
 * const { pairs, maxTrainPairs } = validationPairs(data, 'train', 512, 521);
 */
export function validationPairs(data: RetrievalData, split: string, count: number, subsetSeed: number): { pairs: { query: Int32Array; passage: Int32Array }; maxTrainPairs: number } {
  const all = data.positives(split);
  const total = all.query.length;
  if (!(Number.isInteger(count) && count >= 1 && count < total)) throw new ConfigError(`must be an integer in 1…${total - 1} (split "${split}" has ${total} pairs), got ${count}`, 'train.validation.pairs');
  const order = permutation(total, subsetSeed);
  const rows = order.subarray(total - count);
  return {
    pairs: { query: Int32Array.from(rows, (r) => all.query[r]!), passage: Int32Array.from(rows, (r) => all.passage[r]!) },
    maxTrainPairs: total - count,
  };
}
