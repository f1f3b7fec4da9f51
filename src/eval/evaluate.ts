// evaluate(): contrastive entropy and full-corpus ranking metrics of a model on one split, sharing the
// work: queries are embedded once for both, and the corpus embeddings streamed through the ranking are
// kept (when they fit a memory budget) so contrastive entropy reads its passages from them instead of
// running the encoder again. The numbers are the same bits as contrastiveEntropy() and a separate
// ranking would give: embeddings do not depend on how texts are batched (src/eval/embed.ts).
import type { RetrievalData } from '../data/retrieval.js';
import type { BiEncoder } from '../model/biencoder.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import {
  distinctSorted,
  embedQueryTable,
  passageEmbedder,
  planEntropy,
  runEntropy,
  type ContrastiveEntropyOptions,
  type ContrastiveEntropyResult,
  type PassageEmbedder,
} from './entropy.js';
import type { RankingMetrics } from './metrics.js';
import { checkTopK, metricsOfRetrieval, rankedQueries, retrieveTopK, type TopkRetrieval } from './ranking.js';

/** Corpus embeddings kept on the CPU for contrastive entropy up to this size; beyond it passages are re-embedded. */
const CORPUS_TABLE_BYTES = 512 * 1024 * 1024;

export interface EvaluateOptions extends ContrastiveEntropyOptions {
  /** Passages retrieved per query for the ranking metrics (≤ 1024). Default 1000. */
  k?: number;
  /** Corpus rows per embedding window and top-k merge; default 4096. For tests. */
  corpusWindow?: number;
}

/** The headline numbers of an evaluation (what `densescale eval --json` prints besides the manifest). */
export interface EvaluationMetrics extends RankingMetrics {
  /** Contrastive entropy in nats (ContrastiveEntropyResult.nats). */
  contrastiveEntropy: number;
  /** Pairs behind the contrastive entropy (per repeat). */
  pairs: number;
}

export interface Evaluation extends EvaluationMetrics {
  /** The contrastive entropy in detail: bits, per repeat, per pair. */
  entropy: ContrastiveEntropyResult;
  /** The full-corpus top k of every ranked query. */
  retrieval: TopkRetrieval;
}

/**
 * Evaluates a model on a split: the paper's contrastive entropy (W seeded negatives per pair, R repeats)
 * and MRR@10, NDCG@10 (graded), Recall@10/100/1000 of exact inner-product retrieval over the whole
 * corpus, trec_eval semantics. Deterministic and bit-identical across runtimes. Runs in Node and browsers.
 *
 * @example
 * const result = await evaluate(model, tokenizer, data, { split: 'test', negatives: 256, repeats: 10, seed: 1 });
 * console.log(result.contrastiveEntropy, result['ndcg@10'], result['recall@1000']);
 */
export async function evaluate(model: BiEncoder, tokenizer: Tokenizer, data: RetrievalData, options: EvaluateOptions = {}): Promise<Evaluation> {
  const k = checkTopK(options.k ?? 1000);
  const plan = planEntropy(model, data, options);
  const ranked = rankedQueries(data, plan.split);
  const all = new Int32Array(ranked.length + plan.query.length);
  all.set(ranked);
  all.set(plan.query, ranked.length);
  const queryTable = await embedQueryTable(model, tokenizer, data, distinctSorted(all), plan.queryLength, options.onProgress);

  const D = model.embeddingSize;
  const keep = data.passageCount * D * 4 <= CORPUS_TABLE_BYTES;
  const corpus = keep ? new Float32Array(data.passageCount * D) : null;
  const retrieval = await retrieveTopK(model, tokenizer, data, ranked, queryTable, {
    k,
    passageLength: plan.passageLength,
    ...(options.corpusWindow === undefined ? {} : { corpusWindow: options.corpusWindow }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(corpus === null ? {} : { onCorpusWindow: (first: number, emb: Float32Array) => corpus.set(emb, first * D) }),
  });
  const metrics = metricsOfRetrieval(data, plan.split, retrieval);

  const embedPassages: PassageEmbedder =
    corpus === null
      ? passageEmbedder(model, tokenizer, data, plan.passageLength, options.onProgress)
      : async (indices) => {
          const out = new Float32Array(indices.length * D);
          indices.forEach((i, row) => out.set(corpus.subarray(i * D, (i + 1) * D), row * D));
          return out;
        };
  const entropy = await runEntropy(model, data, plan, queryTable, embedPassages, options);
  return {
    contrastiveEntropy: entropy.nats,
    'mrr@10': metrics['mrr@10'],
    'ndcg@10': metrics['ndcg@10'],
    'recall@10': metrics['recall@10'],
    'recall@100': metrics['recall@100'],
    'recall@1000': metrics['recall@1000'],
    pairs: entropy.pairs,
    queries: metrics.queries,
    entropy,
    retrieval,
  };
}
