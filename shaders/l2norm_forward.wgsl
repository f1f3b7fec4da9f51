// l2norm_forward: out = x / max(‖x‖, 1e-12) per row (torch.nn.functional.normalize); norm = ‖x‖
// inp (N, C) → out (N, C), norm (N) (the unclamped ‖x‖, for the backward pass).
// dispatch: l2norm_forward: one workgroup of LANES = 64 invocations per row (GPUs); l2norm_forward_rows:
// one invocation per row, grid1d(N, WG) (CPU adapters). Rows folded to (x, y) past 65535 workgroups.
// reference: src/ref/l2norm.ts l2normForward
//
// Fixed reduction order, as in layernorm_forward: lane l sums x² over c = l, l+64, ... in order, then
// row_lanes_sum adds the 64 lane sums in a fixed order. No override or subgroup size changes it, so
// scores computed from normalised embeddings are bit-identical on every device. l2norm_forward_rows
// computes the 64 lane sums one after another and adds them in row_lanes_sum's order: same bits.
struct Params { rows: u32, C: u32, }

const LANES: u32 = 64u; // = the literal @workgroup_size of the entry
const L2_EPS: f32 = 1e-12;

override WG: u32 = 64u; // invocations per workgroup of l2norm_forward_rows (any value, same result)

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> norm: array<f32>;
@group(0) @binding(3) var<storage, read> inp: array<f32>;

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

// Lane `lane`'s Σx² of the row, as that lane of l2norm_forward computes it.
fn rows_lane_sumsq(base: u32, lane: u32) -> f32 {
  var ss = 0.0;
  for (var c = lane; c < p.C; c += LANES) {
    let x = inp[base + c];
    ss += x * x;
  }
  return ss;
}

@compute @workgroup_size(WG)
fn l2norm_forward_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= p.rows) { return; }
  let base = row * p.C;
  var total = 0.0;
  for (var o = 0u; o < 8u; o++) {
    var octet = rows_lane_sumsq(base, 8u * o);
    for (var j = 1u; j < 8u; j++) {
      octet = octet + rows_lane_sumsq(base, 8u * o + j);
    }
    total = select(total + octet, octet, o == 0u);
  }
  let n = sqrt(total);
  let d = max(n, L2_EPS);
  for (var c = 0u; c < p.C; c++) {
    out[base + c] = inp[base + c] / d;
  }
  norm[row] = n;
}
