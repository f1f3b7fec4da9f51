// CPU reference for global_norm.wgsl (with reduce_sum.wgsl as its second stage), in f64.

/**
 * ‖g‖₂ and the clipping coefficient min(1, maxNorm / (‖g‖ + 1e-6)) of torch.nn.utils.clip_grad_norm_.
 *
 * @example
 * globalNorm([3, 4], 1); // { norm: 5, clipScale: 1 / (5 + 1e-6) }
 */
export function globalNorm(grads: ArrayLike<number>, maxNorm: number): { norm: number; clipScale: number } {
  let sumSquares = 0;
  for (let i = 0; i < grads.length; i++) sumSquares += grads[i]! * grads[i]!;
  const norm = Math.sqrt(sumSquares);
  return { norm, clipScale: Math.min(1, maxNorm / (norm + 1e-6)) };
}
