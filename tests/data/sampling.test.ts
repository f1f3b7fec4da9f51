import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { RetrievalData } from '../../src/data/retrieval.js';
import { negativePool, pcgSequence, permutation, sampleDistinct, sampleEvalNegatives } from '../../src/data/sampling.js';
import { Pcg32 } from '../../src/util/rng.js';
import { loadWasm } from '../../src/wasm/module.js';
import { refPermutation, refSampleDistinct } from './sampling_reference.js';

// Top-level: describe() bodies run at collection, before any beforeAll.
await loadWasm();

describe('wasm PCG32 (assembly/shuffle.ts) against the TS Pcg32 of src/util/rng.ts', () => {
  it('gives the same u32 stream for small, 32-bit-crossing and 53-bit seeds and streams', () => {
    const cases: [number, number][] = [
      [0, 54],
      [521, 54],
      [1, 0],
      [2 ** 32 - 1, 1],
      [2 ** 32 + 5, 2 ** 32 + 7],
      [Number.MAX_SAFE_INTEGER, 2 ** 40 + 3],
    ];
    for (const [seed, stream] of cases) {
      const ts = new Pcg32(seed, stream);
      const want = Array.from({ length: 1000 }, () => ts.nextU32());
      expect(Array.from(pcgSequence(1000, seed, stream)), `seed ${seed} stream ${stream}`).toEqual(want);
    }
  });

  it('permutation() equals a BigInt Fisher–Yates for many sizes and seeds', () => {
    for (const n of [0, 1, 2, 3, 17, 1000]) {
      for (const seed of [0, 1, 521, 2 ** 33 + 1]) {
        expect(Array.from(permutation(n, seed)), `n=${n} seed=${seed}`).toEqual(refPermutation(n, seed));
      }
    }
    expect(Array.from(permutation(50, 3, 9))).toEqual(refPermutation(50, 3, 9));
  });

  it('permutation() of 3 elements is uniform over 6,000 seeds (each order 1,000 ± 120)', () => {
    const counts = new Map<string, number>();
    for (let seed = 0; seed < 6000; seed++) {
      const key = Array.from(permutation(3, seed)).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(120); // ~4.4 sigma
  });

  it('sampleDistinct() equals Floyd with a Set, rows are distinct and in range', () => {
    for (const [rows, count, n] of [
      [1, 0, 5],
      [3, 5, 5],
      [10, 7, 20],
      [4, 256, 300],
      [2, 300, 1_000_000],
    ] as const) {
      const got = sampleDistinct(rows, count, n, 77, 5);
      const want = refSampleDistinct(rows, count, n, 77, 5);
      expect(Array.from(got)).toEqual(want.flat());
      for (let r = 0; r < rows; r++) {
        const row = got.subarray(r * count, (r + 1) * count);
        expect(new Set(row).size).toBe(count);
        for (const v of row) expect(v >= 0 && v < n).toBe(true);
      }
    }
  });

  it('sampleDistinct() continues one stream across its 4 MiB wasm slices', () => {
    // 1,100 rows × 1,000 values = 4.4 MB: two slices. The expectation replays Floyd over the raw stream
    // (pcgSequence, already checked against the TS generator above) with the same bounded draw.
    const rows = 1100;
    const count = 1000;
    const n = 2 ** 31 - 1;
    const got = sampleDistinct(rows, count, n, 9, 4);
    const raw = pcgSequence(rows * count + 1000, 9, 4);
    let next = 0;
    const below = (bound: number) => {
      const threshold = (2 ** 32 - bound) % bound;
      for (;;) {
        const u = raw[next++]!;
        if (u >= threshold) return u % bound;
      }
    };
    const want = new Int32Array(rows * count);
    for (let r = 0, k = 0; r < rows; r++) {
      const taken = new Set<number>();
      for (let j = n - count; j < n; j++) {
        const t = below(j + 1);
        const v = taken.has(t) ? j : t;
        taken.add(v);
        want[k++] = v;
      }
    }
    expect(next).toBeLessThanOrEqual(raw.length);
    expect(got.length).toBe(want.length);
    expect(want.findIndex((v, i) => got[i] !== v), 'first differing value').toBe(-1); // toEqual on 1.1M elements is slow
  });

  it('rejects impossible requests with ConfigError naming the option', () => {
    expect(() => sampleDistinct(1, 6, 5, 0)).toThrow(ConfigError);
    expect(() => permutation(3, -1)).toThrow(/seed/);
    expect(() => permutation(3, 0.5)).toThrow(ConfigError);
  });
});

describe('evaluation negatives', () => {
  // 40 passages; test positives p0..p9 (query t3 has three), train positives p10..p19.
  const passages = Array.from({ length: 40 }, (_, i) => ({ id: `p${i}`, text: `passage ${i}` }));
  const queries = [...Array.from({ length: 8 }, (_, i) => ({ id: `t${i}`, text: `test ${i}` })), ...Array.from({ length: 10 }, (_, i) => ({ id: `r${i}`, text: `train ${i}` }))];
  const test = [
    ...Array.from({ length: 8 }, (_, i) => ({ queryId: `t${i}`, passageId: `p${i}` })),
    { queryId: 't3', passageId: 'p8' },
    { queryId: 't3', passageId: 'p9' },
    { queryId: 't5', passageId: 'p30', score: 0 }, // judged not relevant: stays in the pool
  ];
  const train = Array.from({ length: 10 }, (_, i) => ({ queryId: `r${i}`, passageId: `p${10 + i}` }));
  const data = RetrievalData.fromRecords({ passages, queries, qrels: { test, train } });

  it('draws (R, pairs, W) distinct negatives from the pool without any test positive, as the reference does', () => {
    const W = 12;
    const R = 3;
    const got = sampleEvalNegatives(data, { split: 'test', negatives: W, repeats: R, seed: 1 });
    const pairs = data.positives('test').query.length;
    expect(pairs).toBe(10);
    expect(got.length).toBe(R * pairs * W);
    const pool = Array.from({ length: 40 }, (_, i) => i).filter((i) => i >= 10);
    expect(Array.from(negativePool(data, ['test']))).toEqual(pool);
    const want = refSampleDistinct(R * pairs, W, pool.length, 1).flat().map((k) => pool[k]!);
    expect(Array.from(got)).toEqual(want);
    for (const p of got) expect(p).toBeGreaterThanOrEqual(10);
    expect(new Set(got).has(30)).toBe(true); // a score-0 judgement is a legitimate negative
  });

  it('same seed, same negatives; another seed, others', () => {
    const a = sampleEvalNegatives(data, { split: 'test', negatives: 5, repeats: 2, seed: 1 });
    const b = sampleEvalNegatives(data, { split: 'test', negatives: 5, repeats: 2, seed: 1 });
    const c = sampleEvalNegatives(data, { split: 'test', negatives: 5, repeats: 2, seed: 2 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('refuses more negatives than the pool holds', () => {
    expect(() => sampleEvalNegatives(data, { split: 'test', negatives: 31, repeats: 1, seed: 1 })).toThrow(/negatives/);
    expect(() => sampleEvalNegatives(data, { split: 'dev', negatives: 3, repeats: 1, seed: 1 })).toThrow(/no qrels for split "dev"/);
  });
});
