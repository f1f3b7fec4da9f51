// CPU references for contrastive_forward, contrastive_backward and contrastive_eval_forward, in f64 with
// plain loops (llm.c style). They share no code with the kernels' numerics tricks on purpose: the
// softmax here is the textbook one, so a kernel bug cannot hide behind a shared mistake.

/** Whether column j of row i takes part in row i's softmax: the positive (j = i) always does. */
function counts(mask: ArrayLike<number> | undefined, cols: number, i: number, j: number): boolean {
  return j === i || mask === undefined || mask[i * cols + j] !== 0;
}

export interface ContrastiveForwardResult {
  /** Mean over rows of rowLoss. */
  loss: number;
  /** (B) logsumexp_j logit_ij − logit_ii. */
  rowLoss: Float64Array;
  /** (B) logsumexp_j logit_ij over the counted columns. */
  lse: Float64Array;
  /**
   * (B) 1 + the spread of the counted logits (max − min): the magnitude the f32 kernel works with,
   * for tolerances (DESIGN §3.5: reductions scale atol by what was summed).
   */
  magnitude: Float64Array;
}

/**
 * Softmax cross-entropy of each row of S (B, N) against its positive in column i, logits scale·S_ij,
 * columns with mask_ij = 0 left out (never the positive); the loss is the mean over rows.
 *
 * @example
 * // Two queries, scores all zero: each row is a uniform softmax over 2 columns.
 * contrastiveForward([0, 0, 0, 0], 2, 2, 1).loss; // Math.log(2)
 */
export function contrastiveForward(scores: ArrayLike<number>, B: number, N: number, scale: number, mask?: ArrayLike<number>): ContrastiveForwardResult {
  const rowLoss = new Float64Array(B);
  const lse = new Float64Array(B);
  const magnitude = new Float64Array(B);
  let total = 0;
  for (let i = 0; i < B; i++) {
    let max = -Infinity;
    let min = Infinity;
    for (let j = 0; j < N; j++) {
      if (!counts(mask, N, i, j)) continue;
      const x = scale * scores[i * N + j]!;
      max = Math.max(max, x);
      min = Math.min(min, x);
    }
    let sum = 0;
    for (let j = 0; j < N; j++) if (counts(mask, N, i, j)) sum += Math.exp(scale * scores[i * N + j]! - max);
    lse[i] = max + Math.log(sum);
    rowLoss[i] = lse[i]! - scale * scores[i * N + i]!;
    magnitude[i] = 1 + (max - min);
    total += rowLoss[i]!;
  }
  return { loss: total / B, rowLoss, lse, magnitude };
}

/**
 * d(mean loss)/dS: (scale/B)·(softmax_ij − [i = j]) on counted columns, 0 on masked ones.
 *
 * @example
 * contrastiveBackward([0, 0, 0, 0], 2, 2, 1); // [-0.25, 0.25, 0.25, -0.25]
 */
export function contrastiveBackward(scores: ArrayLike<number>, B: number, N: number, scale: number, mask?: ArrayLike<number>): Float64Array {
  const dS = new Float64Array(B * N);
  for (let i = 0; i < B; i++) {
    let max = -Infinity;
    for (let j = 0; j < N; j++) if (counts(mask, N, i, j)) max = Math.max(max, scale * scores[i * N + j]!);
    let sum = 0;
    for (let j = 0; j < N; j++) if (counts(mask, N, i, j)) sum += Math.exp(scale * scores[i * N + j]! - max);
    for (let j = 0; j < N; j++) {
      if (!counts(mask, N, i, j)) continue;
      const softmax = Math.exp(scale * scores[i * N + j]! - max) / sum;
      dS[i * N + j] = (scale / B) * (softmax - (i === j ? 1 : 0));
    }
  }
  return dS;
}

export interface ContrastiveEvalResult {
  /** (B) −log p(positive | positive + W negatives), in nats. */
  loss: Float64Array;
  /** (B, W+1) scale·⟨q, p⟩: the positive first, then the negatives in the given order. */
  scores: Float64Array;
  /** (B) max over candidates of scale·Σ_d |q_d p_d|, the magnitude summed by each dot product. */
  dotMagnitude: Float64Array;
}

/**
 * The paper's contrastive entropy per query: CE = −log(exp s⁺ / (exp s⁺ + Σ_j exp s⁻_j)) with
 * s = scale·⟨q, p⟩, passages picked from the table P (Np, D) by posIndex (B) and negIndex (B, W).
 *
 * @example
 * // One query, one positive and one negative with equal scores: CE = log 2.
 * contrastiveEvalForward([1], [1, 1], [0], [1], 1, 1, 1).loss[0]; // Math.log(2)
 */
export function contrastiveEvalForward(
  queries: ArrayLike<number>,
  passages: ArrayLike<number>,
  posIndex: ArrayLike<number>,
  negIndex: ArrayLike<number>,
  B: number,
  D: number,
  W: number,
  scale = 1,
): ContrastiveEvalResult {
  const loss = new Float64Array(B);
  const scores = new Float64Array(B * (W + 1));
  const dotMagnitude = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    for (let c = 0; c <= W; c++) {
      const row = c === 0 ? posIndex[i]! : negIndex[i * W + c - 1]!;
      let dot = 0;
      let abs = 0;
      for (let d = 0; d < D; d++) {
        dot += queries[i * D + d]! * passages[row * D + d]!;
        abs += Math.abs(queries[i * D + d]! * passages[row * D + d]!);
      }
      scores[i * (W + 1) + c] = scale * dot;
      dotMagnitude[i] = Math.max(dotMagnitude[i]!, Math.abs(scale) * abs);
    }
    let max = -Infinity;
    for (let c = 0; c <= W; c++) max = Math.max(max, scores[i * (W + 1) + c]!);
    let sum = 0;
    for (let c = 0; c <= W; c++) sum += Math.exp(scores[i * (W + 1) + c]! - max);
    loss[i] = max + Math.log(sum) - scores[i * (W + 1)]!;
  }
  return { loss, scores, dotMagnitude };
}
