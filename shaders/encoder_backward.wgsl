// encoder_backward: gradients of the embedding tables, without atomics, in a fixed order:
//   dtable[unique_ids[u], c] (+)= Σ_{k = offsets[u]}^{offsets[u+1]−1} dout[positions[k], c]   (dwte, and dwtt)
//   dwpe[t, c] (+)= Σ_{b = 0}^{B−1} dout[b, t, c] for t < T; rows t ≥ T get 0 (or are kept when accumulating)
// dout (B, T, C); CSR of the batch's ids from src/util/csr.ts tokenCsr (unique_ids ascending, positions
// = flat b·T + t, ascending within an id) → dtable (V or types, C), dwpe (P, C).
// dispatch: one invocation per (gradient row, channel) or per (row, vec4 of channels) for the _vec4
// entries (C % 4 == 0): grid1d(rows·C [/4], WG), rows = the number of unique ids (encoder_backward_rows)
// or P (encoder_backward_positions); consecutive invocations take consecutive channels, so each read of
// dout is coalesced.
// reference: src/ref/encoder.ts encoderBackward
// Rows of dtable absent from the batch are not touched here; the launcher clears dtable first unless
// accumulating.
// Bindings: scalar (array<f32>) and vec4 views of the same tensors; each entry uses one set, and the
// launcher binds whichever its entry needs (outputs come before inputs across both sets).
struct Params { rows: u32, B: u32, T: u32, C: u32, accumulate: u32, }

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dtable: array<f32>;
@group(0) @binding(2) var<storage, read_write> dtable4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dwpe: array<f32>;
@group(0) @binding(4) var<storage, read_write> dwpe4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> unique_ids: array<u32>;
@group(0) @binding(6) var<storage, read> offsets: array<u32>;
@group(0) @binding(7) var<storage, read> positions: array<u32>;
@group(0) @binding(8) var<storage, read> dout: array<f32>;
@group(0) @binding(9) var<storage, read> dout4: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn encoder_backward_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.rows * p.C) { return; }
  let u = i / p.C;
  let c = i % p.C;
  var acc = 0.0;
  for (var k = offsets[u]; k < offsets[u + 1u]; k++) {
    acc += dout[positions[k] * p.C + c];
  }
  let at = unique_ids[u] * p.C + c;
  if (p.accumulate != 0u) {
    acc = dtable[at] + acc;
  }
  dtable[at] = acc;
}

@compute @workgroup_size(WG)
fn encoder_backward_rows_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  let quads = p.C / 4u;
  if (i >= p.rows * quads) { return; }
  let u = i / quads;
  let q = i % quads;
  var acc = vec4<f32>(0.0);
  for (var k = offsets[u]; k < offsets[u + 1u]; k++) {
    acc += dout4[positions[k] * quads + q];
  }
  let at = unique_ids[u] * quads + q;
  if (p.accumulate != 0u) {
    acc = dtable4[at] + acc;
  }
  dtable4[at] = acc;
}

@compute @workgroup_size(WG)
fn encoder_backward_positions(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.rows * p.C) { return; }
  let t = i / p.C;
  let c = i % p.C;
  var acc = 0.0;
  if (t < p.T) {
    for (var b = 0u; b < p.B; b++) {
      acc += dout[(b * p.T + t) * p.C + c];
    }
  }
  if (p.accumulate != 0u) {
    acc = dwpe[i] + acc;
  }
  dwpe[i] = acc;
}

@compute @workgroup_size(WG)
fn encoder_backward_positions_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  let quads = p.C / 4u;
  if (i >= p.rows * quads) { return; }
  let t = i / quads;
  let q = i % quads;
  var acc = vec4<f32>(0.0);
  if (t < p.T) {
    for (var b = 0u; b < p.B; b++) {
      acc += dout4[(b * p.T + t) * quads + q];
    }
  }
  if (p.accumulate != 0u) {
    acc = dwpe4[i] + acc;
  }
  dwpe4[i] = acc;
}
