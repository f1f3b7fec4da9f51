// layernorm_forward: out = (x − μ)·rstd·w + b per row, μ = mean(x), rstd = 1/sqrt(var(x) + eps) (biased var)
// inp (N, C), weight (C), bias (C) → out (N, C), mean (N), rstd (N); N = B·T rows.
// dispatch: layernorm_forward[_vec4]: one workgroup of LANES = 64 invocations per row (GPUs);
// layernorm_forward_rows_vec4: one invocation per row, grid1d(N, WG) (CPU adapters, where barriers are
// expensive). Rows are folded to (x, y) past 65535 workgroups.
// reference: src/ref/layernorm.ts layernormForward
//
// Fixed reduction order (so evaluation is bit-identical on every device and runtime): the row is cut
// into quads (4 consecutive channels); lane l sums quads l, l+64, l+128, ... in that order per component,
// folds the quad as (x + y) + (z + w), and row_lanes_sum adds the 64 lanes in a fixed order. LANES is a
// const, not an override, and no subgroup operation is used, so nothing tunable changes the result.
// layernorm_forward_vec4 (C % 4 == 0) loads quads as vec4; layernorm_forward (any C) builds the same
// quads from scalars, zero-padded past C; layernorm_forward_rows_vec4 computes the 64 lane sums one
// after another and adds them in row_lanes_sum's order. All three give bit-identical results.
//
// Variance by the corrected two-pass algorithm: pass 1 gives μ₁ = Σx/C; pass 2 sums d = x − μ₁ and d²;
// then μ = μ₁ + s with s = Σd/C, var = (Σd² − Σd·s)/C, and the output uses (x − μ₁) − s rather than
// x − fl(μ). Why: BERT uses eps = 1e-12, so for a (near-)constant row rstd ≈ 1e6 amplifies any rounding
// in the centred value. x − μ₁ is exact when x is near μ₁ (Sterbenz), so a constant row gets exactly 0
// and out = b, and a row constant up to a few ulps keeps its x̂ (tests/kernels/layernorm.test.ts).
// The saved mean is fl(μ₁ + s); the backward recentres with it.
// Bindings: scalar (array<f32>) and vec4 views of the same tensors; each entry uses one set, and the
// launcher binds whichever its entry needs (outputs come before inputs across both sets).
struct Params { rows: u32, C: u32, eps: f32, }

const LANES: u32 = 64u; // = the literal @workgroup_size of the workgroup-per-row entries

override WG: u32 = 64u; // invocations per workgroup of layernorm_forward_rows_vec4 (any value, same result)

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> out4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> mean: array<f32>;
@group(0) @binding(4) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(5) var<storage, read> inp: array<f32>;
@group(0) @binding(6) var<storage, read> weight: array<f32>;
@group(0) @binding(7) var<storage, read> bias: array<f32>;
@group(0) @binding(8) var<storage, read> inp4: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read> weight4: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read> bias4: array<vec4<f32>>;

var<workgroup> row_lanes: array<vec2<f32>, LANES>;
var<workgroup> row_octets: array<vec2<f32>, 8>;

// Sum over the 64 lanes of one value each, in a fixed order: lanes 0..7 each add 8 consecutive lane
// values in order, then every lane adds those 8 partials in order, so all lanes get the same total.
// Two barriers instead of a 6-level tree's seven: barriers dominate on CPU drivers (lavapipe, SwiftShader).
// No trailing barrier is needed: the next call writes row_lanes, read here only before the second
// barrier, and row_octets only after its own first barrier, which no lane reaches before finishing here.
// Contains barriers: every lane of the workgroup must call it (uniform control flow).
fn row_lanes_sum(lane: u32, v: vec2<f32>) -> vec2<f32> {
  row_lanes[lane] = v;
  workgroupBarrier();
  if (lane < 8u) {
    var s = row_lanes[8u * lane];
    for (var j = 1u; j < 8u; j++) {
      s = s + row_lanes[8u * lane + j];
    }
    row_octets[lane] = s;
  }
  workgroupBarrier();
  var total = row_octets[0];
  for (var j = 1u; j < 8u; j++) {
    total = total + row_octets[j];
  }
  return total;
}

fn row_lanes_fold(v: vec4<f32>) -> f32 {
  return (v.x + v.y) + (v.z + v.w);
}

// Quad k of the inp row starting at element `base`, zero past C.
fn inp_quad(base: u32, k: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  for (var j = 0u; j < 4u; j++) {
    let c = 4u * k + j;
    if (c < p.C) {
      v[j] = inp[base + c];
    }
  }
  return v;
}

// (Σd/C, rstd) from the pass-2 sums; shared by both entries so they round identically.
fn row_shift_rstd(sum_d: f32, sum_d2: f32) -> vec2<f32> {
  let n = f32(p.C);
  let shift = sum_d / n;
  let variance = max(sum_d2 - sum_d * shift, 0.0) / n;
  return vec2<f32>(shift, 1.0 / sqrt(variance + p.eps));
}

@compute @workgroup_size(64)
fn layernorm_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lane: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.C;
  let quads = (p.C + 3u) / 4u;
  var sx = vec4<f32>(0.0);
  for (var k = lane; k < quads; k += LANES) {
    sx += inp_quad(base, k);
  }
  let mean1 = row_lanes_sum(lane, vec2<f32>(row_lanes_fold(sx), 0.0)).x / f32(p.C);
  var sd = vec4<f32>(0.0);
  var sd2 = vec4<f32>(0.0);
  for (var k = lane; k < quads; k += LANES) {
    // Padding must contribute 0 to Σd and Σd², not −μ₁.
    let live = vec4<u32>(4u * k) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(p.C);
    let d = select(vec4<f32>(0.0), inp_quad(base, k) - vec4<f32>(mean1), live);
    sd += d;
    sd2 += d * d;
  }
  let sums = row_lanes_sum(lane, vec2<f32>(row_lanes_fold(sd), row_lanes_fold(sd2)));
  let sr = row_shift_rstd(sums.x, sums.y);
  for (var c = lane; c < p.C; c += LANES) {
    out[base + c] = ((inp[base + c] - mean1) - sr.x) * sr.y * weight[c] + bias[c];
  }
  if (lane == 0u) {
    mean[row] = mean1 + sr.x;
    rstd[row] = sr.y;
  }
}

@compute @workgroup_size(64)
fn layernorm_forward_vec4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lane: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let quads = p.C / 4u;
  let base = row * quads;
  var sx = vec4<f32>(0.0);
  for (var k = lane; k < quads; k += LANES) {
    sx += inp4[base + k];
  }
  let mean1 = row_lanes_sum(lane, vec2<f32>(row_lanes_fold(sx), 0.0)).x / f32(p.C);
  var sd = vec4<f32>(0.0);
  var sd2 = vec4<f32>(0.0);
  for (var k = lane; k < quads; k += LANES) {
    let d = inp4[base + k] - vec4<f32>(mean1);
    sd += d;
    sd2 += d * d;
  }
  let sums = row_lanes_sum(lane, vec2<f32>(row_lanes_fold(sd), row_lanes_fold(sd2)));
  let sr = row_shift_rstd(sums.x, sums.y);
  for (var k = lane; k < quads; k += LANES) {
    out4[base + k] = ((inp4[base + k] - vec4<f32>(mean1)) - vec4<f32>(sr.x)) * sr.y * weight4[k] + bias4[k];
  }
  if (lane == 0u) {
    mean[row] = mean1 + sr.x;
    rstd[row] = sr.y;
  }
}

// Lane `lane`'s pass-1 partial of the row, as that lane of layernorm_forward_vec4 computes it.
fn rows_lane_x(base: u32, lane: u32, quads: u32) -> f32 {
  var s = vec4<f32>(0.0);
  for (var k = lane; k < quads; k += LANES) {
    s += inp4[base + k];
  }
  return row_lanes_fold(s);
}

// Lane `lane`'s pass-2 partials (Σd, Σd²).
fn rows_lane_d(base: u32, lane: u32, quads: u32, mean1: f32) -> vec2<f32> {
  var sd = vec4<f32>(0.0);
  var sd2 = vec4<f32>(0.0);
  for (var k = lane; k < quads; k += LANES) {
    let d = inp4[base + k] - vec4<f32>(mean1);
    sd += d;
    sd2 += d * d;
  }
  return vec2<f32>(row_lanes_fold(sd), row_lanes_fold(sd2));
}

@compute @workgroup_size(WG)
fn layernorm_forward_rows_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= p.rows) { return; }
  let quads = p.C / 4u;
  let base = row * quads;
  // row_lanes_sum's order: octet o = lanes 8o..8o+7 added in order, then the octets in order.
  var total = 0.0;
  for (var o = 0u; o < 8u; o++) {
    var octet = rows_lane_x(base, 8u * o, quads);
    for (var j = 1u; j < 8u; j++) {
      octet = octet + rows_lane_x(base, 8u * o + j, quads);
    }
    total = select(total + octet, octet, o == 0u);
  }
  let mean1 = total / f32(p.C);
  var sums = vec2<f32>(0.0);
  for (var o = 0u; o < 8u; o++) {
    var octet = rows_lane_d(base, 8u * o, quads, mean1);
    for (var j = 1u; j < 8u; j++) {
      octet = octet + rows_lane_d(base, 8u * o + j, quads, mean1);
    }
    sums = select(sums + octet, octet, o == 0u);
  }
  let sr = row_shift_rstd(sums.x, sums.y);
  for (var k = 0u; k < quads; k++) {
    out4[base + k] = ((inp4[base + k] - vec4<f32>(mean1)) - vec4<f32>(sr.x)) * sr.y * weight4[k] + bias4[k];
  }
  mean[row] = mean1 + sr.x;
  rstd[row] = sr.y;
}
