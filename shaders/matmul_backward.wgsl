// matmul_backward: gradients of out = inp·weightᵀ + bias given dout = ∂L/∂out
//   dinp[m,k]    = Σ_n dout[m,n]·weight[n,k]   (dinp = dout·weight)        matmul_backward_dinp[_vec4]
//   dweight[n,k] = Σ_m dout[m,n]·inp[m,k]      (dweight = doutᵀ·inp)       matmul_backward_dweight[_vec4]
//   dbias[n]     = Σ_m dout[m,n]                                           matmul_backward_dbias(+_reduce)
// dout (M,N), inp (M,K), weight (N,K) → dinp (M,K), dweight (N,K), dbias (N); row-major f32.
// With accumulate = 1 each gradient is added to what its buffer holds (old + sum), so the two passes of a
// shared-tower bi-encoder can sum into one gradient.
// reference: src/ref/matmul.ts matmulBackward
//
// dinp and dweight: the register tiling of matmul_forward.wgsl (read that header): workgroups of
// WG_X × WG_Y threads, each owning TM rows × 4 adjacent columns of the output; grid (ceil(cols / (4·WG_X)),
// row tiles folded into (y, z)). For dinp rows are m and columns k (K of them); for dweight rows are n,
// columns k. The _vec4 entry points need N % 4 == 0 and K % 4 == 0; the others take any shape.
// Each output sums its reduction index (n for dinp, m for dweight) from 0 upwards in one f32
// accumulator, so overrides and entry points never change the bits.
//
// dbias: rows in ceil(M / DBIAS_ROWS) chunks; each chunk is summed in row order, then the chunk sums in
// chunk order. matmul_backward_dbias does both in one thread per column (grid ceil(N / WG_BIAS)); with a
// workspace (chunks, N), matmul_backward_dbias_partial runs a thread per (column, chunk) (grid
// (ceil(N / WG_BIAS), chunks)) and matmul_backward_dbias_reduce adds the chunk sums (grid ceil(N / WG_BIAS)).
// Both ways give the same bits. DBIAS_ROWS is a constant, not an override, so the grouping never depends
// on tuning.
struct Params {
  M: u32,
  N: u32,
  K: u32,
  accumulate: u32,
  tile_rows: u32,
}

override WG_X: u32 = 16;
override WG_Y: u32 = 4;
// Rows per thread: 4 or 8 (the launcher checks); see matmul_forward.wgsl. Params.tile_rows repeats it.
override TM: u32 = 8;

override WG_BIAS: u32 = 64;

const DBIAS_ROWS: u32 = 256u;

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

// dinp = dout·weight with N % 4 == 0 and K % 4 == 0: dout rows are read 4 n at a time (a),
// weight rows n..n+3 give the 4 columns at each of those n (b0..b3).
@compute @workgroup_size(WG_X, WG_Y)
fn matmul_backward_dinp_vec4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                             @builtin(num_workgroups) nwg: vec3u) {
  let origin = matmul_tile_origin(wid, lid, nwg);
  let row = origin.x;
  let col = origin.y;
  if (row >= p.M) {
    return;
  }
  let N4 = p.N / 4u;
  let K4 = p.K / 4u;
  let j4 = min(col / 4u, K4 - 1u);
  let a0 = min(row, p.M - 1u) * N4;
  let a1 = min(row + 1u, p.M - 1u) * N4;
  let a2 = min(row + 2u, p.M - 1u) * N4;
  let a3 = min(row + 3u, p.M - 1u) * N4;
  let a4 = min(row + 4u, p.M - 1u) * N4;
  let a5 = min(row + 5u, p.M - 1u) * N4;
  let a6 = min(row + 6u, p.M - 1u) * N4;
  let a7 = min(row + 7u, p.M - 1u) * N4;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0);
  var acc5 = vec4f(0.0);
  var acc6 = vec4f(0.0);
  var acc7 = vec4f(0.0);
  for (var n4 = 0u; n4 < N4; n4++) {
    let w = n4 * 4u * K4 + j4;
    let b0 = weight4[w];
    let b1 = weight4[w + K4];
    let b2 = weight4[w + 2u * K4];
    let b3 = weight4[w + 3u * K4];
    acc0 = matmul_step4(acc0, dout4[a0 + n4], b0, b1, b2, b3);
    acc1 = matmul_step4(acc1, dout4[a1 + n4], b0, b1, b2, b3);
    acc2 = matmul_step4(acc2, dout4[a2 + n4], b0, b1, b2, b3);
    acc3 = matmul_step4(acc3, dout4[a3 + n4], b0, b1, b2, b3);
    if (TM == 8u) {
      acc4 = matmul_step4(acc4, dout4[a4 + n4], b0, b1, b2, b3);
      acc5 = matmul_step4(acc5, dout4[a5 + n4], b0, b1, b2, b3);
      acc6 = matmul_step4(acc6, dout4[a6 + n4], b0, b1, b2, b3);
      acc7 = matmul_step4(acc7, dout4[a7 + n4], b0, b1, b2, b3);
    }
  }
  store_dinp_tile(row, col, array<vec4f, 8>(acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7));
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
  if (row >= p.M) {
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

// dweight = doutᵀ·inp with N % 4 == 0 and K % 4 == 0: at each m one vec4 of dout holds four of this
// thread's rows n, and one vec4 of inp its four columns k. TM is a multiple of 4, so row groups align.
@compute @workgroup_size(WG_X, WG_Y)
fn matmul_backward_dweight_vec4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                                @builtin(num_workgroups) nwg: vec3u) {
  let origin = matmul_tile_origin(wid, lid, nwg);
  let row = origin.x;
  let col = origin.y;
  if (row >= p.N) {
    return;
  }
  let N4 = p.N / 4u;
  let K4 = p.K / 4u;
  let j4 = min(col / 4u, K4 - 1u);
  let i0 = min(row / 4u, N4 - 1u);
  let i1 = min(row / 4u + 1u, N4 - 1u);
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0);
  var acc5 = vec4f(0.0);
  var acc6 = vec4f(0.0);
  var acc7 = vec4f(0.0);
  for (var m = 0u; m < p.M; m++) {
    let b = inp4[m * K4 + j4];
    let d0 = dout4[m * N4 + i0];
    acc0 = acc0 + d0.x * b;
    acc1 = acc1 + d0.y * b;
    acc2 = acc2 + d0.z * b;
    acc3 = acc3 + d0.w * b;
    if (TM == 8u) {
      let d1 = dout4[m * N4 + i1];
      acc4 = acc4 + d1.x * b;
      acc5 = acc5 + d1.y * b;
      acc6 = acc6 + d1.z * b;
      acc7 = acc7 + d1.w * b;
    }
  }
  store_dweight_tile(row, col, array<vec4f, 8>(acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7));
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_backward_dweight(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                           @builtin(num_workgroups) nwg: vec3u) {
  let origin = matmul_tile_origin(wid, lid, nwg);
  let row = origin.x;
  let col = origin.y;
  if (row >= p.N) {
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
