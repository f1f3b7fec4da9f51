// matmul_forward: out[m,n] = Σ_k inp[m,k]·weight[n,k] (+ bias[n]), i.e. out = inp·weightᵀ + bias
// inp (M,K), weight (N,K) as torch.nn.Linear stores it (out_features, in_features), bias (N) → out (M,N);
// all row-major f32. The contrastive scores S = Q·Pᵀ are the same op without bias.
// reference: src/ref/matmul.ts matmulForward (f64); matmulForwardF32 is its bit-exact f32 twin
//
// Two ways, chosen by the launcher:
// • With a workspace (the fast way): matmul_forward_transpose writes weightᵀ as wt (K, N4·4), N4 = ⌈N/4⌉,
//   padded with zero columns; one thread per vec4 of wt, grid1d(K·N4, WG_X·WG_Y) workgroups. Then
//   matmul_forward_transposed runs a wide register tile: each thread owns TM rows × TN groups of 4
//   columns (TM·TN vec4 accumulators); per k it loads TN vec4 of wt (adjacent lanes read adjacent vec4)
//   and TM scalars of inp, and does 4·TM·TN multiply-adds. Group g of a thread is the vec4 column
//   c4 + g·WG_X, so a workgroup covers (WG_Y·TM) rows × (4·TN·WG_X) columns.
//   Grid: (⌈N4 / (TN·WG_X)⌉, row tiles), the ⌈M / (WG_Y·TM)⌉ row tiles folded into (y, z) past 65535
//   (row tile = wid.y + wid.z·nwg.y).
// • Without one: matmul_forward_vec4 (K % 4 == 0) or matmul_forward (any shape) read weight rows
//   directly: a TM × 4 tile per thread, vec4 (or scalar) loads along k. Grid as above with TN = 1 and
//   4 columns per thread.
//
// Determinism: every out[m,n] is one f32 accumulator that adds inp[m,k]·weight[n,k] for k = 0, 1, …, K−1
// in that order, then the bias. Overrides and entry points only decide which thread computes which
// output, never the order, so all of them give the same bits (tests/kernels/matmul.test.ts checks it).
// matmul_step4 spells four updates out because dot() has an unspecified summation order.
//
// Edges: threads whose tile starts past M or N return at once (no barriers here). In a partial tile the
// rows and columns past M or N load from the last valid row/column (clamped, so every load stays in
// bounds and no padding value can reach a real output) and are not stored. Out-of-range k is never read.
//
// Why this shape (measured on lavapipe, the CI adapter; see src/bench/matmul.ts): lavapipe runs 8
// invocations as SIMD lanes, but every storage or workgroup load inside a loop is executed lane by lane,
// with a bounds check per component. Loads, not arithmetic, set the speed, so what pays is multiply-adds
// per loaded value, and workgroup memory does not help (reading it costs as much as reading storage).
// A wide tile needs few live loaded values per step (TN vec4 + 1 scalar), so LLVM spills accumulators,
// which is cheap, rather than loaded values; the direct kernels hold 4 + TM vec4 along k per step, and
// weight rows 4 KiB apart (K = 1024) all fall into one L1 set. Hence the transposed weight.
struct Params {
  M: u32,
  N: u32,
  K: u32,
  has_bias: u32,
  tile_rows: u32,
  tile_groups: u32,
}

override WG_X: u32 = 16;
override WG_Y: u32 = 4;
// Rows per thread: 4 or 8; column groups per thread (wide tile only): 1, 2 or 4 (the launcher checks).
// Accumulators are named registers; those a smaller tile does not use are removed at pipeline creation,
// where TM and TN are constants. Params.tile_rows and tile_groups repeat them as run-time values for the
// store loops, which must stay rolled (see store_out_tile).
override TM: u32 = 8;
override TN: u32 = 4;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
// weightᵀ padded to (K, 4·⌈N/4⌉): written by matmul_forward_transpose, read by matmul_forward_transposed.
@group(0) @binding(2) var<storage, read_write> wt4: array<vec4f>;
@group(0) @binding(3) var<storage, read> inp: array<f32>;
@group(0) @binding(4) var<storage, read> weight: array<f32>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read> inp4: array<vec4f>;
@group(0) @binding(7) var<storage, read> weight4: array<vec4f>;

// acc + a.x·b0 + a.y·b1 + a.z·b2 + a.w·b3, left to right: four reduction steps in order, each rounded.
fn matmul_step4(acc: vec4f, a: vec4f, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) -> vec4f {
  return acc + a.x * b0 + a.y * b1 + a.z * b2 + a.w * b3;
}

// Writes the thread's tile (rows row..row+TM−1, columns col..col+3) plus the bias, skipping what lies
// outside (M,N). One rolled loop with a run-time bound (Params.tile_rows = TM): lavapipe expands each
// store site lane by lane with bounds checks, and an unrolled 8×4 tile made compiles 5× longer.
fn store_out_tile(row: u32, col: u32, acc: array<vec4f, 8>) {
  let rows = min(p.tile_rows, p.M - row);
  for (var e = 0u; e < rows * 4u; e++) {
    let m = row + e / 4u;
    let n = col + e % 4u;
    if (n < p.N) {
      var v = acc[e / 4u][e % 4u];
      if (p.has_bias != 0u) {
        v = v + bias[n];
      }
      out[m * p.N + n] = v;
    }
  }
}

// First row and column of this thread's tile, or row ≥ M for the idle threads of the last row tile.
fn matmul_tile_origin(wid: vec3u, lid: vec3u, nwg: vec3u) -> vec2u {
  let row_tile = wid.y + wid.z * nwg.y;
  return vec2u((row_tile * WG_Y + lid.y) * TM, (wid.x * WG_X + lid.x) * 4u);
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_forward_vec4(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                       @builtin(num_workgroups) nwg: vec3u) {
  let origin = matmul_tile_origin(wid, lid, nwg);
  let row = origin.x;
  let col = origin.y;
  if (row >= p.M || col >= p.N) {
    return;
  }
  let K4 = p.K / 4u;
  // vec4 offsets of the rows this thread reads: weight rows are output columns.
  let w0 = min(col, p.N - 1u) * K4;
  let w1 = min(col + 1u, p.N - 1u) * K4;
  let w2 = min(col + 2u, p.N - 1u) * K4;
  let w3 = min(col + 3u, p.N - 1u) * K4;
  let a0 = min(row, p.M - 1u) * K4;
  let a1 = min(row + 1u, p.M - 1u) * K4;
  let a2 = min(row + 2u, p.M - 1u) * K4;
  let a3 = min(row + 3u, p.M - 1u) * K4;
  let a4 = min(row + 4u, p.M - 1u) * K4;
  let a5 = min(row + 5u, p.M - 1u) * K4;
  let a6 = min(row + 6u, p.M - 1u) * K4;
  let a7 = min(row + 7u, p.M - 1u) * K4;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0);
  var acc5 = vec4f(0.0);
  var acc6 = vec4f(0.0);
  var acc7 = vec4f(0.0);
  for (var k4 = 0u; k4 < K4; k4++) {
    // weight[n, 4k4 .. 4k4+3] for the four columns, regrouped as bj = the four columns at k = 4k4 + j.
    let c0 = weight4[w0 + k4];
    let c1 = weight4[w1 + k4];
    let c2 = weight4[w2 + k4];
    let c3 = weight4[w3 + k4];
    let b0 = vec4f(c0.x, c1.x, c2.x, c3.x);
    let b1 = vec4f(c0.y, c1.y, c2.y, c3.y);
    let b2 = vec4f(c0.z, c1.z, c2.z, c3.z);
    let b3 = vec4f(c0.w, c1.w, c2.w, c3.w);
    acc0 = matmul_step4(acc0, inp4[a0 + k4], b0, b1, b2, b3);
    acc1 = matmul_step4(acc1, inp4[a1 + k4], b0, b1, b2, b3);
    acc2 = matmul_step4(acc2, inp4[a2 + k4], b0, b1, b2, b3);
    acc3 = matmul_step4(acc3, inp4[a3 + k4], b0, b1, b2, b3);
    if (TM == 8u) {
      acc4 = matmul_step4(acc4, inp4[a4 + k4], b0, b1, b2, b3);
      acc5 = matmul_step4(acc5, inp4[a5 + k4], b0, b1, b2, b3);
      acc6 = matmul_step4(acc6, inp4[a6 + k4], b0, b1, b2, b3);
      acc7 = matmul_step4(acc7, inp4[a7 + k4], b0, b1, b2, b3);
    }
  }
  store_out_tile(row, col, array<vec4f, 8>(acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7));
}

// Any shape: one k per iteration with scalar loads (rows need not be 16-byte aligned), the same order.
@compute @workgroup_size(WG_X, WG_Y)
fn matmul_forward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                  @builtin(num_workgroups) nwg: vec3u) {
  let origin = matmul_tile_origin(wid, lid, nwg);
  let row = origin.x;
  let col = origin.y;
  if (row >= p.M || col >= p.N) {
    return;
  }
  let w0 = min(col, p.N - 1u) * p.K;
  let w1 = min(col + 1u, p.N - 1u) * p.K;
  let w2 = min(col + 2u, p.N - 1u) * p.K;
  let w3 = min(col + 3u, p.N - 1u) * p.K;
  let a0 = min(row, p.M - 1u) * p.K;
  let a1 = min(row + 1u, p.M - 1u) * p.K;
  let a2 = min(row + 2u, p.M - 1u) * p.K;
  let a3 = min(row + 3u, p.M - 1u) * p.K;
  let a4 = min(row + 4u, p.M - 1u) * p.K;
  let a5 = min(row + 5u, p.M - 1u) * p.K;
  let a6 = min(row + 6u, p.M - 1u) * p.K;
  let a7 = min(row + 7u, p.M - 1u) * p.K;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0);
  var acc5 = vec4f(0.0);
  var acc6 = vec4f(0.0);
  var acc7 = vec4f(0.0);
  for (var k = 0u; k < p.K; k++) {
    let b = vec4f(weight[w0 + k], weight[w1 + k], weight[w2 + k], weight[w3 + k]);
    acc0 = acc0 + inp[a0 + k] * b;
    acc1 = acc1 + inp[a1 + k] * b;
    acc2 = acc2 + inp[a2 + k] * b;
    acc3 = acc3 + inp[a3 + k] * b;
    if (TM == 8u) {
      acc4 = acc4 + inp[a4 + k] * b;
      acc5 = acc5 + inp[a5 + k] * b;
      acc6 = acc6 + inp[a6 + k] * b;
      acc7 = acc7 + inp[a7 + k] * b;
    }
  }
  store_out_tile(row, col, array<vec4f, 8>(acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7));
}

// wt[k, 4·n4 .. 4·n4+3] = weight[4·n4 .. 4·n4+3, k], zero past N. One thread per vec4 of wt.
@compute @workgroup_size(WG_X, WG_Y)
fn matmul_forward_transpose(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lidx: u32,
                            @builtin(num_workgroups) nwg: vec3u) {
  let N4 = (p.N + 3u) / 4u;
  let i = (wid.x + wid.y * nwg.x) * WG_X * WG_Y + lidx;
  if (i >= p.K * N4) {
    return;
  }
  let k = i / N4;
  let n = (i % N4) * 4u;
  var v = vec4f(0.0);
  for (var c = 0u; c < 4u; c++) {
    if (n + c < p.N) {
      v[c] = weight[(n + c) * p.K + k];
    }
  }
  wt4[i] = v;
}

// Writes a wide tile (rows row..row+TM−1, column groups c4 + g·WG_X for g < TN) plus the bias; acc[r·4 + g]
// holds row r, group g. Rolled like store_out_tile.
fn store_out_wide(row: u32, c4: u32, acc: array<vec4f, 32>) {
  let rows = min(p.tile_rows, p.M - row);
  let per_row = p.tile_groups * 4u;
  for (var e = 0u; e < rows * per_row; e++) {
    let r = e / per_row;
    let g = (e % per_row) / 4u;
    let n = (c4 + g * WG_X) * 4u + e % 4u;
    if (n < p.N) {
      var v = acc[r * 4u + g][e % 4u];
      if (p.has_bias != 0u) {
        v = v + bias[n];
      }
      out[(row + r) * p.N + n] = v;
    }
  }
}

// out = inp·wt with the wide tile (see the header): per k, TN vec4 of wt and one inp scalar per row.
@compute @workgroup_size(WG_X, WG_Y)
fn matmul_forward_transposed(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                             @builtin(num_workgroups) nwg: vec3u) {
  let row = ((wid.y + wid.z * nwg.y) * WG_Y + lid.y) * TM;
  let c4 = wid.x * TN * WG_X + lid.x;
  let N4 = (p.N + 3u) / 4u;
  if (row >= p.M || c4 >= N4) {
    return;
  }
  let g1 = min(c4 + WG_X, N4 - 1u);
  let g2 = min(c4 + 2u * WG_X, N4 - 1u);
  let g3 = min(c4 + 3u * WG_X, N4 - 1u);
  let a0 = min(row, p.M - 1u) * p.K;
  let a1 = min(row + 1u, p.M - 1u) * p.K;
  let a2 = min(row + 2u, p.M - 1u) * p.K;
  let a3 = min(row + 3u, p.M - 1u) * p.K;
  let a4 = min(row + 4u, p.M - 1u) * p.K;
  let a5 = min(row + 5u, p.M - 1u) * p.K;
  let a6 = min(row + 6u, p.M - 1u) * p.K;
  let a7 = min(row + 7u, p.M - 1u) * p.K;
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
  for (var k = 0u; k < p.K; k++) {
    let w = k * N4;
    let b0 = wt4[w + c4];
    var b1 = b0;
    var b2 = b0;
    var b3 = b0;
    if (TN > 1u) {
      b1 = wt4[w + g1];
    }
    if (TN > 2u) {
      b2 = wt4[w + g2];
      b3 = wt4[w + g3];
    }
    // Every load of the step first, then the arithmetic: loads interleaved with 32 live accumulators made
    // LLVM spill around each lane-by-lane load on lavapipe (2× slower).
    let x0 = inp[a0 + k];
    let x1 = inp[a1 + k];
    let x2 = inp[a2 + k];
    let x3 = inp[a3 + k];
    var x4 = x0;
    var x5 = x0;
    var x6 = x0;
    var x7 = x0;
    if (TM == 8u) {
      x4 = inp[a4 + k];
      x5 = inp[a5 + k];
      x6 = inp[a6 + k];
      x7 = inp[a7 + k];
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
  store_out_wide(row, c4, array<vec4f, 32>(acc00, acc01, acc02, acc03, acc10, acc11, acc12, acc13, acc20, acc21,
                                           acc22, acc23, acc30, acc31, acc32, acc33, acc40, acc41, acc42, acc43,
                                           acc50, acc51, acc52, acc53, acc60, acc61, acc62, acc63, acc70, acc71,
                                           acc72, acc73));
}
