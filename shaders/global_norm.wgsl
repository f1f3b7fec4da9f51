// global_norm: ‖g‖₂ of the flat gradient and the clipping scale min(1, max_norm/(‖g‖ + 1e-6))
// Three dispatches, recorded by src/ops/global_norm.ts:
//   global_norm       grads (n) → partials[partial_offset + b] = Σ g² over block b of WG·ITEMS elements;
//                     called once per binding-sized chunk of the flat buffer (chunks are whole blocks,
//                     so the partials, and the result bits, do not depend on the chunk size)
//   reduce_sum.wgsl   partials → norm[0] = Σ partials (the squared norm, for now), fixed order
//   global_norm_clip  norm[0] ← sqrt(norm[0]); clip_scale[0] = min(1, max_norm / (norm + 1e-6)), which is
//                     torch.nn.utils.clip_grad_norm_'s coefficient; adamw_update reads it on the GPU
// dispatch: global_norm grid1d(ceil(n / (WG·ITEMS)), 1) workgroups of WG (a power of two): thread t of
// block b reads base + j·WG + t for j < ITEMS (coalesced), then a tree over the WG sums;
// global_norm_clip (1, 1, 1). The block shape depends on the overrides, so the bits do too: this is a
// training kernel, deterministic per device, not across devices.
// reference: src/ref/global_norm.ts globalNorm.
struct Params { n: u32, partial_offset: u32, max_norm: f32, }

override WG: u32 = 256;
override ITEMS: u32 = 16;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> norm: array<f32>;
@group(0) @binding(3) var<storage, read_write> clip_scale: array<f32>;
@group(0) @binding(4) var<storage, read> grads: array<f32>;

var<workgroup> lane_sum: array<f32, WG>;

@compute @workgroup_size(WG)
fn global_norm(
  @builtin(local_invocation_index) lane: u32,
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  // The block index comes from workgroup_id (uniform), so returning here keeps the barriers uniform.
  let block = wid.x + wid.y * nwg.x;
  if (block * WG * ITEMS >= p.n) { return; }
  let base = block * WG * ITEMS;
  var acc = 0.0;
  for (var j = 0u; j < ITEMS; j++) {
    let i = base + j * WG + lane;
    if (i < p.n) {
      let g = grads[i];
      acc += g * g;
    }
  }
  lane_sum[lane] = acc;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half >>= 1u) {
    if (lane < half) { lane_sum[lane] = lane_sum[lane] + lane_sum[lane + half]; }
    workgroupBarrier();
  }
  if (lane == 0u) { partials[p.partial_offset + block] = lane_sum[0]; }
}

@compute @workgroup_size(1)
fn global_norm_clip() {
  let total = sqrt(norm[0]);
  norm[0] = total;
  clip_scale[0] = min(1.0, p.max_norm / (total + 1e-6));
}
