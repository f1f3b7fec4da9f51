import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { tokenCsr } from '../../src/util/csr.js';
import { mulberry32 } from '../helpers/rand.js';

describe('tokenCsr', () => {
  it('groups positions by ascending id, positions ascending within each id', () => {
    const csr = tokenCsr(new Int32Array([7, 3, 7, 0, 3, 7]));
    expect(Array.from(csr.uniqueIds)).toEqual([0, 3, 7]);
    expect(Array.from(csr.offsets)).toEqual([0, 1, 3, 6]);
    expect(Array.from(csr.positions)).toEqual([3, 1, 4, 0, 2, 5]);
  });

  it('agrees with a brute-force grouping on random batches with many repeats', () => {
    const rnd = mulberry32(5);
    for (const [n, V] of [[1, 1], [64, 3], [4096, 30522], [1000, 50]] as const) {
      const ids = Int32Array.from({ length: n }, () => Math.floor(rnd() * V));
      const csr = tokenCsr(ids, V);
      const expected = new Map<number, number[]>();
      ids.forEach((id, pos) => expected.set(id, [...(expected.get(id) ?? []), pos]));
      const unique = [...expected.keys()].sort((a, b) => a - b);
      expect(Array.from(csr.uniqueIds)).toEqual(unique);
      expect(csr.offsets.length).toBe(unique.length + 1);
      expect(csr.offsets[unique.length]).toBe(n);
      unique.forEach((id, u) => expect(Array.from(csr.positions.subarray(csr.offsets[u], csr.offsets[u + 1]))).toEqual(expected.get(id)));
    }
  });

  it('handles an empty batch', () => {
    const csr = tokenCsr(new Int32Array(0));
    expect(csr.uniqueIds.length).toBe(0);
    expect(Array.from(csr.offsets)).toEqual([0]);
  });

  it('rejects ids outside [0, vocabSize) with a ConfigError naming the position', () => {
    expect(() => tokenCsr(new Int32Array([1, -2]))).toThrow(ConfigError);
    expect(() => tokenCsr(new Int32Array([1, -2]))).toThrow(/id -2 at position 1/);
    expect(() => tokenCsr(new Int32Array([0, 4, 5]), 5)).toThrow(/id 5 at position 2 is outside \[0, 5\)/);
  });
});
