// attention_forward: out_i = Σ_j p_ij v_j, p_ij = exp(s_ij − lse_i), s_ij = q_i·k_j/√hd over valid keys j, lse_i = log Σ_j exp s_ij
// qkv (B,T,3C) = [q | k | v], head h in columns h·hd..(h+1)·hd of each; mask (B,T) u32, 1 = token, 0 = padding
// → out (B,T,C) (heads concatenated), lse (B,NH,T) (saved for attention_backward).
// reference: src/ref/attention.ts attentionForward
// Dispatch (ceil(T/(4·WG)), B·NH) workgroups, B·NH folded into (y, z) past 65535. One invocation owns
// four consecutive query rows of one head and walks the keys of its sequence in order, keeping its
// queries and output accumulators in registers, transposed so that one vec4 holds one dimension of the
// four rows: each key or value element loaded serves four queries. No barrier, no workgroup memory and
// no cross-invocation reduction exists, so results cannot depend on WG (or on which invocation owns which
// row); every row is computed by the same sequence of operations.
// Online softmax over blocks of KB = 4 keys: the running max is updated once per block and the
// accumulator rescaled when it grows. KB is a const because the block boundaries fix the rounding.
// Padded keys are excluded by select (never -inf arithmetic). exp/log are the deterministic
// exp_det/log_det, so the output is bit-identical across drivers. Padded query rows store zeros and
// lse 0; so does a row whose sequence has no valid key (the caller guarantees a [CLS] token).
// Scores use the dot-product order shared with attention_backward (row_dot), so the scores the backward
// recomputes are bitwise the ones this pass used.
struct Params { B: u32, T: u32, C: u32, NH: u32, }

override WG: u32 = 16;
// Head size / 4. Pipelines are specialised per head size: the d-loops get constant trip counts, unroll,
// and the per-row arrays live in registers.
override HD4: u32 = 16;
const MAX_HD4: u32 = 32; // head size ≤ 128
const KB: u32 = 4;
// Running-max start: finite, so no -inf ever enters arithmetic; exp_det(NEG_BIG − s) is 0.
const NEG_BIG: f32 = -3.0e38;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> lse: array<f32>;
@group(0) @binding(3) var<storage, read> qkv: array<vec4f>;
@group(0) @binding(4) var<storage, read> mask: array<u32>;

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

// Reads component r of the transposed rows t back into row x.
fn transpose_out(x: ptr<function, array<vec4f, MAX_HD4>>, t: ptr<function, array<vec4f, 4u * MAX_HD4>>, r: u32) {
  for (var d4 = 0u; d4 < HD4; d4++) {
    (*x)[d4] = vec4f((*t)[4u * d4][r], (*t)[4u * d4 + 1u][r], (*t)[4u * d4 + 2u][r], (*t)[4u * d4 + 3u][r]);
  }
}

@compute @workgroup_size(WG)
fn attention_forward(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let bh = wid.y + wid.z * nwg.y;
  if (bh >= p.B * p.NH) { return; }
  let b = bh / p.NH;
  let h = bh % p.NH;
  let c4 = p.C / 4u;
  let seq = b * p.T; // first token of this sequence
  // qkv row r starts at vec4 r·3·c4; q, k, v of head h at +h·HD4, +c4 + h·HD4, +2·c4 + h·HD4.
  let k_at = seq * 3u * c4 + c4 + h * HD4;
  let v_at = k_at + c4;
  let i0 = (wid.x * WG + lid.x) * 4u;
  // This invocation's rows inside the sequence (0 to 4). Loops over rows use this runtime bound on
  // purpose: drivers unroll loops with constant bounds, and on lavapipe every unrolled copy of a load
  // costs about a second of shader compile time. Missing rows keep q = 0 and are never stored.
  let rows = min(p.T, i0 + 4u) - min(p.T, i0);
  var row: array<vec4f, MAX_HD4>;
  var qt: array<vec4f, 4u * MAX_HD4>; // qt[d] = (q_i0[d], q_i1[d], q_i2[d], q_i3[d])
  var ot: array<vec4f, 4u * MAX_HD4>; // output accumulators, same layout
  for (var d4 = 0u; d4 < HD4; d4++) {
    qt[4u * d4] = vec4f(0.0);
    qt[4u * d4 + 1u] = vec4f(0.0);
    qt[4u * d4 + 2u] = vec4f(0.0);
    qt[4u * d4 + 3u] = vec4f(0.0);
    ot[4u * d4] = vec4f(0.0);
    ot[4u * d4 + 1u] = vec4f(0.0);
    ot[4u * d4 + 2u] = vec4f(0.0);
    ot[4u * d4 + 3u] = vec4f(0.0);
  }
  for (var r = 0u; r < rows; r++) {
    load_qkv_row(&row, (seq + i0 + r) * 3u * c4 + h * HD4);
    transpose_in(&qt, r, &row);
  }
  let scale = 1.0 / sqrt(f32(HD4 * 4u));
  var m = vec4f(NEG_BIG); // running max per query
  var l = vec4f(0.0); // running Σ exp(s − m) per query
  var sc: array<vec4f, KB>; // scores of the block's keys (each a vec4 over the four queries)
  var ew: array<vec4f, KB>; // their weights exp(s − m)
  for (var j0 = 0u; j0 < p.T; j0 += KB) {
    var valid: array<bool, KB>;
    var any_valid = false;
    for (var t = 0u; t < KB; t++) {
      let j = j0 + t;
      valid[t] = j < p.T && mask[seq + min(j, p.T - 1u)] != 0u;
      any_valid = any_valid || valid[t];
    }
    if (!any_valid) { continue; }
    for (var t = 0u; t < KB; t++) {
      load_qkv_row(&row, k_at + min(j0 + t, p.T - 1u) * 3u * c4);
      sc[t] = select(vec4f(NEG_BIG), row_dot(&qt, &row) * scale, valid[t]);
    }
    let block_max = max(max(sc[0], sc[1]), max(sc[2], sc[3]));
    let grow = block_max > m;
    if (any(grow)) {
      // alpha is exactly 1 where the max did not grow, so those rows are untouched.
      let alpha = select(vec4f(1.0), exp_det4(m - block_max), grow);
      l = l * alpha;
      for (var d4 = 0u; d4 < HD4; d4++) {
        ot[4u * d4] = ot[4u * d4] * alpha;
        ot[4u * d4 + 1u] = ot[4u * d4 + 1u] * alpha;
        ot[4u * d4 + 2u] = ot[4u * d4 + 2u] * alpha;
        ot[4u * d4 + 3u] = ot[4u * d4 + 3u] * alpha;
      }
      m = select(m, block_max, grow);
    }
    for (var t = 0u; t < KB; t++) { ew[t] = select(vec4f(0.0), exp_det4(sc[t] - m), valid[t]); }
    l = l + ((ew[0] + ew[1]) + (ew[2] + ew[3]));
    for (var t = 0u; t < KB; t++) {
      load_qkv_row(&row, v_at + min(j0 + t, p.T - 1u) * 3u * c4);
      row_axpy(&ot, ew[t], &row);
    }
  }
  let hd4 = p.C / (4u * p.NH); // = HD4; a runtime bound keeps the store loop rolled (see load_qkv_row)
  for (var r = 0u; r < rows; r++) {
    let i = i0 + r;
    let keep = mask[seq + i] != 0u && l[r] > 0.0;
    transpose_out(&row, &ot, r);
    let out_at = (seq + i) * c4 + h * HD4;
    for (var d4 = 0u; d4 < hd4; d4++) { out[out_at + d4] = select(vec4f(0.0), row[d4] / l[r], keep); }
    lse[bh * p.T + i] = select(0.0, m[r] + log_det(l[r]), keep);
  }
}
