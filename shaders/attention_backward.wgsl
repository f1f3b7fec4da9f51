// attention_backward: dqkv (B,T,3C) of out_i = Σ_j p_ij v_j, p_ij = exp(q_i·k_j/√hd − lse_i) over valid keys
// dout (B,T,C), qkv (B,T,3C), mask (B,T) u32, out (B,T,C), lse (B,NH,T) from attention_forward
// → dqkv (B,T,3C) (written, or added to when p.accumulate = 1), delta (B,NH,T) workspace.
// reference: src/ref/attention.ts attentionBackward
// With D_i = dout_i·out_i (= Σ_j p_ij dp_ij), dp_ij = dout_i·v_j and ds_ij = p_ij (dp_ij − D_i):
//   dq_i = Σ_j ds_ij k_j/√hd,   dk_j = Σ_i ds_ij q_i/√hd,   dv_j = Σ_i p_ij dout_i.
// Two entry points, dispatched in this order, each (ceil(T/WG), B·NH) workgroups folded like the forward:
//   attention_backward_dq:  one invocation per query row: writes D_i to delta, walks the keys, sums dq_i.
//   attention_backward_dkv: one invocation per key row: walks the queries, sums dk_j and dv_j.
// Every gradient row is summed by one invocation in a fixed order, so there are no atomics and no
// cross-invocation reductions: deterministic and independent of WG. p is recomputed from lse with the
// forward's exact score arithmetic (same dot-product order, same exp_det), so it is the forward's p.
// As in the forward, all invocations of a workgroup share (b, h): the rows a loop walks are uniform loads.
// Padded query rows get dq = 0 and contribute nothing; padded keys get dk = dv = 0.
struct Params { B: u32, T: u32, C: u32, NH: u32, accumulate: u32, }

override WG: u32 = 64;
// Head size / 4; see attention_forward.
override HD4: u32 = 16;
const MAX_HD4: u32 = 32;
// Rows per block of the inner loop; a const so the summation order is fixed (see attention_forward).
const KB: u32 = 4;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dqkv: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> delta: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<vec4f>;
@group(0) @binding(4) var<storage, read> qkv: array<vec4f>;
@group(0) @binding(5) var<storage, read> mask: array<u32>;
@group(0) @binding(6) var<storage, read> out: array<vec4f>;
@group(0) @binding(7) var<storage, read> lse: array<f32>;

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

// The one summation order for the four lane partials of a dot product, shared with attention_forward.
fn sum4(a: vec4f) -> f32 {
  return (a.x + a.y) + (a.z + a.w);
}

// Valid flags of the key (or query) block starting at t0: in range and not padding. Out-of-range slots
// are loaded from row T-1 (clamped) and then ignored.
fn block_valid(seq: u32, t0: u32) -> vec4<bool> {
  let t = vec4u(t0, t0 + 1u, t0 + 2u, t0 + 3u);
  let m = vec4u(mask[seq + min(t.x, p.T - 1u)], mask[seq + min(t.y, p.T - 1u)], mask[seq + min(t.z, p.T - 1u)], mask[seq + min(t.w, p.T - 1u)]);
  return (t < vec4u(p.T)) & (m != vec4u(0u));
}

// Writes (or adds) one head's slice of one dqkv row.
fn store_grad(at: u32, g: array<vec4f, MAX_HD4>) {
  for (var d = 0u; d < HD4; d++) {
    if (p.accumulate != 0u) {
      dqkv[at + d] = dqkv[at + d] + g[d];
    } else {
      dqkv[at + d] = g[d];
    }
  }
}

@compute @workgroup_size(WG)
fn attention_backward_dq(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let bh = wid.y + wid.z * nwg.y;
  let i = wid.x * WG + lid.x;
  if (bh >= p.B * p.NH || i >= p.T) { return; }
  let b = bh / p.NH;
  let h = bh % p.NH;
  let c4 = p.C / 4u;
  let seq = b * p.T;
  let q_at = (seq + i) * 3u * c4 + h * HD4;
  var dq: array<vec4f, MAX_HD4>;
  for (var d = 0u; d < HD4; d++) { dq[d] = vec4f(0.0); }
  if (mask[seq + i] == 0u) {
    delta[bh * p.T + i] = 0.0;
    store_grad(q_at, dq);
    return;
  }
  let g_at = (seq + i) * c4 + h * HD4;
  var q: array<vec4f, MAX_HD4>;
  var g: array<vec4f, MAX_HD4>;
  var dsum = vec4f(0.0);
  for (var d = 0u; d < HD4; d++) {
    q[d] = qkv[q_at + d];
    g[d] = dout[g_at + d];
    dsum = dsum + g[d] * out[g_at + d];
  }
  let D = sum4(dsum);
  delta[bh * p.T + i] = D;
  let lse_i = lse[bh * p.T + i];
  let k_at = seq * 3u * c4 + c4 + h * HD4;
  let v_at = k_at + c4;
  let scale = 1.0 / sqrt(f32(HD4 * 4u));
  for (var j0 = 0u; j0 < p.T; j0 += KB) {
    let valid = block_valid(seq, j0);
    if (!any(valid)) { continue; }
    let r0 = min(j0, p.T - 1u) * 3u * c4;
    let r1 = min(j0 + 1u, p.T - 1u) * 3u * c4;
    let r2 = min(j0 + 2u, p.T - 1u) * 3u * c4;
    let r3 = min(j0 + 3u, p.T - 1u) * 3u * c4;
    var a0 = vec4f(0.0);
    var a1 = vec4f(0.0);
    var a2 = vec4f(0.0);
    var a3 = vec4f(0.0);
    var e0 = vec4f(0.0);
    var e1 = vec4f(0.0);
    var e2 = vec4f(0.0);
    var e3 = vec4f(0.0);
    for (var d = 0u; d < HD4; d++) {
      let qd = q[d];
      let gd = g[d];
      a0 = a0 + qd * qkv[k_at + r0 + d];
      a1 = a1 + qd * qkv[k_at + r1 + d];
      a2 = a2 + qd * qkv[k_at + r2 + d];
      a3 = a3 + qd * qkv[k_at + r3 + d];
      e0 = e0 + gd * qkv[v_at + r0 + d];
      e1 = e1 + gd * qkv[v_at + r1 + d];
      e2 = e2 + gd * qkv[v_at + r2 + d];
      e3 = e3 + gd * qkv[v_at + r3 + d];
    }
    let s = vec4f(sum4(a0), sum4(a1), sum4(a2), sum4(a3)) * scale;
    let pr = select(vec4f(0.0), vec4f(exp_det(s.x - lse_i), exp_det(s.y - lse_i), exp_det(s.z - lse_i), exp_det(s.w - lse_i)), valid);
    let ds = pr * (vec4f(sum4(e0), sum4(e1), sum4(e2), sum4(e3)) - D);
    for (var d = 0u; d < HD4; d++) {
      dq[d] = dq[d] + ds.x * qkv[k_at + r0 + d] + ds.y * qkv[k_at + r1 + d] + ds.z * qkv[k_at + r2 + d] + ds.w * qkv[k_at + r3 + d];
    }
  }
  for (var d = 0u; d < HD4; d++) { dq[d] = dq[d] * scale; }
  store_grad(q_at, dq);
}

@compute @workgroup_size(WG)
fn attention_backward_dkv(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let bh = wid.y + wid.z * nwg.y;
  let j = wid.x * WG + lid.x;
  if (bh >= p.B * p.NH || j >= p.T) { return; }
  let b = bh / p.NH;
  let h = bh % p.NH;
  let c4 = p.C / 4u;
  let seq = b * p.T;
  let k_at = (seq + j) * 3u * c4 + c4 + h * HD4;
  let v_at = k_at + c4;
  var dk: array<vec4f, MAX_HD4>;
  var dv: array<vec4f, MAX_HD4>;
  for (var d = 0u; d < HD4; d++) {
    dk[d] = vec4f(0.0);
    dv[d] = vec4f(0.0);
  }
  if (mask[seq + j] == 0u) {
    store_grad(k_at, dk);
    store_grad(v_at, dv);
    return;
  }
  var k: array<vec4f, MAX_HD4>;
  var v: array<vec4f, MAX_HD4>;
  for (var d = 0u; d < HD4; d++) {
    k[d] = qkv[k_at + d];
    v[d] = qkv[v_at + d];
  }
  let q_at = seq * 3u * c4 + h * HD4;
  let g_at = seq * c4 + h * HD4;
  let row_at = bh * p.T; // lse and delta of this sequence and head
  let scale = 1.0 / sqrt(f32(HD4 * 4u));
  for (var i0 = 0u; i0 < p.T; i0 += KB) {
    let valid = block_valid(seq, i0);
    if (!any(valid)) { continue; }
    let i1 = min(i0 + 1u, p.T - 1u);
    let i2 = min(i0 + 2u, p.T - 1u);
    let i3 = min(i0 + 3u, p.T - 1u);
    let r0 = min(i0, p.T - 1u) * 3u * c4;
    let r1 = i1 * 3u * c4;
    let r2 = i2 * 3u * c4;
    let r3 = i3 * 3u * c4;
    let o0 = min(i0, p.T - 1u) * c4;
    let o1 = i1 * c4;
    let o2 = i2 * c4;
    let o3 = i3 * c4;
    var a0 = vec4f(0.0);
    var a1 = vec4f(0.0);
    var a2 = vec4f(0.0);
    var a3 = vec4f(0.0);
    var e0 = vec4f(0.0);
    var e1 = vec4f(0.0);
    var e2 = vec4f(0.0);
    var e3 = vec4f(0.0);
    for (var d = 0u; d < HD4; d++) {
      let kd = k[d];
      let vd = v[d];
      a0 = a0 + qkv[q_at + r0 + d] * kd;
      a1 = a1 + qkv[q_at + r1 + d] * kd;
      a2 = a2 + qkv[q_at + r2 + d] * kd;
      a3 = a3 + qkv[q_at + r3 + d] * kd;
      e0 = e0 + dout[g_at + o0 + d] * vd;
      e1 = e1 + dout[g_at + o1 + d] * vd;
      e2 = e2 + dout[g_at + o2 + d] * vd;
      e3 = e3 + dout[g_at + o3 + d] * vd;
    }
    let s = vec4f(sum4(a0), sum4(a1), sum4(a2), sum4(a3)) * scale;
    let l4 = vec4f(lse[row_at + min(i0, p.T - 1u)], lse[row_at + i1], lse[row_at + i2], lse[row_at + i3]);
    let d4 = vec4f(delta[row_at + min(i0, p.T - 1u)], delta[row_at + i1], delta[row_at + i2], delta[row_at + i3]);
    let pr = select(vec4f(0.0), vec4f(exp_det(s.x - l4.x), exp_det(s.y - l4.y), exp_det(s.z - l4.z), exp_det(s.w - l4.w)), valid);
    let ds = pr * (vec4f(sum4(e0), sum4(e1), sum4(e2), sum4(e3)) - d4);
    for (var d = 0u; d < HD4; d++) {
      dv[d] = dv[d] + pr.x * dout[g_at + o0 + d] + pr.y * dout[g_at + o1 + d] + pr.z * dout[g_at + o2 + d] + pr.w * dout[g_at + o3 + d];
      dk[d] = dk[d] + ds.x * qkv[q_at + r0 + d] + ds.y * qkv[q_at + r1 + d] + ds.z * qkv[q_at + r2 + d] + ds.w * qkv[q_at + r3 + d];
    }
  }
  for (var d = 0u; d < HD4; d++) { dk[d] = dk[d] * scale; }
  store_grad(k_at, dk);
  store_grad(v_at, dv);
}
