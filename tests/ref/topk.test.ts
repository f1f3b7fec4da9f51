import { describe, expect, it } from 'vitest';
import { topkForward } from '../../src/ref/topk.js';

describe('ref topkForward', () => {
  it('sorts by score descending and breaks ties by lower index', () => {
    // Scores for the one query: [1, 3, 3, 0, 3, 2]
    const corpus = [1, 3, 3, 0, 3, 2];
    const r = topkForward([1], corpus, 1, 6, 1, 4);
    expect(Array.from(r.indices)).toEqual([1, 2, 4, 5]);
    expect(Array.from(r.scores)).toEqual([3, 3, 3, 2]);
  });

  it('fills slots beyond the corpus with (−∞, 0xffffffff)', () => {
    const r = topkForward([1, 1], [1, 0, 0, 2], 1, 2, 2, 3);
    expect(Array.from(r.indices)).toEqual([1, 0, 0xffffffff]);
    expect(r.scores[2]).toBe(-Infinity);
  });
});
