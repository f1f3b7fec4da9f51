// encoder_forward: out[b,t,:] = wte[ids[b,t],:] + wpe[t,:] (+ wtt[type_ids[b,t],:] when has_types), BERT embeddings
// ids, type_ids (B·T) u32; wte (V, C); wpe (P ≥ T, C); wtt (types, C) → out (B, T, C), rows = B·T.
// dispatch: one invocation per output element (encoder_forward) or per vec4 of channels
// (encoder_forward_vec4, C % 4 == 0): grid1d(rows·C [/4], WG), folded to (x, y) past 65535 workgroups.
// reference: src/ref/encoder.ts encoderForward
//
// The sum is always (wte + wpe) + wtt, so both entries and every device round identically.
// An id ≥ V (or a type id ≥ types) writes p.invalid (NaN) into its row instead of reading another row:
// a bad id then shows up in the loss rather than as silently wrong embeddings. Ids are validated on
// the CPU as well (tokenCsr). Without token types the launcher binds ids and wte in place of
// type_ids and wtt; has_types = 0 keeps them unread.
// Bindings: scalar (array<f32>) and vec4 views of the same tensors; each entry uses one set, and the
// launcher binds whichever its entry needs (outputs come before inputs across both sets).
struct Params { rows: u32, T: u32, C: u32, vocab: u32, types: u32, has_types: u32, invalid: f32, }

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> out4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> ids: array<u32>;
@group(0) @binding(4) var<storage, read> type_ids: array<u32>;
@group(0) @binding(5) var<storage, read> wte: array<f32>;
@group(0) @binding(6) var<storage, read> wpe: array<f32>;
@group(0) @binding(7) var<storage, read> wtt: array<f32>;
@group(0) @binding(8) var<storage, read> wte4: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read> wpe4: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read> wtt4: array<vec4<f32>>;

// The token-type row of a token, or p.types (invalid) when its id is out of range; 0 when unused.
fn token_type(row: u32) -> u32 {
  if (p.has_types == 0u) { return 0u; }
  return min(type_ids[row], p.types);
}

@compute @workgroup_size(WG)
fn encoder_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.rows * p.C) { return; }
  let row = i / p.C;
  let c = i % p.C;
  let id = ids[row];
  let ty = token_type(row);
  if (id >= p.vocab || ty >= p.types) {
    out[i] = p.invalid;
    return;
  }
  var v = wte[id * p.C + c] + wpe[(row % p.T) * p.C + c];
  if (p.has_types != 0u) {
    v = v + wtt[ty * p.C + c];
  }
  out[i] = v;
}

@compute @workgroup_size(WG)
fn encoder_forward_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  let quads = p.C / 4u;
  if (i >= p.rows * quads) { return; }
  let row = i / quads;
  let k = i % quads;
  let id = ids[row];
  let ty = token_type(row);
  if (id >= p.vocab || ty >= p.types) {
    out4[i] = vec4<f32>(p.invalid);
    return;
  }
  var v = wte4[id * quads + k] + wpe4[(row % p.T) * quads + k];
  if (p.has_types != 0u) {
    v = v + wtt4[ty * quads + k];
  }
  out4[i] = v;
}
