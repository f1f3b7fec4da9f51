// CPU reference for gelu_forward / gelu_backward, in f64, plus the erf it needs (JavaScript has no
// Math.erf). Both GELU forms of the BERT checkpoints:
//   "gelu"     (exact):  gelu(x) = x·Φ(x),  Φ(x) = ½·erfc(−x/√2)
//   "gelu_new" (tanh):   gelu(x) = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
// The reference is the true function: no argument clamping, no f32 rounding.

/** The activation forms a BERT config's `hidden_act` names. */
export type GeluFormName = 'gelu' | 'gelu_new';

const SQRT_PI = Math.sqrt(Math.PI);
const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TANH_SCALE = Math.sqrt(2 / Math.PI);
const TANH_CUBIC = 0.044715;

/** erf(x) for 0 ≤ x < 2: 2/√π·e^{−x²}·Σ 2ⁿx^{2n+1}/(2n+1)!!, a series of positive terms (no cancellation). */
function erfSeries(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 0; n < 400; n++) {
    term *= (2 * x * x) / (2 * n + 3);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return (2 / SQRT_PI) * Math.exp(-x * x) * sum;
}

/** erfc(x) for x ≥ 2: e^{−x²}/√π / (x + ½/(x + 1/(x + (3/2)/(x + …)))), evaluated bottom-up. */
function erfcContinuedFraction(x: number): number {
  let f = x;
  for (let k = 200; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / (SQRT_PI * f);
}

/** Complementary error function in f64 (relative error ≲ 1e-13 over the real line). */
export function erfc(x: number): number {
  if (x >= 2) return erfcContinuedFraction(x);
  if (x <= -2) return 2 - erfcContinuedFraction(-x);
  return 1 - erf(x);
}

/** Error function in f64 (absolute error ≲ 1e-15). */
export function erf(x: number): number {
  if (Math.abs(x) < 2) return x < 0 ? -erfSeries(-x) : erfSeries(x);
  return x > 0 ? 1 - erfcContinuedFraction(x) : erfcContinuedFraction(-x) - 1;
}

/** Standard normal CDF, accurate in relative terms in the lower tail. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * INV_SQRT2);
}

export function geluScalar(x: number, form: GeluFormName): number {
  if (form === 'gelu') return x * normalCdf(x);
  return 0.5 * x * (1 + Math.tanh(TANH_SCALE * (x + TANH_CUBIC * x * x * x)));
}

export function geluGradScalar(x: number, form: GeluFormName): number {
  if (form === 'gelu') return normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
  const th = Math.tanh(TANH_SCALE * (x + TANH_CUBIC * x * x * x));
  return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * TANH_SCALE * (1 + 3 * TANH_CUBIC * x * x);
}

export function geluForward(inp: ArrayLike<number>, form: GeluFormName): Float64Array {
  const out = new Float64Array(inp.length);
  for (let i = 0; i < inp.length; i++) out[i] = geluScalar(inp[i]!, form);
  return out;
}

/** dinp = dout · gelu'(inp). */
export function geluBackward(dout: ArrayLike<number>, inp: ArrayLike<number>, form: GeluFormName): Float64Array {
  const dinp = new Float64Array(inp.length);
  for (let i = 0; i < inp.length; i++) dinp[i] = dout[i]! * geluGradScalar(inp[i]!, form);
  return dinp;
}
