// contrastive_backward: gradient of the mean contrastive loss with respect to the scores
// dS_ij (+)= (scale/B)·(softmax_ij − [i = j]), softmax_ij = exp(scale·(S_ij − smax_i) − logsum_i);
// 0 where mask_ij = 0 (except the positive j = i, which always counts). (+)= when p.accumulate = 1.
// scores (B, N), row_stats (B, 2) = (smax, logsum) saved by contrastive_forward, mask (B, N) u32 read only
// when p.use_mask = 1 → dscores (B, N)
// dispatch grid1d(B·N, WG): one invocation per score, folded to (x, y) past 65535 workgroups
// reference: src/ref/contrastive.ts contrastiveBackward. exp_det as in the forward pass, and the same
// max-first scaling, so logits near 1e4 give the same softmax as the forward pass saw. Gradients below
// the smallest normal f32 are flushed to 0, so the result bits agree across drivers.
struct Params { rows: u32, cols: u32, scale: f32, grad_scale: f32, use_mask: u32, accumulate: u32, }

override WG: u32 = 256;
const MIN_NORMAL: f32 = 1.17549435e-38;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dscores: array<f32>;
@group(0) @binding(2) var<storage, read> scores: array<f32>;
@group(0) @binding(3) var<storage, read> row_stats: array<f32>;
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

@compute @workgroup_size(WG)
fn contrastive_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.rows * p.cols) { return; }
  let row = i / p.cols;
  let col = i - row * p.cols;
  var grad = 0.0;
  if (col == row || p.use_mask == 0u || mask[i] != 0u) {
    let prob = exp_det(p.scale * (scores[i] - row_stats[2u * row]) - row_stats[2u * row + 1u]);
    grad = p.grad_scale * (prob - select(0.0, 1.0, col == row));
    // A tiny probability times scale/B can land below the smallest normal f32, where SwiftShader
    // flushes to 0 and lavapipe does not; flushing here makes every driver agree.
    if (abs(grad) < MIN_NORMAL) { grad = 0.0; }
  }
  if (p.accumulate != 0u) {
    dscores[i] = dscores[i] + grad;
  } else {
    dscores[i] = grad;
  }
}
