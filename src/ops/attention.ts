// Launchers for shaders/attention_forward.wgsl and shaders/attention_backward.wgsl: bidirectional
// multi-head self-attention with a key-padding mask (BERT), flash-style (the (B,NH,T,T) probabilities are
// never stored; the backward recomputes them from the per-row logsumexp the forward saves).
import { ConfigError } from '../errors.js';
import type { Device } from '../gpu/device.js';
import type { Recorder } from '../gpu/recorder.js';
import type { Tensor } from '../gpu/tensor.js';
import { checkShapes, isPositiveInt, type Shape } from '../util/assert.js';
import { ceilDiv } from '../util/math.js';

/** Largest head size the kernels hold in registers (their MAX_HD4 · 4). */
export const ATTENTION_MAX_HEAD_SIZE = 128;

export interface AttentionOptions {
  /** Number of heads NH; the head size C/NH must be a multiple of 4 and at most 128. */
  numHeads: number;
  /**
   * Invocations per workgroup (the WG override; each invocation owns four rows). Default 8 on CPU
   * adapters, 64 otherwise. Results do not depend on it, only speed does. At most the device's
   * maxComputeInvocationsPerWorkgroup.
   */
  workgroupSize?: number;
}

export interface AttentionBackwardOptions extends AttentionOptions {
  /** Add into dqkv (the shared-tower bi-encoder sums the gradients of two passes) instead of overwriting. */
  accumulate: boolean;
}

interface Dims {
  B: number;
  T: number;
  C: number;
  NH: number;
  hd: number;
}

function dimsOf(op: string, qkv: Tensor, numHeads: number, shapes: Record<string, Shape>): Dims {
  if (!isPositiveInt(numHeads)) throw new ConfigError(`${op}: ${numHeads} is not a positive integer`, 'numHeads');
  const [B = 0, T = 0, C3 = 0] = qkv.shape;
  const C = C3 / 3;
  const hd = C / numHeads;
  checkShapes(
    qkv.shape.length === 3 && B > 0 && T > 0 && Number.isInteger(C) && C > 0,
    op,
    shapes,
    'qkv must be (B,T,3C) with B, T, C ≥ 1',
  );
  checkShapes(
    Number.isInteger(hd) && hd % 4 === 0 && hd <= ATTENTION_MAX_HEAD_SIZE,
    op,
    { ...shapes, numHeads },
    `head size C/NH = ${C}/${numHeads} must be a multiple of 4 and at most ${ATTENTION_MAX_HEAD_SIZE}`,
  );
  return { B, T, C, NH: numHeads, hd };
}

function same(a: Shape, b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Invocations per workgroup when the caller does not choose. Each invocation owns four rows. On a CPU
 * adapter one SIMD batch (8 on lavapipe) per workgroup wastes the fewest lanes on short sequences; a
 * GPU wants more threads per workgroup. Results never depend on it, and one value per device class keeps
 * the number of compiled pipelines (seconds each on lavapipe) small.
 */
function defaultWorkgroup(device: Device): number {
  return device.info.isFallbackAdapter ? 8 : 64;
}

/** (ceil(T/WG), B·NH) workgroups, B·NH folded into (y, z) past the per-dimension limit. */
function grid(d: Dims, wg: number, maxPerDim: number): [number, number, number] {
  const heads = d.B * d.NH;
  const z = ceilDiv(heads, maxPerDim);
  return [ceilDiv(d.T, wg), ceilDiv(heads, z), z];
}

function checkMask(op: string, mask: Tensor, shapes: Record<string, Shape>): void {
  checkShapes(mask.dtype === 'u32', op, shapes, `mask must be u32 (1 = token, 0 = padding), got ${mask.dtype}`);
}

/**
 * Multi-head self-attention forward: out (B,T,C) and the per-row logsumexp lse (B,NH,T) that
 * attentionBackward needs, from the fused projection qkv (B,T,3C) = [q | k | v] and the key-padding
 * mask (B,T) (u32: 1 = token, 0 = padding). Scores are scaled by 1/√(C/NH); padded keys are excluded and
 * padded query rows give zeros. Every sequence needs at least one valid token (the [CLS]).
 * Bit-identical across runtimes and workgroup sizes (deterministic exp/log, fixed summation order).
 *
 * @example
 * const out = device.tensor('att.out', [B, T, C]);
 * const lse = device.tensor('att.lse', [B, NH, T]);
 * attentionForward(rec, out, lse, qkv, mask, { numHeads: NH });
 */
export function attentionForward(rec: Recorder, out: Tensor, lse: Tensor, qkv: Tensor, mask: Tensor, options: AttentionOptions): void {
  const op = 'attentionForward';
  const shapes = { out: out.shape, lse: lse.shape, qkv: qkv.shape, mask: mask.shape };
  const d = dimsOf(op, qkv, options.numHeads, shapes);
  checkShapes(
    same(out.shape, [d.B, d.T, d.C]) && same(lse.shape, [d.B, d.NH, d.T]) && same(mask.shape, [d.B, d.T]),
    op,
    shapes,
    `expected out (${d.B},${d.T},${d.C}), lse (${d.B},${d.NH},${d.T}), mask (${d.B},${d.T}) for NH=${d.NH}`,
  );
  checkMask(op, mask, shapes);
  const device = rec.device;
  const k = device.kernel('attention_forward', { WG: options.workgroupSize ?? defaultWorkgroup(rec.device), HD4: d.hd / 4 });
  rec.dispatch(k, { B: d.B, T: d.T, C: d.C, NH: d.NH }, { out, lse, qkv, mask }, grid(d, k.workgroupSize[0] * 4, device.gpu.limits.maxComputeWorkgroupsPerDimension));
}

/**
 * Elements of the workspace attentionBackward needs: D_i = dout_i·out_i per row and head, (B,NH,T).
 *
 * @example
 * const ws = device.tensor('att.ws', [attentionBackwardWorkspaceSize({ batch: B, seqLen: T, numHeads: NH })]);
 */
export function attentionBackwardWorkspaceSize(dims: { batch: number; seqLen: number; numHeads: number }): number {
  return dims.batch * dims.numHeads * dims.seqLen;
}

/**
 * Multi-head self-attention backward: dqkv (B,T,3C) from dout (B,T,C), given the forward's inputs
 * (qkv, mask) and outputs (out, lse). Two deterministic passes without atomics: one invocation per query
 * row accumulates dq (and writes D = dout·out into `workspace`), then one invocation per key row
 * accumulates dk and dv over the queries in order. Padded rows get zero gradient. With `accumulate`
 * the gradient is added to dqkv instead of overwriting it.
 *
 * @example
 * attentionBackward(rec, dqkv, ws, dout, qkv, mask, out, lse, { numHeads: NH, accumulate: false });
 */
export function attentionBackward(
  rec: Recorder,
  dqkv: Tensor,
  workspace: Tensor,
  dout: Tensor,
  qkv: Tensor,
  mask: Tensor,
  out: Tensor,
  lse: Tensor,
  options: AttentionBackwardOptions,
): void {
  const op = 'attentionBackward';
  const shapes = { dqkv: dqkv.shape, workspace: workspace.shape, dout: dout.shape, qkv: qkv.shape, mask: mask.shape, out: out.shape, lse: lse.shape };
  const d = dimsOf(op, qkv, options.numHeads, shapes);
  const wsSize = attentionBackwardWorkspaceSize({ batch: d.B, seqLen: d.T, numHeads: d.NH });
  checkShapes(
    same(dqkv.shape, qkv.shape) &&
      same(dout.shape, [d.B, d.T, d.C]) &&
      same(out.shape, [d.B, d.T, d.C]) &&
      same(lse.shape, [d.B, d.NH, d.T]) &&
      same(mask.shape, [d.B, d.T]) &&
      workspace.numel >= wsSize,
    op,
    shapes,
    `expected dqkv = qkv, dout = out (${d.B},${d.T},${d.C}), lse (${d.B},${d.NH},${d.T}), mask (${d.B},${d.T}), workspace ≥ ${wsSize} for NH=${d.NH}`,
  );
  checkMask(op, mask, shapes);
  const device = rec.device;
  const overrides = { WG: options.workgroupSize ?? defaultWorkgroup(rec.device), HD4: d.hd / 4 };
  const params = { B: d.B, T: d.T, C: d.C, NH: d.NH, accumulate: options.accumulate ? 1 : 0 };
  const maxPerDim = device.gpu.limits.maxComputeWorkgroupsPerDimension;
  const kq = device.kernel('attention_backward_dq', overrides);
  rec.dispatch(kq, params, { dqkv, delta: workspace, dout, qkv, mask, out, lse }, grid(d, kq.workgroupSize[0] * 4, maxPerDim));
  const kkv = device.kernel('attention_backward_dkv', overrides);
  rec.dispatch(kkv, params, { dqkv, delta: workspace, dout, qkv, mask, lse }, grid(d, kkv.workgroupSize[0] * 4, maxPerDim));
}
