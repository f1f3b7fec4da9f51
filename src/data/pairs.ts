// PairDataset: the paper's training data. D annotated (query, positive) pairs, and the batches built from
// them: B queries, their B positives as in-batch negatives for each other, and W random passages shared
// by the batch, with a mask of the columns that must not count as negatives for each row.
//
// Sampling contract (tests/data/sampling_reference.ts re-implements it independently):
// - Subset: all positive pairs of the split in qrels file order, permuted once by
//   permutation(N, seed); the first D are kept, so a smaller D is a prefix of a larger one (paper §3.4,
//   seed 521 in the authors' code).
// - Order: an endless stream of dataset indices. Epoch e is permutation(D, batchSeed + e); position t of
//   the stream is epoch floor(t / D), entry t mod D. Batch k holds positions k·B … k·B+B-1, so it is a
//   pure function of (batchSeed, k) and a resumed run restarts exactly at startStep. A batch may straddle
//   two epochs.
// - Negatives of batch k: sampleDistinct(1, W, pool, batchSeed, NEGATIVE_STREAM_BASE + k) positions in the
//   pool: every passage except the positives of the held-out splits.
// - validNegative[i, c] (B × (B+W)): columns 0…B-1 are the batch's positives (column i is row i's own
//   positive, never a negative), columns B… are the sampled negatives. A column is invalid for row i when
//   its passage is a positive of query i in any loaded split (duplicates of row i's positive included);
//   a sampled negative is also invalid for every row when it equals any positive in the batch (the
//   paper removes batch positives from the sampled negatives; masking keeps the shapes fixed).
import { ConfigError, ShapeError } from '../errors.js';
import type { RetrievalData } from './retrieval.js';
import { negativePool, permutation, sampleDistinct, DEFAULT_STREAM } from './sampling.js';

/** Negatives of step k come from PCG32 stream NEGATIVE_STREAM_BASE + k: apart from the epoch streams. */
export const NEGATIVE_STREAM_BASE = 2 ** 32;
/** The authors' subset seed (DRScale). */
export const PAPER_SUBSET_SEED = 521;

/** What batching needs from a tokenizer (the WordPiece Tokenizer satisfies it). */
export interface TextEncoderLike {
  encodeBatch(
    texts: readonly string[],
    options: { maxLength: number; padding?: 'max_length' | 'longest' },
  ): { ids: Int32Array; mask: Int32Array; batch: number; length: number };
}

export interface PairDatasetOptions {
  /** The split whose positive pairs are the training data. Default 'train'. */
  split?: string;
  /** D: how many pairs to keep (a prefix of the seeded shuffle). Default: all. */
  pairs?: number;
  /** Seed of the subset shuffle. Default 521, the authors'. */
  seed?: number;
  /** Splits whose positives never serve as random negatives. Default: every loaded split except `split`. */
  heldOutSplits?: readonly string[];
}

export interface BatchIndexOptions {
  /** B: pairs per batch. */
  batchSize: number;
  /** W: random negatives shared by the batch (the paper: 256). */
  negatives: number;
  /** Seed of the epoch orders and the negatives. */
  seed: number;
}

export interface BatchOptions extends BatchIndexOptions {
  tokenizer: TextEncoderLike;
  /** Tokens per query (the paper: 25 in training). */
  queryLength: number;
  /** Tokens per passage (the paper: 180). */
  passageLength: number;
  /** First step to produce (resume). Default 0. */
  startStep?: number;
  /** Total steps of the run: iteration stops before step `steps` (so a resumed run passes the same value). Default: no end. */
  steps?: number;
}

/** The sampled indices of one batch (no tokens). */
export interface BatchIndices {
  step: number;
  /** Dataset indices (0…size-1) of the B pairs. */
  pairIndices: Int32Array;
  /** Query index of each row (B). */
  queryIndices: Int32Array;
  /** Passage index of each column (B + W): the B positives, then the W sampled negatives. */
  passageIndices: Int32Array;
  /** B × (B+W), 1 where column c is a negative for row i (see the contract at the top of pairs.ts). */
  validNegative: Uint8Array;
}

/** One tokenised training batch. */
export interface PairBatch extends BatchIndices {
  batchSize: number;
  negatives: number;
  queryLength: number;
  passageLength: number;
  /** (B, queryLength) token ids and attention mask. */
  queryIds: Int32Array;
  queryMask: Int32Array;
  /** (B + W, passageLength): the positives, then the sampled negatives. */
  passageIds: Int32Array;
  passageMask: Int32Array;
}

function positiveInt(value: number, option: string, min = 1): void {
  if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(`must be an integer ≥ ${min}, got ${value}`, option);
}

/**
 * D (query, positive passage) training pairs with seeded, resumable batching.
 *
 * @example
 * const data = await loadRetrievalData(nodeSource('/data/msmarco'), { split: ['train', 'dev.small'] });
 * const train = PairDataset.fromRetrievalData(data, { split: 'train', pairs: 100_000, seed: 521 });
 * for (const batch of train.batches({ batchSize: 128, negatives: 256, seed: 0, tokenizer,
 *                                     queryLength: 25, passageLength: 180, steps: 10_000 })) {
 *   // batch.queryIds (128×25), batch.passageIds (384×180), batch.validNegative (128×384)
 * }
 */
export class PairDataset {
  /** Row of data.positives(split) for each dataset index. */
  private readonly rows: Int32Array;
  private readonly splitQuery: Int32Array;
  private readonly splitPassage: Int32Array;
  private pool: Int32Array | null = null;
  /** CSR over queries of every loaded split's positives, each list sorted: for the masks. */
  private positiveStart: Int32Array | null = null;
  private positiveList: Int32Array | null = null;
  private readonly epochOrders = new Map<string, Int32Array>();

  private constructor(
    readonly data: RetrievalData,
    readonly split: string,
    readonly seed: number,
    private readonly heldOutSplits: readonly string[],
    pairs: number | undefined,
  ) {
    const positives = data.positives(split);
    this.splitQuery = positives.query;
    this.splitPassage = positives.passage;
    const total = positives.query.length;
    const size = pairs ?? total;
    positiveInt(size, 'pairs');
    if (size > total) throw new ConfigError(`split "${split}" has ${total} positive pairs, fewer than the ${size} asked for`, 'pairs');
    this.rows = permutation(total, seed).slice(0, size);
  }

  /**
   * The first D pairs of the split's positives after one seeded shuffle (the paper's training subsets).
   * Needs the wasm module (loaded by every async loader; after RetrievalData.fromRecords, `await loadWasm()`).
   *
   * @example
   * const small = PairDataset.fromRetrievalData(data, { pairs: 1000, seed: 521 });
   * const large = PairDataset.fromRetrievalData(data, { pairs: 5000, seed: 521 });
   * small.pair(7).queryId === large.pair(7).queryId;   // true: smaller subsets are prefixes
   */
  static fromRetrievalData(data: RetrievalData, options: PairDatasetOptions = {}): PairDataset {
    const split = options.split ?? 'train';
    const heldOut = options.heldOutSplits ?? data.splits.filter((s) => s !== split);
    return new PairDataset(data, split, options.seed ?? PAPER_SUBSET_SEED, heldOut, options.pairs);
  }

  /** D. */
  get size(): number {
    return this.rows.length;
  }

  /** Query and passage indices of dataset pair i. */
  pairIndices(i: number): { queryIndex: number; passageIndex: number } {
    if (!(Number.isInteger(i) && i >= 0 && i < this.rows.length)) throw new RangeError(`pair ${i} out of range [0, ${this.rows.length})`);
    const row = this.rows[i]!;
    return { queryIndex: this.splitQuery[row]!, passageIndex: this.splitPassage[row]! };
  }

  /** Dataset pair i, decoded. */
  pair(i: number): { query: string; positive: string; queryId: string; passageId: string; queryIndex: number; passageIndex: number } {
    const { queryIndex, passageIndex } = this.pairIndices(i);
    return {
      query: this.data.queryText(queryIndex),
      positive: this.data.passageText(passageIndex),
      queryId: this.data.queryId(queryIndex),
      passageId: this.data.passageId(passageIndex),
      queryIndex,
      passageIndex,
    };
  }

  /** Where random negatives come from: every passage except the held-out splits' positives. */
  negativePool(): Int32Array {
    this.pool ??= negativePool(this.data, this.heldOutSplits);
    return this.pool;
  }

  private epochOrder(seed: number, epoch: number): Int32Array {
    const key = `${seed}:${epoch}`;
    let order = this.epochOrders.get(key);
    if (order === undefined) {
      order = permutation(this.size, seed + epoch, DEFAULT_STREAM);
      // A batch needs at most two epochs; keep the two most recent.
      if (this.epochOrders.size >= 2) this.epochOrders.delete(this.epochOrders.keys().next().value!);
      this.epochOrders.set(key, order);
    }
    return order;
  }

  private buildPositiveIndex(): void {
    const counts = new Int32Array(this.data.queryCount + 1);
    const all = this.data.splits.map((s) => this.data.positives(s));
    for (const { query } of all) for (let i = 0; i < query.length; i++) counts[query[i]! + 1]!++;
    for (let q = 0; q < this.data.queryCount; q++) counts[q + 1]! += counts[q]!;
    const list = new Int32Array(counts[this.data.queryCount]!);
    const fill = counts.slice(0, this.data.queryCount);
    for (const { query, passage } of all) for (let i = 0; i < query.length; i++) list[fill[query[i]!]!++] = passage[i]!;
    for (let q = 0; q < this.data.queryCount; q++) list.subarray(counts[q]!, counts[q + 1]!).sort();
    this.positiveStart = counts;
    this.positiveList = list;
  }

  private isPositive(query: number, passage: number): boolean {
    const list = this.positiveList!;
    let lo = this.positiveStart![query]!;
    let hi = this.positiveStart![query + 1]! - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = list[mid]!;
      if (v === passage) return true;
      if (v < passage) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /**
   * The indices of batch `step`: a pure function of (options.seed, step) for this dataset.
   *
   * @example
   * const b = train.batchIndices(41, { batchSize: 4, negatives: 8, seed: 0 });
   * b.passageIndices;   // 4 positives then 8 sampled negatives
   */
  batchIndices(step: number, options: BatchIndexOptions): BatchIndices {
    const { batchSize, negatives, seed } = options;
    positiveInt(step, 'step', 0);
    positiveInt(batchSize, 'batchSize');
    positiveInt(negatives, 'negatives', 0);
    positiveInt(seed, 'seed', 0);
    if (batchSize > this.size) throw new ConfigError(`larger than the dataset (${this.size} pairs)`, 'batchSize');
    const pool = this.negativePool();
    if (negatives > pool.length) throw new ConfigError(`${negatives} negatives asked for but the negative pool has ${pool.length} passages`, 'negatives');
    if (this.positiveList === null) this.buildPositiveIndex();

    const B = batchSize;
    const columns = B + negatives;
    const pairIndices = new Int32Array(B);
    const queryIndices = new Int32Array(B);
    const passageIndices = new Int32Array(columns);
    for (let j = 0; j < B; j++) {
      const position = step * B + j;
      const index = this.epochOrder(seed, Math.floor(position / this.size))[position % this.size]!;
      const { queryIndex, passageIndex } = this.pairIndices(index);
      pairIndices[j] = index;
      queryIndices[j] = queryIndex;
      passageIndices[j] = passageIndex;
    }
    const drawn = sampleDistinct(1, negatives, pool.length, seed, NEGATIVE_STREAM_BASE + step);
    for (let w = 0; w < negatives; w++) passageIndices[B + w] = pool[drawn[w]!]!;

    const batchPositives = new Set(passageIndices.subarray(0, B));
    const validNegative = new Uint8Array(B * columns);
    for (let i = 0; i < B; i++) {
      const q = queryIndices[i]!;
      for (let c = 0; c < columns; c++) {
        const p = passageIndices[c]!;
        const ok = c !== i && !this.isPositive(q, p) && (c < B || !batchPositives.has(p));
        validNegative[i * columns + c] = ok ? 1 : 0;
      }
    }
    return { step, pairIndices, queryIndices, passageIndices, validNegative };
  }

  /** Batch `step`, tokenised. */
  batch(step: number, options: BatchOptions): PairBatch {
    const { batchSize, negatives, tokenizer, queryLength, passageLength } = options;
    positiveInt(queryLength, 'queryLength');
    positiveInt(passageLength, 'passageLength');
    const indices = this.batchIndices(step, options);
    const queries = Array.from(indices.queryIndices, (q) => this.data.queryText(q));
    const passages = Array.from(indices.passageIndices, (p) => this.data.passageText(p));
    const q = tokenizer.encodeBatch(queries, { maxLength: queryLength, padding: 'max_length' });
    const p = tokenizer.encodeBatch(passages, { maxLength: passageLength, padding: 'max_length' });
    if (q.batch !== batchSize || q.length !== queryLength || p.batch !== batchSize + negatives || p.length !== passageLength) {
      throw new ShapeError(
        `PairDataset.batch: tokenizer returned queries (${q.batch},${q.length}) and passages (${p.batch},${p.length}); ` +
          `expected (${batchSize},${queryLength}) and (${batchSize + negatives},${passageLength})`,
      );
    }
    return { ...indices, batchSize, negatives, queryLength, passageLength, queryIds: q.ids, queryMask: q.mask, passageIds: p.ids, passageMask: p.mask };
  }

  /**
   * Batches from `startStep` on (endless unless `steps` is given). Epochs are reshuffled with
   * seed + epoch; see the contract at the top of pairs.ts.
   */
  *batches(options: BatchOptions): Generator<PairBatch> {
    const start = options.startStep ?? 0;
    const end = options.steps ?? Infinity;
    for (let step = start; step < end; step++) yield this.batch(step, options);
  }
}
