// evaluate(): full-corpus top-k against a brute-force f64 ranking of the same model's embeddings
// (embedded another way), ranking metrics against rankingMetrics on that ranking under the real ids,
// the corpus streamed in several windows, k beyond the corpus, and contrastive entropy equal to the
// stand-alone contrastiveEntropy() bit for bit.
import { describe, expect, it } from 'vitest';
import { contrastiveEntropy } from '../../src/eval/entropy.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { rankingMetrics } from '../../src/eval/metrics.js';
import { TOPK_NO_INDEX } from '../../src/ops/topk.js';
import { expectBitEqual } from '../helpers/close.js';
import { fixtureData, fixtureRecords, openFixture } from './fixture.js';

const SEED = 33;
const PASSAGES = 90;
const records = fixtureRecords(SEED, PASSAGES, 30);
const data = fixtureData(SEED, PASSAGES, 30);
const LENGTHS = { queryLength: 10, passageLength: 20 };

const { tokenizer, model } = await openFixture(17);

async function embedPadded(tower: 'query' | 'passage', texts: string[], length: number): Promise<Float64Array> {
  const b = tokenizer.encodeBatch(texts, { maxLength: length, padding: 'max_length' });
  return Float64Array.from(await model.embed(tower, b.ids, b.mask, texts.length, length));
}

/** Every query's whole corpus ranked by f64 inner product (ties: lower index), with the scores. */
async function bruteForce(): Promise<{ ranking: Map<number, number[]>; score: (q: number, p: number) => number; magnitude: number }> {
  const D = model.embeddingSize;
  const Q = await embedPadded('query', records.queries.map((q) => q.text), LENGTHS.queryLength);
  const P = await embedPadded('passage', records.passages.map((p) => (p.title === undefined ? p.text : `${p.title} ${p.text}`)), LENGTHS.passageLength);
  let magnitude = 0;
  const score = (q: number, p: number) => {
    let s = 0;
    for (let d = 0; d < D; d++) s += Q[q * D + d]! * P[p * D + d]!;
    return s;
  };
  for (let q = 0; q < records.queries.length; q++) {
    for (let p = 0; p < PASSAGES; p++) {
      let abs = 0;
      for (let d = 0; d < D; d++) abs += Math.abs(Q[q * D + d]! * P[p * D + d]!);
      magnitude = Math.max(magnitude, abs);
    }
  }
  const ranking = new Map<number, number[]>();
  for (let q = 0; q < records.queries.length; q++) {
    ranking.set(q, Array.from({ length: PASSAGES }, (_, p) => p).sort((a, b) => score(q, b) - score(q, a) || a - b));
  }
  return { ranking, score, magnitude };
}

describe('evaluate', () => {
  it('ranks the whole corpus as a brute-force f64 search does, and scores it as rankingMetrics does', async () => {
    const brute = await bruteForce();
    for (const [k, corpusWindow] of [[10, 13], [25, 4096]] as const) {
      const result = await evaluate(model, tokenizer, data, { split: 'test', negatives: 8, repeats: 2, seed: 3, k, corpusWindow, ...LENGTHS });
      const { retrieval } = result;
      const testQueries = [...new Set(records.qrels.test!.filter((r) => r.score > 0).map((r) => Number(r.queryId.slice(1))))].sort((a, b) => a - b);
      expect(Array.from(retrieval.queries)).toEqual(testQueries);
      expect(retrieval.k).toBe(k);
      const tol = 1e-5 * brute.magnitude;
      retrieval.queries.forEach((q, row) => {
        const got = Array.from(retrieval.indices.subarray(row * k, (row + 1) * k));
        const want = brute.ranking.get(q)!.slice(0, k);
        expect(new Set(got).size, `query ${q}: distinct results`).toBe(k);
        for (let j = 0; j < k; j++) {
          // Rank by rank the scores agree: robust to a near-tie swapped by f32 rounding, strict otherwise.
          expect(Math.abs(brute.score(q, got[j]!) - brute.score(q, want[j]!)), `query ${q} rank ${j}`).toBeLessThanOrEqual(tol);
          expect(Math.abs(retrieval.scores[row * k + j]! - brute.score(q, got[j]!))).toBeLessThanOrEqual(tol);
        }
      });
      // The metrics of the brute-force ranking, under the dataset's real ids and rankingMetrics.
      const qrels = new Map<string, Map<string, number>>();
      for (const r of records.qrels.test!) {
        if (!qrels.has(r.queryId)) qrels.set(r.queryId, new Map());
        qrels.get(r.queryId)!.set(r.passageId, r.score);
      }
      const run = new Map([...brute.ranking].map(([q, ranked]) => [`q${q}`, ranked.slice(0, k).map((p) => `p${p}`)]));
      const want = rankingMetrics(qrels, run);
      expect(want['recall@10'], 'the fixture queries find some of their passages: metrics are not all 0').toBeGreaterThan(0);
      for (const m of ['mrr@10', 'ndcg@10', 'recall@10', 'recall@100', 'recall@1000'] as const) {
        expect(result[m], `${m} at k=${k}`).toBeCloseTo(want[m], 12);
      }
      expect(result.queries).toBe(want.queries);
      expect(result.pairs).toBe(data.positives('test').query.length);
      // Graded judgements matter: the fixture has grade-2 and grade-0 entries in the test split.
      expect(new Set(records.qrels.test!.map((r) => r.score))).toEqual(new Set([0, 1, 2]));
    }
  });

  it('returns every passage when k exceeds the corpus, so recall@100 is 1', async () => {
    const result = await evaluate(model, tokenizer, data, { negatives: 4, repeats: 1, k: 1000, corpusWindow: 32, ...LENGTHS });
    expect(result.retrieval.k).toBe(PASSAGES);
    for (let row = 0; row < result.queries; row++) {
      const got = result.retrieval.indices.subarray(row * PASSAGES, (row + 1) * PASSAGES);
      expect(got.includes(TOPK_NO_INDEX)).toBe(false);
      expect(new Set(got).size).toBe(PASSAGES);
    }
    expect(result['recall@100']).toBe(1);
    expect(result['recall@1000']).toBe(1);
  });

  it('reports the same contrastive entropy bits as contrastiveEntropy() alone', async () => {
    const options = { split: 'test', negatives: 9, repeats: 3, seed: 7, ...LENGTHS };
    const both = await evaluate(model, tokenizer, data, { ...options, corpusWindow: 16 });
    const alone = await contrastiveEntropy(model, tokenizer, data, options);
    expectBitEqual(both.entropy.losses, alone.losses, 'evaluate vs contrastiveEntropy');
    expect(both.contrastiveEntropy).toBe(alone.nats);
  });

  it('rejects k outside 1 … 1024, naming it', async () => {
    await expect(evaluate(model, tokenizer, data, { negatives: 4, repeats: 1, k: 1025, ...LENGTHS })).rejects.toThrow(/^k: /);
    await expect(evaluate(model, tokenizer, data, { negatives: 4, repeats: 1, k: 0, ...LENGTHS })).rejects.toThrow(/^k: /);
  });
});
