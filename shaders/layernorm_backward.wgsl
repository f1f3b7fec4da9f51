// layernorm_backward: with x̂ = (x − μ)·rstd and g = w·dout,
//   dinp = rstd·(g − mean(g) − x̂·mean(g·x̂)),  dweight = Σ_rows dout·x̂,  dbias = Σ_rows dout
// dout, inp (N, C); weight (C); mean, rstd (N) saved by layernorm_forward → dinp (N, C), dweight, dbias (C).
// reference: src/ref/layernorm.ts layernormBackward
//
// Two stages, no atomics, fixed order:
// 1. layernorm_backward_dinp[_vec4]: workgroup g (LANES = 64 invocations) owns rows
//    [g·R, (g+1)·R), R = p.rows_per_group, one row at a time. Per row the two means use the same
//    quad/lane order as layernorm_forward; lane l then writes dinp for its quads l + 64m
//    (m < QUADS_PER_LANE) and adds dout·x̂ and dout into register accumulators for those quads.
//    At the end the group's sums go to partials (2, G, C): dweight partials, then dbias partials.
//    Dispatch: G = ceil(N/R) workgroups, folded to (x, y) past 65535.
//    On CPU adapters, where barriers are expensive, stage 1 is split in two with the same arithmetic:
//    layernorm_backward_dinp_rows_vec4 (one invocation per row; the lane sums computed one after another
//    and added in row_lanes_sum's order) and layernorm_backward_partials_vec4 (one invocation per (group,
//    quad), rows of the group in order). Both mappings give bit-identical dinp, dweight and dbias.
// 2. layernorm_backward_dparams: one invocation per channel sums the G partials in group order.
//    Dispatch: ceil(C/WG) workgroups.
// Registers, not workgroup memory, hold the accumulators: no zero-initialised shared array per workgroup
// and no array-size override that would compile a pipeline per C. The price is C ≤ 4·64·QUADS_PER_LANE
// = 1024 (BERT-large); the launcher checks it.
// accumulate (Params) makes each stage add into its outputs instead of overwriting them.
// Bindings: scalar (array<f32>) and vec4 views of the same tensors; each entry uses one set, and the
// launcher binds whichever its entry needs (outputs come before inputs across both sets).
struct Params { rows: u32, C: u32, rows_per_group: u32, accumulate: u32, }

const LANES: u32 = 64u; // = the literal @workgroup_size of the row entries
const QUADS_PER_LANE: u32 = 4u;
override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dinp: array<f32>;
@group(0) @binding(2) var<storage, read_write> dinp4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;
@group(0) @binding(4) var<storage, read_write> partials4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(6) var<storage, read_write> dbias: array<f32>;
@group(0) @binding(7) var<storage, read> dout: array<f32>;
@group(0) @binding(8) var<storage, read> inp: array<f32>;
@group(0) @binding(9) var<storage, read> weight: array<f32>;
@group(0) @binding(10) var<storage, read> mean: array<f32>;
@group(0) @binding(11) var<storage, read> rstd: array<f32>;
@group(0) @binding(12) var<storage, read> dout4: array<vec4<f32>>;
@group(0) @binding(13) var<storage, read> inp4: array<vec4<f32>>;
@group(0) @binding(14) var<storage, read> weight4: array<vec4<f32>>;
@group(0) @binding(15) var<storage, read> partials_in: array<f32>;

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

fn dout_quad(base: u32, k: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  for (var j = 0u; j < 4u; j++) {
    let c = 4u * k + j;
    if (c < p.C) {
      v[j] = dout[base + c];
    }
  }
  return v;
}

fn weight_quad(k: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  for (var j = 0u; j < 4u; j++) {
    let c = 4u * k + j;
    if (c < p.C) {
      v[j] = weight[c];
    }
  }
  return v;
}

fn quad_live(k: u32) -> vec4<bool> {
  return vec4<u32>(4u * k) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(p.C);
}

fn row_group(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.x + wid.y * nwg.x;
}

fn group_count() -> u32 {
  return (p.rows + p.rows_per_group - 1u) / p.rows_per_group;
}

@compute @workgroup_size(64)
fn layernorm_backward_dinp(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lane: u32) {
  let group = row_group(wid, nwg);
  let groups = group_count();
  if (group >= groups) { return; }
  let quads = (p.C + 3u) / 4u;
  let n = f32(p.C);
  var acc_dweight: array<vec4<f32>, QUADS_PER_LANE>;
  var acc_dbias: array<vec4<f32>, QUADS_PER_LANE>;
  let row_end = min(p.rows, (group + 1u) * p.rows_per_group);
  for (var row = group * p.rows_per_group; row < row_end; row++) {
    let base = row * p.C;
    let mu = mean[row];
    let r = rstd[row];
    var sg = vec4<f32>(0.0);
    var sgx = vec4<f32>(0.0);
    for (var m = 0u; m < QUADS_PER_LANE; m++) {
      let k = lane + m * LANES;
      if (k < quads) {
        // Padding is zeroed: x̂ of a padded channel would be −μ·rstd, which can be huge.
        let xhat = select(vec4<f32>(0.0), (inp_quad(base, k) - vec4<f32>(mu)) * r, quad_live(k));
        let g = weight_quad(k) * dout_quad(base, k);
        sg += g;
        sgx += g * xhat;
      }
    }
    let sums = row_lanes_sum(lane, vec2<f32>(row_lanes_fold(sg), row_lanes_fold(sgx)));
    let g_mean = sums.x / n;
    let gx_mean = sums.y / n;
    for (var m = 0u; m < QUADS_PER_LANE; m++) {
      let k = lane + m * LANES;
      if (k < quads) {
        let dy = dout_quad(base, k);
        let xhat = select(vec4<f32>(0.0), (inp_quad(base, k) - vec4<f32>(mu)) * r, quad_live(k));
        let dx = ((weight_quad(k) * dy - vec4<f32>(g_mean)) - xhat * gx_mean) * r;
        acc_dweight[m] += dy * xhat;
        acc_dbias[m] += dy;
        for (var j = 0u; j < 4u; j++) {
          let c = 4u * k + j;
          if (c < p.C) {
            var v = dx[j];
            if (p.accumulate != 0u) {
              v = dinp[base + c] + v;
            }
            dinp[base + c] = v;
          }
        }
      }
    }
  }
  for (var m = 0u; m < QUADS_PER_LANE; m++) {
    let k = lane + m * LANES;
    for (var j = 0u; j < 4u; j++) {
      let c = 4u * k + j;
      if (c < p.C) {
        partials[group * p.C + c] = acc_dweight[m][j];
        partials[(groups + group) * p.C + c] = acc_dbias[m][j];
      }
    }
  }
}

@compute @workgroup_size(64)
fn layernorm_backward_dinp_vec4(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lane: u32) {
  let group = row_group(wid, nwg);
  let groups = group_count();
  if (group >= groups) { return; }
  let quads = p.C / 4u;
  let n = f32(p.C);
  var acc_dweight: array<vec4<f32>, QUADS_PER_LANE>;
  var acc_dbias: array<vec4<f32>, QUADS_PER_LANE>;
  let row_end = min(p.rows, (group + 1u) * p.rows_per_group);
  for (var row = group * p.rows_per_group; row < row_end; row++) {
    let base = row * quads;
    let mu = mean[row];
    let r = rstd[row];
    var sg = vec4<f32>(0.0);
    var sgx = vec4<f32>(0.0);
    for (var m = 0u; m < QUADS_PER_LANE; m++) {
      let k = lane + m * LANES;
      if (k < quads) {
        let xhat = (inp4[base + k] - vec4<f32>(mu)) * r;
        let g = weight4[k] * dout4[base + k];
        sg += g;
        sgx += g * xhat;
      }
    }
    let sums = row_lanes_sum(lane, vec2<f32>(row_lanes_fold(sg), row_lanes_fold(sgx)));
    let g_mean = sums.x / n;
    let gx_mean = sums.y / n;
    for (var m = 0u; m < QUADS_PER_LANE; m++) {
      let k = lane + m * LANES;
      if (k < quads) {
        let dy = dout4[base + k];
        let xhat = (inp4[base + k] - vec4<f32>(mu)) * r;
        var dx = ((weight4[k] * dy - vec4<f32>(g_mean)) - xhat * gx_mean) * r;
        acc_dweight[m] += dy * xhat;
        acc_dbias[m] += dy;
        if (p.accumulate != 0u) {
          dx = dinp4[base + k] + dx;
        }
        dinp4[base + k] = dx;
      }
    }
  }
  for (var m = 0u; m < QUADS_PER_LANE; m++) {
    let k = lane + m * LANES;
    if (k < quads) {
      partials4[group * quads + k] = acc_dweight[m];
      partials4[(groups + group) * quads + k] = acc_dbias[m];
    }
  }
}

@compute @workgroup_size(WG)
fn layernorm_backward_dparams(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let c = gid.x + gid.y * nwg.x * WG;
  if (c >= p.C) { return; }
  let groups = group_count();
  var dw = 0.0;
  var db = 0.0;
  for (var g = 0u; g < groups; g++) {
    dw += partials_in[g * p.C + c];
    db += partials_in[(groups + g) * p.C + c];
  }
  if (p.accumulate != 0u) {
    dw = dweight[c] + dw;
    db = dbias[c] + db;
  }
  dweight[c] = dw;
  dbias[c] = db;
}

// Lane `lane`'s partials (Σg, Σg·x̂) of a row, as that lane of layernorm_backward_dinp_vec4 computes them.
fn rows_lane_g(base: u32, lane: u32, quads: u32, mu: f32, r: f32) -> vec2<f32> {
  var sg = vec4<f32>(0.0);
  var sgx = vec4<f32>(0.0);
  for (var k = lane; k < quads; k += LANES) {
    let xhat = (inp4[base + k] - vec4<f32>(mu)) * r;
    let g = weight4[k] * dout4[base + k];
    sg += g;
    sgx += g * xhat;
  }
  return vec2<f32>(row_lanes_fold(sg), row_lanes_fold(sgx));
}

@compute @workgroup_size(WG)
fn layernorm_backward_dinp_rows_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= p.rows) { return; }
  let quads = p.C / 4u;
  let base = row * quads;
  let mu = mean[row];
  let r = rstd[row];
  var sums = vec2<f32>(0.0);
  for (var o = 0u; o < 8u; o++) {
    var octet = rows_lane_g(base, 8u * o, quads, mu, r);
    for (var j = 1u; j < 8u; j++) {
      octet = octet + rows_lane_g(base, 8u * o + j, quads, mu, r);
    }
    sums = select(sums + octet, octet, o == 0u);
  }
  let n = f32(p.C);
  let g_mean = sums.x / n;
  let gx_mean = sums.y / n;
  for (var k = 0u; k < quads; k++) {
    let dy = dout4[base + k];
    let xhat = (inp4[base + k] - vec4<f32>(mu)) * r;
    var dx = ((weight4[k] * dy - vec4<f32>(g_mean)) - xhat * gx_mean) * r;
    if (p.accumulate != 0u) {
      dx = dinp4[base + k] + dx;
    }
    dinp4[base + k] = dx;
  }
}

@compute @workgroup_size(WG)
fn layernorm_backward_partials_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  let quads = p.C / 4u;
  let groups = group_count();
  if (i >= groups * quads) { return; }
  let group = i / quads;
  let k = i % quads;
  var acc_dweight = vec4<f32>(0.0);
  var acc_dbias = vec4<f32>(0.0);
  let row_end = min(p.rows, (group + 1u) * p.rows_per_group);
  for (var row = group * p.rows_per_group; row < row_end; row++) {
    let dy = dout4[row * quads + k];
    let xhat = (inp4[row * quads + k] - vec4<f32>(mean[row])) * rstd[row];
    acc_dweight += dy * xhat;
    acc_dbias += dy;
  }
  partials4[group * quads + k] = acc_dweight;
  partials4[(groups + group) * quads + k] = acc_dbias;
}
