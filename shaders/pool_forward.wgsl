// pool_forward: out[b,c] = Σ_t mask[b,t]·x[b,t,c] / max(Σ_t mask[b,t], 1)   (mode 0, masked mean)
//               out[b,c] = x[b,0,c]                                           (mode 1, [CLS])
// inp (B, T, C), mask (B, T) u32 (non-zero = valid token) → out (B, C).
// dispatch: one invocation per (b, c), grid1d(B·C, WG), folded to (x, y) past 65535 workgroups;
// consecutive invocations take consecutive channels, so every read of inp is coalesced.
// reference: src/ref/pool.ts poolForward
//
// Tokens are summed in t order and divided once, so the result is bit-identical on every device. A row
// with no valid token pools to 0 (the count is clamped to 1, as sentence-transformers clamps its
// denominator). Padded tokens are skipped, not multiplied by 0, so NaN/inf in padding cannot leak in.
struct Params { B: u32, T: u32, C: u32, mode: u32, }

const POOL_MEAN: u32 = 0u;

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> inp: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<u32>;

@compute @workgroup_size(WG)
fn pool_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.B * p.C) { return; }
  let b = i / p.C;
  let c = i % p.C;
  let first = b * p.T * p.C + c;
  if (p.mode != POOL_MEAN) {
    out[i] = inp[first];
    return;
  }
  var acc = 0.0;
  var count = 0u;
  for (var t = 0u; t < p.T; t++) {
    if (mask[b * p.T + t] != 0u) {
      acc += inp[first + t * p.C];
      count++;
    }
  }
  out[i] = acc / f32(max(count, 1u));
}
