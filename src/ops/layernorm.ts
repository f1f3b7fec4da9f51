// Launchers for shaders/layernorm_forward.wgsl and shaders/layernorm_backward.wgsl.
import type { Device } from '../gpu/device.js';
import { grid1d } from '../gpu/kernel.js';
import type { Recorder } from '../gpu/recorder.js';
import type { Tensor } from '../gpu/tensor.js';
import { checkShapes } from '../util/assert.js';
import { ceilDiv } from '../util/math.js';
import { defaultRowMapping, type RowMapping } from './rows.js';

/** Widest row the backward kernel takes: 64 lanes × QUADS_PER_LANE (4) register quads × 4 channels. */
export const LAYERNORM_BACKWARD_MAX_CHANNELS = 1024;
/** Backward stage 1 aims for at most this many row groups, so stage 2 sums at most this many partials per channel. */
const MAX_ROW_GROUPS = 512;

/** The invocation mapping exists for C % 4 == 0 only (every real model); otherwise rows take workgroups. */
function rowMapping(device: Device, C: number, requested?: RowMapping): RowMapping {
  return C % 4 === 0 ? (requested ?? defaultRowMapping(device)) : 'workgroup';
}

export interface LayernormDims {
  /** Number of rows (B·T). */
  rows: number;
  /** Row length C (the normalised dimension). */
  channels: number;
}

/** Rows per backward workgroup: a function of the row count only, so dweight/dbias are summed in the same order on every device. */
function rowsPerGroup(rows: number): number {
  return Math.max(1, ceilDiv(rows, MAX_ROW_GROUPS));
}

function rowGroups(rows: number): number {
  return ceilDiv(rows, rowsPerGroup(rows));
}

/**
 * Elements of the f32 workspace layernormBackward needs: per-workgroup partial sums of dweight and dbias.
 *
 * @example
 * const workspace = device.tensor('ln.workspace', [layernormWorkspaceSize({ rows: B * T, channels: C })]);
 */
export function layernormWorkspaceSize(dims: LayernormDims): number {
  return 2 * rowGroups(dims.rows) * dims.channels;
}

function rowsOf(op: string, inp: Tensor, weight: Tensor, shapes: Record<string, readonly number[]>): { rows: number; C: number } {
  const C = weight.shape[weight.shape.length - 1] ?? 0;
  const lastOk = weight.shape.length === 1 && C > 0 && inp.shape[inp.shape.length - 1] === C;
  checkShapes(lastOk, op, shapes, 'the last dimension of inp must equal weight (C)');
  return { rows: inp.numel / C, C };
}

/**
 * LayerNorm over the last dimension: out = (inp − mean)·rstd·weight + bias, rstd = 1/√(var + eps);
 * saves mean and rstd (one per row) for the backward pass. Results are bit-identical on every WebGPU
 * device (fixed reduction order, independent of overrides and subgroup size).
 *
 * @param out (…, C) like inp
 * @param mean (rows) where rows = inp.numel / C
 * @param rstd (rows)
 * @param inp (…, C), e.g. (B, T, C)
 * @param weight (C)
 * @param bias (C)
 * @param options.eps BERT checkpoints use 1e-12
 * @param options.mapping row-to-device mapping (speed only, results are identical; see RowMapping)
 *
 * @example
 * layernormForward(rec, out, mean, rstd, x, lnWeight, lnBias, { eps: 1e-12 });
 */
export function layernormForward(
  rec: Recorder,
  out: Tensor,
  mean: Tensor,
  rstd: Tensor,
  inp: Tensor,
  weight: Tensor,
  bias: Tensor,
  options: { eps: number; mapping?: RowMapping },
): void {
  const shapes = { out: out.shape, mean: mean.shape, rstd: rstd.shape, inp: inp.shape, weight: weight.shape, bias: bias.shape };
  const { rows, C } = rowsOf('layernormForward', inp, weight, shapes);
  checkShapes(out.numel === inp.numel && mean.numel === rows && rstd.numel === rows && bias.numel === C, 'layernormForward', shapes);
  const device = rec.device;
  const maxDim = device.gpu.limits.maxComputeWorkgroupsPerDimension;
  const params = { rows, C, eps: options.eps };
  const vec4Bindings = { out4: out, mean, rstd, inp4: inp, weight4: weight, bias4: bias };
  if (rowMapping(device, C, options.mapping) === 'invocation') {
    const kernel = device.kernel('layernorm_forward_rows_vec4');
    rec.dispatch(kernel, params, vec4Bindings, grid1d(rows, kernel.workgroupSize[0], maxDim));
  } else if (C % 4 === 0) {
    rec.dispatch(device.kernel('layernorm_forward_vec4'), params, vec4Bindings, grid1d(rows, 1, maxDim));
  } else {
    rec.dispatch(device.kernel('layernorm_forward'), params, { out, mean, rstd, inp, weight, bias }, grid1d(rows, 1, maxDim));
  }
}

/** Which gradients layernormBackward adds into instead of overwriting. */
export type LayernormAccumulate = boolean | { input: boolean; params: boolean };

/**
 * LayerNorm backward: dinp, dweight and dbias from the saved mean and rstd. dweight/dbias are summed
 * per row group into `workspace` and then over the groups in a fixed order (no atomics), so results are
 * bit-identical run to run.
 *
 * @param workspace at least layernormWorkspaceSize({ rows, channels: C }) f32 elements
 * @param options.mapping row-to-device mapping (speed only, results are identical; see RowMapping)
 * @throws ShapeError for C > LAYERNORM_BACKWARD_MAX_CHANNELS (1024, BERT-large)
 * @param options.accumulate true adds into dinp, dweight and dbias (the shared tower runs twice per step);
 *   `{ input, params }` chooses separately for dinp and for dweight/dbias
 *
 * @example
 * layernormBackward(rec, dx, dlnWeight, dlnBias, lnWorkspace, dout, x, lnWeight, mean, rstd, { accumulate: { input: false, params: true } });
 */
export function layernormBackward(
  rec: Recorder,
  dinp: Tensor,
  dweight: Tensor,
  dbias: Tensor,
  workspace: Tensor,
  dout: Tensor,
  inp: Tensor,
  weight: Tensor,
  mean: Tensor,
  rstd: Tensor,
  options: { accumulate: LayernormAccumulate; mapping?: RowMapping },
): void {
  const shapes = {
    dinp: dinp.shape,
    dweight: dweight.shape,
    dbias: dbias.shape,
    workspace: workspace.shape,
    dout: dout.shape,
    inp: inp.shape,
    weight: weight.shape,
    mean: mean.shape,
    rstd: rstd.shape,
  };
  const { rows, C } = rowsOf('layernormBackward', inp, weight, shapes);
  checkShapes(
    dinp.numel === inp.numel && dout.numel === inp.numel && dweight.numel === C && dbias.numel === C && mean.numel === rows && rstd.numel === rows,
    'layernormBackward',
    shapes,
  );
  checkShapes(C <= LAYERNORM_BACKWARD_MAX_CHANNELS, 'layernormBackward', shapes, `C must be at most ${LAYERNORM_BACKWARD_MAX_CHANNELS}`);
  const needed = layernormWorkspaceSize({ rows, channels: C });
  checkShapes(workspace.numel >= needed, 'layernormBackward', shapes, `workspace needs ${needed} elements`);
  const device = rec.device;
  const accumulateInput = typeof options.accumulate === 'boolean' ? options.accumulate : options.accumulate.input;
  const accumulateParams = typeof options.accumulate === 'boolean' ? options.accumulate : options.accumulate.params;
  const perGroup = rowsPerGroup(rows);
  const groups = rowGroups(rows);
  const partials = workspace.numel === needed ? workspace : workspace.slice(0, [needed]);
  const maxDim = device.gpu.limits.maxComputeWorkgroupsPerDimension;
  const stage1 = { rows, C, rows_per_group: perGroup, accumulate: accumulateInput ? 1 : 0 };
  if (rowMapping(device, C, options.mapping) === 'invocation') {
    const dinpKernel = device.kernel('layernorm_backward_dinp_rows_vec4');
    rec.dispatch(dinpKernel, stage1, { dinp4: dinp, dout4: dout, inp4: inp, weight4: weight, mean, rstd }, grid1d(rows, dinpKernel.workgroupSize[0], maxDim));
    const partialsKernel = device.kernel('layernorm_backward_partials_vec4');
    const quads = C / 4;
    rec.dispatch(partialsKernel, stage1, { partials4: partials, dout4: dout, inp4: inp, mean, rstd }, grid1d(groups * quads, partialsKernel.workgroupSize[0], maxDim));
  } else if (C % 4 === 0) {
    const grid = grid1d(groups, 1, maxDim);
    rec.dispatch(device.kernel('layernorm_backward_dinp_vec4'), stage1, { dinp4: dinp, partials4: partials, dout4: dout, inp4: inp, weight4: weight, mean, rstd }, grid);
  } else {
    const grid = grid1d(groups, 1, maxDim);
    rec.dispatch(device.kernel('layernorm_backward_dinp'), stage1, { dinp, partials, dout, inp, weight, mean, rstd }, grid);
  }

  const reduce = device.kernel('layernorm_backward_dparams');
  const stage2 = { rows, C, rows_per_group: perGroup, accumulate: accumulateParams ? 1 : 0 };
  rec.dispatch(reduce, stage2, { dweight, dbias, partials_in: partials }, grid1d(C, reduce.workgroupSize[0], maxDim));
}
