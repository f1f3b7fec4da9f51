// A straightforward re-implementation of the sampling contract in src/data/sampling.ts and
// src/data/pairs.ts, written from the contract text only: BigInt PCG32 (src/util/rng.ts) instead of the
// wasm generator, plain arrays and Sets instead of typed-array CSR and open addressing. Tests compare the
// library against it.
import { Pcg32 } from '../../src/util/rng.js';

export function refPermutation(n: number, seed: number, stream = 54): number[] {
  const rng = new Pcg32(seed, stream);
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextBelow(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Floyd's algorithm per row, rows from one stream. */
export function refSampleDistinct(rows: number, count: number, n: number, seed: number, stream = 54): number[][] {
  const rng = new Pcg32(seed, stream);
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const taken = new Set<number>();
    const row: number[] = [];
    for (let j = n - count; j < n; j++) {
      const t = rng.nextBelow(j + 1);
      const v = taken.has(t) ? j : t;
      taken.add(v);
      row.push(v);
    }
    out.push(row);
  }
  return out;
}

export interface RefDataset {
  passages: string[]; // ids, index = position
  /** Positive pairs per split, in qrels order: [queryIndex, passageIndex]. */
  positives: Record<string, [number, number][]>;
}

export interface RefBatch {
  pairIndices: number[];
  queryIndices: number[];
  passageIndices: number[];
  validNegative: number[];
}

/** Builds the batches of steps [first, last) exactly as the PairDataset contract describes. */
export function refBatches(
  data: RefDataset,
  options: { split: string; pairs: number; subsetSeed: number; batchSize: number; negatives: number; seed: number; first: number; last: number },
): RefBatch[] {
  const all = data.positives[options.split]!;
  const subset = refPermutation(all.length, options.subsetSeed).slice(0, options.pairs).map((row) => all[row]!);
  const heldOut = new Set<number>();
  for (const [split, pairs] of Object.entries(data.positives)) if (split !== options.split) for (const [, p] of pairs) heldOut.add(p);
  const pool = data.passages.map((_, i) => i).filter((i) => !heldOut.has(i));
  const positivesOf = new Map<number, Set<number>>();
  for (const pairs of Object.values(data.positives)) {
    for (const [q, p] of pairs) {
      if (!positivesOf.has(q)) positivesOf.set(q, new Set());
      positivesOf.get(q)!.add(p);
    }
  }
  const D = subset.length;
  const B = options.batchSize;
  const out: RefBatch[] = [];
  for (let step = options.first; step < options.last; step++) {
    const pairIndices: number[] = [];
    for (let j = 0; j < B; j++) {
      const t = step * B + j;
      pairIndices.push(refPermutation(D, options.seed + Math.floor(t / D))[t % D]!);
    }
    const queryIndices = pairIndices.map((i) => subset[i]![0]);
    const positives = pairIndices.map((i) => subset[i]![1]);
    const negatives = refSampleDistinct(1, options.negatives, pool.length, options.seed, 2 ** 32 + step)[0]!.map((k) => pool[k]!);
    const columns = [...positives, ...negatives];
    const validNegative: number[] = [];
    for (let i = 0; i < B; i++) {
      columns.forEach((p, c) => {
        const own = positivesOf.get(queryIndices[i]!)!;
        const removedFromNegatives = c >= B && positives.includes(p);
        validNegative.push(c !== i && !own.has(p) && !removedFromNegatives ? 1 : 0);
      });
    }
    out.push({ pairIndices, queryIndices, passageIndices: columns, validNegative });
  }
  return out;
}
