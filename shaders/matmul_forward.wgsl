// matmul_forward: out[m,n] = Σ_k inp[m,k]·weight[n,k] (+ bias[n]), i.e. out = inp·weightᵀ + bias
// inp (M,K), weight (N,K) as torch.nn.Linear stores it (out_features, in_features), bias (N) → out (M,N);
// all row-major f32. The contrastive scores S = Q·Pᵀ are the same op without bias.
// reference: src/ref/matmul.ts matmulForward (f64); matmulForwardF32 is its bit-exact f32 twin
//
// Dispatch: workgroups of WG_X × WG_Y threads. Each thread owns a register tile of TM rows × 4 adjacent
// columns (TM vec4 accumulators, one per row), so a workgroup covers (WG_Y·TM) rows × (4·WG_X) columns.
// Grid: (ceil(N / (4·WG_X)), row tiles) with the ceil(M / (WG_Y·TM)) row tiles folded into (y, z) past
// 65535; the kernel linearises row tile = wid.y + wid.z·nwg.y.
// Entry points: matmul_forward_vec4 when K % 4 == 0 (vec4 loads along k, rows 16-byte aligned);
// matmul_forward for any M, N, K ≥ 1 (scalar loads, one k per iteration).
//
// Determinism: every out[m,n] is one f32 accumulator that adds inp[m,k]·weight[n,k] for k = 0, 1, …, K−1
// in that order, then the bias. Overrides and the entry point only decide which thread computes which
// output, never the order, so all of them give the same bits (tests/kernels/matmul.test.ts checks it).
// matmul_step4 spells the four updates out because dot() has an unspecified summation order.
//
// Edges: a thread's rows and columns past M or N load from the last valid row/column (clamped, so every
// load stays in bounds and no padding value can reach a real output) and are not stored. Out-of-range k
// is never read (no zero padding that could turn an Inf into NaN).
//
// Why no workgroup memory: on lavapipe (the CI adapter) every storage or workgroup load inside a loop is
// executed lane by lane (8 SIMD lanes, with a bounds check per component), so a tile staged through
// workgroup memory costs as much to read as global memory, plus barriers. What pays is the number of
// multiply-adds per loaded value: a TM×4 register tile does 4·TM of them per 4 + TM loaded values.
struct Params {
  M: u32,
  N: u32,
  K: u32,
  has_bias: u32,
  tile_rows: u32,
}

override WG_X: u32 = 16;
override WG_Y: u32 = 4;
// Rows per thread: 4 or 8 (the launcher checks). Accumulators are named registers acc0…acc7; the rows a
// smaller TM does not use are removed at pipeline creation, where TM is a constant. Params.tile_rows
// repeats TM as a run-time value, for store_out_tile.
override TM: u32 = 8;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> inp: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> inp4: array<vec4f>;
@group(0) @binding(6) var<storage, read> weight4: array<vec4f>;

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
  if (row >= p.M) {
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
  if (row >= p.M) {
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
