// Launchers for shaders/l2norm_forward.wgsl and shaders/l2norm_backward.wgsl.
import { grid1d } from '../gpu/kernel.js';
import type { Recorder } from '../gpu/recorder.js';
import type { Tensor } from '../gpu/tensor.js';
import { checkShapes } from '../util/assert.js';
import { defaultRowMapping, type RowMapping } from './rows.js';

function rowsOf(op: string, x: Tensor, others: Tensor[], norm: Tensor, shapes: Record<string, readonly number[]>): { rows: number; C: number } {
  const C = x.shape[x.shape.length - 1] ?? 0;
  const rows = C > 0 ? x.numel / C : 0;
  checkShapes(C > 0 && others.every((t) => t.numel === x.numel) && norm.numel === rows, op, shapes);
  return { rows, C };
}

function dispatchRows(rec: Recorder, entry: string, mapping: RowMapping | undefined, params: Record<string, number>, bindings: Record<string, Tensor>): void {
  const device = rec.device;
  const maxDim = device.gpu.limits.maxComputeWorkgroupsPerDimension;
  const rows = params.rows!;
  if ((mapping ?? defaultRowMapping(device)) === 'invocation') {
    const kernel = device.kernel(`${entry}_rows`);
    rec.dispatch(kernel, params, bindings, grid1d(rows, kernel.workgroupSize[0], maxDim));
  } else {
    rec.dispatch(device.kernel(entry), params, bindings, grid1d(rows, 1, maxDim));
  }
}

/**
 * Row-wise L2 normalisation y = x / max(‖x‖, 1e-12) over the last dimension (as
 * torch.nn.functional.normalize); saves ‖x‖ per row for the backward pass. Bit-identical on every device.
 *
 * @param norm (rows) receives the unclamped ‖x‖
 * @param options.mapping row-to-device mapping (speed only, results are identical; see RowMapping)
 *
 * @example
 * l2normForward(rec, unitEmbedding, embeddingNorm, embedding);
 */
export function l2normForward(rec: Recorder, out: Tensor, norm: Tensor, inp: Tensor, options: { mapping?: RowMapping } = {}): void {
  const { rows, C } = rowsOf('l2normForward', inp, [out], norm, { out: out.shape, norm: norm.shape, inp: inp.shape });
  dispatchRows(rec, 'l2norm_forward', options.mapping, { rows, C }, { out, norm, inp });
}

/**
 * Backward of l2normForward: dinp = (dout − y·(y·dout)) / ‖x‖ (dout / 1e-12 where ‖x‖ ≤ 1e-12), added into
 * dinp when `accumulate`.
 *
 * @example
 * l2normBackward(rec, dEmbedding, dUnitEmbedding, embedding, embeddingNorm, { accumulate: false });
 */
export function l2normBackward(rec: Recorder, dinp: Tensor, dout: Tensor, inp: Tensor, norm: Tensor, options: { accumulate: boolean; mapping?: RowMapping }): void {
  const { rows, C } = rowsOf('l2normBackward', inp, [dinp, dout], norm, { dinp: dinp.shape, dout: dout.shape, inp: inp.shape, norm: norm.shape });
  dispatchRows(rec, 'l2norm_backward', options.mapping, { rows, C, accumulate: options.accumulate ? 1 : 0 }, { dinp, dout, inp, norm });
}
