// Per-batch CSR of token ids: which flat positions hold each distinct id. encoder_backward sums the
// output gradient of a table row over exactly those positions, in ascending order, so the embedding
// gradient needs no float atomics and is bit-identical run to run.
import { ConfigError } from '../errors.js';

export interface TokenCsr {
  /** Distinct ids of the batch, ascending. */
  uniqueIds: Int32Array;
  /** uniqueIds.length + 1 entries; the positions of uniqueIds[u] are positions[offsets[u] .. offsets[u+1]). */
  offsets: Int32Array;
  /** Flat positions (b·T + t) grouped by id, ascending within each id. Same length as the ids. */
  positions: Int32Array;
}

/**
 * Groups the flat positions of a batch of ids by id (a stable sort by id).
 *
 * @param ids token (or token-type) ids of a batch, flattened (B·T)
 * @param vocabSize when given, every id must lie in [0, vocabSize)
 * @throws ConfigError naming the first offending position when an id is negative or ≥ vocabSize
 *
 * @example
 * const { uniqueIds, offsets, positions } = tokenCsr(new Int32Array([7, 3, 7, 0]));
 * // uniqueIds = [0, 3, 7], offsets = [0, 1, 2, 4], positions = [3, 1, 0, 2]
 */
export function tokenCsr(ids: Int32Array, vocabSize?: number): TokenCsr {
  const n = ids.length;
  const limit = vocabSize ?? 2 ** 31;
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    if (id < 0 || id >= limit) {
      throw new ConfigError(`id ${id} at position ${i} is outside [0, ${limit})`, 'tokenCsr ids');
    }
  }
  // Sorting the exact integer keys id·n + position (< 2^53) orders by id, then by position.
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = ids[i]! * n + i;
  keys.sort();
  const positions = new Int32Array(n);
  const unique: number[] = [];
  const offsets: number[] = [];
  let previous = -1;
  for (let k = 0; k < n; k++) {
    const key = keys[k]!;
    const id = Math.floor(key / n);
    positions[k] = key - id * n;
    if (id !== previous) {
      unique.push(id);
      offsets.push(k);
      previous = id;
    }
  }
  offsets.push(n);
  return { uniqueIds: Int32Array.from(unique), offsets: Int32Array.from(offsets), positions };
}
