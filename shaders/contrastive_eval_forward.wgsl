// contrastive_eval_forward: the paper's contrastive entropy per query, in nats
//   s_c = scale · ⟨q_i, P[cand_c]⟩ over the candidates cand_0 = pos_index[i], cand_c = neg_index[i, c−1];
//   loss[i] = −log(exp s_0 / Σ_c exp s_c) = (smax − s_0) + log Σ_c exp(s_c − smax)
// query_emb (B, D), passage_emb (Np, D) (a table of passage embeddings; the indices pick rows),
// pos_index (B) u32, neg_index (B, W) u32 → loss (B), scores (B, W+1) (positive first, then the
// negatives in the order given; kept because ranks and other metrics need them)
// dispatch: one workgroup of LANES = 64 per query, folded to (x, y) past 65535; lane l owns candidates
// l, l + 64, …: it computes each dot product alone, d = 0 … D−1 in order (through vec4 views when
// use_vec4 = 1 and D % 4 = 0: a quarter of the loads, which CPU drivers issue lane by lane, and the
// same additions in the same order, so the same bits), writes the score and later
// reads back only its own scores, so no barrier is needed between the two. Sums over lanes use a fixed
// tree over the 64 lane sums.
// reference: src/ref/contrastive.ts contrastiveEvalForward.
// Bit-identical across lavapipe, SwiftShader and Chromium (tests/cross/): every dot product and sum has
// one order that does not depend on overrides or subgroups, and exp/log are exp_det/log_det.
struct Params { rows: u32, dim: u32, negatives: u32, scale: f32, use_vec4: u32, }

const LANES: u32 = 64u;
const LOWEST: f32 = -3.40282346e38;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> loss: array<f32>;
@group(0) @binding(2) var<storage, read_write> scores: array<f32>;
@group(0) @binding(3) var<storage, read> query_emb: array<f32>;
@group(0) @binding(4) var<storage, read> passage_emb: array<f32>;
@group(0) @binding(5) var<storage, read> pos_index: array<u32>;
@group(0) @binding(6) var<storage, read> neg_index: array<u32>;
// The same two buffers as vec4 (read-only views of one buffer may be bound any number of times).
@group(0) @binding(7) var<storage, read> query_emb4: array<vec4f>;
@group(0) @binding(8) var<storage, read> passage_emb4: array<vec4f>;

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

// ⟨q, p⟩ summed d = 0 … dim−1 in order on either path.
fn candidate_dot(q_base: u32, p_base: u32) -> f32 {
  var dot = 0.0;
  if (p.use_vec4 == 1u) {
    let q4 = q_base / 4u;
    let p4 = p_base / 4u;
    for (var d4 = 0u; d4 < p.dim / 4u; d4++) {
      let a = query_emb4[q4 + d4];
      let b = passage_emb4[p4 + d4];
      dot += a.x * b.x;
      dot += a.y * b.y;
      dot += a.z * b.z;
      dot += a.w * b.w;
    }
  } else {
    for (var d = 0u; d < p.dim; d++) { dot += query_emb[q_base + d] * passage_emb[p_base + d]; }
  }
  return dot;
}

@compute @workgroup_size(64)
fn contrastive_eval_forward(
  @builtin(local_invocation_index) lane: u32,
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  // workgroup_id is uniform, so this early exit keeps the barriers below in uniform control flow.
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let candidates = p.negatives + 1u;
  let q_base = row * p.dim;
  let s_base = row * candidates;

  var m = LOWEST;
  for (var c = lane; c < candidates; c += LANES) {
    var passage = pos_index[row];
    if (c > 0u) { passage = neg_index[row * p.negatives + c - 1u]; }
    let s = p.scale * candidate_dot(q_base, passage * p.dim);
    scores[s_base + c] = s;
    m = max(m, s);
  }
  lane_max[lane] = m;
  workgroupBarrier();
  for (var half = LANES / 2u; half > 0u; half >>= 1u) {
    if (lane < half) { lane_max[lane] = max(lane_max[lane], lane_max[lane + half]); }
    workgroupBarrier();
  }
  let smax = lane_max[0];

  var acc = 0.0;
  for (var c = lane; c < candidates; c += LANES) { acc += exp_det(scores[s_base + c] - smax); }
  lane_sum[lane] = acc;
  workgroupBarrier();
  for (var half = LANES / 2u; half > 0u; half >>= 1u) {
    if (lane < half) { lane_sum[lane] = lane_sum[lane] + lane_sum[lane + half]; }
    workgroupBarrier();
  }
  // Lane 0 wrote the positive's score (candidate 0) itself; the largest score adds exp(0) = 1, so the
  // sum is ≥ 1 and log_det sees a normal number.
  if (lane == 0u) { loss[row] = (smax - scores[s_base]) + log_det(lane_sum[0]); }
}
