// reduce_sum: out[0] = scale · Σ_i inp[i], i in [0, n), in one fixed order on every device
// inp (n) → out (1). The second stage of every two-stage reduction (per-workgroup partials → total):
// the contrastive loss mean over rows, the squared gradient norm over global_norm partials.
// dispatch (1, 1, 1): one workgroup of LANES = 256; lane l sums inp[l], inp[l + 256], … in index order,
// then a binary tree over the 256 lane sums. LANES is a constant, not an override, so the order (and
// the bits) depend only on n; forward kernels use this, and forward results must agree across runtimes.
// Cost: n/256 sequential loads per lane, meant for n up to ~1e5 partials.
// reference: src/ref/reduce.ts reduceSum (f64), reduceSumF32 (this exact order, in f32).
struct Params { n: u32, scale: f32, }

const LANES: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> inp: array<f32>;

var<workgroup> lane_sum: array<f32, LANES>;

@compute @workgroup_size(256)
fn reduce_sum(@builtin(local_invocation_index) lane: u32) {
  var acc = 0.0;
  for (var i = lane; i < p.n; i += LANES) { acc += inp[i]; }
  lane_sum[lane] = acc;
  workgroupBarrier();
  for (var half = LANES / 2u; half > 0u; half >>= 1u) {
    if (lane < half) { lane_sum[lane] = lane_sum[lane] + lane_sum[lane + half]; }
    workgroupBarrier();
  }
  if (lane == 0u) { out[0] = lane_sum[0] * p.scale; }
}
