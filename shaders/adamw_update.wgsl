// adamw_update: one AdamW step (decoupled weight decay, bias correction), in place, PyTorch's formulation:
//   g = grad·clip;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   θ ← θ·decay − step_size · m / (√v / √(1−β2ᵗ) + ε),  step_size = lr/(1−β1ᵗ),  decay = 1 − lr·λ
// where decay applies only to elements whose 64-element block has its bit set in decay_mask when
// p.use_mask = 1 (HF: no decay for biases and LayerNorm weights; parameter groups are 64-aligned).
// params, m, v, grads (n): sub-ranges of the flat buffers, n ≤ one storage binding (the launcher chunks
// larger ranges; p.first_element is the chunk's element offset within the masked range);
// clip (1): the clipping coefficient from global_norm_clip, read on the GPU so nothing is read back;
// decay_mask (ceil(blocks/32)) u32, bit b of word w ↔ block 32w + b.
// Scalars that depend only on the step (bias corrections, 1 − lr·λ) are computed in f64 by the launcher.
// dispatch grid1d(n, WG): one element per invocation, folded to (x, y) past 65535 workgroups
// reference: src/ref/adamw.ts adamwUpdate.
struct Params {
  n: u32,
  first_element: u32,
  use_mask: u32,
  beta1: f32,
  beta2: f32,
  one_minus_beta1: f32,
  one_minus_beta2: f32,
  step_size: f32,
  bias_correction2_sqrt: f32,
  epsilon: f32,
  decay: f32,
}

override WG: u32 = 256;
const MASK_BLOCK: u32 = 64u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<storage, read> grads: array<f32>;
@group(0) @binding(5) var<storage, read> clip: array<f32>;
@group(0) @binding(6) var<storage, read> decay_mask: array<u32>;

@compute @workgroup_size(WG)
fn adamw_update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let g = grads[i] * clip[0];
  let m_new = p.beta1 * m[i] + p.one_minus_beta1 * g;
  let v_new = p.beta2 * v[i] + p.one_minus_beta2 * (g * g);
  m[i] = m_new;
  v[i] = v_new;
  var decay = p.decay;
  if (p.use_mask != 0u) {
    let block = (p.first_element + i) / MASK_BLOCK;
    if (((decay_mask[block / 32u] >> (block % 32u)) & 1u) == 0u) { decay = 1.0; }
  }
  let denom = sqrt(v_new) / p.bias_correction2_sqrt + p.epsilon;
  params[i] = params[i] * decay - p.step_size * (m_new / denom);
}
