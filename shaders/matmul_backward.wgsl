// matmul_backward: gradients of out = inp·weightᵀ + bias given dout = ∂L/∂out
//   dinp[m,k]    = Σ_n dout[m,n]·weight[n,k]   (dinp = dout·weight)        matmul_backward_dinp[_vec4]
//   dweight[n,k] = Σ_m dout[m,n]·inp[m,k]      (dweight = doutᵀ·inp)       matmul_backward_dweight[_vec4|_vec4_split]
//   dbias[n]     = Σ_m dout[m,n]                                           matmul_backward_dbias(+_reduce)
// dout (M,N), inp (M,K), weight (N,K) → dinp (M,K), dweight (N,K), dbias (N); row-major f32.
// With accumulate = 1 each gradient is added to what its buffer holds (old + sum), so the two passes of a
// shared-tower bi-encoder can sum into one gradient.
// reference: src/ref/matmul.ts matmulBackward
//
// dinp and dweight: the register tiles of matmul_forward.wgsl (read that header). For dinp rows are m and
// columns k; for dweight rows are n and columns k. The _vec4 entry points use the wide tile (TM rows × TN
// groups of 4 columns per thread; grid (⌈(K/4) / (TN·WG_X)⌉, row tiles folded into (y, z))):
// matmul_backward_dinp_vec4 needs K % 4 == 0, matmul_backward_dweight_vec4 N % 4 == 0 and K % 4 == 0.
// The others take any shape with the TM × 4 tile (grid (⌈K / (4·WG_X)⌉, row tiles)).
// Each output sums its reduction index (n for dinp, m for dweight) from 0 upwards in one f32
// accumulator, so overrides and entry points never change the bits.
//
// dbias: rows in ceil(M / DBIAS_ROWS) chunks; each chunk is summed in row order, then the chunk sums in
// chunk order. matmul_backward_dbias does both in one thread per column (grid ceil(N / WG_BIAS)); with a
// workspace (chunks, N), matmul_backward_dbias_partial runs a thread per (column, chunk) (grid
// (ceil(N / WG_BIAS), chunks)) and matmul_backward_dbias_reduce adds the chunk sums (grid ceil(N / WG_BIAS)).
// Both ways give the same bits. DBIAS_ROWS is a constant, not an override, so the grouping never depends
// on tuning.
//
// dweight split-K (matmul_backward_dweight_vec4_split + matmul_backward_dweight_split_reduce, N % 4 == 0 and
// K % 4 == 0): for a GPU, where the plain dweight grid (one thread per output tile looping over all M rows)
// has too few workgroups. Rows of M in ceil(M / SPLIT_ROWS) chunks; stage 1 writes each chunk's (N, K)
// partial, summed from its first row upwards in one f32 accumulator by the same register tile
// (dweight_wide_sum), to a workspace slot; stage 2 adds the partials in chunk order (then old + sum with
// accumulate = 1). When the workspace holds fewer slots than chunks, the launcher runs the two stages in
// passes that carry the f32 running total in slot 0, which does not change the bits. No atomics: the bits
// depend only on the inputs and SPLIT_ROWS (a constant, like DBIAS_ROWS), but differ from the unsplit
// kernel's (another summation order).
struct Params {
  M: u32,
  N: u32,
  K: u32,
  accumulate: u32,
  tile_rows: u32,
  tile_groups: u32,
  // split-K dweight only (0 elsewhere): first chunk and chunk count of this pass; split_stage bit 0: first
  // pass, bit 1: last pass, bit 2: one of several passes (running total in workspace slot 0)
  split_first: u32,
  split_count: u32,
  split_stage: u32,
}

override WG_X: u32 = 16;
override WG_Y: u32 = 4;
// Rows per thread (4 or 8) and column groups per thread of the wide tiles (1, 2 or 4); see
// matmul_forward.wgsl. Params.tile_rows and tile_groups repeat them for the rolled store loops.
override TM: u32 = 8;
override TN: u32 = 4;

override WG_BIAS: u32 = 64;

const DBIAS_ROWS: u32 = 256u;
// Rows of M per split-K chunk of dweight (src/ops/matmul.ts MATMUL_SPLIT_ROWS repeats it).
const SPLIT_ROWS: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dinp: array<f32>;
@group(0) @binding(2) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(3) var<storage, read_write> dbias: array<f32>;
@group(0) @binding(4) var<storage, read_write> workspace: array<f32>;
@group(0) @binding(5) var<storage, read> dout: array<f32>;
@group(0) @binding(6) var<storage, read> inp: array<f32>;
@group(0) @binding(7) var<storage, read> weight: array<f32>;
@group(0) @binding(8) var<storage, read> dout4: array<vec4f>;
@group(0) @binding(9) var<storage, read> inp4: array<vec4f>;
@group(0) @binding(10) var<storage, read> weight4: array<vec4f>;

// acc + a.x·b0 + a.y·b1 + a.z·b2 + a.w·b3, left to right: four reduction steps in order, each rounded.
fn matmul_step4(acc: vec4f, a: vec4f, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) -> vec4f {
  return acc + a.x * b0 + a.y * b1 + a.z * b2 + a.w * b3;
}

// First row and column of this thread's tile; rows are m for dinp and n for dweight.
fn matmul_tile_origin(wid: vec3u, lid: vec3u, nwg: vec3u) -> vec2u {
  let row_tile = wid.y + wid.z * nwg.y;
  return vec2u((row_tile * WG_Y + lid.y) * TM, (wid.x * WG_X + lid.x) * 4u);
}

// Writes (or adds) the thread's tile of dinp: rows m = row..row+TM−1, columns k = col..col+3, skipping
// what lies outside (M,K). One rolled loop with a run-time bound (Params.tile_rows = TM): lavapipe expands
// each store site lane by lane with bounds checks, and an unrolled 8×4 tile made compiles 5× longer.
fn store_dinp_tile(row: u32, col: u32, acc: array<vec4f, 8>) {
  let rows = min(p.tile_rows, p.M - row);
  for (var e = 0u; e < rows * 4u; e++) {
    let m = row + e / 4u;
    let k = col + e % 4u;
    if (k < p.K) {
      let i = m * p.K + k;
      if (p.accumulate != 0u) {
        dinp[i] = dinp[i] + acc[e / 4u][e % 4u];
      } else {
        dinp[i] = acc[e / 4u][e % 4u];
      }
    }
  }
}

// The same for dweight: rows n = row..row+TM−1 (of N), columns k = col..col+3.
fn store_dweight_tile(row: u32, col: u32, acc: array<vec4f, 8>) {
  let rows = min(p.tile_rows, p.N - row);
  for (var e = 0u; e < rows * 4u; e++) {
    let n = row + e / 4u;
    let k = col + e % 4u;
    if (k < p.K) {
      let i = n * p.K + k;
      if (p.accumulate != 0u) {
        dweight[i] = dweight[i] + acc[e / 4u][e % 4u];
      } else {
        dweight[i] = acc[e / 4u][e % 4u];
      }
    }
  }
}

// Writes (or adds) a wide tile of dinp (rows m = row..row+TM−1, column groups c4 + g·WG_X for g < TN);
// acc[r·4 + g] holds row r, group g. Rolled like store_dinp_tile.
fn store_dinp_wide(row: u32, c4: u32, acc: array<vec4f, 32>) {
  let rows = min(p.tile_rows, p.M - row);
  let per_row = p.tile_groups * 4u;
  for (var e = 0u; e < rows * per_row; e++) {
    let r = e / per_row;
    let k = (c4 + (e % per_row) / 4u * WG_X) * 4u + e % 4u;
    if (k < p.K) {
      let i = (row + r) * p.K + k;
      let v = acc[r * 4u + (e % per_row) / 4u][e % 4u];
      if (p.accumulate != 0u) {
        dinp[i] = dinp[i] + v;
      } else {
        dinp[i] = v;
      }
    }
  }
}

// The same for dweight: rows n = row..row+TM−1 (of N).
fn store_dweight_wide(row: u32, c4: u32, acc: array<vec4f, 32>) {
  let rows = min(p.tile_rows, p.N - row);
  let per_row = p.tile_groups * 4u;
  for (var e = 0u; e < rows * per_row; e++) {
    let r = e / per_row;
    let k = (c4 + (e % per_row) / 4u * WG_X) * 4u + e % 4u;
    if (k < p.K) {
      let i = (row + r) * p.K + k;
      let v = acc[r * 4u + (e % per_row) / 4u][e % 4u];
      if (p.accumulate != 0u) {
        dweight[i] = dweight[i] + v;
      } else {
        dweight[i] = v;
      }
    }
  }
}

// dinp = dout·weight with K % 4 == 0, as the wide tile of matmul_forward_transposed: per n, TN vec4 of
// weight row n (adjacent lanes read adjacent vec4) and one dout scalar per row.
@compute @workgroup_size(WG_X, WG_Y)
fn matmul_backward_dinp_vec4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                             @builtin(num_workgroups) nwg: vec3u) {
  let row = ((wid.y + wid.z * nwg.y) * WG_Y + lid.y) * TM;
  let c4 = wid.x * TN * WG_X + lid.x;
  let K4 = p.K / 4u;
  if (row >= p.M || c4 >= K4) {
    return;
  }
  let g1 = min(c4 + WG_X, K4 - 1u);
  let g2 = min(c4 + 2u * WG_X, K4 - 1u);
  let g3 = min(c4 + 3u * WG_X, K4 - 1u);
  let a0 = min(row, p.M - 1u) * p.N;
  let a1 = min(row + 1u, p.M - 1u) * p.N;
  let a2 = min(row + 2u, p.M - 1u) * p.N;
  let a3 = min(row + 3u, p.M - 1u) * p.N;
  let a4 = min(row + 4u, p.M - 1u) * p.N;
  let a5 = min(row + 5u, p.M - 1u) * p.N;
  let a6 = min(row + 6u, p.M - 1u) * p.N;
  let a7 = min(row + 7u, p.M - 1u) * p.N;
  var acc00 = vec4f(0.0);
  var acc01 = vec4f(0.0);
  var acc02 = vec4f(0.0);
  var acc03 = vec4f(0.0);
  var acc10 = vec4f(0.0);
  var acc11 = vec4f(0.0);
  var acc12 = vec4f(0.0);
  var acc13 = vec4f(0.0);
  var acc20 = vec4f(0.0);
  var acc21 = vec4f(0.0);
  var acc22 = vec4f(0.0);
  var acc23 = vec4f(0.0);
  var acc30 = vec4f(0.0);
  var acc31 = vec4f(0.0);
  var acc32 = vec4f(0.0);
  var acc33 = vec4f(0.0);
  var acc40 = vec4f(0.0);
  var acc41 = vec4f(0.0);
  var acc42 = vec4f(0.0);
  var acc43 = vec4f(0.0);
  var acc50 = vec4f(0.0);
  var acc51 = vec4f(0.0);
  var acc52 = vec4f(0.0);
  var acc53 = vec4f(0.0);
  var acc60 = vec4f(0.0);
  var acc61 = vec4f(0.0);
  var acc62 = vec4f(0.0);
  var acc63 = vec4f(0.0);
  var acc70 = vec4f(0.0);
  var acc71 = vec4f(0.0);
  var acc72 = vec4f(0.0);
  var acc73 = vec4f(0.0);
  for (var n = 0u; n < p.N; n++) {
    let b0 = weight4[n * K4 + c4];
    var b1 = b0;
    var b2 = b0;
    var b3 = b0;
    if (TN > 1u) {
      b1 = weight4[n * K4 + g1];
    }
    if (TN > 2u) {
      b2 = weight4[n * K4 + g2];
      b3 = weight4[n * K4 + g3];
    }
    // Every load of the step first, then the arithmetic: loads interleaved with 32 live accumulators made
    // LLVM spill around each lane-by-lane load on lavapipe (2× slower).
    let x0 = dout[a0 + n];
    let x1 = dout[a1 + n];
    let x2 = dout[a2 + n];
    let x3 = dout[a3 + n];
    var x4 = x0;
    var x5 = x0;
    var x6 = x0;
    var x7 = x0;
    if (TM == 8u) {
      x4 = dout[a4 + n];
      x5 = dout[a5 + n];
      x6 = dout[a6 + n];
      x7 = dout[a7 + n];
    }
    acc00 = acc00 + x0 * b0;
    if (TN > 1u) {
      acc01 = acc01 + x0 * b1;
    }
    if (TN > 2u) {
      acc02 = acc02 + x0 * b2;
      acc03 = acc03 + x0 * b3;
    }
    acc10 = acc10 + x1 * b0;
    if (TN > 1u) {
      acc11 = acc11 + x1 * b1;
    }
    if (TN > 2u) {
      acc12 = acc12 + x1 * b2;
      acc13 = acc13 + x1 * b3;
    }
    acc20 = acc20 + x2 * b0;
    if (TN > 1u) {
      acc21 = acc21 + x2 * b1;
    }
    if (TN > 2u) {
      acc22 = acc22 + x2 * b2;
      acc23 = acc23 + x2 * b3;
    }
    acc30 = acc30 + x3 * b0;
    if (TN > 1u) {
      acc31 = acc31 + x3 * b1;
    }
    if (TN > 2u) {
      acc32 = acc32 + x3 * b2;
      acc33 = acc33 + x3 * b3;
    }
    if (TM == 8u) {
      acc40 = acc40 + x4 * b0;
      if (TN > 1u) {
        acc41 = acc41 + x4 * b1;
      }
      if (TN > 2u) {
        acc42 = acc42 + x4 * b2;
        acc43 = acc43 + x4 * b3;
      }
      acc50 = acc50 + x5 * b0;
      if (TN > 1u) {
        acc51 = acc51 + x5 * b1;
      }
      if (TN > 2u) {
        acc52 = acc52 + x5 * b2;
        acc53 = acc53 + x5 * b3;
      }
      acc60 = acc60 + x6 * b0;
      if (TN > 1u) {
        acc61 = acc61 + x6 * b1;
      }
      if (TN > 2u) {
        acc62 = acc62 + x6 * b2;
        acc63 = acc63 + x6 * b3;
      }
      acc70 = acc70 + x7 * b0;
      if (TN > 1u) {
        acc71 = acc71 + x7 * b1;
      }
      if (TN > 2u) {
        acc72 = acc72 + x7 * b2;
        acc73 = acc73 + x7 * b3;
      }
    }
  }
  store_dinp_wide(row, c4, array<vec4f, 32>(acc00, acc01, acc02, acc03, acc10, acc11, acc12, acc13, acc20,
          acc21, acc22, acc23, acc30, acc31, acc32, acc33, acc40, acc41, acc42, acc43, acc50, acc51, acc52,
          acc53, acc60, acc61, acc62, acc63, acc70, acc71, acc72, acc73));
}

// weight[n, col..col+3] from the scalar binding, each column clamped to K−1 (a clamped column is a copy
// of a valid one and is never stored).
fn weight_cols4(n: u32, col: u32) -> vec4f {
  let r = n * p.K;
  let last = p.K - 1u;
  return vec4f(weight[r + min(col, last)], weight[r + min(col + 1u, last)], weight[r + min(col + 2u, last)],
               weight[r + min(col + 3u, last)]);
}

fn inp_cols4(m: u32, col: u32) -> vec4f {
  let r = m * p.K;
  let last = p.K - 1u;
  return vec4f(inp[r + min(col, last)], inp[r + min(col + 1u, last)], inp[r + min(col + 2u, last)],
               inp[r + min(col + 3u, last)]);
}

// Any shape: one n per iteration with scalar loads, the same order as the vec4 entry point.
@compute @workgroup_size(WG_X, WG_Y)
fn matmul_backward_dinp(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                        @builtin(num_workgroups) nwg: vec3u) {
  let origin = matmul_tile_origin(wid, lid, nwg);
  let row = origin.x;
  let col = origin.y;
  if (row >= p.M || col >= p.K) {
    return;
  }
  let a0 = min(row, p.M - 1u) * p.N;
  let a1 = min(row + 1u, p.M - 1u) * p.N;
  let a2 = min(row + 2u, p.M - 1u) * p.N;
  let a3 = min(row + 3u, p.M - 1u) * p.N;
  let a4 = min(row + 4u, p.M - 1u) * p.N;
  let a5 = min(row + 5u, p.M - 1u) * p.N;
  let a6 = min(row + 6u, p.M - 1u) * p.N;
  let a7 = min(row + 7u, p.M - 1u) * p.N;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0);
  var acc5 = vec4f(0.0);
  var acc6 = vec4f(0.0);
  var acc7 = vec4f(0.0);
  for (var n = 0u; n < p.N; n++) {
    let b = weight_cols4(n, col);
    acc0 = acc0 + dout[a0 + n] * b;
    acc1 = acc1 + dout[a1 + n] * b;
    acc2 = acc2 + dout[a2 + n] * b;
    acc3 = acc3 + dout[a3 + n] * b;
    if (TM == 8u) {
      acc4 = acc4 + dout[a4 + n] * b;
      acc5 = acc5 + dout[a5 + n] * b;
      acc6 = acc6 + dout[a6 + n] * b;
      acc7 = acc7 + dout[a7 + n] * b;
    }
  }
  store_dinp_tile(row, col, array<vec4f, 8>(acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7));
}

// dweight = doutᵀ·inp with N % 4 == 0 and K % 4 == 0, as an outer product per m: TM / 4 vec4 of dout
// row m hold this thread's rows n, TN vec4 of inp row m its column groups (adjacent lanes, adjacent vec4).
// The sum itself, over rows m = m_begin..m_end−1 in order (the whole of M, or one split-K chunk); the
// caller has checked row < N and c4 < K/4.
fn dweight_wide_sum(row: u32, c4: u32, m_begin: u32, m_end: u32) -> array<vec4f, 32> {
  let N4 = p.N / 4u;
  let K4 = p.K / 4u;
  let g1 = min(c4 + WG_X, K4 - 1u);
  let g2 = min(c4 + 2u * WG_X, K4 - 1u);
  let g3 = min(c4 + 3u * WG_X, K4 - 1u);
  let i0 = min(row / 4u, N4 - 1u);
  let i1 = min(row / 4u + 1u, N4 - 1u);
  var acc00 = vec4f(0.0);
  var acc01 = vec4f(0.0);
  var acc02 = vec4f(0.0);
  var acc03 = vec4f(0.0);
  var acc10 = vec4f(0.0);
  var acc11 = vec4f(0.0);
  var acc12 = vec4f(0.0);
  var acc13 = vec4f(0.0);
  var acc20 = vec4f(0.0);
  var acc21 = vec4f(0.0);
  var acc22 = vec4f(0.0);
  var acc23 = vec4f(0.0);
  var acc30 = vec4f(0.0);
  var acc31 = vec4f(0.0);
  var acc32 = vec4f(0.0);
  var acc33 = vec4f(0.0);
  var acc40 = vec4f(0.0);
  var acc41 = vec4f(0.0);
  var acc42 = vec4f(0.0);
  var acc43 = vec4f(0.0);
  var acc50 = vec4f(0.0);
  var acc51 = vec4f(0.0);
  var acc52 = vec4f(0.0);
  var acc53 = vec4f(0.0);
  var acc60 = vec4f(0.0);
  var acc61 = vec4f(0.0);
  var acc62 = vec4f(0.0);
  var acc63 = vec4f(0.0);
  var acc70 = vec4f(0.0);
  var acc71 = vec4f(0.0);
  var acc72 = vec4f(0.0);
  var acc73 = vec4f(0.0);
  for (var m = m_begin; m < m_end; m++) {
    let b0 = inp4[m * K4 + c4];
    var b1 = b0;
    var b2 = b0;
    var b3 = b0;
    if (TN > 1u) {
      b1 = inp4[m * K4 + g1];
    }
    if (TN > 2u) {
      b2 = inp4[m * K4 + g2];
      b3 = inp4[m * K4 + g3];
    }
    // Loads first, then the arithmetic (see matmul_backward_dinp_vec4).
    let d0 = dout4[m * N4 + i0];
    var d1 = d0;
    if (TM == 8u) {
      d1 = dout4[m * N4 + i1];
    }
    acc00 = acc00 + d0.x * b0;
    if (TN > 1u) {
      acc01 = acc01 + d0.x * b1;
    }
    if (TN > 2u) {
      acc02 = acc02 + d0.x * b2;
      acc03 = acc03 + d0.x * b3;
    }
    acc10 = acc10 + d0.y * b0;
    if (TN > 1u) {
      acc11 = acc11 + d0.y * b1;
    }
    if (TN > 2u) {
      acc12 = acc12 + d0.y * b2;
      acc13 = acc13 + d0.y * b3;
    }
    acc20 = acc20 + d0.z * b0;
    if (TN > 1u) {
      acc21 = acc21 + d0.z * b1;
    }
    if (TN > 2u) {
      acc22 = acc22 + d0.z * b2;
      acc23 = acc23 + d0.z * b3;
    }
    acc30 = acc30 + d0.w * b0;
    if (TN > 1u) {
      acc31 = acc31 + d0.w * b1;
    }
    if (TN > 2u) {
      acc32 = acc32 + d0.w * b2;
      acc33 = acc33 + d0.w * b3;
    }
    if (TM == 8u) {
      acc40 = acc40 + d1.x * b0;
      if (TN > 1u) {
        acc41 = acc41 + d1.x * b1;
      }
      if (TN > 2u) {
        acc42 = acc42 + d1.x * b2;
        acc43 = acc43 + d1.x * b3;
      }
      acc50 = acc50 + d1.y * b0;
      if (TN > 1u) {
        acc51 = acc51 + d1.y * b1;
      }
      if (TN > 2u) {
        acc52 = acc52 + d1.y * b2;
        acc53 = acc53 + d1.y * b3;
      }
      acc60 = acc60 + d1.z * b0;
      if (TN > 1u) {
        acc61 = acc61 + d1.z * b1;
      }
      if (TN > 2u) {
        acc62 = acc62 + d1.z * b2;
        acc63 = acc63 + d1.z * b3;
      }
      acc70 = acc70 + d1.w * b0;
      if (TN > 1u) {
        acc71 = acc71 + d1.w * b1;
      }
      if (TN > 2u) {
        acc72 = acc72 + d1.w * b2;
        acc73 = acc73 + d1.w * b3;
      }
    }
  }
  return array<vec4f, 32>(acc00, acc01, acc02, acc03, acc10, acc11, acc12, acc13, acc20, acc21, acc22, acc23,
          acc30, acc31, acc32, acc33, acc40, acc41, acc42, acc43, acc50, acc51, acc52, acc53, acc60, acc61, acc62,
          acc63, acc70, acc71, acc72, acc73);
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_backward_dweight_vec4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                                @builtin(num_workgroups) nwg: vec3u) {
  let row = ((wid.y + wid.z * nwg.y) * WG_Y + lid.y) * TM;
  let c4 = wid.x * TN * WG_X + lid.x;
  if (row >= p.N || c4 >= p.K / 4u) {
    return;
  }
  store_dweight_wide(row, c4, dweight_wide_sum(row, c4, 0u, p.M));
}

// Split-K stage 1 of 2: grid (⌈(K/4) / (TN·WG_X)⌉, row tiles, chunks of this pass), row tiles not folded.
// Workgroup z computes chunk c = p.split_first + z (rows c·SPLIT_ROWS.. of M, from the first upwards in one
// accumulator) into workspace slot z, or z + 1 in a pass of several (split_stage bit 2; slot 0 holds the
// running total). A slot is N·K floats, row-major like dweight.
@compute @workgroup_size(WG_X, WG_Y)
fn matmul_backward_dweight_vec4_split(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row = (wid.y * WG_Y + lid.y) * TM;
  let c4 = wid.x * TN * WG_X + lid.x;
  if (row >= p.N || c4 >= p.K / 4u) {
    return;
  }
  let m_begin = (p.split_first + wid.z) * SPLIT_ROWS;
  let acc = dweight_wide_sum(row, c4, m_begin, min(p.M, m_begin + SPLIT_ROWS));
  let slot = (wid.z + select(0u, 1u, (p.split_stage & 4u) != 0u)) * p.N * p.K;
  let rows = min(p.tile_rows, p.N - row);
  let per_row = p.tile_groups * 4u;
  for (var e = 0u; e < rows * per_row; e++) {
    let r = e / per_row;
    let k = (c4 + (e % per_row) / 4u * WG_X) * 4u + e % 4u;
    if (k < p.K) {
      workspace[slot + (row + r) * p.K + k] = acc[r * 4u + (e % per_row) / 4u][e % 4u];
    }
  }
}

// Split-K stage 2 of 2: one thread per element i of dweight (grid1d(N·K, WG_BIAS)); adds the p.split_count
// chunk partials of this pass in chunk order to the running sum, which starts at 0 in the first pass
// (split_stage bit 0) and is otherwise the f32 total the previous pass left in slot 0. The last pass
// (bit 1) stores it to dweight (old + sum with accumulate = 1), the others to slot 0 again. The total is
// stored as the f32 it is, so any number of passes gives the bits of one: 0 + c0 + c1 + … in chunk order.
@compute @workgroup_size(WG_BIAS)
fn matmul_backward_dweight_split_reduce(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                                        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.x + wid.y * nwg.x) * WG_BIAS + lid.x;
  let NK = p.N * p.K;
  if (i >= NK) {
    return;
  }
  let total = i;
  let first = select(0u, NK, (p.split_stage & 4u) != 0u);
  var sum = 0.0;
  if ((p.split_stage & 1u) == 0u) {
    sum = workspace[total];
  }
  for (var c = 0u; c < p.split_count; c++) {
    sum = sum + workspace[first + c * NK + i];
  }
  if ((p.split_stage & 2u) == 0u) {
    workspace[total] = sum;
  } else if (p.accumulate != 0u) {
    dweight[i] = dweight[i] + sum;
  } else {
    dweight[i] = sum;
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_backward_dweight(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                           @builtin(num_workgroups) nwg: vec3u) {
  let origin = matmul_tile_origin(wid, lid, nwg);
  let row = origin.x;
  let col = origin.y;
  if (row >= p.N || col >= p.K) {
    return;
  }
  let last = p.N - 1u;
  let n0 = min(row, last);
  let n1 = min(row + 1u, last);
  let n2 = min(row + 2u, last);
  let n3 = min(row + 3u, last);
  let n4 = min(row + 4u, last);
  let n5 = min(row + 5u, last);
  let n6 = min(row + 6u, last);
  let n7 = min(row + 7u, last);
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0);
  var acc5 = vec4f(0.0);
  var acc6 = vec4f(0.0);
  var acc7 = vec4f(0.0);
  for (var m = 0u; m < p.M; m++) {
    let b = inp_cols4(m, col);
    let d = m * p.N;
    acc0 = acc0 + dout[d + n0] * b;
    acc1 = acc1 + dout[d + n1] * b;
    acc2 = acc2 + dout[d + n2] * b;
    acc3 = acc3 + dout[d + n3] * b;
    if (TM == 8u) {
      acc4 = acc4 + dout[d + n4] * b;
      acc5 = acc5 + dout[d + n5] * b;
      acc6 = acc6 + dout[d + n6] * b;
      acc7 = acc7 + dout[d + n7] * b;
    }
  }
  store_dweight_tile(row, col, array<vec4f, 8>(acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7));
}

fn store_dbias(n: u32, sum: f32) {
  if (p.accumulate != 0u) {
    dbias[n] = dbias[n] + sum;
  } else {
    dbias[n] = sum;
  }
}

// Σ dout[m, n] over the rows of one chunk, in order.
fn dbias_chunk_sum(n: u32, chunk: u32) -> f32 {
  let m_end = min(p.M, (chunk + 1u) * DBIAS_ROWS);
  var sum = 0.0;
  for (var m = chunk * DBIAS_ROWS; m < m_end; m++) {
    sum = sum + dout[m * p.N + n];
  }
  return sum;
}

// One stage: each thread adds its column's chunk sums in chunk order, the grouping of the two stages below.
@compute @workgroup_size(WG_BIAS)
fn matmul_backward_dbias(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = wid.x * WG_BIAS + lid.x;
  if (n >= p.N) {
    return;
  }
  let chunks = (p.M + DBIAS_ROWS - 1u) / DBIAS_ROWS;
  var sum = 0.0;
  for (var c = 0u; c < chunks; c++) {
    sum = sum + dbias_chunk_sum(n, c);
  }
  store_dbias(n, sum);
}

// Stage 1 of 2: one thread per (column, chunk), for more parallelism when M is large and N small.
@compute @workgroup_size(WG_BIAS)
fn matmul_backward_dbias_partial(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = wid.x * WG_BIAS + lid.x;
  if (n >= p.N) {
    return;
  }
  workspace[wid.y * p.N + n] = dbias_chunk_sum(n, wid.y);
}

// Stage 2 of 2: the chunk sums of each column, in chunk order.
@compute @workgroup_size(WG_BIAS)
fn matmul_backward_dbias_reduce(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = wid.x * WG_BIAS + lid.x;
  if (n >= p.N) {
    return;
  }
  let chunks = (p.M + DBIAS_ROWS - 1u) / DBIAS_ROWS;
  var sum = 0.0;
  for (var c = 0u; c < chunks; c++) {
    sum = sum + workspace[c * p.N + n];
  }
  store_dbias(n, sum);
}
