// Launcher for shaders/global_norm.wgsl: the gradient norm and the clipping coefficient, left on the GPU
// for adamw_update to read (no readback in the training loop).
import { ConfigError, ShapeError } from '../errors.js';
import { grid1d, type Overrides } from '../gpu/kernel.js';
import type { Recorder } from '../gpu/recorder.js';
import type { Tensor } from '../gpu/tensor.js';
import { checkShapes, isPositiveInt } from '../util/assert.js';
import { ceilDiv } from '../util/math.js';
import { pieceElements, pieces } from './flat_chunks.js';
import { reduceSum } from './reduce.js';

const DEFAULT_WG = 256;
const DEFAULT_ITEMS = 16;
/**
 * On CPU adapters every barrier of the workgroup tree switches between fibers, so one SIMD group per
 * workgroup with long serial sums is fastest (lavapipe, 10M floats: 8×512 ≈ 15× the bandwidth of
 * 256×16). Same block of 4096 elements either way, so workspace sizes do not change.
 */
const CPU_ADAPTER_OVERRIDES: Overrides = { WG: 8, ITEMS: 512 };

export interface GlobalNormOptions {
  /** Clip to this norm: clipScale = min(1, maxNorm / (‖g‖ + 1e-6)). Finite and > 0. */
  maxNorm: number;
  /** Elements per piece of the flat buffer (default: as many as one storage binding holds). For tests. */
  chunkElements?: number;
  /**
   * WG (a power of two) and ITEMS per invocation of the first stage, replacing the per-device default
   * (missing fields: 256 and 16); for tests and tuning.
   */
  overrides?: Overrides;
}

function blockElements(overrides: Overrides = {}): number {
  return (overrides.WG ?? DEFAULT_WG) * (overrides.ITEMS ?? DEFAULT_ITEMS);
}

/**
 * Elements of the partial-sums workspace globalNorm needs for a gradient of `n` elements.
 *
 * @example
 * const workspace = device.tensor('gradnorm.partials', [globalNormWorkspaceSize(grads.numel)]);
 */
export function globalNormWorkspaceSize(n: number, overrides?: Overrides): number {
  // Both per-device defaults use blocks of 4096 elements; explicit overrides set their own.
  return Math.max(1, ceilDiv(n, blockElements(overrides)));
}

/**
 * ‖grads‖₂ into norm (1) and min(1, maxNorm/(‖grads‖ + 1e-6)) into clipScale (1), both on the GPU.
 * grads may be a flat buffer larger than one storage binding: it is processed in binding-sized pieces
 * of whole blocks, so the result does not depend on the piece size. Records 2 + pieces dispatches.
 *
 * @example
 * globalNorm(rec, gradNorm, clipScale, partials, grads, { maxNorm: 1.0 });
 * adamwUpdate(rec, params, m, v, grads, clipScale, { learningRate: 5e-6, step });
 */
export function globalNorm(rec: Recorder, norm: Tensor, clipScale: Tensor, workspace: Tensor, grads: Tensor, options: GlobalNormOptions): void {
  const op = 'globalNorm';
  const n = grads.numel;
  const device = rec.device;
  const overrides = options.overrides ?? (device.info.isFallbackAdapter ? CPU_ADAPTER_OVERRIDES : {});
  const wg = overrides.WG ?? DEFAULT_WG;
  if (!isPositiveInt(wg) || (wg & (wg - 1)) !== 0) throw new ConfigError(`must be a power of two, got ${wg}`, `${op}.overrides.WG`);
  const needed = globalNormWorkspaceSize(n, overrides);
  checkShapes(norm.numel === 1 && clipScale.numel === 1 && n >= 1 && workspace.numel >= needed, op, {
    norm: norm.shape,
    clipScale: clipScale.shape,
    workspace: workspace.shape,
    grads: grads.shape,
  }, `want norm (1), clipScale (1), workspace ≥ ${needed} (globalNormWorkspaceSize)`);
  if (!(Number.isFinite(options.maxNorm) && options.maxNorm > 0)) {
    throw new ConfigError(`must be a finite number > 0, got ${options.maxNorm}`, `${op}.maxNorm`);
  }
  if (grads.dtype !== 'f32') throw new ShapeError(`${op}: grads ${grads.label} must be f32, got ${grads.dtype}`);
  const block = blockElements(overrides);
  const piece = pieceElements(device, op, block, options.chunkElements);
  const stage1 = device.kernel('global_norm', overrides);
  let partialOffset = 0;
  for (const { offset, length } of pieces(n, piece)) {
    const blocks = ceilDiv(length, block);
    rec.dispatch(
      stage1,
      { n: length, partial_offset: partialOffset, max_norm: options.maxNorm },
      { partials: workspace, grads: grads.slice(offset, [length]) },
      grid1d(blocks, 1, device.gpu.limits.maxComputeWorkgroupsPerDimension),
    );
    partialOffset += blocks;
  }
  reduceSum(rec, norm, workspace.slice(0, [partialOffset]));
  rec.dispatch(device.kernel('global_norm_clip'), { n: 0, partial_offset: 0, max_norm: options.maxNorm }, { norm, clip_scale: clipScale }, [1, 1, 1]);
}
