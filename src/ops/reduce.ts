// Launcher for shaders/reduce_sum.wgsl: the fixed-order second stage of two-stage reductions.
import { ConfigError } from '../errors.js';
import type { Recorder } from '../gpu/recorder.js';
import type { Tensor } from '../gpu/tensor.js';
import { checkShapes } from '../util/assert.js';

/**
 * out[0] = scale · Σ inp, summed in an order that depends only on inp.numel (256 strided lane sums,
 * then a binary tree), so every device gives the same bits. One workgroup: meant for partial sums
 * (up to ~1e5 values), not for whole tensors.
 *
 * @example
 * const rec = device.recorder('mean');
 * reduceSum(rec, meanLoss, rowLoss, { scale: 1 / rowLoss.numel });
 * await rec.submit();
 */
export function reduceSum(rec: Recorder, out: Tensor, inp: Tensor, options: { scale?: number } = {}): void {
  const scale = options.scale ?? 1;
  checkShapes(out.numel === 1 && inp.numel >= 1, 'reduceSum', { out: out.shape, inp: inp.shape }, 'out must hold 1 element, inp at least 1');
  if (!Number.isFinite(scale)) throw new ConfigError(`must be finite, got ${scale}`, 'reduceSum.scale');
  const k = rec.device.kernel('reduce_sum');
  rec.dispatch(k, { n: inp.numel, scale }, { out, inp }, [1, 1, 1]);
}
