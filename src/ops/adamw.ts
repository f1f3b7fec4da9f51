// Launcher for shaders/adamw_update.wgsl: AdamW in place over flat params/m/v, reading the gradient
// clipping coefficient from the GPU.
import { ConfigError, ShapeError } from '../errors.js';
import { grid1d, type Overrides } from '../gpu/kernel.js';
import type { Recorder } from '../gpu/recorder.js';
import type { Tensor } from '../gpu/tensor.js';
import { checkShapes } from '../util/assert.js';
import { ceilDiv } from '../util/math.js';
import { pieceElements, pieces } from './flat_chunks.js';

/** Elements per bit of the weight-decay mask; parameter groups start at multiples of it. */
export const ADAMW_DECAY_BLOCK = 64;

export interface AdamwOptions {
  learningRate: number;
  /** 1-based optimizer step t, for the bias corrections 1 − β1ᵗ and 1 − β2ᵗ. */
  step: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8 (PyTorch and HF). */
  epsilon?: number;
  /** Decoupled weight decay λ: θ ← θ·(1 − lr·λ) before the Adam step. Default 0. */
  weightDecay?: number;
  /**
   * u32 bitmask (adamwDecayMask) over 64-element blocks of the range: decay applies only where the
   * block's bit is set (HF leaves biases and LayerNorm weights undecayed). Without it, everywhere.
   */
  decayMask?: Tensor;
  /** Elements per piece (default: as many as one storage binding holds). For tests. */
  chunkElements?: number;
  /** WG of the kernel; for tests and tuning. */
  overrides?: Overrides;
}

/**
 * Packs the weight-decay mask for adamwUpdate: bit b of word w is set when 64-element block 32w + b of
 * the flat range lies in one of `decayed` (element offsets and counts; offsets must be multiples of 64,
 * as the parameter layout places groups).
 *
 * @example
 * const mask = adamwDecayMask(layout.size, layout.groups.filter((g) => g.weightDecay));
 * const maskTensor = device.tensor('adamw.decay_mask', [mask.length], 'u32', mask);
 */
export function adamwDecayMask(totalElements: number, decayed: readonly { offset: number; numel: number }[]): Uint32Array {
  const blocks = ceilDiv(totalElements, ADAMW_DECAY_BLOCK);
  const mask = new Uint32Array(Math.max(1, ceilDiv(blocks, 32)));
  for (const [i, r] of decayed.entries()) {
    if (r.offset % ADAMW_DECAY_BLOCK !== 0 || r.offset < 0 || r.numel < 0 || r.offset + r.numel > totalElements) {
      throw new ConfigError(
        `range ${i} (offset ${r.offset}, numel ${r.numel}) must start at a multiple of ${ADAMW_DECAY_BLOCK} and lie within ${totalElements} elements`,
        'adamwDecayMask.decayed',
      );
    }
    for (let b = r.offset / ADAMW_DECAY_BLOCK; b < ceilDiv(r.offset + r.numel, ADAMW_DECAY_BLOCK); b++) mask[b >>> 5]! |= 1 << (b & 31);
  }
  return mask;
}

/**
 * One AdamW step in place (PyTorch's formulation): g = grads·clipScale[0];
 * m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²; θ ← θ(1 − lr·λ) − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε).
 * params, m, v, grads: equally sized ranges of the flat buffers, processed in binding-sized pieces.
 * clipScale (1) is usually globalNorm's output; pass a tensor holding 1 to disable clipping.
 *
 * @example
 * globalNorm(rec, gradNorm, clipScale, partials, grads, { maxNorm: 1 });
 * adamwUpdate(rec, params, m, v, grads, clipScale, { learningRate: lr(step), step, weightDecay: 0.01, decayMask });
 */
export function adamwUpdate(rec: Recorder, params: Tensor, m: Tensor, v: Tensor, grads: Tensor, clipScale: Tensor, options: AdamwOptions): void {
  const op = 'adamwUpdate';
  const n = params.numel;
  const blocks = ceilDiv(n, ADAMW_DECAY_BLOCK);
  const maskWords = Math.max(1, ceilDiv(blocks, 32));
  const shapes: Record<string, readonly number[]> = { params: params.shape, m: m.shape, v: v.shape, grads: grads.shape, clipScale: clipScale.shape };
  if (options.decayMask) shapes.decayMask = options.decayMask.shape;
  checkShapes(
    n >= 1 && m.numel === n && v.numel === n && grads.numel === n && clipScale.numel === 1 && (options.decayMask === undefined || options.decayMask.numel === maskWords),
    op,
    shapes,
    `want params, m, v, grads of one size, clipScale (1)${options.decayMask ? `, decayMask (${maskWords})` : ''}`,
  );
  if (options.decayMask && options.decayMask.dtype !== 'u32') throw new ShapeError(`${op}: decayMask ${options.decayMask.label} must be u32`);
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const epsilon = options.epsilon ?? 1e-8;
  const weightDecay = options.weightDecay ?? 0;
  const { learningRate, step } = options;
  const check = (field: string, ok: boolean, value: number) => {
    if (!ok) throw new ConfigError(`out of range: ${value}`, `${op}.${field}`);
  };
  check('learningRate', Number.isFinite(learningRate) && learningRate >= 0, learningRate);
  check('step', Number.isInteger(step) && step >= 1, step);
  check('beta1', beta1 >= 0 && beta1 < 1, beta1);
  check('beta2', beta2 >= 0 && beta2 < 1, beta2);
  check('epsilon', Number.isFinite(epsilon) && epsilon >= 0, epsilon);
  check('weightDecay', Number.isFinite(weightDecay) && weightDecay >= 0, weightDecay);
  const device = rec.device;
  const k = device.kernel('adamw_update', options.overrides);
  // Pieces start at multiples of 64 elements, so a piece's first element is a decay-mask block boundary.
  const piece = pieceElements(device, op, ADAMW_DECAY_BLOCK, options.chunkElements);
  const scalars = {
    use_mask: options.decayMask ? 1 : 0,
    beta1,
    beta2,
    one_minus_beta1: 1 - beta1,
    one_minus_beta2: 1 - beta2,
    step_size: learningRate / (1 - beta1 ** step),
    bias_correction2_sqrt: Math.sqrt(1 - beta2 ** step),
    epsilon,
    decay: 1 - learningRate * weightDecay,
  };
  for (const { offset, length } of pieces(n, piece)) {
    rec.dispatch(
      k,
      { n: length, first_element: offset, ...scalars },
      {
        params: params.slice(offset, [length]),
        m: m.slice(offset, [length]),
        v: v.slice(offset, [length]),
        grads: grads.slice(offset, [length]),
        clip: clipScale,
        // Without a mask the binding is never read; the clip scale stands in for it.
        decay_mask: options.decayMask ?? clipScale,
      },
      grid1d(length, k.workgroupSize[0], device.gpu.limits.maxComputeWorkgroupsPerDimension),
    );
  }
}
