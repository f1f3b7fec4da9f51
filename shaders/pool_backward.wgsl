// pool_backward: dinp[b,t,c] (+)= mask[b,t]·dout[b,c] / max(Σ_t mask[b,t], 1)   (mode 0, masked mean)
//                dinp[b,t,c] (+)= [t = 0]·dout[b,c]                                (mode 1, [CLS])
// dout (B, C), mask (B, T) u32 → dinp (B, T, C); tokens that were not pooled get 0 (or keep their value
// when accumulate is set).
// dispatch: one invocation per (b, c) writing its T entries, grid1d(B·C, WG), folded past 65535
// workgroups; consecutive invocations write consecutive channels.
// reference: src/ref/pool.ts poolBackward
struct Params { B: u32, T: u32, C: u32, mode: u32, accumulate: u32, }

const POOL_MEAN: u32 = 0u;

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dinp: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<u32>;

@compute @workgroup_size(WG)
fn pool_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.B * p.C) { return; }
  let b = i / p.C;
  let c = i % p.C;
  var g = dout[i];
  if (p.mode == POOL_MEAN) {
    var count = 0u;
    for (var t = 0u; t < p.T; t++) {
      count += select(0u, 1u, mask[b * p.T + t] != 0u);
    }
    g = g / f32(max(count, 1u));
  }
  for (var t = 0u; t < p.T; t++) {
    let pooled = select(t == 0u, mask[b * p.T + t] != 0u, p.mode == POOL_MEAN);
    let at = (b * p.T + t) * p.C + c;
    var v = select(0.0, g, pooled);
    if (p.accumulate != 0u) {
      v = dinp[at] + v;
    }
    dinp[at] = v;
  }
}
