// gelu_backward: dinp = dout·gelu'(x) (+ dinp when accumulate), per element, same two forms as
// gelu_forward: "gelu" gelu'(x) = Φ(x) + x·φ(x); "gelu_new" the derivative of the clamped tanh form.
// inp, dout (n) → dinp (n); dispatch grid1d(n, WG) (gelu_backward) or grid1d(n/4, WG)
// (gelu_backward_vec4, n % 4 == 0), folded to (x, y) past 65535 workgroups.
// reference: src/ref/gelu.ts geluBackward
// Bindings: scalar (array<f32>) and vec4 views of the same tensors; each entry uses one set, and the
// launcher binds whichever its entry needs (outputs come before inputs across both sets).
struct Params { n: u32, form: u32, accumulate: u32, }

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dinp: array<f32>;
@group(0) @binding(2) var<storage, read_write> dinp4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> inp: array<f32>;
@group(0) @binding(4) var<storage, read> dout: array<f32>;
@group(0) @binding(5) var<storage, read> inp4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> dout4: array<vec4<f32>>;

const GELU_ERF: u32 = 0u;
const INV_SQRT2: f32 = 0.707106781;
const INV_SQRT_2PI: f32 = 0.398942280;
const TANH_SCALE: f32 = 0.797884561; // sqrt(2/pi)
const TANH_CUBIC: f32 = 0.044715;
const TANH_CLAMP: f32 = 44.0;

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

// erf(x) for |x| < 1: x·P(x²), the Maclaurin series 2/√π·Σ (−1)ⁿ x^{2n+1} / (n!·(2n+1)) through
// n = 10 (the first omitted term is < 1.3e-9), coefficients rounded to f32.
fn erf_small(x: f32) -> f32 {
  let z = x * x;
  var q = 1.48071928e-8;
  q = q * z - 1.63658442e-7;
  q = q * z + 1.64621144e-6;
  q = q * z - 1.49256502e-5;
  q = q * z + 1.20553326e-4;
  q = q * z - 8.54832702e-4;
  q = q * z + 5.22397785e-3;
  q = q * z - 2.68661715e-2;
  q = q * z + 1.12837918e-1;
  q = q * z - 3.76126379e-1;
  q = q * z + 1.12837923;
  return x * q;
}

// erfc(z) for z ≥ 1 with small relative error (it is also the lower tail of Φ, where GELU needs it):
// erfc(z) = t·exp(G(t) − z²), t = 1/(1 + z/2) ∈ (0, 2/3]. G is smooth on [0, 2/3] (G(0) = ln(1/(2√π)));
// the degree-9 polynomial interpolates it at Chebyshev nodes (build/fit_erfc.mjs), |error| < 3.2e-8 before f32 rounding.
fn erfc_large(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  var q = -0.0656747073;
  q = q * t - 0.0593321733;
  q = q * t + 0.460511804;
  q = q * t - 0.386293024;
  q = q * t - 0.0396704860;
  q = q * t - 0.106632754;
  q = q * t + 0.0855984911;
  q = q * t + 0.374877393;
  q = q * t + 1.00000250;
  q = q * t - 1.26551211;
  return t * exp_det(q - z * z);
}

// erf over the real line from exp_det alone (WGSL has no erf): |error| < 1e-6 everywhere, tested densely
// through gelu_forward_erf.
fn erf_det(x: f32) -> f32 {
  if (abs(x) < 1.0) { return erf_small(x); }
  let e = 1.0 - erfc_large(abs(x));
  return select(-e, e, x > 0.0);
}

// Standard normal CDF Φ(x) = ½·erfc(−x/√2); the lower tail comes straight from erfc_large so that
// gelu(x) = x·Φ(x) keeps its relative precision for negative x.
fn normal_cdf_det(x: f32) -> f32 {
  let z = x * INV_SQRT2;
  if (abs(z) < 1.0) { return 0.5 + 0.5 * erf_small(z); }
  let tail = 0.5 * erfc_large(abs(z));
  return select(1.0 - tail, tail, z < 0.0);
}

// The tanh form as ½(1 + tanh u) = σ(2u) = t/(t + 1), t = e^{2u}: no cancellation in the lower tail.
// u is clamped to ±44: 2u then stays within exp_det's range (below −87 it returns exactly 0, so
// gelu(−1e30) = −0, not −1e30·e^{−30}), and ±inf from x³ overflow cannot reach it. No NaN is possible,
// unlike builtin tanh on some drivers for large |x| (gpuweb#4458).
fn gelu_tanh_arg(x: f32) -> f32 {
  return TANH_SCALE * (x + TANH_CUBIC * x * x * x);
}

fn gelu_det(x: f32, form: u32) -> f32 {
  if (form == GELU_ERF) { return x * normal_cdf_det(x); }
  let t = exp_det(2.0 * clamp(gelu_tanh_arg(x), -TANH_CLAMP, TANH_CLAMP));
  return x * (t / (t + 1.0));
}

// d/dx of gelu_det. erf form: Φ(x) + x·φ(x). tanh form: s + x·2s(1 − s)·du/dx with s = t/(t + 1),
// 1 − s = 1/(t + 1) (no cancellation), and du/dx = 0 where the clamp is active, as in the forward.
fn gelu_grad_det(x: f32, form: u32) -> f32 {
  if (form == GELU_ERF) { return normal_cdf_det(x) + x * (INV_SQRT_2PI * exp_det(-0.5 * x * x)); }
  let u = gelu_tanh_arg(x);
  let t = exp_det(2.0 * clamp(u, -TANH_CLAMP, TANH_CLAMP));
  let s = t / (t + 1.0);
  let du = select(0.0, TANH_SCALE * (1.0 + 3.0 * TANH_CUBIC * x * x), abs(u) < TANH_CLAMP);
  return s + x * (2.0 * s / (t + 1.0)) * du;
}

@compute @workgroup_size(WG)
fn gelu_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  var d = dout[i] * gelu_grad_det(inp[i], p.form);
  if (p.accumulate != 0u) {
    d = dinp[i] + d;
  }
  dinp[i] = d;
}

@compute @workgroup_size(WG)
fn gelu_backward_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n / 4u) { return; }
  let x = inp4[i];
  let grad = vec4<f32>(gelu_grad_det(x.x, p.form), gelu_grad_det(x.y, p.form), gelu_grad_det(x.z, p.form), gelu_grad_det(x.w, p.form));
  var d = dout4[i] * grad;
  if (p.accumulate != 0u) {
    d = dinp4[i] + d;
  }
  dinp4[i] = d;
}
