// Ranking metrics computed as trec_eval / pytrec_eval compute them (BEIR reports pytrec_eval):
// - a document is relevant when its qrel grade is ≥ 1; grades ≤ 0 count as judged non-relevant;
// - NDCG@k uses linear gains (gain = grade) and the log2(rank + 1) discount; the ideal DCG ranks all
//   judged documents of the query by grade (retrieved or not);
// - Recall@k = relevant retrieved in the top k / all relevant of the query;
// - MRR@10 = 1 / rank of the first relevant document within the top 10, else 0 (MS MARCO's MRR@10);
// - every metric is averaged over the queries that have at least one relevant document.
// Rankings come in already ordered (our top-k breaks score ties by the lower corpus index, where
// trec_eval breaks them by document name; with real-valued scores ties do not occur in practice).

export type Qrels = ReadonlyMap<string, ReadonlyMap<string, number>>;
export type Run = ReadonlyMap<string, readonly string[]>;

export interface RankingMetrics {
  'mrr@10': number;
  'ndcg@10': number;
  'recall@10': number;
  'recall@100': number;
  'recall@1000': number;
  /** Queries with at least one relevant document: the denominator of every mean. */
  queries: number;
}

function dcg(grades: readonly number[], k: number): number {
  let s = 0;
  for (let i = 0; i < Math.min(k, grades.length); i++) {
    const g = grades[i]!;
    if (g > 0) s += g / Math.log2(i + 2);
  }
  return s;
}

export function ndcgAt(ranking: readonly string[], judged: ReadonlyMap<string, number>, k: number): number {
  const gains = ranking.slice(0, k).map((d) => judged.get(d) ?? 0);
  const ideal = [...judged.values()].filter((g) => g > 0).sort((a, b) => b - a);
  const idcg = dcg(ideal, k);
  return idcg === 0 ? 0 : dcg(gains, k) / idcg;
}

export function recallAt(ranking: readonly string[], judged: ReadonlyMap<string, number>, k: number): number {
  let relevant = 0;
  for (const g of judged.values()) if (g > 0) relevant++;
  if (relevant === 0) return 0;
  let hit = 0;
  for (const d of ranking.slice(0, k)) if ((judged.get(d) ?? 0) > 0) hit++;
  return hit / relevant;
}

export function reciprocalRankAt(ranking: readonly string[], judged: ReadonlyMap<string, number>, k: number): number {
  const n = Math.min(k, ranking.length);
  for (let i = 0; i < n; i++) if ((judged.get(ranking[i]!) ?? 0) > 0) return 1 / (i + 1);
  return 0;
}

/**
 * Mean MRR@10, NDCG@10 and Recall@{10,100,1000} over the queries of `qrels` with a relevant document.
 * A query missing from `run` counts as an empty ranking (zero), as in trec_eval with `-c`.
 *
 * @example
 * rankingMetrics(new Map([['q1', new Map([['d2', 1]])]]), new Map([['q1', ['d1', 'd2']]]))['mrr@10']; // 0.5
 */
export function rankingMetrics(qrels: Qrels, run: Run): RankingMetrics {
  const sums = { mrr: 0, ndcg: 0, r10: 0, r100: 0, r1000: 0 };
  let queries = 0;
  for (const [q, judged] of qrels) {
    if (![...judged.values()].some((g) => g > 0)) continue;
    queries++;
    const ranking = run.get(q) ?? [];
    sums.mrr += reciprocalRankAt(ranking, judged, 10);
    sums.ndcg += ndcgAt(ranking, judged, 10);
    sums.r10 += recallAt(ranking, judged, 10);
    sums.r100 += recallAt(ranking, judged, 100);
    sums.r1000 += recallAt(ranking, judged, 1000);
  }
  const mean = (x: number) => (queries === 0 ? 0 : x / queries);
  return {
    'mrr@10': mean(sums.mrr),
    'ndcg@10': mean(sums.ndcg),
    'recall@10': mean(sums.r10),
    'recall@100': mean(sums.r100),
    'recall@1000': mean(sums.r1000),
    queries,
  };
}
