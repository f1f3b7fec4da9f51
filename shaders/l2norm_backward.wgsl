// l2norm_backward: with n = ‖x‖ saved by l2norm_forward and y = x/n,
//   dinp (+)= (dout − y·(y·dout)) / n   when n > 1e-12
//   dinp (+)= dout / 1e-12              otherwise (the divisor is the constant eps there)
// dout, inp (N, C), norm (N) → dinp (N, C).
// dispatch: l2norm_backward: one workgroup of LANES = 64 invocations per row (GPUs); l2norm_backward_rows:
// one invocation per row, grid1d(N, WG) (CPU adapters); same lane order as the forward, same results
// from both. Rows folded to (x, y) past 65535 workgroups.
// reference: src/ref/l2norm.ts l2normBackward
struct Params { rows: u32, C: u32, accumulate: u32, }

const LANES: u32 = 64u; // = the literal @workgroup_size of the entry
const L2_EPS: f32 = 1e-12;

override WG: u32 = 64u; // invocations per workgroup of l2norm_backward_rows (any value, same result)

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dinp: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read> inp: array<f32>;
@group(0) @binding(4) var<storage, read> norm: array<f32>;

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

// y·dout = (x·dout)/n is passed in; dividing step by step keeps n² from overflowing or underflowing.
fn l2norm_store_dinp(i: u32, n: f32, y_dot_dout: f32) {
  let dy = dout[i];
  var dx = select(dy / L2_EPS, (dy - (inp[i] / n) * y_dot_dout) / n, n > L2_EPS);
  if (p.accumulate != 0u) {
    dx = dinp[i] + dx;
  }
  dinp[i] = dx;
}

@compute @workgroup_size(64)
fn l2norm_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lane: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.C;
  var s = 0.0;
  for (var c = lane; c < p.C; c += LANES) {
    s += inp[base + c] * dout[base + c];
  }
  let x_dot_dout = row_lanes_sum(lane, vec2<f32>(s, 0.0)).x;
  let n = norm[row];
  for (var c = lane; c < p.C; c += LANES) {
    l2norm_store_dinp(base + c, n, x_dot_dout / n);
  }
}

// Lane `lane`'s Σx·dout of the row, as that lane of l2norm_backward computes it.
fn rows_lane_x_dout(base: u32, lane: u32) -> f32 {
  var s = 0.0;
  for (var c = lane; c < p.C; c += LANES) {
    s += inp[base + c] * dout[base + c];
  }
  return s;
}

@compute @workgroup_size(WG)
fn l2norm_backward_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= p.rows) { return; }
  let base = row * p.C;
  var x_dot_dout = 0.0;
  for (var o = 0u; o < 8u; o++) {
    var octet = rows_lane_x_dout(base, 8u * o);
    for (var j = 1u; j < 8u; j++) {
      octet = octet + rows_lane_x_dout(base, 8u * o + j);
    }
    x_dot_dout = select(x_dot_dout + octet, octet, o == 0u);
  }
  let n = norm[row];
  for (var c = 0u; c < p.C; c++) {
    l2norm_store_dinp(base + c, n, x_dot_dout / n);
  }
}
