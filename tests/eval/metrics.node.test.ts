import { describe, expect, it } from 'vitest';
import { ndcgAt, rankingMetrics, recallAt, reciprocalRankAt } from '../../src/eval/metrics.js';
import { learningRate } from '../../src/train/schedule.js';

const judged = new Map([
  ['a', 3],
  ['b', 2],
  ['c', 0],
  ['d', 1],
]);

describe('ranking metrics (trec_eval semantics)', () => {
  it('NDCG@k: linear gains, log2(rank+1) discount, ideal from all judged documents', () => {
    // ranking c, b, x, a: DCG = 0 + 2/log2(3) + 0 + 3/log2(5); ideal a, b, d: 3 + 2/log2(3) + 1/2
    const dcg = 2 / Math.log2(3) + 3 / Math.log2(5);
    const idcg = 3 + 2 / Math.log2(3) + 1 / 2;
    expect(ndcgAt(['c', 'b', 'x', 'a'], judged, 10)).toBeCloseTo(dcg / idcg, 15);
    // cut at 2: only c, b count; the ideal is cut at 2 too
    expect(ndcgAt(['c', 'b', 'x', 'a'], judged, 2)).toBeCloseTo(2 / Math.log2(3) / (3 + 2 / Math.log2(3)), 15);
    expect(ndcgAt(['a', 'b', 'd'], judged, 10)).toBeCloseTo(1, 15);
  });

  it('Recall@k counts grades ≥ 1 only; MRR@10 stops at rank 10', () => {
    expect(recallAt(['c', 'b', 'x', 'a'], judged, 2)).toBeCloseTo(1 / 3, 15);
    expect(recallAt(['c', 'b', 'x', 'a'], judged, 100)).toBeCloseTo(2 / 3, 15);
    expect(reciprocalRankAt(['c', 'x', 'd'], judged, 10)).toBe(1 / 3);
    const late = [...Array.from({ length: 10 }, (_, i) => `n${i}`), 'a'];
    expect(reciprocalRankAt(late, judged, 10)).toBe(0);
  });

  it('averages over queries with a relevant document; a missing run scores 0', () => {
    const qrels = new Map([
      ['q1', new Map([['d1', 1]])],
      ['q2', new Map([['d9', 1]])],
      ['q3', new Map([['d5', 0]])],
    ]);
    const run = new Map([['q1', ['d0', 'd1']]]);
    const m = rankingMetrics(qrels, run);
    expect(m.queries).toBe(2);
    expect(m['mrr@10']).toBe(0.25);
    expect(m['recall@10']).toBe(0.5);
    expect(m['ndcg@10']).toBeCloseTo(1 / Math.log2(3) / 2, 15);
  });
});

describe('learning-rate schedule', () => {
  it('warms up linearly and decays linearly to zero', () => {
    expect(learningRate(0, 1, 10, 110)).toBe(0);
    expect(learningRate(5, 1, 10, 110)).toBe(0.5);
    expect(learningRate(10, 1, 10, 110)).toBe(1);
    expect(learningRate(60, 1, 10, 110)).toBe(0.5);
    expect(learningRate(110, 1, 10, 110)).toBe(0);
    expect(learningRate(0, 2e-4, 0, 100)).toBe(2e-4);
    expect(() => learningRate(0, 1, 200, 100)).toThrow(/warmup/);
  });
});
