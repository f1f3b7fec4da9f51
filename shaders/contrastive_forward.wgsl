// contrastive_forward: per-row softmax cross-entropy of contrastive scores, positive of row i in column i
// logit_ij = scale·S_ij over the columns j of row i with mask_ij ≠ 0 (column i, the positive, always counts);
//   row_stats[i] = (smax_i, logsum_i), smax_i = max_j S_ij, logsum_i = log Σ_j exp(scale·(S_ij − smax_i));
//   row_loss[i] = scale·(smax_i − S_ii) + logsum_i  (= logsumexp_j logit_ij − logit_ii)
// scores (B, N) f32 with N = B in-batch columns + W shared negatives; mask (B, N) u32, read only when
// p.use_mask = 1 → row_stats (B, 2), row_loss (B). The mean over rows is reduce_sum.wgsl (scale 1/B),
// which the launcher records right after this kernel.
// dispatch: one workgroup of LANES = 64 invocations per row, rows folded to (x, y) past 65535; lane l
// visits columns l, l + 64, … . LANES is a constant, not an override, so the summation order, hence the
// result bits, are the same on every device (forward kernels must agree across runtimes).
// reference: src/ref/contrastive.ts contrastiveForward.
// Numerics: the max is subtracted before scaling, scale·(S_ij − smax_i): the difference of two nearby
// scores is exact (Sterbenz), so scores near 1e4 lose nothing; exp_det/log_det keep drivers in agreement.
struct Params { rows: u32, cols: u32, scale: f32, use_mask: u32, }

const LANES: u32 = 64u;
const LOWEST: f32 = -3.40282346e38;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> row_stats: array<f32>;
@group(0) @binding(2) var<storage, read_write> row_loss: array<f32>;
@group(0) @binding(3) var<storage, read> scores: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<u32>;

var<workgroup> lane_max: array<f32, LANES>;
var<workgroup> lane_sum: array<f32, LANES>;

// Deterministic exp: Cody–Waite reduction by ln2 and a degree-7 polynomial using only + * floor ldexp,
// which all drivers round identically; builtin exp differs by a few ULP between drivers (RUNTIME.md §4).
// Below -87 the result would be subnormal (flushed on some drivers), so it is 0 there.
fn exp_det(x: f32) -> f32 {
  if (x < -87.0) { return 0.0; }
  let xc = min(x, 88.0);
  let k = floor(xc * 1.44269504 + 0.5);
  let r = (xc - k * 0.693145752) - k * 1.42860677e-6;
  var q = 1.98412698e-4;
  q = q * r + 1.38888889e-3;
  q = q * r + 8.33333333e-3;
  q = q * r + 4.16666667e-2;
  q = q * r + 1.66666667e-1;
  q = q * r + 0.5;
  q = q * r + 1.0;
  q = q * r + 1.0;
  return ldexp(q, i32(k));
}

// Deterministic natural log for normal x > 0: exponent from the bits, mantissa in [sqrt(1/2), sqrt(2)),
// then log(m) = 2·atanh(s), s = (m-1)/(m+1), as an odd polynomial in s.
fn log_det(x: f32) -> f32 {
  let bits = bitcast<u32>(x);
  var e = i32((bits >> 23u) & 0xffu) - 127;
  var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
  if (m > 1.41421356) {
    m = m * 0.5;
    e = e + 1;
  }
  let s = (m - 1.0) / (m + 1.0);
  let s2 = s * s;
  var q = 0.111111111;
  q = q * s2 + 0.142857143;
  q = q * s2 + 0.2;
  q = q * s2 + 0.333333333;
  q = q * s2 + 1.0;
  let fe = f32(e);
  return fe * 0.693145752 + (fe * 1.42860677e-6 + 2.0 * s * q);
}

fn counts(row: u32, col: u32) -> bool {
  return col == row || p.use_mask == 0u || mask[row * p.cols + col] != 0u;
}

@compute @workgroup_size(64)
fn contrastive_forward(
  @builtin(local_invocation_index) lane: u32,
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  // workgroup_id is uniform, so this early exit keeps the barriers below in uniform control flow.
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.cols;

  var m = LOWEST;
  for (var c = lane; c < p.cols; c += LANES) {
    if (counts(row, c)) { m = max(m, scores[base + c]); }
  }
  lane_max[lane] = m;
  workgroupBarrier();
  for (var half = LANES / 2u; half > 0u; half >>= 1u) {
    if (lane < half) { lane_max[lane] = max(lane_max[lane], lane_max[lane + half]); }
    workgroupBarrier();
  }
  let smax = lane_max[0];

  var acc = 0.0;
  for (var c = lane; c < p.cols; c += LANES) {
    if (counts(row, c)) { acc += exp_det(p.scale * (scores[base + c] - smax)); }
  }
  lane_sum[lane] = acc;
  workgroupBarrier();
  for (var half = LANES / 2u; half > 0u; half >>= 1u) {
    if (lane < half) { lane_sum[lane] = lane_sum[lane] + lane_sum[lane + half]; }
    workgroupBarrier();
  }
  if (lane == 0u) {
    // The row max contributes exp(0) = 1, so the sum is ≥ 1 and log_det sees a normal number.
    let logsum = log_det(lane_sum[0]);
    row_stats[2u * row] = smax;
    row_stats[2u * row + 1u] = logsum;
    row_loss[row] = p.scale * (smax - scores[base + row]) + logsum;
  }
}
