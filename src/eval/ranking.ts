// Full-corpus retrieval for the ranking metrics: every passage of the corpus is embedded (window by
// window, never all at once) and merged into each query's running top k on the GPU (topkForward,
// exact inner-product search), so the metrics are those of a real first-stage retriever over the whole
// corpus, not of a sampled pool (one of the known issues of the authors' release, PAPER.md).
import { ConfigError } from '../errors.js';
import type { RetrievalData } from '../data/retrieval.js';
import type { Tensor } from '../gpu/tensor.js';
import type { BiEncoder } from '../model/biencoder.js';
import { TOPK_MAX_K, TOPK_NO_INDEX, topkForward } from '../ops/topk.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { embedWindows } from './embed.js';
import type { EvalProgress, QueryTable } from './entropy.js';
import { rankingMetrics, type RankingMetrics } from './metrics.js';

/** Corpus rows embedded and merged per step (fewer when a window would not fit one binding). */
const CORPUS_WINDOW = 4096;
/** Bound on the top-k scoring workspace: queries × block rows floats. */
const WORKSPACE_FLOATS = 1 << 24;

export interface TopkRetrieval {
  /** The ranked queries (indices into the dataset), ascending. */
  queries: Int32Array;
  /** Results per query: min(k, passageCount). */
  k: number;
  /** (queries, k) passage indices, best first; ties go to the lower passage index. */
  indices: Uint32Array;
  /** (queries, k) inner products, as the GPU computed them. */
  scores: Float32Array;
}

export interface RetrieveOptions {
  /** Results per query, ≤ 1024. Default 1000. */
  k?: number;
  passageLength: number;
  /** Corpus rows per embedding window and merge step; default 4096. For tests. */
  corpusWindow?: number;
  onProgress?: (progress: EvalProgress) => void;
  /** Receives every window of corpus embeddings in order (evaluate keeps them for contrastive entropy). */
  onCorpusWindow?: (first: number, embeddings: Float32Array) => void;
}

/** @internal Validates the number of results per query. */
export function checkTopK(k: number): number {
  if (!(Number.isInteger(k) && k >= 1 && k <= TOPK_MAX_K)) throw new ConfigError(`must be an integer in [1, ${TOPK_MAX_K}], got ${k}`, 'k');
  return k;
}

/**
 * The queries of a split worth ranking: those with at least one relevant (grade > 0) judgement,
 * ascending. Queries with none do not count in trec_eval's means.
 */
export function rankedQueries(data: RetrievalData, split: string): Int32Array {
  const { query, score } = data.qrels(split);
  const has = new Uint8Array(data.queryCount);
  for (let i = 0; i < query.length; i++) if (score[i]! > 0) has[query[i]!] = 1;
  const out: number[] = [];
  for (let q = 0; q < has.length; q++) if (has[q] === 1) out.push(q);
  return Int32Array.from(out);
}

/**
 * @internal Exact top-k retrieval over the whole corpus for `queries`, whose embeddings are in
 * `queryTable`. Query groups keep their running top k on the GPU while the corpus streams past once.
 */
export async function retrieveTopK(model: BiEncoder, tokenizer: Tokenizer, data: RetrievalData, queries: Int32Array, queryTable: QueryTable, options: RetrieveOptions): Promise<TopkRetrieval> {
  const device = model.device;
  const D = model.embeddingSize;
  const k = Math.min(checkTopK(options.k ?? 1000), data.passageCount);
  const Q = queries.length;
  const indices = new Uint32Array(Q * k);
  const scores = new Float32Array(Q * k);
  if (Q === 0 || k === 0) return { queries, k, indices, scores };
  const maxBindingFloats = Math.floor(device.gpu.limits.maxStorageBufferBindingSize / 4);
  const window = Math.max(1, Math.min(options.corpusWindow ?? CORPUS_WINDOW, Math.floor(maxBindingFloats / D)));
  const groupRows = Math.max(1, Math.min(Q, Math.floor(maxBindingFloats / Math.max(k, D))));
  const blockRows = Math.max(1, Math.min(window, Math.floor(Math.min(WORKSPACE_FLOATS, maxBindingFloats) / groupRows)));
  const owned: Tensor[] = [];
  const tensor = (label: string, shape: number[], dtype: 'f32' | 'u32' = 'f32', data?: ArrayBufferView) => {
    const t = device.tensor(label, shape, dtype, data);
    owned.push(t);
    return t;
  };
  try {
    const groups: { first: number; rows: number; queries: Tensor; scores: Tensor; indices: Tensor }[] = [];
    for (let first = 0; first < Q; first += groupRows) {
      const rows = Math.min(groupRows, Q - first);
      const emb = new Float32Array(rows * D);
      for (let i = 0; i < rows; i++) {
        const row = queryTable.rowOf[queries[first + i]!]!;
        emb.set(queryTable.embeddings.subarray(row * D, (row + 1) * D), i * D);
      }
      groups.push({
        first,
        rows,
        queries: tensor(`rank.queries${groups.length}`, [rows, D], 'f32', emb),
        scores: tensor(`rank.scores${groups.length}`, [rows, k]),
        indices: tensor(`rank.indices${groups.length}`, [rows, k], 'u32'),
      });
    }
    const workspace = tensor('rank.workspace', [groupRows * blockRows]);
    const corpus = tensor('rank.corpus', [window, D]);
    const windows = embedWindows(model, tokenizer, data.passageCount, (j) => data.passageText(j), { tower: 'passage', maxLength: options.passageLength }, window);
    const total = data.passageCount;
    for await (const w of windows) {
      options.onCorpusWindow?.(w.first, w.embeddings);
      const block = corpus.slice(0, [w.count, D]);
      // Queued behind the previous window's merges, so the one corpus buffer is reused safely.
      device.write(block, w.embeddings);
      const rec = device.recorder('rank.merge');
      for (const g of groups) {
        // The workspace holds blockRows rows per query at the full group size; a smaller group gets more.
        topkForward(rec, g.scores, g.indices, workspace.slice(0, [g.rows * blockRows]), g.queries, block, { corpusOffset: w.first });
      }
      await rec.submit();
      // The last window is reported once its results are back, so 'ranking' ends when the phase does.
      if (w.first + w.count < total) options.onProgress?.({ phase: 'ranking', done: w.first + w.count, total });
    }
    const rec = device.recorder('rank.read');
    const reads = groups.map((g) => Promise.all([rec.read(g.scores), rec.read(g.indices)]));
    await rec.submit();
    for (const [i, read] of reads.entries()) {
      const [s, ix] = await read;
      const g = groups[i]!;
      scores.set(new Float32Array(s), g.first * k);
      indices.set(new Uint32Array(ix), g.first * k);
    }
    options.onProgress?.({ phase: 'ranking', done: total, total });
  } finally {
    for (const t of owned) device.release(t);
  }
  return { queries, k, indices, scores };
}

/**
 * Ranking metrics (trec_eval semantics, graded judgements for NDCG) of a retrieval run against the
 * split's qrels. Ids are the dataset's dense indices, a one-to-one renaming of the documents.
 *
 * @example
 * const metrics = metricsOfRetrieval(data, 'test', retrieval);
 * metrics['ndcg@10'];
 */
export function metricsOfRetrieval(data: RetrievalData, split: string, retrieval: TopkRetrieval): RankingMetrics {
  const judged = new Map<string, Map<string, number>>();
  const { query, passage, score } = data.qrels(split);
  for (let i = 0; i < query.length; i++) {
    const key = String(query[i]!);
    let m = judged.get(key);
    if (m === undefined) judged.set(key, (m = new Map()));
    m.set(String(passage[i]!), score[i]!);
  }
  const run = new Map<string, string[]>();
  const { k, indices } = retrieval;
  retrieval.queries.forEach((q, row) => {
    const ranking: string[] = [];
    for (let j = 0; j < k; j++) {
      const doc = indices[row * k + j]!;
      if (doc !== TOPK_NO_INDEX) ranking.push(String(doc));
    }
    run.set(String(q), ranking);
  });
  return rankingMetrics(judged, run);
}
