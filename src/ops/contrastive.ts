// Launchers for the contrastive loss: shaders/contrastive_forward.wgsl (+ reduce_sum.wgsl for the mean),
// shaders/contrastive_backward.wgsl (training) and shaders/contrastive_eval_forward.wgsl (the paper's
// contrastive entropy).
import { ConfigError, ShapeError } from '../errors.js';
import { grid1d, type Overrides } from '../gpu/kernel.js';
import type { Recorder } from '../gpu/recorder.js';
import type { Tensor } from '../gpu/tensor.js';
import { checkShapes } from '../util/assert.js';
import { reduceSum } from './reduce.js';

export interface ContrastiveOptions {
  /** Multiplies the scores before the softmax: 1/τ for a temperature τ; 1 (the paper: none) by default. */
  scale?: number;
  /**
   * (B, N) u32: 0 leaves column j out of row i's softmax (a false negative, e.g. a duplicate passage).
   * The positive (column i of row i) always counts, whatever its mask entry.
   */
  mask?: Tensor;
}

function checkScale(op: string, scale: number): void {
  if (!(Number.isFinite(scale) && scale > 0)) throw new ConfigError(`must be a finite number > 0, got ${scale}`, `${op}.scale`);
}

function checkScores(op: string, scores: Tensor, mask: Tensor | undefined, shapes: Record<string, readonly number[]>): { B: number; N: number } {
  const [B = 0, N = 0] = scores.shape;
  checkShapes(scores.shape.length === 2 && B >= 1 && N >= B, op, { scores: scores.shape, ...shapes }, 'scores must be (B, N) with N ≥ B: B in-batch positives, then negatives');
  if (mask !== undefined) {
    checkShapes(mask.numel === B * N, op, { scores: scores.shape, mask: mask.shape }, 'mask must match scores');
    if (mask.dtype !== 'u32') throw new ShapeError(`${op}: mask ${mask.label} must be u32, got ${mask.dtype}`);
  }
  return { B, N };
}

/**
 * Mean softmax cross-entropy of scores S (B, N), row i's positive in column i, logits scale·S; also the
 * per-row losses and the row statistics the backward pass needs. Records two dispatches (rows, then the
 * fixed-order mean). Logits up to ~1e4 keep full precision.
 *
 * Outputs: loss (1) the mean; rowLoss (B); rowStats (B, 2) = (max_j S_ij, log Σ_j exp(scale·(S_ij − max))),
 * so logsumexp_i = scale·rowStats[i,0] + rowStats[i,1].
 *
 * @example
 * // S = Q·Pᵀ from the matmul kernels, columns [B positives | W negatives]
 * contrastiveForward(rec, loss, rowLoss, rowStats, scores, { scale: 1 / 0.05 });
 * contrastiveBackward(rec, dscores, scores, rowStats, { scale: 1 / 0.05, accumulate: false });
 */
export function contrastiveForward(rec: Recorder, loss: Tensor, rowLoss: Tensor, rowStats: Tensor, scores: Tensor, options: ContrastiveOptions = {}): void {
  const op = 'contrastiveForward';
  const scale = options.scale ?? 1;
  const { B, N } = checkScores(op, scores, options.mask, { loss: loss.shape, rowLoss: rowLoss.shape, rowStats: rowStats.shape });
  checkShapes(loss.numel === 1 && rowLoss.numel === B && rowStats.numel === 2 * B, op, {
    loss: loss.shape,
    rowLoss: rowLoss.shape,
    rowStats: rowStats.shape,
    scores: scores.shape,
  }, 'want loss (1), rowLoss (B), rowStats (B, 2)');
  checkScale(op, scale);
  const device = rec.device;
  const k = device.kernel('contrastive_forward');
  // Without a mask the binding still needs a buffer; the kernel never reads it, so scores stands in.
  const mask = options.mask ?? scores;
  rec.dispatch(
    k,
    { rows: B, cols: N, scale, use_mask: options.mask ? 1 : 0 },
    { row_stats: rowStats, row_loss: rowLoss, scores, mask },
    grid1d(B, 1, device.gpu.limits.maxComputeWorkgroupsPerDimension),
  );
  reduceSum(rec, loss, rowLoss, { scale: 1 / B });
}

/**
 * dS (B, N) of the mean contrastive loss: (scale/B)·(softmax − onehot(i)), 0 on masked columns;
 * with accumulate it adds into dscores instead of overwriting. rowStats from contrastiveForward.
 *
 * @example
 * contrastiveBackward(rec, dscores, scores, rowStats, { scale: 1, accumulate: false });
 */
export function contrastiveBackward(
  rec: Recorder,
  dscores: Tensor,
  scores: Tensor,
  rowStats: Tensor,
  options: ContrastiveOptions & { accumulate: boolean; overrides?: Overrides },
): void {
  const op = 'contrastiveBackward';
  const scale = options.scale ?? 1;
  const { B, N } = checkScores(op, scores, options.mask, { dscores: dscores.shape, rowStats: rowStats.shape });
  checkShapes(dscores.numel === B * N && rowStats.numel === 2 * B, op, { dscores: dscores.shape, scores: scores.shape, rowStats: rowStats.shape }, 'want dscores like scores, rowStats (B, 2)');
  checkScale(op, scale);
  const device = rec.device;
  const k = device.kernel('contrastive_backward', options.overrides);
  rec.dispatch(
    k,
    { rows: B, cols: N, scale, grad_scale: scale / B, use_mask: options.mask ? 1 : 0, accumulate: options.accumulate ? 1 : 0 },
    { dscores, scores, row_stats: rowStats, mask: options.mask ?? scores },
    grid1d(B * N, k.workgroupSize[0], device.gpu.limits.maxComputeWorkgroupsPerDimension),
  );
}

/**
 * The paper's contrastive entropy per query, in nats: CE_i = −log(exp s⁺ / (exp s⁺ + Σ_j exp s⁻_j)),
 * s = scale·⟨q_i, p⟩ with p⁺ = passages[posIndex[i]] and p⁻_j = passages[negIndex[i, j]]. Bit-identical
 * on lavapipe, SwiftShader and Chromium. Also writes the scores (B, W+1), positive first.
 * Indices must be < passages rows: check them on the CPU with checkEvalIndices.
 *
 * @example
 * contrastiveEvalForward(rec, loss, scores, queryEmb, passageEmb, posIndex, negIndex);
 * await rec.submit();
 * const nats = await device.read(loss); // mean it over pairs (and repeats) for the paper's number
 */
export function contrastiveEvalForward(
  rec: Recorder,
  loss: Tensor,
  scores: Tensor,
  queries: Tensor,
  passages: Tensor,
  posIndex: Tensor,
  negIndex: Tensor,
  options: { scale?: number; /** false forces scalar loads (same bits; tests use it to prove that). */ vectorLoads?: boolean } = {},
): void {
  const op = 'contrastiveEvalForward';
  const scale = options.scale ?? 1;
  const [B = 0, D = 0] = queries.shape;
  const [Np = 0, Dp = 0] = passages.shape;
  const W = B > 0 ? negIndex.numel / B : 0;
  const shapes = { loss: loss.shape, scores: scores.shape, queries: queries.shape, passages: passages.shape, posIndex: posIndex.shape, negIndex: negIndex.shape };
  checkShapes(
    queries.shape.length === 2 && passages.shape.length === 2 && B >= 1 && D >= 1 && Np >= 1 && Dp === D &&
      loss.numel === B && posIndex.numel === B && Number.isInteger(W) && (negIndex.shape.length !== 2 || negIndex.shape[0] === B) && scores.numel === B * (W + 1),
    op,
    shapes,
    'want loss (B), scores (B, W+1), queries (B, D), passages (Np, D), posIndex (B), negIndex (B, W)',
  );
  for (const [name, t] of [['posIndex', posIndex], ['negIndex', negIndex]] as const) {
    if (t.dtype !== 'u32') throw new ShapeError(`${op}: ${name} ${t.label} must be u32, got ${t.dtype}`);
  }
  if (!Number.isFinite(scale)) throw new ConfigError(`must be finite, got ${scale}`, `${op}.scale`);
  const device = rec.device;
  const k = device.kernel('contrastive_eval_forward');
  const vec4 = options.vectorLoads !== false && D % 4 === 0;
  rec.dispatch(
    k,
    { rows: B, dim: D, negatives: W, scale, use_vec4: vec4 ? 1 : 0 },
    // With W = 0 the negatives binding is never read; WebGPU still wants a non-empty buffer there.
    { loss, scores, query_emb: queries, passage_emb: passages, pos_index: posIndex, neg_index: negIndex, query_emb4: vec4 ? queries : device.placeholder(), passage_emb4: vec4 ? passages : device.placeholder() },
    grid1d(B, 1, device.gpu.limits.maxComputeWorkgroupsPerDimension),
  );
}

/**
 * Checks on the CPU that every index is a row of the passage table; the kernel cannot report an
 * out-of-range index (WebGPU clamps the read), so the evaluation code checks before uploading.
 *
 * @example
 * checkEvalIndices(posIndex, negIndex, passageCount); // throws ShapeError naming the first bad entry
 */
export function checkEvalIndices(posIndex: ArrayLike<number>, negIndex: ArrayLike<number>, passageRows: number): void {
  for (const [name, idx] of [['posIndex', posIndex], ['negIndex', negIndex]] as const) {
    for (let i = 0; i < idx.length; i++) {
      const v = idx[i]!;
      if (!(Number.isInteger(v) && v >= 0 && v < passageRows)) {
        throw new ShapeError(`contrastiveEvalForward: ${name}[${i}] = ${v} is not a row of the passage table (0 … ${passageRows - 1})`);
      }
    }
  }
}
