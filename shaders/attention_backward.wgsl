// attention_backward: dqkv (B,T,3C) of out_i = Σ_j p_ij v_j, p_ij = exp(s_ij − lse_i), s_ij = q_i·k_j/√hd
// dout (B,T,C), qkv (B,T,3C), mask (B,T) u32, out (B,T,C) and lse (B,NH,T) from attention_forward
// → dqkv (B,T,3C) (written, or added to when p.accumulate = 1), delta (B,NH,T) workspace.
// reference: src/ref/attention.ts attentionBackward
// With D_i = dout_i·out_i (= Σ_j p_ij dp_ij), dp_ij = dout_i·v_j and ds_ij = p_ij (dp_ij − D_i):
//   dq_i = Σ_j ds_ij k_j/√hd,   dk_j = Σ_i ds_ij q_i/√hd,   dv_j = Σ_i p_ij dout_i.
// Two entry points, dispatched in this order, each over (ceil(T/(4·WG)), B·NH) workgroups folded like
// the forward; one invocation owns four consecutive rows of one head, transposed in registers as there:
//   attention_backward_dq:  query rows: writes D_i to delta, walks the keys in order, sums dq_i.
//   attention_backward_dkv: key rows: walks the queries in order, sums dk_j and dv_j.
// Every gradient row is summed by one invocation in a fixed order: no atomics, no cross-invocation
// reduction, results independent of WG. p is recomputed as exp_det4(s − lse) from scores computed with
// the forward's exact arithmetic (row_dot), so the scores are bitwise the forward's.
// Padded query rows get dq = 0 and contribute nothing; padded keys get dk = dv = 0.
struct Params { B: u32, T: u32, C: u32, NH: u32, accumulate: u32, }

override WG: u32 = 16;
// Head size / 4; see attention_forward.
override HD4: u32 = 16;
const MAX_HD4: u32 = 32;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dqkv: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> delta: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<vec4f>;
@group(0) @binding(4) var<storage, read> qkv: array<vec4f>;
@group(0) @binding(5) var<storage, read> mask: array<u32>;
@group(0) @binding(6) var<storage, read> out: array<vec4f>;
@group(0) @binding(7) var<storage, read> lse: array<f32>;

// exp_det (the deterministic exp shared by every kernel) on each component: the same operations in the
// same order, so each component is bitwise exp_det of it. Cody–Waite reduction by ln2 and a degree-7
// polynomial using only + * floor ldexp, which all drivers round identically; below -87 the result
// would be subnormal (flushed on some drivers), so it is 0 there.
fn exp_det4(x: vec4f) -> vec4f {
  let xc = min(x, vec4f(88.0));
  let k = floor(xc * 1.44269504 + 0.5);
  let r = (xc - k * 0.693145752) - k * 1.42860677e-6;
  var q = vec4f(1.98412698e-4);
  q = q * r + 1.38888889e-3;
  q = q * r + 8.33333333e-3;
  q = q * r + 4.16666667e-2;
  q = q * r + 1.66666667e-1;
  q = q * r + 0.5;
  q = q * r + 1.0;
  q = q * r + 1.0;
  return select(ldexp(q, vec4i(k)), vec4f(0.0), x < vec4f(-87.0));
}

// One head's slice of a qkv row (starting at vec4 index at) into row. The loop bound is the runtime
// head size (equal to HD4) so that drivers keep this loop rolled: memory accesses are what lavapipe
// compiles slowest (about a second per unrolled copy), so each one appears once in the code.
fn load_qkv_row(row: ptr<function, array<vec4f, MAX_HD4>>, at: u32) {
  let hd4 = p.C / (4u * p.NH);
  for (var d4 = 0u; d4 < hd4; d4++) { (*row)[d4] = qkv[at + d4]; }
}

// One head's slice of a dout row into row (rolled, as load_qkv_row).
fn load_dout_row(row: ptr<function, array<vec4f, MAX_HD4>>, at: u32) {
  let hd4 = p.C / (4u * p.NH);
  for (var d4 = 0u; d4 < hd4; d4++) { (*row)[d4] = dout[at + d4]; }
}

// Reads component r of the transposed rows t back into row x.
fn transpose_out(x: ptr<function, array<vec4f, MAX_HD4>>, t: ptr<function, array<vec4f, 4u * MAX_HD4>>, r: u32) {
  for (var d4 = 0u; d4 < HD4; d4++) {
    (*x)[d4] = vec4f((*t)[4u * d4][r], (*t)[4u * d4 + 1u][r], (*t)[4u * d4 + 2u][r], (*t)[4u * d4 + 3u][r]);
  }
}

// Dot products of one row x with the four transposed rows in t (t[4·d4 + c] holds dimension 4·d4 + c of
// all four), summed in the one order every attention kernel uses: partial sums over d ≡ c (mod 4), then
// ((Σ₀ + Σ₁) + (Σ₂ + Σ₃)).
fn row_dot(t: ptr<function, array<vec4f, 4u * MAX_HD4>>, x: ptr<function, array<vec4f, MAX_HD4>>) -> vec4f {
  var a0 = vec4f(0.0);
  var a1 = vec4f(0.0);
  var a2 = vec4f(0.0);
  var a3 = vec4f(0.0);
  for (var d4 = 0u; d4 < HD4; d4++) {
    let xd = (*x)[d4];
    a0 = a0 + (*t)[4u * d4] * xd.x;
    a1 = a1 + (*t)[4u * d4 + 1u] * xd.y;
    a2 = a2 + (*t)[4u * d4 + 2u] * xd.z;
    a3 = a3 + (*t)[4u * d4 + 3u] * xd.w;
  }
  return (a0 + a1) + (a2 + a3);
}

// t += w ⊗ x: row x weighted by w[r] added to transposed row r, for the four rows.
fn row_axpy(t: ptr<function, array<vec4f, 4u * MAX_HD4>>, w: vec4f, x: ptr<function, array<vec4f, MAX_HD4>>) {
  for (var d4 = 0u; d4 < HD4; d4++) {
    let xd = (*x)[d4];
    (*t)[4u * d4] = (*t)[4u * d4] + w * xd.x;
    (*t)[4u * d4 + 1u] = (*t)[4u * d4 + 1u] + w * xd.y;
    (*t)[4u * d4 + 2u] = (*t)[4u * d4 + 2u] + w * xd.z;
    (*t)[4u * d4 + 3u] = (*t)[4u * d4 + 3u] + w * xd.w;
  }
}

// Writes row x into component r of the transposed rows t.
fn transpose_in(t: ptr<function, array<vec4f, 4u * MAX_HD4>>, r: u32, x: ptr<function, array<vec4f, MAX_HD4>>) {
  for (var d4 = 0u; d4 < HD4; d4++) {
    let xd = (*x)[d4];
    (*t)[4u * d4][r] = xd.x;
    (*t)[4u * d4 + 1u][r] = xd.y;
    (*t)[4u * d4 + 2u][r] = xd.z;
    (*t)[4u * d4 + 3u][r] = xd.w;
  }
}

// Zeroes the four transposed rows.
fn transpose_zero(t: ptr<function, array<vec4f, 4u * MAX_HD4>>) {
  for (var d4 = 0u; d4 < HD4; d4++) {
    (*t)[4u * d4] = vec4f(0.0);
    (*t)[4u * d4 + 1u] = vec4f(0.0);
    (*t)[4u * d4 + 2u] = vec4f(0.0);
    (*t)[4u * d4 + 3u] = vec4f(0.0);
  }
}

// Stores component r of the transposed gradient rows t, times factor, at dqkv vec4 index at (zeros if
// !keep), added to what is there when p.accumulate is set. Rolled like load_qkv_row, through row.
fn store_grad(row: ptr<function, array<vec4f, MAX_HD4>>, t: ptr<function, array<vec4f, 4u * MAX_HD4>>, r: u32, factor: f32, keep: bool, at: u32) {
  transpose_out(row, t, r);
  let accumulate = p.accumulate != 0u;
  let hd4 = p.C / (4u * p.NH);
  for (var d4 = 0u; d4 < hd4; d4++) {
    let g = select(vec4f(0.0), (*row)[d4] * factor, keep);
    dqkv[at + d4] = select(g, dqkv[at + d4] + g, accumulate);
  }
}

@compute @workgroup_size(WG)
fn attention_backward_dq(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let bh = wid.y + wid.z * nwg.y;
  if (bh >= p.B * p.NH) { return; }
  let b = bh / p.NH;
  let h = bh % p.NH;
  let c4 = p.C / 4u;
  let seq = b * p.T;
  let k_at = seq * 3u * c4 + c4 + h * HD4;
  let v_at = k_at + c4;
  let i0 = (wid.x * WG + lid.x) * 4u;
  let hd4 = p.C / (4u * p.NH); // = HD4, as a runtime loop bound (see load_qkv_row)
  // Rows of this invocation inside the sequence; a runtime bound for the reason given in attention_forward.
  let rows = min(p.T, i0 + 4u) - min(p.T, i0);
  var row: array<vec4f, MAX_HD4>;
  var qt: array<vec4f, 4u * MAX_HD4>; // the four queries, transposed
  var gt: array<vec4f, 4u * MAX_HD4>; // their dout rows
  var dqt: array<vec4f, 4u * MAX_HD4>; // dq accumulators
  transpose_zero(&qt);
  transpose_zero(&gt);
  transpose_zero(&dqt);
  var lse4 = vec4f(0.0);
  var d_i = vec4f(0.0); // D_i = dout_i·out_i
  for (var r = 0u; r < rows; r++) {
    let i = i0 + r;
    load_qkv_row(&row, (seq + i) * 3u * c4 + h * HD4);
    transpose_in(&qt, r, &row);
    let g_at = (seq + i) * c4 + h * HD4;
    load_dout_row(&row, g_at);
    transpose_in(&gt, r, &row);
    var dsum = vec4f(0.0);
    for (var d4 = 0u; d4 < hd4; d4++) { dsum = dsum + row[d4] * out[g_at + d4]; }
    d_i[r] = (dsum.x + dsum.y) + (dsum.z + dsum.w);
    lse4[r] = lse[bh * p.T + i];
    delta[bh * p.T + i] = d_i[r];
  }
  let scale = 1.0 / sqrt(f32(HD4 * 4u));
  var krow: array<vec4f, MAX_HD4>;
  for (var j = 0u; j < p.T; j++) {
    if (mask[seq + j] == 0u) { continue; }
    load_qkv_row(&krow, k_at + j * 3u * c4);
    let s = row_dot(&qt, &krow) * scale;
    load_qkv_row(&row, v_at + j * 3u * c4);
    let dp = row_dot(&gt, &row);
    let ds = exp_det4(s - lse4) * (dp - d_i);
    row_axpy(&dqt, ds, &krow);
  }
  for (var r = 0u; r < rows; r++) {
    let i = i0 + r;
    store_grad(&row, &dqt, r, scale, mask[seq + i] != 0u, (seq + i) * 3u * c4 + h * HD4);
  }
}

@compute @workgroup_size(WG)
fn attention_backward_dkv(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let bh = wid.y + wid.z * nwg.y;
  if (bh >= p.B * p.NH) { return; }
  let b = bh / p.NH;
  let h = bh % p.NH;
  let c4 = p.C / 4u;
  let seq = b * p.T;
  let j0 = (wid.x * WG + lid.x) * 4u;
  let rows = min(p.T, j0 + 4u) - min(p.T, j0);
  var row: array<vec4f, MAX_HD4>;
  var kt: array<vec4f, 4u * MAX_HD4>; // the four keys, transposed
  var vt: array<vec4f, 4u * MAX_HD4>; // their values
  var dkt: array<vec4f, 4u * MAX_HD4>; // dk accumulators
  var dvt: array<vec4f, 4u * MAX_HD4>; // dv accumulators
  transpose_zero(&kt);
  transpose_zero(&vt);
  transpose_zero(&dkt);
  transpose_zero(&dvt);
  for (var r = 0u; r < rows; r++) {
    let k_at = (seq + j0 + r) * 3u * c4 + c4 + h * HD4;
    load_qkv_row(&row, k_at);
    transpose_in(&kt, r, &row);
    load_qkv_row(&row, k_at + c4);
    transpose_in(&vt, r, &row);
  }
  let scale = 1.0 / sqrt(f32(HD4 * 4u));
  var qrow: array<vec4f, MAX_HD4>;
  for (var i = 0u; i < p.T; i++) {
    if (mask[seq + i] == 0u) { continue; }
    load_qkv_row(&qrow, (seq + i) * 3u * c4 + h * HD4);
    // Bitwise the forward's score: row_dot multiplies k·q where the forward multiplies q·k, and f32
    // multiplication commutes exactly.
    let s = row_dot(&kt, &qrow) * scale;
    load_dout_row(&row, (seq + i) * c4 + h * HD4);
    let dp = row_dot(&vt, &row);
    let pr = exp_det4(s - lse[bh * p.T + i]);
    let ds = pr * (dp - delta[bh * p.T + i]);
    row_axpy(&dvt, pr, &row);
    row_axpy(&dkt, ds, &qrow);
  }
  for (var r = 0u; r < rows; r++) {
    let j = j0 + r;
    let keep = mask[seq + j] != 0u;
    let k_at = (seq + j) * 3u * c4 + c4 + h * HD4;
    store_grad(&row, &dkt, r, scale, keep, k_at);
    store_grad(&row, &dvt, r, 1.0, keep, k_at + c4);
  }
}
