// Launcher for shaders/topk_forward.wgsl: exact top-k retrieval by inner product, streamed over a corpus
// that may span many buffers (or many calls), merging on the GPU after every block of corpus rows.
import { ConfigError, ShapeError } from '../errors.js';
import { grid1d, type Overrides } from '../gpu/kernel.js';
import type { Recorder } from '../gpu/recorder.js';
import type { Tensor } from '../gpu/tensor.js';
import { checkShapes } from '../util/assert.js';
import { alignElements } from './flat_chunks.js';

/** Largest k the select kernel sorts in workgroup memory. */
export const TOPK_MAX_K = 1024;
/** Index of an empty result slot (fewer corpus rows seen than k); its score is −3.4028235e38. */
export const TOPK_NO_INDEX = 0xffffffff;

export interface TopkOptions {
  /**
   * Global index of the first row of corpus[0], and the number of rows already merged into
   * scores/indices by earlier calls (0: start afresh, ignoring what scores/indices hold).
   */
  corpusOffset?: number;
  /** Rows per binding of one corpus tensor (default: as many as fit one storage binding). For tests. */
  chunkRows?: number;
  /** WG of the select kernel; the result does not depend on it. For tests and tuning. */
  overrides?: Overrides;
}

/**
 * Elements of the workspace topkForward needs to score `blockRows` corpus rows per step for `queries`
 * queries; bigger blocks mean fewer merge passes.
 *
 * @example
 * const workspace = device.tensor('topk.block', [topkWorkspaceSize(256, 32768)]);
 */
export function topkWorkspaceSize(queries: number, blockRows: number): number {
  return queries * blockRows;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * For each query (Q, D) the k corpus rows with the largest inner product, into scores (Q, k) f32 and
 * indices (Q, k) u32, sorted by score descending, equal scores by lower index; deterministic and
 * independent of overrides. `corpus` is one (rows, D) tensor or a list of them, consecutive in index
 * order (a tensor beyond one storage binding is split by rows). Every block of
 * workspace.numel / Q rows is scored (register tiles of 4×4 outputs per invocation) and merged into the running
 * top-k by a per-query radix select + bitonic sort, so memory stays O(Q·(k + block)).
 * Stream a corpus larger than memory by calling again with corpusOffset = rows merged so far.
 *
 * @example
 * const rec = device.recorder('retrieve');
 * topkForward(rec, topScores, topIndices, workspace, queryEmb, [chunk0, chunk1]);
 * await rec.submit();
 */
export function topkForward(
  rec: Recorder,
  scores: Tensor,
  indices: Tensor,
  workspace: Tensor,
  queries: Tensor,
  corpus: Tensor | readonly Tensor[],
  options: TopkOptions = {},
): void {
  const op = 'topkForward';
  const chunks = Array.isArray(corpus) ? (corpus as readonly Tensor[]) : [corpus as Tensor];
  const [Q = 0, D = 0] = queries.shape;
  const k = scores.shape[1] ?? 0;
  const shapes: Record<string, readonly number[]> = { scores: scores.shape, indices: indices.shape, workspace: workspace.shape, queries: queries.shape };
  chunks.forEach((c, i) => (shapes[`corpus[${i}]`] = c.shape));
  checkShapes(
    queries.shape.length === 2 && Q >= 1 && D >= 1 && scores.shape.length === 2 && scores.shape[0] === Q && k >= 1 && k <= TOPK_MAX_K &&
      indices.numel === Q * k && workspace.numel >= Q && chunks.length >= 1 && chunks.every((c) => c.shape.length === 2 && c.shape[1] === D),
    op,
    shapes,
    `want scores (Q, k) with 1 ≤ k ≤ ${TOPK_MAX_K}, indices (Q, k), workspace ≥ Q, queries (Q, D), corpus (rows, D)`,
  );
  if (indices.dtype !== 'u32') throw new ShapeError(`${op}: indices ${indices.label} must be u32, got ${indices.dtype}`);
  const corpusOffset = options.corpusOffset ?? 0;
  if (!(Number.isInteger(corpusOffset) && corpusOffset >= 0)) throw new ConfigError(`must be an integer ≥ 0, got ${corpusOffset}`, `${op}.corpusOffset`);
  const device = rec.device;
  // The scores dispatch is ceil(rows/32) workgroups wide, which must stay within one grid dimension.
  const blockRows = Math.min(Math.floor(workspace.numel / Q), 32 * device.gpu.limits.maxComputeWorkgroupsPerDimension);
  // A piece must start at a binding-aligned byte offset: rows·D·4 a multiple of the alignment.
  const rowStep = alignElements(device) / gcd(alignElements(device), D);
  const maxRows = Math.floor(device.gpu.limits.maxStorageBufferBindingSize / 4 / D / rowStep) * rowStep;
  const chunkRows = options.chunkRows ?? maxRows;
  if (!(Number.isInteger(chunkRows) && chunkRows > 0 && chunkRows % rowStep === 0 && chunkRows <= maxRows)) {
    throw new ConfigError(`must be a positive multiple of ${rowStep} rows, at most ${maxRows}; got ${chunkRows}`, `${op}.chunkRows`);
  }
  // vec4 loads need D % 4 = 0 (rows then start on 16-byte boundaries); both variants give the same bits.
  const vectorized = D % 4 === 0;
  const scoresKernel = device.kernel(vectorized ? 'topk_forward_scores_vec4' : 'topk_forward_scores');
  const select = device.kernel('topk_forward_select', { K_MAX: 2 ** Math.ceil(Math.log2(k)), ...options.overrides });
  const maxGroups = device.gpu.limits.maxComputeWorkgroupsPerDimension;
  let seen = corpusOffset;
  for (const chunk of chunks) {
    const rows = chunk.shape[0]!;
    for (let pieceRow = 0; pieceRow < rows; pieceRow += chunkRows) {
      const pieceLen = Math.min(chunkRows, rows - pieceRow);
      const piece = chunk.slice(pieceRow * D, [pieceLen, D]);
      for (let row0 = 0; row0 < pieceLen; row0 += blockRows) {
        const cols = Math.min(blockRows, pieceLen - row0);
        const prevCount = Math.min(k, seen);
        const take = Math.min(k, prevCount + cols);
        const params = {
          queries: Q,
          dim: D,
          cols,
          corpus_row0: row0,
          k,
          prev_count: prevCount,
          first_index: seen,
          sort_size: 2 ** Math.ceil(Math.log2(Math.max(1, take))),
        };
        const block = workspace.slice(0, [Q * cols]);
        const inputs: Record<string, Tensor> = vectorized ? { query_vec4: queries, corpus_vec4: piece } : { query_emb: queries, corpus: piece };
        // 8×8 invocations of 4×4 outputs: 32 corpus rows × 32 queries per workgroup.
        rec.dispatch(scoresKernel, params, { block_scores: block, ...inputs }, [Math.ceil(cols / 32), Math.ceil(Q / 32), 1]);
        rec.dispatch(select, params, { top_scores: scores, top_indices: indices, block_scores: block }, grid1d(Q, 1, maxGroups));
        seen += cols;
      }
    }
  }
}
