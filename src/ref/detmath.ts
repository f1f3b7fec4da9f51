// TS twins of the WGSL helpers exp_det and log_det, emulating f32 arithmetic with Math.fround after every
// operation. On adapters that do not contract a*b+c into an FMA (lavapipe, SwiftShader, Chromium; see
// RUNTIME.md §4) the GPU gives exactly these bits, so tests can check the shader copies bit for bit.
// The constants are the WGSL literals rounded to f32, as the shader compiler rounds them.

const f = Math.fround;

const LOG2E = f(1.44269504);
const LN2_HI = f(0.693145752);
const LN2_LO = f(1.42860677e-6);
const SQRT2 = f(1.41421356);
/** Taylor coefficients 1/7! … 1/0! of exp, highest first (Horner order in the shader). */
const EXP_COEFFS = [1.98412698e-4, 1.38888889e-3, 8.33333333e-3, 4.16666667e-2, 1.66666667e-1, 0.5, 1.0, 1.0].map(f);
/** 1/9, 1/7, 1/5, 1/3, 1: the odd series of atanh(s)/s in s², highest first. */
const LOG_COEFFS = [0.111111111, 0.142857143, 0.2, 0.333333333, 1.0].map(f);

const scratch = new DataView(new ArrayBuffer(4));

/**
 * The f32 bit pattern of x (after rounding x to f32).
 *
 * @example
 * f32Bits(1); // 0x3f800000
 */
export function f32Bits(x: number): number {
  scratch.setFloat32(0, x, true);
  return scratch.getUint32(0, true);
}

/**
 * The f32 value with bit pattern `bits`.
 *
 * @example
 * f32FromBits(0x3f800000); // 1
 */
export function f32FromBits(bits: number): number {
  scratch.setUint32(0, bits >>> 0, true);
  return scratch.getFloat32(0, true);
}

/**
 * exp(x) exactly as shaders/*.wgsl `exp_det` computes it in f32: Cody–Waite reduction by ln 2, a
 * degree-7 Horner polynomial, then a scale by 2^k. 0 below −87 (where f32 would go subnormal).
 *
 * @example
 * expDet(0) === 1;                      // exact
 * Math.abs(expDet(1) - Math.E) < 3e-7;  // within an ULP or so of the correctly rounded value
 */
export function expDet(x: number): number {
  const xf = f(x);
  if (xf < -87) return 0;
  const xc = Math.min(xf, 88);
  const k = Math.floor(f(f(xc * LOG2E) + 0.5));
  const r = f(f(xc - f(k * LN2_HI)) - f(k * LN2_LO));
  let q = EXP_COEFFS[0]!;
  for (let i = 1; i < EXP_COEFFS.length; i++) q = f(f(q * r) + EXP_COEFFS[i]!);
  // ldexp is exact while the result stays normal, which the clamp above guarantees.
  return f(q * 2 ** k);
}

/**
 * log(x) for normal f32 x > 0, exactly as the WGSL `log_det` computes it: exponent from the bits, the
 * mantissa folded into [√½, √2), then log m = 2·atanh(s) with s = (m−1)/(m+1).
 *
 * @example
 * logDet(1) === 0;
 * Math.abs(logDet(Math.E) - 1) < 2e-7;
 */
export function logDet(x: number): number {
  const bits = f32Bits(x);
  let e = ((bits >>> 23) & 0xff) - 127;
  let m = f32FromBits((bits & 0x007fffff) | 0x3f800000);
  if (m > SQRT2) {
    m = f(m * 0.5);
    e += 1;
  }
  const s = f(f(m - 1) / f(m + 1));
  const s2 = f(s * s);
  let q = LOG_COEFFS[0]!;
  for (let i = 1; i < LOG_COEFFS.length; i++) q = f(f(q * s2) + LOG_COEFFS[i]!);
  return f(f(e * LN2_HI) + f(f(e * LN2_LO) + f(f(2 * s) * q)));
}
