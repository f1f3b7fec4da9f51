// Launchers for shaders/matmul_forward.wgsl and shaders/matmul_backward.wgsl: out = inp·weightᵀ + bias
// and its gradients. The same launchers serve linear layers (inp (B,T,C)) and the contrastive scores
// S = Q·Pᵀ (no bias), dQ = dS·P (matmulBackwardInput) and dP = dSᵀ·Q (matmulBackwardWeight).
import type { Device } from '../gpu/device.js';
import type { BindingSource, Recorder } from '../gpu/recorder.js';
import type { Tensor } from '../gpu/tensor.js';
import { ConfigError, LimitError, ShapeError } from '../errors.js';
import { checkShapes, type Shape } from '../util/assert.js';
import { ceilDiv } from '../util/math.js';
import { grid1d } from '../gpu/kernel.js';

/**
 * How a matmul kernel splits its output. The wide kernels (transposed forward, the vec4 backward ones)
 * give each thread rowsPerThread × (4·columnGroupsPerThread) outputs; the direct and any-shape kernels
 * rowsPerThread × 4.
 */
export interface MatmulTile {
  /** Output rows per thread: 4 or 8 (named accumulator registers in the shader). */
  rowsPerThread: 4 | 8;
  /** Groups of 4 output columns per thread in the wide kernels: 1, 2 or 4. */
  columnGroupsPerThread: 1 | 2 | 4;
  /** Threads along the output columns in a workgroup. */
  workgroupColumns: number;
  /** Threads along the output rows in a workgroup. */
  workgroupRows: number;
}

export interface MatmulOptions {
  /** Override the device's default tile (benchmarks and tests); results are bitwise the same for any tile. */
  tile?: Partial<MatmulTile>;
  /**
   * Use the vec4-load entry points when the shape allows it (default). false forces the scalar-load entry
   * points (and the direct forward even with a workspace), which accept any shape and give the same bits;
   * tests use it to prove that.
   */
  vectorLoads?: boolean;
}

export interface MatmulForwardOptions extends MatmulOptions {
  /**
   * Scratch of at least matmulWorkspaceSize({ M, N, K }) elements. With it the forward can transpose the
   * weight there and run the wide kernel (≈2× faster on lavapipe); without it, a direct kernel. Same bits.
   */
  workspace?: Tensor | null;
  /**
   * Whether to take the transposed-weight path when a workspace is given. By default only from
   * MATMUL_TRANSPOSE_MIN_ROWS rows: below that, transposing the weight costs more than it saves.
   */
  transposeWeight?: boolean;
}

/**
 * Rows of inp from which matmulForward transposes the weight by default: the transpose reads and writes the
 * weight once, and each row tile of the direct kernel reads it once too, at about half the wide kernel's speed.
 */
export const MATMUL_TRANSPOSE_MIN_ROWS = 32;

export interface MatmulBackwardOptions extends MatmulOptions {
  /** Add the gradient to what the output buffer holds (old + gradient) instead of overwriting it. */
  accumulate?: boolean;
  /**
   * dweight only: true forces the split-K path (it needs a workspace of matmulSplitKWorkspaceSize elements,
   * and N % 4 == 0, K % 4 == 0 with vector loads; other shapes take the plain kernel), false forbids it.
   * By default matmulSplitKPays decides. Split-K gives other bits than the plain kernel (another order).
   */
  splitK?: boolean;
}

export interface MatmulBackwardWeightOptions extends MatmulBackwardOptions {
  /** Scratch for split-K: at least matmulSplitKWorkspaceSize (or matmulWorkspaceSize) elements. */
  workspace?: Tensor | null;
}

/** Per-gradient accumulate flags for matmulBackward. */
export interface MatmulAccumulate {
  dinp?: boolean;
  dweight?: boolean;
  dbias?: boolean;
}

/** Rows of dout summed by one matmul_backward_dbias thread before the fixed-order second stage. */
export const MATMUL_DBIAS_ROWS = 256;

// Split-K for dweight (shaders/matmul_backward.wgsl header). The plain kernel gives each thread an output
// tile and loops over all M rows, so an (N, K) = (128, 512) gradient gets 32 workgroups of 64 threads
// whatever M is: far too few for a GPU with a hundred SMs (on an H200 it took 35–67% of a training step).
// Split-K cuts M into chunks of MATMUL_SPLIT_ROWS rows, computes each chunk's (N, K) partial in parallel
// into the workspace and adds the partials in chunk order. The grouping depends only on M (SPLIT_ROWS is a
// shader constant), so the bits depend only on the inputs — but they are not the plain kernel's bits.
// The workspace holds at most MATMUL_SPLIT_MAX_SLOTS partials and MATMUL_SPLIT_MAX_ELEMENTS floats (64 MiB);
// with more chunks than slots the two stages run in passes that carry the f32 running total in one slot,
// which gives the same bits as one pass.

/** Rows of M per split-K chunk; equals SPLIT_ROWS in shaders/matmul_backward.wgsl. */
export const MATMUL_SPLIT_ROWS = 256;
/** Most chunk partials the split-K workspace holds at once (more chunks run in passes). */
export const MATMUL_SPLIT_MAX_SLOTS = 64;
/** Most floats of the split-K workspace: 64 MiB. Shapes with 2·N·K above it never split. */
export const MATMUL_SPLIT_MAX_ELEMENTS = 16 * 1024 * 1024;
/** Split by default only while the plain dweight grid has fewer workgroups than this. */
export const MATMUL_SPLIT_MAX_PLAIN_WORKGROUPS = 2048;

// Measured with `densescale bench matmul --tiles` (see src/bench/matmul.ts): on lavapipe the widest tile
// wins because loads, executed lane by lane, dominate. Other adapters get a tile with 32 accumulators
// per thread and 64-thread workgroups, a conventional choice nobody has measured here yet.
const CPU_TILE: MatmulTile = { rowsPerThread: 8, columnGroupsPerThread: 4, workgroupColumns: 16, workgroupRows: 1 };
const GPU_TILE: MatmulTile = { rowsPerThread: 8, columnGroupsPerThread: 1, workgroupColumns: 16, workgroupRows: 4 };

/**
 * The tile a device gets unless options.tile says otherwise: one for CPU (fallback) adapters such as
 * lavapipe and SwiftShader, one for GPUs. Both fit the WebGPU default limits (≤ 256 invocations, no
 * workgroup memory).
 *
 * @example
 * matmulDefaultTile(device); // { rowsPerThread: 8, columnGroupsPerThread: 4, workgroupColumns: 16, workgroupRows: 1 } on lavapipe
 */
export function matmulDefaultTile(device: Device): MatmulTile {
  return { ...(device.info.isFallbackAdapter ? CPU_TILE : GPU_TILE) };
}

function resolveTile(device: Device, op: string, options: MatmulOptions): MatmulTile {
  const tile = { ...matmulDefaultTile(device), ...options.tile };
  if (tile.rowsPerThread !== 4 && tile.rowsPerThread !== 8) {
    throw new ConfigError(`${op}: rowsPerThread must be 4 or 8, got ${String(tile.rowsPerThread)}`, 'tile.rowsPerThread');
  }
  if (![1, 2, 4].includes(tile.columnGroupsPerThread)) {
    throw new ConfigError(`${op}: columnGroupsPerThread must be 1, 2 or 4, got ${String(tile.columnGroupsPerThread)}`, 'tile.columnGroupsPerThread');
  }
  for (const key of ['workgroupColumns', 'workgroupRows'] as const) {
    if (!Number.isInteger(tile[key]) || tile[key] < 1) throw new ConfigError(`${op}: ${key} must be a positive integer, got ${tile[key]}`, `tile.${key}`);
  }
  return tile;
}

/** Overrides, Params fields and grid of a tiled kernel; `wide` kernels use column groups. */
interface TiledLaunch {
  overrides: Record<string, number>;
  params: { tile_rows: number; tile_groups: number };
  grid: [number, number, number];
}

/**
 * Workgroup grid for `rows` × `cols` outputs: x over column tiles, row tiles folded into (y, z) past
 * maxComputeWorkgroupsPerDimension; the kernel linearises row tile = wid.y + wid.z·nwg.y.
 */
function tiledLaunch(device: Device, entry: string, tile: MatmulTile, rows: number, cols: number, wide: boolean): TiledLaunch {
  const max = device.gpu.limits.maxComputeWorkgroupsPerDimension;
  // A narrow output needs fewer column groups: extra groups would only recompute clamped columns.
  const needed = ceilDiv(ceilDiv(cols, 4), tile.workgroupColumns);
  const groups = wide ? ([4, 2, 1] as const).find((g) => g <= tile.columnGroupsPerThread && g <= needed) ?? 1 : 1;
  const x = ceilDiv(ceilDiv(cols, 4), groups * tile.workgroupColumns);
  const rowTiles = ceilDiv(rows, tile.rowsPerThread * tile.workgroupRows);
  if (x > max) {
    throw new LimitError(`${entry}: ${cols} output columns need ${x} workgroups along x, more than ${max}; use wider workgroups`, 'maxComputeWorkgroupsPerDimension', x, max);
  }
  const z = ceilDiv(rowTiles, max);
  if (z > max) throw new LimitError(`${entry}: ${rows} output rows need ${rowTiles} row tiles, more than ${max}²`, 'maxComputeWorkgroupsPerDimension', rowTiles, max * max);
  const overrides: Record<string, number> = { TM: tile.rowsPerThread, WG_X: tile.workgroupColumns, WG_Y: tile.workgroupRows };
  if (wide) overrides.TN = groups;
  return { overrides, params: { tile_rows: tile.rowsPerThread, tile_groups: groups }, grid: [x, ceilDiv(rowTiles, z), z] };
}

function lastDim(shape: Shape): number {
  return shape.length === 0 ? 1 : shape[shape.length - 1]!;
}

/** M, N, K of out = inp·weightᵀ from the tensors' shapes (inp (…, K), weight (N, K)). */
function linearDims(op: string, shapes: Record<string, Shape>, inp: Tensor, weight: Tensor): { M: number; N: number; K: number } {
  const K = lastDim(inp.shape);
  const ok = weight.shape.length === 2 && weight.shape[1] === K && K >= 1 && weight.shape[0]! >= 1 && inp.numel >= 1;
  checkShapes(ok, op, shapes, 'need inp (…, K) and weight (N, K) with K, N ≥ 1');
  return { M: inp.numel / K, N: weight.shape[0]!, K };
}

/** A (M, cols) tensor: numel M·cols and last dimension cols. */
function isMatrix(t: Tensor, M: number, cols: number): boolean {
  return t.numel === M * cols && lastDim(t.shape) === cols;
}

/**
 * Records out = inp·weightᵀ + bias: inp (…, K) viewed as (M, K), weight (N, K), bias (N) or null,
 * out (…, N) with M·N elements. Any M, N, K ≥ 1. With options.workspace (matmulWorkspaceSize elements)
 * and at least MATMUL_TRANSPOSE_MIN_ROWS rows it transposes the weight there and runs the wide kernel;
 * otherwise a direct kernel (vec4 loads when K % 4 == 0). Every way gives the same bits.
 *
 * @example
 * const workspace = device.tensor('matmul.workspace', [matmulWorkspaceSize({ M: B * T, N: 3 * C, K: C })]);
 * matmulForward(rec, qkv, ln1Out, qkvWeight, qkvBias, { workspace });   // linear layer
 * matmulForward(rec, scores, queries, passages, null, { workspace });   // S = Q·Pᵀ
 */
export function matmulForward(rec: Recorder, out: Tensor, inp: Tensor, weight: Tensor, bias: Tensor | null, options: MatmulForwardOptions = {}): void {
  const device = rec.device;
  const shapes: Record<string, Shape> = { out: out.shape, inp: inp.shape, weight: weight.shape, ...(bias ? { bias: bias.shape } : {}) };
  const { M, N, K } = linearDims('matmulForward', shapes, inp, weight);
  checkShapes(isMatrix(out, M, N) && (bias === null || bias.numel === N), 'matmulForward', shapes, `out must be (…, ${N}) with ${M * N} elements${bias ? `, bias (${N})` : ''}`);
  const tile = resolveTile(device, 'matmulForward', options);
  const has_bias = bias === null ? 0 : 1;
  // Without a bias the kernels never read the binding (has_bias = 0), but it must be bound: reuse weight.
  const biasBinding = bias ?? weight;
  const workspace = options.workspace ?? null;
  const transpose = workspace !== null && options.vectorLoads !== false && (options.transposeWeight ?? M >= MATMUL_TRANSPOSE_MIN_ROWS);
  if (transpose) {
    const need = transposedWeightSize(N, K);
    if (workspace!.numel < need) {
      throw new ShapeError(`matmulForward: weight (${weight.shape.join(',')}) needs a workspace of ${need} elements (matmulWorkspaceSize), got (${workspace!.shape.join(',')})`);
    }
    const wt4 = workspace!.slice(0, [need], `${workspace!.label}.weight_t`);
    const transposeKernel = device.kernel('matmul_forward_transpose', { WG_X: 64, WG_Y: 1 });
    rec.dispatch(transposeKernel, { M, N, K, has_bias, tile_rows: 0, tile_groups: 0 }, { wt4, weight }, grid1d(need / 4, 64, device.gpu.limits.maxComputeWorkgroupsPerDimension));
    const launch = tiledLaunch(device, 'matmul_forward_transposed', tile, M, N, true);
    const kernel = device.kernel('matmul_forward_transposed', launch.overrides);
    rec.dispatch(kernel, { M, N, K, has_bias, ...launch.params }, { out, wt4, inp, bias: biasBinding }, launch.grid);
    return;
  }
  const vec4 = options.vectorLoads !== false && K % 4 === 0;
  const entry = vec4 ? 'matmul_forward_vec4' : 'matmul_forward';
  const launch = tiledLaunch(device, entry, tile, M, N, false);
  const kernel = device.kernel(entry, launch.overrides);
  const bindings: Record<string, BindingSource> = vec4 ? { out, inp4: inp, weight4: weight, bias: biasBinding } : { out, inp, weight, bias: biasBinding };
  rec.dispatch(kernel, { M, N, K, has_bias, ...launch.params }, bindings, launch.grid);
}

/** Elements of the zero-padded weightᵀ (K, 4·⌈N/4⌉) that the transposed forward keeps in the workspace. */
function transposedWeightSize(N: number, K: number): number {
  return K * 4 * ceilDiv(N, 4);
}

/**
 * Records dinp = dout·weight (the input gradient of out = inp·weightᵀ): dout (…, N) viewed as (M, N),
 * weight (N, K), dinp (…, K) with M·K elements. The wide kernel when K % 4 == 0.
 *
 * @example
 * matmulBackwardInput(rec, dln1Out, dqkv, qkvWeight, { accumulate: false });
 * matmulBackwardInput(rec, dQ, dS, passages);                  // contrastive: dQ = dS·P
 */
export function matmulBackwardInput(rec: Recorder, dinp: Tensor, dout: Tensor, weight: Tensor, options: MatmulBackwardOptions = {}): void {
  const device = rec.device;
  const shapes = { dinp: dinp.shape, dout: dout.shape, weight: weight.shape };
  const N = lastDim(dout.shape);
  const ok = weight.shape.length === 2 && weight.shape[0] === N && N >= 1 && weight.shape[1]! >= 1 && dout.numel >= 1;
  checkShapes(ok, 'matmulBackwardInput', shapes, 'need dout (…, N) and weight (N, K) with N, K ≥ 1');
  const K = weight.shape[1]!;
  const M = dout.numel / N;
  checkShapes(isMatrix(dinp, M, K), 'matmulBackwardInput', shapes, `dinp must be (…, ${K}) with ${M * K} elements`);
  const tile = resolveTile(device, 'matmulBackwardInput', options);
  const vec4 = options.vectorLoads !== false && K % 4 === 0;
  const entry = vec4 ? 'matmul_backward_dinp_vec4' : 'matmul_backward_dinp';
  const launch = tiledLaunch(device, entry, tile, M, K, vec4);
  const kernel = device.kernel(entry, launch.overrides);
  const bindings: Record<string, BindingSource> = vec4 ? { dinp, dout, weight4: weight } : { dinp, dout, weight };
  rec.dispatch(kernel, { M, N, K, accumulate: options.accumulate ? 1 : 0, ...launch.params, split_first: 0, split_count: 0, split_stage: 0 }, bindings, launch.grid);
}

/**
 * Records dweight = doutᵀ·inp (the weight gradient of out = inp·weightᵀ): dout (…, N) and inp (…, K)
 * viewed as (M, N) and (M, K), dweight (N, K). The wide kernel when N % 4 == 0 and K % 4 == 0. With
 * options.workspace it may take the split-K path (see options.splitK and matmulSplitKPays): by default
 * only on a GPU (not a fallback adapter) whose plain grid would be small, so lavapipe never splits unless told.
 *
 * @example
 * matmulBackwardWeight(rec, grads.qkvWeight, dqkv, ln1Out, { accumulate: true, workspace }); // second tower pass
 * matmulBackwardWeight(rec, dP, dS, queries);                  // contrastive: dP = dSᵀ·Q
 */
export function matmulBackwardWeight(rec: Recorder, dweight: Tensor, dout: Tensor, inp: Tensor, options: MatmulBackwardWeightOptions = {}): void {
  const device = rec.device;
  const shapes = { dweight: dweight.shape, dout: dout.shape, inp: inp.shape };
  const N = lastDim(dout.shape);
  const K = lastDim(inp.shape);
  const M = dout.numel / N;
  const ok = N >= 1 && K >= 1 && dout.numel >= 1 && inp.numel === M * K && dweight.shape.length === 2 && dweight.shape[0] === N && dweight.shape[1] === K;
  checkShapes(ok, 'matmulBackwardWeight', shapes, 'need dout (…, N), inp (…, K) with the same leading size, dweight (N, K)');
  const tile = resolveTile(device, 'matmulBackwardWeight', options);
  const vec4 = options.vectorLoads !== false && N % 4 === 0 && K % 4 === 0;
  const entry = vec4 ? 'matmul_backward_dweight_vec4' : 'matmul_backward_dweight';
  const launch = tiledLaunch(device, entry, tile, N, K, vec4);
  const accumulate = options.accumulate ? 1 : 0;
  const plain = { M, N, K, accumulate, ...launch.params, split_first: 0, split_count: 0, split_stage: 0 };
  const workspace = options.workspace ?? null;
  const need = splitKWorkspaceSize(M, N, K);
  const max = device.gpu.limits.maxComputeWorkgroupsPerDimension;
  const rowTiles = launch.grid[1] * launch.grid[2];
  // Stage 1 does not fold row tiles: it needs them in y alone.
  const splittable = vec4 && need > 0 && rowTiles <= max;
  const split = splittable && (options.splitK ?? (workspace !== null && workspace.numel >= need && matmulSplitKPays(device, { M, N, K }, options)));
  if (split) {
    if (workspace === null || workspace.numel < need) {
      throw new ShapeError(`matmulBackwardWeight: split-K for dout (${dout.shape.join(',')}) and inp (${inp.shape.join(',')}) needs a workspace of ${need} elements (matmulSplitKWorkspaceSize), got ${workspace === null ? 'none' : `(${workspace.shape.join(',')})`}`);
    }
    const chunks = ceilDiv(M, MATMUL_SPLIT_ROWS);
    const slots = splitKSlots(N, K, chunks);
    const passes = ceilDiv(chunks, slots);
    // Chunks spread evenly over the passes (148 chunks in 64 slots: 50, 50, 48); the bits never depend on it.
    const perPass = ceilDiv(chunks, passes);
    const partial = device.kernel('matmul_backward_dweight_vec4_split', launch.overrides);
    const reduce = device.kernel('matmul_backward_dweight_split_reduce');
    const reduceGrid = grid1d(N * K, reduce.workgroupSize[0], max);
    for (let pass = 0; pass < passes; pass++) {
      const first = pass * perPass;
      const count = Math.min(perPass, chunks - first);
      const split_stage = (pass === 0 ? 1 : 0) | (pass === passes - 1 ? 2 : 0) | (passes > 1 ? 4 : 0);
      const params = { ...plain, split_first: first, split_count: count, split_stage };
      rec.dispatch(partial, params, { workspace, dout4: dout, inp4: inp }, [launch.grid[0], rowTiles, count]);
      rec.dispatch(reduce, params, { dweight, workspace }, reduceGrid);
    }
    return;
  }
  const kernel = device.kernel(entry, launch.overrides);
  const bindings: Record<string, BindingSource> = vec4 ? { dweight, dout4: dout, inp4: inp } : { dweight, dout, inp };
  rec.dispatch(kernel, plain, bindings, launch.grid);
}

/**
 * Whether matmulBackwardWeight splits (M, N) × (M, K) → (N, K) by default, given a large-enough workspace:
 * on a GPU (not a fallback adapter: on a CPU the plain grid already fills every core, and splitting only
 * adds traffic), with at least 2·MATMUL_SPLIT_ROWS rows, and a plain grid of fewer than
 * MATMUL_SPLIT_MAX_PLAIN_WORKGROUPS workgroups. A simple rule, not a measured one.
 */
export function matmulSplitKPays(device: Device, { M, N, K }: { M: number; N: number; K: number }, options: MatmulOptions = {}): boolean {
  if (device.info.isFallbackAdapter || M < 2 * MATMUL_SPLIT_ROWS || splitKWorkspaceSize(M, N, K) === 0) return false;
  const tile = resolveTile(device, 'matmulSplitKPays', options);
  const launch = tiledLaunch(device, 'matmul_backward_dweight_vec4', tile, N, K, true);
  return launch.grid[0] * launch.grid[1] * launch.grid[2] < MATMUL_SPLIT_MAX_PLAIN_WORKGROUPS;
}

/**
 * Chunk partials per split-K pass: all chunks when they fit, else what fits beside the running-total slot;
 * 0 (never split) when fewer than two N·K slots fit, which keeps the workspace size non-decreasing in M.
 */
function splitKSlots(N: number, K: number, chunks: number): number {
  const fit = Math.floor(MATMUL_SPLIT_MAX_ELEMENTS / (N * K));
  if (fit < 2) return 0;
  return chunks <= Math.min(MATMUL_SPLIT_MAX_SLOTS, fit) ? chunks : Math.min(MATMUL_SPLIT_MAX_SLOTS, fit - 1);
}

/** Elements of the split-K workspace (0 when N·K is too large to split). Non-decreasing in M. */
function splitKWorkspaceSize(M: number, N: number, K: number): number {
  const chunks = ceilDiv(M, MATMUL_SPLIT_ROWS);
  const slots = splitKSlots(N, K, chunks);
  if (slots < 1) return 0;
  return (slots < chunks ? slots + 1 : slots) * N * K;
}

/**
 * Elements of the workspace matmulBackwardWeight needs for split-K on (M, N) × (M, K) → (N, K):
 * min(⌈M / 256⌉, 64) chunk partials of N·K floats (plus one for the running total when the chunks do not
 * fit), at most 64 MiB; 0 when 2·N·K floats exceed that (such shapes never split).
 */
export function matmulSplitKWorkspaceSize({ M, N, K }: { M: number; N: number; K: number }): number {
  return splitKWorkspaceSize(M, N, K);
}

/**
 * Elements of a workspace that serves every matmul launcher for out (M, N) = inp (M, K)·weight (N, K)ᵀ:
 * the transposed weight of matmulForward, the per-chunk column sums of matmulBackwardBias's two-stage
 * reduction and, unless options.splitK is false, the chunk partials of matmulBackwardWeight's split-K
 * (matmulSplitKWorkspaceSize, at most 64 MiB). Every size is non-decreasing in M, so one tensor sized for
 * the largest layer and batch can be shared by all of them. Pass splitK: false where dweight never splits
 * by default (a fallback adapter: see matmulSplitKPays) to keep the workspace small.
 *
 * @example
 * const workspace = device.tensor('matmul.workspace', [matmulWorkspaceSize({ M: B * T, N: 4 * C, K: C })]);
 */
export function matmulWorkspaceSize({ M, N, K }: { M: number; N: number; K: number }, options: { splitK?: boolean } = {}): number {
  const split = options.splitK === false ? 0 : splitKWorkspaceSize(M, N, K);
  return Math.max(transposedWeightSize(N, K), dbiasWorkspaceSize(M, N), split);
}

function dbiasWorkspaceSize(M: number, N: number): number {
  return M <= MATMUL_DBIAS_ROWS ? 0 : ceilDiv(M, MATMUL_DBIAS_ROWS) * N;
}

/**
 * Records dbias = column sums of dout (…, N) viewed as (M, N), in a fixed order: rows in chunks of 256,
 * each chunk summed in order, then the chunk sums in order. With a workspace (⌈M/256⌉·N elements when
 * M > 256; matmulWorkspaceSize covers it) the chunks run in parallel (two dispatches); with null one
 * thread sums each column. Both give the same bits.
 *
 * @example
 * matmulBackwardBias(rec, grads.qkvBias, workspace, dqkv, { accumulate: true });
 */
export function matmulBackwardBias(rec: Recorder, dbias: Tensor, workspace: Tensor | null, dout: Tensor, options: MatmulBackwardOptions = {}): void {
  const device = rec.device;
  const N = lastDim(dout.shape);
  const M = dout.numel / N;
  const need = dbiasWorkspaceSize(M, N);
  const shapes: Record<string, Shape | number> = { dbias: dbias.shape, dout: dout.shape, workspace: workspace?.shape ?? 0 };
  checkShapes(N >= 1 && dout.numel >= 1 && dbias.numel === N, 'matmulBackwardBias', shapes, `dbias must have ${N} elements`);
  if (workspace !== null && workspace.numel < need) {
    throw new ShapeError(`matmulBackwardBias: dout (${dout.shape.join(',')}) needs a workspace of ${need} elements, got (${workspace.shape.join(',')})`);
  }
  const params = { M, N, K: 1, accumulate: options.accumulate ? 1 : 0, tile_rows: 0, tile_groups: 0, split_first: 0, split_count: 0, split_stage: 0 };
  const max = device.gpu.limits.maxComputeWorkgroupsPerDimension;
  const single = device.kernel('matmul_backward_dbias');
  const columns = ceilDiv(N, single.workgroupSize[0]);
  if (columns > max) throw new LimitError(`matmulBackwardBias: ${N} columns need ${columns} workgroups, more than ${max}`, 'maxComputeWorkgroupsPerDimension', columns, max);
  const chunks = ceilDiv(M, MATMUL_DBIAS_ROWS);
  if (need === 0 || workspace === null || chunks > max) {
    rec.dispatch(single, params, { dbias, dout }, [columns, 1, 1]);
    return;
  }
  rec.dispatch(device.kernel('matmul_backward_dbias_partial'), params, { workspace, dout }, [columns, chunks, 1]);
  rec.dispatch(device.kernel('matmul_backward_dbias_reduce'), params, { dbias, workspace }, [columns, 1, 1]);
}

/**
 * Records every requested gradient of out = inp·weightᵀ + bias (pass null to skip one): dinp (…, K),
 * dweight (N, K, with `workspace` as for matmulBackwardWeight's split-K), dbias (N, with `workspace` as for
 * matmulBackwardBias). matmulWorkspaceSize covers both.
 *
 * @example
 * matmulBackward(rec, dx, grads.fcWeight, grads.fcBias, workspace, dfc, x, params.fcWeight,
 *   { accumulate: { dinp: false, dweight: true, dbias: true } });
 */
export function matmulBackward(
  rec: Recorder,
  dinp: Tensor | null,
  dweight: Tensor | null,
  dbias: Tensor | null,
  workspace: Tensor | null,
  dout: Tensor,
  inp: Tensor,
  weight: Tensor,
  options: MatmulOptions & { accumulate?: boolean | MatmulAccumulate; splitK?: boolean } = {},
): void {
  const acc = options.accumulate;
  const flag = (g: keyof MatmulAccumulate): boolean => (typeof acc === 'object' ? acc[g] === true : acc === true);
  const base: MatmulOptions = {};
  if (options.tile !== undefined) base.tile = options.tile;
  if (options.vectorLoads !== undefined) base.vectorLoads = options.vectorLoads;
  if (dinp !== null) matmulBackwardInput(rec, dinp, dout, weight, { ...base, accumulate: flag('dinp') });
  const split: { splitK?: boolean } = options.splitK === undefined ? {} : { splitK: options.splitK };
  if (dweight !== null) matmulBackwardWeight(rec, dweight, dout, inp, { ...base, ...split, accumulate: flag('dweight'), workspace });
  if (dbias !== null) matmulBackwardBias(rec, dbias, workspace, dout, { accumulate: flag('dbias') });
}
