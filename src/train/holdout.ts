// Evaluation data for early stopping: a held-out part of the training split (when a dataset has no dev
// split) and the contrastive entropy of a model on any list of (query, positive) pairs.
//
// Held-out pairs are the *end* of the same seeded permutation whose *prefix* PairDataset trains on
// (data/pairs.ts): with D ≤ total − H, training never sees a held-out pair, and the paper's
// prefix-of-one-shuffle subsets stay intact.
//
// Contrastive entropy (PAPER.md): per pair (q, p⁺) and repeat r, W passages drawn without replacement
// from the negative pool, CE = logsumexp(s⁺, s₁…s_W) − s⁺ with s = q·p, averaged over pairs and repeats.
// Negatives follow sampleEvalNegatives' contract (rows (repeat, pair), one PCG32 stream EVAL_STREAM), so
// on a whole split with the split's pool this is the same draw the eval module makes. Embeddings come
// from model.embed (GPU); the scores and the log-sum-exp are f64 on the CPU in a fixed order, so the
// result is deterministic. Every needed passage is embedded once: the union of positives and negatives.
import { ConfigError } from '../errors.js';
import type { RetrievalData } from '../data/retrieval.js';
import { EVAL_STREAM, negativePool, permutation, sampleDistinct } from '../data/sampling.js';
import { PAPER_SUBSET_SEED } from '../data/pairs.js';
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
 * split and seed with at most `total − H` pairs (`maxTrainPairs`).
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

export interface PairEntropyOptions {
  /** W: negatives per pair (the paper: 256). */
  negatives: number;
  /** R: independent draws of the negatives. Default 1. */
  repeats?: number;
  /** Default 1, the paper's evaluation seed. */
  seed?: number;
  queryLength: number;
  passageLength: number;
  /** Passages never drawn as negatives. Default: every passage of `pairs` (and nothing else). */
  pool?: Int32Array;
  /** Rows per tokenise + embed call. Default 256. */
  chunkRows?: number;
}

export interface PairEntropy {
  /** Mean contrastive entropy in nats. */
  nats: number;
  /** Mean over repeats of each pair's entropy, in pair order. */
  perPair: Float64Array;
}

/** The passages of `pairs` removed from every passage: the pool sampleEvalNegatives uses for a split. */
export function poolExcluding(data: RetrievalData, pairs: PairList, alsoSplits: readonly string[] = []): Int32Array {
  const base = negativePool(data, alsoSplits);
  const drop = new Set(pairs.passage);
  return base.filter((p) => !drop.has(p));
}

async function embedRows(model: BiEncoder, tokenizer: Tokenizer, tower: 'query' | 'passage', texts: (i: number) => string, count: number, length: number, chunkRows: number): Promise<Float32Array> {
  const D = model.embeddingSize;
  const out = new Float32Array(count * D);
  for (let r0 = 0; r0 < count; r0 += chunkRows) {
    const n = Math.min(chunkRows, count - r0);
    const enc = tokenizer.encodeBatch(Array.from({ length: n }, (_, i) => texts(r0 + i)), { maxLength: length, padding: 'max_length' });
    out.set(await model.embed(tower, enc.ids, enc.mask, n, length), r0 * D);
  }
  return out;
}

/**
 * Contrastive entropy of `model` on explicit (query, positive) pairs, with W negatives per pair drawn
 * from `pool` (default: every passage that is not a positive of these pairs).
 *
 * @example
 * const { pairs } = holdOutPairs(data, { pairs: 500 });
 * const { nats } = await pairEntropy(model, tokenizer, data, pairs, { negatives: 256, queryLength: 32, passageLength: 180 });
 */
export async function pairEntropy(model: BiEncoder, tokenizer: Tokenizer, data: RetrievalData, pairs: PairList, options: PairEntropyOptions): Promise<PairEntropy> {
  const W = options.negatives;
  const R = options.repeats ?? 1;
  const H = pairs.query.length;
  if (!Number.isInteger(W) || W < 1) throw new ConfigError(`must be a positive integer, got ${W}`, 'negatives');
  if (!Number.isInteger(R) || R < 1) throw new ConfigError(`must be a positive integer, got ${R}`, 'repeats');
  if (H === 0) throw new ConfigError('no pairs to evaluate', 'pairs');
  const pool = options.pool ?? poolExcluding(data, pairs);
  const negatives = sampleDistinct(R * H, W, pool.length, options.seed ?? 1, EVAL_STREAM);
  for (let i = 0; i < negatives.length; i++) negatives[i] = pool[negatives[i]!]!;

  // Every passage needed, once, ascending: positives and negatives share rows of one table.
  const needed = [...new Set([...pairs.passage, ...negatives])].sort((a, b) => a - b);
  const row = new Map(needed.map((p, i) => [p, i]));
  const queries = [...new Set(pairs.query)].sort((a, b) => a - b);
  const qRow = new Map(queries.map((q, i) => [q, i]));
  const chunk = options.chunkRows ?? 256;
  const P = await embedRows(model, tokenizer, 'passage', (i) => data.passageText(needed[i]!), needed.length, options.passageLength, chunk);
  const Q = await embedRows(model, tokenizer, 'query', (i) => data.queryText(queries[i]!), queries.length, options.queryLength, chunk);

  const D = model.embeddingSize;
  // Scores as the training loss sees them: inner products divided by the temperature (1 in the paper).
  const invTemperature = 1 / model.config.temperature;
  const dot = (q: number, p: number): number => {
    let s = 0;
    for (let k = 0; k < D; k++) s += Q[q * D + k]! * P[p * D + k]!;
    return s * invTemperature;
  };
  const perPair = new Float64Array(H);
  const scores = new Float64Array(W + 1);
  let total = 0;
  for (let r = 0; r < R; r++) {
    for (let i = 0; i < H; i++) {
      const q = qRow.get(pairs.query[i]!)!;
      scores[0] = dot(q, row.get(pairs.passage[i]!)!);
      let max = scores[0];
      for (let j = 0; j < W; j++) {
        const s = dot(q, row.get(negatives[(r * H + i) * W + j]!)!);
        scores[j + 1] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let j = 0; j <= W; j++) sum += Math.exp(scores[j]! - max);
      const ce = max + Math.log(sum) - scores[0];
      perPair[i]! += ce / R;
      total += ce;
    }
  }
  return { nats: total / (R * H), perPair };
}
