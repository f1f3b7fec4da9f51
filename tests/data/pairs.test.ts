import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { PairDataset } from '../../src/data/pairs.js';
import { RetrievalData } from '../../src/data/retrieval.js';
import { loadWasm } from '../../src/wasm/module.js';
import { mulberry32 } from '../helpers/rand.js';
import { refBatches, refPermutation, type RefDataset } from './sampling_reference.js';
import { standInTokenizer } from './stand_in_tokenizer.js';

// Top-level: describe() bodies run at collection, before any beforeAll.
await loadWasm();

/**
 * 300 passages, 120 train queries (every 5th has three positives, some positives shared between
 * queries), 30 test queries with their own positives (p0..p29), plus a dev split.
 */
function syntheticData(): { data: RetrievalData; ref: RefDataset } {
  const r = mulberry32(11);
  const words = ['alpha', 'beta', 'gamma', 'delta', 'kappa', 'sigma', 'omega', 'rho', 'tau', 'phi'];
  const sentence = (n: number) => Array.from({ length: n }, () => words[Math.floor(r() * words.length)]).join(' ');
  const passages = Array.from({ length: 300 }, (_, i) => ({ id: `p${i}`, text: `${sentence(5 + (i % 7))} ${i}` }));
  const queries = Array.from({ length: 160 }, (_, i) => ({ id: `q${i}`, text: `${sentence(3)} ${i}` }));
  const test = Array.from({ length: 30 }, (_, i) => ({ queryId: `q${i}`, passageId: `p${i}` }));
  const dev = Array.from({ length: 10 }, (_, i) => ({ queryId: `q${150 + i}`, passageId: `p${30 + i}` }));
  const train: { queryId: string; passageId: string; score?: number }[] = [];
  for (let i = 0; i < 120; i++) {
    const q = `q${30 + i}`;
    train.push({ queryId: q, passageId: `p${40 + ((i * 7) % 260)}` });
    if (i % 5 === 0) {
      train.push({ queryId: q, passageId: `p${40 + ((i * 7 + 1) % 260)}` });
      train.push({ queryId: q, passageId: `p${40 + ((i * 7 + 2) % 260)}` });
    }
    if (i % 9 === 0) train.push({ queryId: q, passageId: `p${40 + ((i * 13 + 5) % 260)}`, score: 0 }); // judged non-relevant
  }
  const data = RetrievalData.fromRecords({ passages, queries, qrels: { train, test, dev } });
  const positives: RefDataset['positives'] = {};
  for (const [split, list] of Object.entries({ train, test, dev })) {
    positives[split] = list.filter((x) => ((x as { score?: number }).score ?? 1) > 0).map((x) => [Number(x.queryId.slice(1)), Number(x.passageId.slice(1))]);
  }
  return { data, ref: { passages: passages.map((p) => p.id), positives } };
}

async function sha256(parts: ArrayLike<number>[]): Promise<string> {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const all = new Int32Array(total);
  let at = 0;
  for (const p of parts) {
    all.set(Array.from(p), at);
    at += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

describe('PairDataset subsets (paper: shuffle all pairs once by a seed, keep the first D)', () => {
  const { data, ref } = syntheticData();

  it('keeps the first D of the seeded permutation of the split\'s positive pairs', () => {
    const all = ref.positives.train!;
    expect(all.length).toBe(120 + 2 * 24);
    const ds = PairDataset.fromRetrievalData(data, { split: 'train', pairs: 50, seed: 521 });
    const order = refPermutation(all.length, 521).slice(0, 50);
    for (let i = 0; i < 50; i++) {
      const { queryIndex, passageIndex } = ds.pairIndices(i);
      expect([queryIndex, passageIndex]).toEqual(all[order[i]!]);
      const pair = ds.pair(i);
      expect(pair.query).toBe(data.queryText(queryIndex));
      expect(pair.positive).toBe(data.passageText(passageIndex));
      expect(pair.queryId).toBe(`q${queryIndex}`);
      expect(pair.passageId).toBe(`p${passageIndex}`);
    }
  });

  it('smaller subsets are prefixes of larger ones; another seed gives another order', () => {
    const sizes = [1, 10, 77, 168];
    const sets = sizes.map((pairs) => PairDataset.fromRetrievalData(data, { pairs, seed: 521 }));
    for (let k = 1; k < sets.length; k++) {
      for (let i = 0; i < sizes[k - 1]!; i++) expect(sets[k]!.pairIndices(i)).toEqual(sets[k - 1]!.pairIndices(i));
    }
    const other = PairDataset.fromRetrievalData(data, { pairs: 77, seed: 522 });
    const same = Array.from({ length: 77 }, (_, i) => other.pairIndices(i).passageIndex === sets[2]!.pairIndices(i).passageIndex).filter(Boolean).length;
    expect(same).toBeLessThan(20);
  });

  it('rejects D larger than the split and unknown splits', () => {
    expect(() => PairDataset.fromRetrievalData(data, { pairs: 169 })).toThrow(ConfigError);
    expect(() => PairDataset.fromRetrievalData(data, { split: 'nope' })).toThrow(/no qrels for split "nope"/);
  });
});

describe('PairDataset batches', () => {
  const { data, ref } = syntheticData();
  const options = { batchSize: 16, negatives: 24, seed: 3 };
  const ds = PairDataset.fromRetrievalData(data, { split: 'train', pairs: 100, seed: 521 });

  it('negative pool excludes every held-out positive (test and dev) and nothing else', () => {
    const pool = ds.negativePool();
    const heldOut = new Set([...ref.positives.test!, ...ref.positives.dev!].map(([, p]) => p));
    expect(heldOut.size).toBe(40);
    expect(Array.from(pool)).toEqual(Array.from({ length: 300 }, (_, i) => i).filter((i) => !heldOut.has(i)));
  });

  it('batches equal the straightforward reference, digest included (same in Node and the browser)', async () => {
    const want = refBatches(ref, { split: 'train', pairs: 100, subsetSeed: 521, ...options, first: 0, last: 15 });
    const got = Array.from({ length: 15 }, (_, k) => ds.batchIndices(k, options));
    for (let k = 0; k < 15; k++) {
      expect(Array.from(got[k]!.pairIndices), `step ${k} pairs`).toEqual(want[k]!.pairIndices);
      expect(Array.from(got[k]!.queryIndices), `step ${k} queries`).toEqual(want[k]!.queryIndices);
      expect(Array.from(got[k]!.passageIndices), `step ${k} passages`).toEqual(want[k]!.passageIndices);
      expect(Array.from(got[k]!.validNegative), `step ${k} mask`).toEqual(want[k]!.validNegative);
    }
    const digest = (bs: { pairIndices: ArrayLike<number>; passageIndices: ArrayLike<number>; validNegative: ArrayLike<number> }[]) =>
      sha256(bs.flatMap((b) => [b.pairIndices, b.passageIndices, b.validNegative]));
    expect(await digest(got)).toBe(await digest(want));
  });

  it('masks exactly: the own positive, every positive of the row\'s query, and batch positives among sampled negatives', () => {
    const positivesOf = new Map<number, Set<number>>();
    for (const pairs of Object.values(ref.positives)) for (const [q, p] of pairs) (positivesOf.get(q) ?? positivesOf.set(q, new Set()).get(q)!).add(p);
    let maskedSampled = 0;
    let maskedInBatch = 0;
    for (let step = 0; step < 60; step++) {
      const b = ds.batchIndices(step, options);
      const B = options.batchSize;
      const columns = B + options.negatives;
      for (let i = 0; i < B; i++) {
        expect(b.validNegative[i * columns + i], 'own positive is not a negative').toBe(0);
        for (let c = 0; c < columns; c++) {
          const p = b.passageIndices[c]!;
          const valid = b.validNegative[i * columns + c] === 1;
          if (positivesOf.get(b.queryIndices[i]!)!.has(p)) expect(valid, `step ${step} row ${i} col ${c}: a positive of the query`).toBe(false);
          if (c >= B && Array.from(b.passageIndices.subarray(0, B)).includes(p)) expect(valid).toBe(false);
          if (!valid && c !== i) (c < B ? maskedInBatch++ : maskedSampled++);
        }
      }
    }
    // The synthetic data makes both cases happen (multi-positive queries and shared positives).
    expect(maskedInBatch).toBeGreaterThan(0);
    expect(maskedSampled).toBeGreaterThan(0);
  });

  it('batch k is a pure function of (seed, k): startStep resumes exactly, another seed differs', () => {
    const run = Array.from(ds.batches({ ...options, tokenizer: standInTokenizer, queryLength: 8, passageLength: 16, steps: 9 }));
    const resumed = Array.from(ds.batches({ ...options, tokenizer: standInTokenizer, queryLength: 8, passageLength: 16, startStep: 6, steps: 9 }));
    expect(run.map((b) => b.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(resumed.map((b) => b.step)).toEqual([6, 7, 8]);
    for (let k = 0; k < 3; k++) expect(resumed[k]).toEqual(run[6 + k]);
    const fresh = PairDataset.fromRetrievalData(data, { split: 'train', pairs: 100, seed: 521 });
    expect(fresh.batchIndices(40, options)).toEqual(ds.batchIndices(40, options));
    expect(ds.batchIndices(2, { ...options, seed: 4 }).pairIndices).not.toEqual(ds.batchIndices(2, options).pairIndices);
  });

  it('covers every pair once per epoch and reshuffles epochs with seed + epoch', () => {
    // 100 pairs, batch 16: positions t = 16k + j; epoch e = floor(t / 100).
    const order: number[] = [];
    for (let k = 0; k < 25; k++) order.push(...ds.batchIndices(k, options).pairIndices);
    for (let e = 0; e < 4; e++) {
      const epoch = order.slice(100 * e, 100 * (e + 1));
      expect(new Set(epoch).size, `epoch ${e} is a permutation`).toBe(100);
      expect(epoch).toEqual(refPermutation(100, options.seed + e));
    }
    expect(order.slice(0, 100)).not.toEqual(order.slice(100, 200));
  });

  it('tokenises queries (B, Tq) and passages (B+W, Tp) in column order', () => {
    const b = ds.batch(5, { ...options, tokenizer: standInTokenizer, queryLength: 8, passageLength: 16 });
    expect(b.queryIds.length).toBe(16 * 8);
    expect(b.passageIds.length).toBe(40 * 16);
    expect(b.validNegative.length).toBe(16 * 40);
    const q = standInTokenizer.encodeBatch(Array.from(b.queryIndices, (i) => data.queryText(i)), { maxLength: 8 });
    const p = standInTokenizer.encodeBatch(Array.from(b.passageIndices, (i) => data.passageText(i)), { maxLength: 16 });
    expect(b.queryIds).toEqual(q.ids);
    expect(b.queryMask).toEqual(q.mask);
    expect(b.passageIds).toEqual(p.ids);
    expect(b.passageMask).toEqual(p.mask);
  });

  it('rejects bad options with ConfigError naming the option', () => {
    expect(() => ds.batchIndices(0, { ...options, batchSize: 101 })).toThrow(/batchSize/);
    expect(() => ds.batchIndices(0, { ...options, negatives: 261 })).toThrow(/negatives/);
    expect(() => ds.batchIndices(-1, options)).toThrow(/step/);
    expect(() => ds.batchIndices(0, { ...options, seed: 1.5 })).toThrow(/seed/);
  });
});
