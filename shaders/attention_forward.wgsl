// attention_forward: out_i = Σ_j softmax_j(q_i·k_j/√hd) v_j over valid keys j, lse_i = log Σ_j exp(q_i·k_j/√hd)
// qkv (B,T,3C) = [q | k | v], head h in columns h·hd..(h+1)·hd of each; mask (B,T) u32, 1 = token, 0 = padding
// → out (B,T,C) (heads concatenated), lse (B,NH,T) (saved for attention_backward).
// reference: src/ref/attention.ts attentionForward
// Dispatch (ceil(T/WG), B·NH) workgroups, the second dimension folded into (y, z) past 65535. One
// invocation owns one query row of one head: its q and its output accumulator live in registers and it
// walks the keys of its sequence in order, so no barrier, no workgroup memory and no cross-invocation
// reduction exists; the result cannot depend on WG. Invocations of a workgroup share (b, h), so every key
// and value load has the same address across the subgroup: a uniform (broadcast) load, not a gather,
// which is what makes this layout fast on lavapipe's 8-wide SIMD.
// Online softmax over blocks of KB = 4 keys: the running max is updated once per block and the
// accumulator rescaled only when it grows. KB is a const, not an override, because the block boundaries
// fix the rounding sequence; four scores also fit one vec4 and give four independent dot-product chains.
// Padded keys are excluded by select (never -inf arithmetic); blocks with no valid key are skipped.
// exp/log are the deterministic exp_det/log_det, so the output is bit-identical across drivers.
// Padded query rows write zeros (and lse 0); a row whose sequence has no valid key also gets zeros.
struct Params { B: u32, T: u32, C: u32, NH: u32, }

override WG: u32 = 64;
// Head size / 4. The pipeline is specialised per head size so the d-loops have constant trip counts and
// the per-row arrays below can live in registers.
override HD4: u32 = 16;
const MAX_HD4: u32 = 32;
override QR: u32 = 1;
const MAX_QR: u32 = 4; // head size ≤ 128
const KB: u32 = 4;
// Running-max start; finite so that no -inf ever enters arithmetic. exp_det(NEG_BIG - s) is 0.
const NEG_BIG: f32 = -3.0e38;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> lse: array<f32>;
@group(0) @binding(3) var<storage, read> qkv: array<vec4f>;
@group(0) @binding(4) var<storage, read> mask: array<u32>;

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

// The one summation order for the four lane partials of a dot product; attention_backward uses the same
// one, so the scores it recomputes are bitwise the forward's.
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

@compute @workgroup_size(WG)
fn attention_forward(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let bh = wid.y + wid.z * nwg.y;
  if (bh >= p.B * p.NH) { return; }
  let b = bh / p.NH;
  let h = bh % p.NH;
  let c4 = p.C / 4u;
  let seq = b * p.T; // first token of this sequence
  let k_at = seq * 3u * c4 + c4 + h * HD4;
  let v_at = k_at + c4;
  let first = (wid.x * WG + lid.x) * QR;
  var q: array<array<vec4f, MAX_HD4>, MAX_QR>;
  var acc: array<array<vec4f, MAX_HD4>, MAX_QR>;
  var m: array<f32, MAX_QR>;
  var l: array<f32, MAX_QR>;
  for (var r = 0u; r < QR; r++) {
    let q_at = (seq + min(first + r, p.T - 1u)) * 3u * c4 + h * HD4;
    for (var d = 0u; d < HD4; d++) {
      q[r][d] = qkv[q_at + d];
      acc[r][d] = vec4f(0.0);
    }
    m[r] = NEG_BIG;
    l[r] = 0.0;
  }
  let scale = 1.0 / sqrt(f32(HD4 * 4u));
  var kb: array<array<vec4f, MAX_HD4>, KB>;
  var vb: array<array<vec4f, MAX_HD4>, KB>;
  for (var j0 = 0u; j0 < p.T; j0 += KB) {
    let valid = block_valid(seq, j0);
    if (!any(valid)) { continue; }
    for (var t = 0u; t < KB; t++) {
      let row = min(j0 + t, p.T - 1u) * 3u * c4;
      for (var d = 0u; d < HD4; d++) {
        kb[t][d] = qkv[k_at + row + d];
        vb[t][d] = qkv[v_at + row + d];
      }
    }
    for (var r = 0u; r < QR; r++) {
      var a0 = vec4f(0.0);
      var a1 = vec4f(0.0);
      var a2 = vec4f(0.0);
      var a3 = vec4f(0.0);
      for (var d = 0u; d < HD4; d++) {
        let qd = q[r][d];
        a0 = a0 + qd * kb[0][d];
        a1 = a1 + qd * kb[1][d];
        a2 = a2 + qd * kb[2][d];
        a3 = a3 + qd * kb[3][d];
      }
      let s = vec4f(sum4(a0), sum4(a1), sum4(a2), sum4(a3)) * scale;
      let sv = select(vec4f(NEG_BIG), s, valid);
      let block_max = max(max(sv.x, sv.y), max(sv.z, sv.w));
      if (block_max > m[r]) {
        let alpha = exp_det(m[r] - block_max);
        l[r] = l[r] * alpha;
        for (var d = 0u; d < HD4; d++) { acc[r][d] = acc[r][d] * alpha; }
        m[r] = block_max;
      }
      let e = select(vec4f(0.0), vec4f(exp_det(s.x - m[r]), exp_det(s.y - m[r]), exp_det(s.z - m[r]), exp_det(s.w - m[r])), valid);
      l[r] = l[r] + sum4(e);
      for (var d = 0u; d < HD4; d++) {
        acc[r][d] = acc[r][d] + e.x * vb[0][d] + e.y * vb[1][d] + e.z * vb[2][d] + e.w * vb[3][d];
      }
    }
  }
  for (var r = 0u; r < QR; r++) {
    let i = first + r;
    if (i < p.T) {
      // Padded query rows (and, defensively, rows of a sequence without any valid key) store zeros.
      let keep = mask[seq + i] != 0u && l[r] > 0.0;
      let out_at = (seq + i) * c4 + h * HD4;
      for (var d = 0u; d < HD4; d++) { out[out_at + d] = select(vec4f(0.0), acc[r][d] / l[r], keep); }
      lse[bh * p.T + i] = select(0.0, m[r] + log_det(l[r]), keep);
    }
  }
}
