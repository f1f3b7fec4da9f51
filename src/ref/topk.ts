// CPU reference for topk_forward.wgsl: brute force over every score, in f64.

/**
 * For each query (Q, D) the k corpus rows (Nc, D) with the largest inner product, sorted by score
 * descending and equal scores by lower index; fewer than k rows leave (−Infinity, 0xffffffff) slots.
 *
 * @example
 * topkForward([1, 0], [0, 1, 2, 0, 1, 0], 1, 3, 2, 2); // { indices: [1, 2], scores: [2, 1] }
 */
export function topkForward(
  queries: ArrayLike<number>,
  corpus: ArrayLike<number>,
  Q: number,
  Nc: number,
  D: number,
  k: number,
): { indices: Uint32Array; scores: Float64Array } {
  const indices = new Uint32Array(Q * k).fill(0xffffffff);
  const scores = new Float64Array(Q * k).fill(-Infinity);
  const all = new Float64Array(Nc);
  const order = Array.from({ length: Nc }, (_, j) => j);
  for (let q = 0; q < Q; q++) {
    for (let j = 0; j < Nc; j++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += queries[q * D + d]! * corpus[j * D + d]!;
      all[j] = s;
    }
    order.sort((a, b) => all[b]! - all[a]! || a - b);
    for (let r = 0; r < Math.min(k, Nc); r++) {
      indices[q * k + r] = order[r]!;
      scores[q * k + r] = all[order[r]!]!;
    }
  }
  return { indices, scores };
}
