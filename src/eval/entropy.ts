// Contrastive entropy, the paper's evaluation metric (docs PAPER.md): for each positive pair (q, p⁺) of
// a split and each of R repeats, W negatives drawn from the passages that are no positive of the split,
//   CE(q, p⁺) = −log( exp s(q,p⁺) / (exp s(q,p⁺) + Σ_j exp s(q,p⁻_j)) ),  s = ⟨q, p⟩ / temperature,
// averaged over pairs, then over repeats.
//
// How it runs: the queries of the evaluated pairs are embedded once; the passages the rows need (the
// positives and every sampled negative) are embedded once into a table on the GPU, in ascending passage
// order; contrastiveEvalForward then scores rows of (repeat, pair) against that table in chunks. When
// the passages needed exceed one storage binding (a large corpus with many repeats), rows are split
// into consecutive groups whose passages fit, each group with its own table. Every per-pair loss is the
// same bits whatever the grouping, the chunking or the runtime (the embeddings do not depend on how
// texts are batched, and the kernel is bit-identical across drivers); the means are f64 sums in a fixed
// order on the CPU.
import { ConfigError, LimitError } from '../errors.js';
import { contrastiveEvalForward } from '../ops/contrastive.js';
import type { BiEncoder } from '../model/biencoder.js';
import type { RetrievalData } from '../data/retrieval.js';
import { EVAL_STREAM, sampleDistinct, sampleEvalNegatives } from '../data/sampling.js';
import type { Tensor } from '../gpu/tensor.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { embedTexts } from './embed.js';

/** Stream of the pair subset drawn for maxPairs, apart from the negatives' stream so the two never correlate. */
export const PAIR_SUBSET_STREAM = EVAL_STREAM + 1;
/** Query rows per contrastiveEvalForward dispatch (bounded below by the binding limit). */
const ROWS_PER_DISPATCH = 4096;

export interface ContrastiveEntropyOptions {
  /** The evaluated split; its positive pairs are the rows. Default 'test'. */
  split?: string;
  /** W, negatives per pair. Default 256 (the paper). */
  negatives?: number;
  /** R, independent draws of the negatives. Default 10 (the authors' code). */
  repeats?: number;
  /** Seed of the negatives (and of the pair subset). Default 1 (the authors' code). */
  seed?: number;
  /** Query truncation in tokens, [CLS]/[SEP] included. Default 32. */
  queryLength?: number;
  /** Passage truncation in tokens. Default 180. */
  passageLength?: number;
  /**
   * Evaluate a seeded subset of this many pairs (ascending order) instead of all. A pair's negatives
   * are those of the full evaluation, so its loss is the same bits as in a full run.
   */
  maxPairs?: number;
  /** Passage rows per GPU table; default: as many as fit one storage binding. For tests and memory caps. */
  tableRows?: number;
  /** Progress of the long phases: embedding queries, embedding passages, scoring rows. */
  onProgress?: (progress: EvalProgress) => void;
}

export interface EvalProgress {
  phase: 'queries' | 'passages' | 'entropy' | 'ranking';
  done: number;
  total: number;
}

export interface ContrastiveEntropyResult {
  /** Mean contrastive entropy in nats (mean over repeats of the mean over pairs). */
  nats: number;
  /** The same in bits. */
  bits: number;
  /** Pairs evaluated per repeat. */
  pairs: number;
  repeats: number;
  /** Mean over pairs of each repeat, nats. */
  perRepeat: number[];
  /** (repeats, pairs) row-major: each pair's loss in nats as the GPU computed it (f32). */
  losses: Float32Array;
  /** Which positives of the split were evaluated: indices into data.positives(split), ascending. */
  pairIndices: Int32Array;
}

/** @internal Everything decided before any embedding: which pairs and which negatives. */
export interface EntropyPlan {
  split: string;
  negatives: number;
  repeats: number;
  queryLength: number;
  passageLength: number;
  pairIndices: Int32Array;
  /** Per evaluated pair (P of them): its query and positive passage. */
  query: Int32Array;
  positive: Int32Array;
  /** (R, P, W) passage indices. */
  negativeIndex: Int32Array;
}

function positiveInteger(value: number, field: string, min = 1): number {
  if (!(Number.isInteger(value) && value >= min)) throw new ConfigError(`must be an integer ≥ ${min}, got ${value}`, field);
  return value;
}

/** @internal Checks a sequence length against the model before anything is embedded. */
export function checkLength(model: BiEncoder, length: number, field: 'queryLength' | 'passageLength'): number {
  positiveInteger(length, field, 2);
  if (length > model.config.maxPositions) throw new ConfigError(`${length} exceeds the model's maxPositions ${model.config.maxPositions}`, field);
  return length;
}

/** @internal Resolves options, draws the pair subset and the negatives. */
export function planEntropy(model: BiEncoder, data: RetrievalData, options: ContrastiveEntropyOptions): EntropyPlan {
  const split = options.split ?? 'test';
  const W = positiveInteger(options.negatives ?? 256, 'negatives');
  const R = positiveInteger(options.repeats ?? 10, 'repeats');
  const seed = options.seed ?? 1;
  const queryLength = checkLength(model, options.queryLength ?? 32, 'queryLength');
  const passageLength = checkLength(model, options.passageLength ?? 180, 'passageLength');
  const maxPairs = options.maxPairs === undefined ? Infinity : positiveInteger(options.maxPairs, 'maxPairs');
  const positives = data.positives(split);
  const total = positives.query.length;
  if (total === 0) throw new ConfigError(`split "${split}" has no positive pairs`, 'split');
  const all = sampleEvalNegatives(data, { split, negatives: W, repeats: R, seed });
  const pairIndices = maxPairs >= total ? Int32Array.from({ length: total }, (_, i) => i) : sampleDistinct(1, maxPairs, total, seed, PAIR_SUBSET_STREAM).sort();
  const P = pairIndices.length;
  const query = new Int32Array(P);
  const positive = new Int32Array(P);
  const negativeIndex = P === total ? all : new Int32Array(R * P * W);
  for (let p = 0; p < P; p++) {
    const i = pairIndices[p]!;
    query[p] = positives.query[i]!;
    positive[p] = positives.passage[i]!;
    if (P !== total) for (let r = 0; r < R; r++) negativeIndex.set(all.subarray((r * total + i) * W, (r * total + i + 1) * W), (r * P + p) * W);
  }
  return { split, negatives: W, repeats: R, queryLength, passageLength, pairIndices, query, positive, negativeIndex };
}

/** @internal Query embeddings by query index: row rowOf[q] of `embeddings` (rowOf −1: not embedded). */
export interface QueryTable {
  rowOf: Int32Array;
  embeddings: Float32Array;
}

/** @internal Embeds the given queries (ascending, distinct) once. */
export async function embedQueryTable(model: BiEncoder, tokenizer: Tokenizer, data: RetrievalData, queries: Int32Array, queryLength: number, onProgress?: ContrastiveEntropyOptions['onProgress']): Promise<QueryTable> {
  const rowOf = new Int32Array(data.queryCount).fill(-1);
  queries.forEach((q, row) => (rowOf[q] = row));
  const embeddings = await embedTexts(model, tokenizer, queries.length, (j) => data.queryText(queries[j]!), {
    tower: 'query',
    maxLength: queryLength,
    onProgress: (done, total) => onProgress?.({ phase: 'queries', done, total }),
  });
  return { rowOf, embeddings };
}

/** @internal Distinct values, ascending. */
export function distinctSorted(values: Int32Array): Int32Array {
  const sorted = values.slice().sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[n++] = sorted[i]!;
  return sorted.slice(0, n);
}

/** @internal Embeddings (n, D) of the passages with the given indices (ascending), in that order. */
export type PassageEmbedder = (indices: Int32Array) => Promise<Float32Array>;

/** @internal A PassageEmbedder that runs the passage tower on the texts. */
export function passageEmbedder(model: BiEncoder, tokenizer: Tokenizer, data: RetrievalData, passageLength: number, onProgress?: ContrastiveEntropyOptions['onProgress']): PassageEmbedder {
  return (indices) =>
    embedTexts(model, tokenizer, indices.length, (j) => data.passageText(indices[j]!), {
      tower: 'passage',
      maxLength: passageLength,
      onProgress: (done, total) => onProgress?.({ phase: 'passages', done, total }),
    });
}

/**
 * Consecutive row ranges whose passages (positives and negatives) fit `capacity` table rows. Rows are
 * r·P + p; one group when everything fits.
 */
function groupRows(plan: EntropyPlan, passageCount: number, capacity: number): { start: number; end: number; passages: number }[] {
  const P = plan.query.length;
  const W = plan.negatives;
  const rows = plan.repeats * P;
  const stamp = new Int32Array(passageCount).fill(-1);
  const groups: { start: number; end: number; passages: number }[] = [];
  let start = 0;
  let count = 0;
  const fresh = (row: number, id: number) => {
    let n = stamp[plan.positive[row % P]!] === id ? 0 : 1;
    for (let j = row * W; j < (row + 1) * W; j++) if (stamp[plan.negativeIndex[j]!] !== id) n++;
    return n;
  };
  for (let row = 0; row < rows; row++) {
    let added = fresh(row, groups.length);
    if (count + added > capacity) {
      groups.push({ start, end: row, passages: count });
      start = row;
      count = 0;
      added = fresh(row, groups.length);
    }
    const id = groups.length;
    stamp[plan.positive[row % P]!] = id;
    for (let j = row * W; j < (row + 1) * W; j++) stamp[plan.negativeIndex[j]!] = id;
    count += added;
  }
  groups.push({ start, end: rows, passages: count });
  return groups;
}

/** @internal Scores every row of the plan on the GPU and averages. */
export async function runEntropy(model: BiEncoder, data: RetrievalData, plan: EntropyPlan, queries: QueryTable, embedPassages: PassageEmbedder, options: Pick<ContrastiveEntropyOptions, 'tableRows' | 'onProgress'> = {}): Promise<ContrastiveEntropyResult> {
  const device = model.device;
  const D = model.embeddingSize;
  const P = plan.query.length;
  const W = plan.negatives;
  const R = plan.repeats;
  const maxBindingFloats = Math.floor(device.gpu.limits.maxStorageBufferBindingSize / 4);
  const capacity = Math.min(options.tableRows ?? Infinity, Math.floor(maxBindingFloats / D));
  if (capacity < W + 1) {
    throw new LimitError(`a row needs ${W + 1} passages in the GPU table but it holds ${capacity}; lower negatives (or raise tableRows)`, 'maxStorageBufferBindingSize');
  }
  const groups = groupRows(plan, data.passageCount, capacity);
  const chunk = Math.max(1, Math.min(ROWS_PER_DISPATCH, Math.floor(maxBindingFloats / (W + 1)), Math.floor(maxBindingFloats / D), P * R));
  const tableRows = Math.max(...groups.map((g) => g.passages));
  const owned: Tensor[] = [];
  const tensor = (label: string, shape: number[], dtype: 'f32' | 'u32' = 'f32') => {
    const t = device.tensor(label, shape, dtype);
    owned.push(t);
    return t;
  };
  const losses = new Float32Array(R * P);
  try {
    const table = tensor('eval.passage_table', [tableRows, D]);
    const q = tensor('eval.queries', [chunk, D]);
    const pos = tensor('eval.pos_index', [chunk], 'u32');
    const neg = tensor('eval.neg_index', [chunk, W], 'u32');
    const loss = tensor('eval.loss', [chunk]);
    const scores = tensor('eval.scores', [chunk, W + 1]);
    const tableRowOf = new Int32Array(data.passageCount);
    const scale = 1 / model.config.temperature;
    let scored = 0;
    for (const g of groups) {
      const needed = new Int32Array(g.passages);
      const seen = new Uint8Array(data.passageCount);
      let n = 0;
      const take = (i: number) => {
        if (seen[i] === 0) {
          seen[i] = 1;
          needed[n++] = i;
        }
      };
      for (let row = g.start; row < g.end; row++) {
        take(plan.positive[row % P]!);
        for (const i of plan.negativeIndex.subarray(row * W, (row + 1) * W)) take(i);
      }
      needed.sort();
      needed.forEach((i, r) => (tableRowOf[i] = r));
      device.write(table.slice(0, [g.passages, D]), await embedPassages(needed));
      const reads: Promise<void>[] = [];
      for (let r0 = g.start; r0 < g.end; r0 += chunk) {
        const rows = Math.min(chunk, g.end - r0);
        const qData = new Float32Array(rows * D);
        const posData = new Uint32Array(rows);
        const negData = new Uint32Array(rows * W);
        for (let k = 0; k < rows; k++) {
          const p = (r0 + k) % P;
          const qRow = queries.rowOf[plan.query[p]!]!;
          qData.set(queries.embeddings.subarray(qRow * D, (qRow + 1) * D), k * D);
          posData[k] = tableRowOf[plan.positive[p]!]!;
          const negs = plan.negativeIndex.subarray((r0 + k) * W, (r0 + k + 1) * W);
          for (let j = 0; j < W; j++) negData[k * W + j] = tableRowOf[negs[j]!]!;
        }
        // Writes are queued behind the previous chunk's submit, so the buffers can be reused without waiting.
        device.write(q.slice(0, [rows, D]), qData);
        device.write(pos.slice(0, [rows]), posData);
        device.write(neg.slice(0, [rows, W]), negData);
        const rec = device.recorder('eval.entropy');
        contrastiveEvalForward(rec, loss.slice(0, [rows]), scores.slice(0, [rows, W + 1]), q.slice(0, [rows, D]), table.slice(0, [g.passages, D]), pos.slice(0, [rows]), neg.slice(0, [rows, W]), { scale });
        const bytes = rec.read(loss.slice(0, [rows]));
        await rec.submit();
        reads.push(
          bytes.then((b) => {
            losses.set(new Float32Array(b), r0);
            scored += rows;
            options.onProgress?.({ phase: 'entropy', done: scored, total: R * P });
          }),
        );
      }
      await Promise.all(reads);
    }
  } finally {
    for (const t of owned) device.release(t);
  }
  const perRepeat: number[] = [];
  for (let r = 0; r < R; r++) {
    let sum = 0;
    for (let p = 0; p < P; p++) sum += losses[r * P + p]!;
    perRepeat.push(sum / P);
  }
  const nats = perRepeat.reduce((a, b) => a + b, 0) / R;
  return { nats, bits: nats / Math.LN2, pairs: P, repeats: R, perRepeat, losses, pairIndices: plan.pairIndices };
}

/**
 * The paper's contrastive entropy of a model on a split: per positive pair (q, p⁺), −log softmax of p⁺
 * among p⁺ and W negatives drawn (seeded) from the passages that are no positive of the split; the mean
 * over pairs, averaged over R repeats with fresh negatives. Scores are inner products divided by the
 * model's temperature (1: the paper). Deterministic: the same model, data and options give the same
 * bits on every runtime (lavapipe, SwiftShader, Chromium). Runs in Node and browsers.
 *
 * @example
 * const ce = await contrastiveEntropy(model, tokenizer, data, { split: 'test', negatives: 256, repeats: 10, seed: 1 });
 * console.log(ce.nats, ce.bits, ce.pairs, ce.perRepeat);
 */
export async function contrastiveEntropy(model: BiEncoder, tokenizer: Tokenizer, data: RetrievalData, options: ContrastiveEntropyOptions = {}): Promise<ContrastiveEntropyResult> {
  const plan = planEntropy(model, data, options);
  const queries = await embedQueryTable(model, tokenizer, data, distinctSorted(plan.query), plan.queryLength, options.onProgress);
  return runEntropy(model, data, plan, queries, passageEmbedder(model, tokenizer, data, plan.passageLength, options.onProgress), options);
}
