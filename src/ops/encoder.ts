// Launchers for shaders/encoder_forward.wgsl and shaders/encoder_backward.wgsl (BERT embeddings), and the
// CSR tensors the backward pass reads.
import { ConfigError } from '../errors.js';
import type { Device } from '../gpu/device.js';
import { grid1d } from '../gpu/kernel.js';
import type { Recorder } from '../gpu/recorder.js';
import type { Tensor } from '../gpu/tensor.js';
import { checkShapes } from '../util/assert.js';
import type { TokenCsr } from '../util/csr.js';

/** Token-type (segment) embeddings: the table and the per-token type ids. */
export interface TokenTypes {
  /** (B, T) u32/i32 type ids; BERT gives single texts type 0. */
  ids: Tensor;
  /** (types, C) */
  table: Tensor;
}

/**
 * A batch's tokenCsr on the GPU. The tensors have a fixed capacity (B·T) allocated once; writeCsr fills
 * them each step and sets uniqueCount.
 */
export interface CsrTensors {
  uniqueIds: Tensor; // (capacity) u32
  offsets: Tensor; // (capacity + 1) u32
  positions: Tensor; // (capacity) u32
  /** Distinct ids in the current batch: the number of table rows that receive a gradient. */
  uniqueCount: number;
}

function dims(op: string, out: Tensor, ids: Tensor, shapes: Record<string, readonly number[]>): { B: number; T: number; C: number } {
  const [B = 0, T = 0, C = 0] = out.shape;
  checkShapes(out.shape.length === 3 && ids.numel === B * T && B > 0 && T > 0 && C > 0, op, shapes, 'expected (B,T,C) and ids (B,T)');
  return { B, T, C };
}

/**
 * BERT embeddings: out[b,t] = wte[ids[b,t]] + wpe[t] (+ tokenTypes.table[tokenTypes.ids[b,t]]). Bit-identical
 * on every WebGPU device. An id outside the table writes NaN into its row (see the shader).
 *
 * @param out (B, T, C)
 * @param ids (B, T) token ids (u32 or i32)
 * @param wte (V, C) token embeddings
 * @param wpe (P, C) position embeddings, P ≥ T
 * @param tokenTypes null for models without token types
 *
 * @example
 * encoderForward(rec, x, batchIds, wte, wpe, { ids: typeIds, table: wtt });
 */
export function encoderForward(rec: Recorder, out: Tensor, ids: Tensor, wte: Tensor, wpe: Tensor, tokenTypes: TokenTypes | null): void {
  const shapes: Record<string, readonly number[]> = { out: out.shape, ids: ids.shape, wte: wte.shape, wpe: wpe.shape };
  if (tokenTypes !== null) Object.assign(shapes, { typeIds: tokenTypes.ids.shape, wtt: tokenTypes.table.shape });
  const { B, T, C } = dims('encoderForward', out, ids, shapes);
  const tablesOk = (t: Tensor, minRows: number) => t.shape.length === 2 && t.shape[1] === C && t.shape[0]! >= minRows;
  checkShapes(tablesOk(wte, 1) && tablesOk(wpe, T), 'encoderForward', shapes, 'tables must be (rows, C) with at least T position rows');
  if (tokenTypes !== null) checkShapes(tablesOk(tokenTypes.table, 1) && tokenTypes.ids.numel === B * T, 'encoderForward', shapes);
  const device = rec.device;
  const vec4 = C % 4 === 0;
  const kernel = device.kernel(vec4 ? 'encoder_forward_vec4' : 'encoder_forward');
  const params = {
    rows: B * T,
    T,
    C,
    vocab: wte.shape[0]!,
    types: tokenTypes?.table.shape[0] ?? 1,
    has_types: tokenTypes === null ? 0 : 1,
    invalid: NaN,
  };
  // Without token types the shader never reads type_ids/wtt; bind tensors that are bound anyway.
  const typeIds = tokenTypes?.ids ?? ids;
  const wtt = tokenTypes?.table ?? wte;
  const grid = grid1d((B * T * C) / (vec4 ? 4 : 1), kernel.workgroupSize[0], device.gpu.limits.maxComputeWorkgroupsPerDimension);
  if (vec4) rec.dispatch(kernel, params, { out4: out, ids, type_ids: typeIds, wte4: wte, wpe4: wpe, wtt4: wtt }, grid);
  else rec.dispatch(kernel, params, { out, ids, type_ids: typeIds, wte, wpe, wtt }, grid);
}

function checkCsr(op: string, csr: CsrTensors, tokens: number, tableRows: number, name: string): void {
  checkShapes(
    Number.isInteger(csr.uniqueCount) && csr.uniqueCount >= 0 && csr.uniqueCount <= tableRows && csr.uniqueIds.numel >= csr.uniqueCount && csr.offsets.numel >= csr.uniqueCount + 1 && csr.positions.numel >= tokens,
    op,
    { [`${name}.uniqueIds`]: csr.uniqueIds.shape, [`${name}.offsets`]: csr.offsets.shape, [`${name}.positions`]: csr.positions.shape, [`${name}.uniqueCount`]: csr.uniqueCount, tokens, tableRows },
  );
}

/**
 * Gradients of the embedding tables from dout (B, T, C), deterministic and without atomics: each table row
 * sums its tokens' gradients in position order (from the batch CSR), dwpe sums over the batch in order.
 *
 * With `accumulate: false` the result is a full gradient: dwte (and dwtt) are cleared first, since only
 * rows of ids in the batch are written, and dwpe rows ≥ T are set to 0. With `accumulate: true` nothing
 * is cleared: rows of ids absent from the batch keep their values (a model that zeroes its gradients each
 * step should accumulate, which skips the clear of the V×C table).
 *
 * @param dwte (V, C)
 * @param dwpe (P, C)
 * @param dwtt (types, C), or null without token types (then `types` must be null too)
 * @param tokens the batch's token-id CSR (writeCsr)
 * @param types the batch's token-type-id CSR, or null
 *
 * @example
 * encoderBackward(rec, grads.wte, grads.wpe, grads.wtt, dx, tokenCsrGpu, typeCsrGpu, { accumulate: true });
 */
export function encoderBackward(
  rec: Recorder,
  dwte: Tensor,
  dwpe: Tensor,
  dwtt: Tensor | null,
  dout: Tensor,
  tokens: CsrTensors,
  types: CsrTensors | null,
  options: { accumulate: boolean },
): void {
  const shapes: Record<string, readonly number[]> = { dwte: dwte.shape, dwpe: dwpe.shape, dout: dout.shape };
  if (dwtt !== null) shapes.dwtt = dwtt.shape;
  const [B = 0, T = 0, C = 0] = dout.shape;
  checkShapes(dout.shape.length === 3 && B > 0 && T > 0 && C > 0, 'encoderBackward', shapes, 'dout must be (B,T,C)');
  const tableOk = (t: Tensor, minRows: number) => t.shape.length === 2 && t.shape[1] === C && t.shape[0]! >= minRows;
  checkShapes(tableOk(dwte, 1) && tableOk(dwpe, T) && (dwtt === null || tableOk(dwtt, 1)), 'encoderBackward', shapes, 'tables must be (rows, C) with at least T position rows');
  if ((dwtt === null) !== (types === null)) {
    throw new ConfigError('encoderBackward: dwtt and the token-type CSR must be given together', 'types');
  }
  checkCsr('encoderBackward', tokens, B * T, dwte.shape[0]!, 'tokens');
  if (types !== null) checkCsr('encoderBackward', types, B * T, dwtt!.shape[0]!, 'types');

  const device = rec.device;
  const maxDim = device.gpu.limits.maxComputeWorkgroupsPerDimension;
  const vec4 = C % 4 === 0;
  const lanes = vec4 ? 4 : 1;
  const accumulate = options.accumulate ? 1 : 0;
  const rows = device.kernel(vec4 ? 'encoder_backward_rows_vec4' : 'encoder_backward_rows');
  const scatter = (table: Tensor, csr: CsrTensors) => {
    if (!options.accumulate) rec.clear(table);
    if (csr.uniqueCount === 0) return;
    const params = { rows: csr.uniqueCount, B, T, C, accumulate };
    const grid = grid1d((csr.uniqueCount * C) / lanes, rows.workgroupSize[0], maxDim);
    const inputs = { unique_ids: csr.uniqueIds, offsets: csr.offsets, positions: csr.positions };
    if (vec4) rec.dispatch(rows, params, { dtable4: table, dout4: dout, ...inputs }, grid);
    else rec.dispatch(rows, params, { dtable: table, dout, ...inputs }, grid);
  };
  scatter(dwte, tokens);
  if (dwtt !== null && types !== null) scatter(dwtt, types);

  const positions = device.kernel(vec4 ? 'encoder_backward_positions_vec4' : 'encoder_backward_positions');
  const P = dwpe.shape[0]!;
  const grid = grid1d((P * C) / lanes, positions.workgroupSize[0], maxDim);
  const params = { rows: P, B, T, C, accumulate };
  if (vec4) rec.dispatch(positions, params, { dwpe4: dwpe, dout4: dout }, grid);
  else rec.dispatch(positions, params, { dwpe, dout }, grid);
}

/**
 * Allocates CSR tensors for batches of up to `capacity` tokens (B·T). Fill them with writeCsr.
 *
 * @example
 * const gpuCsr = createCsrTensors(device, 'batch.tokens', B * T);
 */
export function createCsrTensors(device: Device, label: string, capacity: number): CsrTensors {
  return {
    uniqueIds: device.tensor(`${label}.unique_ids`, [capacity], 'u32'),
    offsets: device.tensor(`${label}.offsets`, [capacity + 1], 'u32'),
    positions: device.tensor(`${label}.positions`, [capacity], 'u32'),
    uniqueCount: 0,
  };
}

/**
 * Uploads a tokenCsr into CSR tensors (queued before the next submit) and returns them with uniqueCount set.
 *
 * @example
 * const tokens = writeCsr(device, gpuCsr, tokenCsr(batch.ids, vocabSize));
 */
export function writeCsr(device: Device, target: CsrTensors, csr: TokenCsr): CsrTensors {
  const u = csr.uniqueIds.length;
  checkShapes(
    target.uniqueIds.numel >= u && target.offsets.numel >= u + 1 && target.positions.numel >= csr.positions.length,
    'writeCsr',
    { uniqueIds: [u], positions: [csr.positions.length], capacity: target.positions.shape },
  );
  if (u > 0) device.write(target.uniqueIds.slice(0, [u]), csr.uniqueIds);
  device.write(target.offsets.slice(0, [u + 1]), csr.offsets);
  if (csr.positions.length > 0) device.write(target.positions.slice(0, [csr.positions.length]), csr.positions);
  return { ...target, uniqueCount: u };
}
