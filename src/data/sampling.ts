// Seeded orders and samples, computed by assembly/shuffle.ts (PCG32, the generator of src/util/rng.ts),
// so that a seed means the same thing in Node and in every browser.
//
// The sampling contract (tests/data/sampling_reference.ts re-implements it independently):
// - permutation(n, seed, stream): identity 0..n-1, then Fisher–Yates from the top with
//   new Pcg32(seed, stream).nextBelow(i + 1) for i = n-1 … 1.
// - sampleDistinct(rows, count, n, seed, stream): one Pcg32(seed, stream) for all rows, row after row;
//   each row is Floyd's algorithm: for j = n-count … n-1, t = nextBelow(j+1); take t, or j if t is taken.
// - negativePool(data, splits): the passage indices, ascending, that are not a positive (score > 0) of
//   any of the given splits.
// - sampleEvalNegatives: rows are (repeat, pair) in that order, all from one Pcg32(seed, EVAL_STREAM);
//   each row holds `negatives` distinct positions in the pool, mapped through it.
import { ConfigError } from '../errors.js';
import { wasm, type WasmExports } from '../wasm/module.js';
import type { RetrievalData } from './retrieval.js';

/** The default stream of src/util/rng.ts Pcg32. */
export const DEFAULT_STREAM = 54;
/** Stream of the evaluation negatives. */
export const EVAL_STREAM = DEFAULT_STREAM;

interface ShuffleExports extends WasmExports {
  pcgStream(outPtr: number, count: number, seedLo: number, seedHi: number, streamLo: number, streamHi: number): void;
  pcgPermutation(outPtr: number, n: number, seedLo: number, seedHi: number, streamLo: number, streamHi: number): void;
  pcgSeed(seedLo: number, seedHi: number, streamLo: number, streamHi: number): void;
  pcgSampleDistinct(outPtr: number, rows: number, count: number, n: number, tablePtr: number, tableSize: number): void;
}

const TWO_32 = 2 ** 32;
/** Rows per wasm call in sampleDistinct: bounds wasm memory (which never shrinks) whatever the request. */
const SAMPLE_SLICE_BYTES = 4 << 20;

/** Splits a non-negative safe integer into u32 halves; names the option when it is not one. */
function halves(value: number, option: string): [number, number] {
  if (!Number.isSafeInteger(value) || value < 0) throw new ConfigError(`must be a non-negative integer ≤ 2^53, got ${value}`, option);
  return [value % TWO_32 >>> 0, Math.floor(value / TWO_32) >>> 0];
}

function withWasm<T>(run: (w: ShuffleExports) => T): T {
  const w = wasm() as ShuffleExports;
  try {
    return run(w);
  } finally {
    w.reset();
  }
}

/** The first `count` outputs of Pcg32(seed, stream), computed in wasm (for parity checks). */
export function pcgSequence(count: number, seed: number, stream = DEFAULT_STREAM): Uint32Array {
  const [sl, sh] = halves(seed, 'seed');
  const [tl, th] = halves(stream, 'stream');
  return withWasm((w) => {
    const out = w.alloc(count * 4);
    w.pcgStream(out, count, sl, sh, tl, th);
    return new Uint32Array(w.memory.buffer, out, count).slice();
  });
}

/**
 * A uniformly random permutation of 0..n-1, seeded (Fisher–Yates with PCG32).
 *
 * @example
 * await loadWasm();
 * permutation(5, 521);   // the same Int32Array of 0..4 in any order, in Node and in browsers
 */
export function permutation(n: number, seed: number, stream = DEFAULT_STREAM): Int32Array {
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 31) throw new ConfigError(`must be an integer in [0, 2^31), got ${n}`, 'n');
  const [sl, sh] = halves(seed, 'seed');
  const [tl, th] = halves(stream, 'stream');
  return withWasm((w) => {
    const out = w.alloc(n * 4);
    w.pcgPermutation(out, n, sl, sh, tl, th);
    return new Int32Array(w.memory.buffer, out, n).slice();
  });
}

/**
 * `rows` × `count` values; each row holds `count` distinct integers in [0, n) (Floyd's algorithm), rows
 * drawn one after another from one seeded stream.
 *
 * @example
 * sampleDistinct(2, 3, 10, 1);   // e.g. [7, 2, 9, 0, 4, 8]: two rows of 3 distinct values below 10
 */
export function sampleDistinct(rows: number, count: number, n: number, seed: number, stream = DEFAULT_STREAM): Int32Array {
  if (!Number.isInteger(count) || count < 0) throw new ConfigError(`must be a non-negative integer, got ${count}`, 'negatives');
  if (count > n) throw new ConfigError(`cannot draw ${count} distinct values from ${n}`, 'negatives');
  const [sl, sh] = halves(seed, 'seed');
  const [tl, th] = halves(stream, 'stream');
  let tableSize = 16;
  while (tableSize < 2 * count) tableSize *= 2;
  const result = new Int32Array(rows * count);
  const sliceRows = Math.max(1, Math.floor(SAMPLE_SLICE_BYTES / (4 * Math.max(1, count))));
  return withWasm((w) => {
    const out = w.alloc(Math.min(rows, sliceRows) * count * 4);
    const table = w.alloc(tableSize * 8);
    // One stream across slices: seeded once, then every call continues it.
    w.pcgSeed(sl, sh, tl, th);
    for (let first = 0; first < rows; first += sliceRows) {
      const sliceLength = Math.min(sliceRows, rows - first);
      w.pcgSampleDistinct(out, sliceLength, count, n, table, tableSize);
      result.set(new Int32Array(w.memory.buffer, out, sliceLength * count), first * count);
    }
    return result;
  });
}

/**
 * Passage indices (ascending) that are not a positive of any of `splits`: where random negatives come
 * from, so that no held-out positive is ever shown to the model as a negative or used as one in evaluation.
 *
 * @example
 * const pool = negativePool(data, ['test']);   // every passage except the test positives
 */
export function negativePool(data: RetrievalData, splits: readonly string[]): Int32Array {
  const excluded = new Uint8Array(data.passageCount);
  for (const split of splits) {
    const { passage } = data.positives(split);
    for (let i = 0; i < passage.length; i++) excluded[passage[i]!] = 1;
  }
  let n = 0;
  for (let i = 0; i < excluded.length; i++) n += 1 - excluded[i]!;
  const pool = new Int32Array(n);
  for (let i = 0, k = 0; i < excluded.length; i++) if (excluded[i] === 0) pool[k++] = i;
  return pool;
}

export interface EvalNegativeOptions {
  /** The evaluated split; its positive pairs (data.positives(split)) are the rows. */
  split: string;
  /** W: negatives per pair (the paper: 256). */
  negatives: number;
  /** R: independent draws of the negatives (the paper's code: 10). */
  repeats: number;
  /** The paper's evaluation seed is 1. */
  seed: number;
}

/**
 * Negatives for contrastive entropy (PAPER.md): for each repeat r and each positive pair p of the split
 * (in data.positives(split) order), W distinct passages from the pool that excludes every positive of
 * the split. Returns passage indices shaped (R, pairs, W), row-major.
 *
 * @example
 * const neg = sampleEvalNegatives(data, { split: 'test', negatives: 256, repeats: 10, seed: 1 });
 * const pairs = data.positives('test').query.length;
 * neg[(r * pairs + p) * 256 + j];   // the j-th negative of pair p in repeat r
 */
export function sampleEvalNegatives(data: RetrievalData, options: EvalNegativeOptions): Int32Array {
  const { split, negatives, repeats, seed } = options;
  if (!Number.isInteger(repeats) || repeats < 1) throw new ConfigError(`must be a positive integer, got ${repeats}`, 'repeats');
  const pairs = data.positives(split).query.length;
  const pool = negativePool(data, [split]);
  const positions = sampleDistinct(repeats * pairs, negatives, pool.length, seed, EVAL_STREAM);
  for (let i = 0; i < positions.length; i++) positions[i] = pool[positions[i]!]!;
  return positions;
}
