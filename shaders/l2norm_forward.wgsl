// l2norm_forward: out = x / max(‖x‖, 1e-12) per row (torch.nn.functional.normalize); norm = ‖x‖
// inp (N, C) → out (N, C), norm (N) (the unclamped ‖x‖, for the backward pass).
// dispatch: one workgroup of LANES = 64 invocations per row, rows folded to (x, y) past 65535.
// reference: src/ref/l2norm.ts l2normForward
//
// Fixed reduction order, as in layernorm_forward: lane l sums x² over c = l, l+64, ... in order, then a
// 64-leaf tree in workgroup memory. No override or subgroup size changes it, so scores computed from
// normalised embeddings are bit-identical on every device.
struct Params { rows: u32, C: u32, }

const LANES: u32 = 64u; // = the literal @workgroup_size of the entry
const L2_EPS: f32 = 1e-12;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> norm: array<f32>;
@group(0) @binding(3) var<storage, read> inp: array<f32>;

var<workgroup> row_tree: array<vec2<f32>, LANES>;

// Sum over the LANES lanes of one value each, as a fixed binary tree; every lane gets the total.
// Contains barriers: every lane of the workgroup must call it (uniform control flow).
fn row_lanes_sum(lane: u32, v: vec2<f32>) -> vec2<f32> {
  row_tree[lane] = v;
  workgroupBarrier();
  for (var stride = LANES / 2u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) {
      row_tree[lane] = row_tree[lane] + row_tree[lane + stride];
    }
    workgroupBarrier();
  }
  let total = row_tree[0];
  // The next call overwrites row_tree; nobody may still be reading this total from it.
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(64)
fn l2norm_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lane: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.C;
  var ss = 0.0;
  for (var c = lane; c < p.C; c += LANES) {
    let x = inp[base + c];
    ss += x * x;
  }
  let n = sqrt(row_lanes_sum(lane, vec2<f32>(ss, 0.0)).x);
  let d = max(n, L2_EPS);
  for (var c = lane; c < p.C; c += LANES) {
    out[base + c] = inp[base + c] / d;
  }
  if (lane == 0u) {
    norm[row] = n;
  }
}
