// Launchers for shaders/pool_forward.wgsl and shaders/pool_backward.wgsl.
import { ConfigError } from '../errors.js';
import { grid1d } from '../gpu/kernel.js';
import type { Recorder } from '../gpu/recorder.js';
import type { Tensor } from '../gpu/tensor.js';
import { checkShapes } from '../util/assert.js';

/** 'mean': masked mean over the valid tokens (the paper's pooling); 'cls': the first token. */
export type PoolMode = 'mean' | 'cls';

const MODE_CODE: Readonly<Record<PoolMode, number>> = { mean: 0, cls: 1 };

function poolDims(op: string, tokens: Tensor, pooled: Tensor, mask: Tensor, mode: PoolMode, shapes: Record<string, readonly number[]>) {
  const code = MODE_CODE[mode];
  if (code === undefined) throw new ConfigError(`${op}: unknown pooling mode "${String(mode)}" (have: mean, cls)`, 'mode');
  const [B = 0, T = 0, C = 0] = tokens.shape;
  checkShapes(tokens.shape.length === 3 && pooled.numel === B * C && pooled.shape[pooled.shape.length - 1] === C && mask.numel === B * T, op, shapes, 'expected (B,T,C), (B,C) and mask (B,T)');
  return { B, T, C, mode: code };
}

/**
 * Pools token vectors (B, T, C) into one vector per sequence (B, C): the mean over tokens whose mask
 * is non-zero (a sequence with none pools to 0), or the [CLS] token. Bit-identical on every device.
 *
 * @param mask (B, T) u32, 1 for real tokens and 0 for padding (read in 'mean' mode only)
 *
 * @example
 * poolForward(rec, embedding, lastHidden, attentionMask, { mode: 'mean' });
 */
export function poolForward(rec: Recorder, out: Tensor, inp: Tensor, mask: Tensor, options: { mode: PoolMode }): void {
  const dims = poolDims('poolForward', inp, out, mask, options.mode, { out: out.shape, inp: inp.shape, mask: mask.shape });
  const device = rec.device;
  const kernel = device.kernel('pool_forward');
  const grid = grid1d(dims.B * dims.C, kernel.workgroupSize[0], device.gpu.limits.maxComputeWorkgroupsPerDimension);
  rec.dispatch(kernel, dims, { out, inp, mask }, grid);
}

/**
 * Spreads the pooled gradient (B, C) back over the tokens (B, T, C): dout/count on each valid token in
 * 'mean' mode, dout on token 0 in 'cls' mode, 0 elsewhere (added into dinp when `accumulate`).
 *
 * @example
 * poolBackward(rec, dLastHidden, dEmbedding, attentionMask, { mode: 'mean', accumulate: false });
 */
export function poolBackward(rec: Recorder, dinp: Tensor, dout: Tensor, mask: Tensor, options: { mode: PoolMode; accumulate: boolean }): void {
  const dims = poolDims('poolBackward', dinp, dout, mask, options.mode, { dinp: dinp.shape, dout: dout.shape, mask: mask.shape });
  const device = rec.device;
  const kernel = device.kernel('pool_backward');
  const grid = grid1d(dims.B * dims.C, kernel.workgroupSize[0], device.gpu.limits.maxComputeWorkgroupsPerDimension);
  rec.dispatch(kernel, { ...dims, accumulate: options.accumulate ? 1 : 0 }, { dinp, dout, mask }, grid);
}
