// Derives the erfc_large coefficients in shaders/gelu_forward.wgsl and shaders/gelu_backward.wgsl.
// Run by hand (`node build/fit_erfc.mjs`), not part of the build; the output is pasted into both shaders.
//
// For z ≥ 1 write erfc(z) = t·exp(G(t) − z²) with t = 1/(1 + z/2) ∈ (0, 2/3]. G is smooth on [0, 2/3]
// (G(0) = ln(1/(2√π)) from erfc's asymptotic expansion), so a low-degree polynomial in t fits it well and
// the error of G is the relative error of erfc. The polynomial interpolates G at Chebyshev nodes of
// [0, 2/3]; the coefficients are rounded to f32 and the worst error over a dense grid is printed.
const DEGREE = 9;
const SQRT_PI = Math.sqrt(Math.PI);

/** erf for 0 ≤ x < 2 by the series of positive terms 2/√π·e^{−x²}·Σ 2ⁿx^{2n+1}/(2n+1)!!. */
function erfSeries(x) {
  let term = x;
  let sum = x;
  for (let n = 0; n < 400 && term >= 1e-17 * sum; n++) {
    term *= (2 * x * x) / (2 * n + 3);
    sum += term;
  }
  return (2 / SQRT_PI) * Math.exp(-x * x) * sum;
}

/** The continued fraction x + ½/(x + 1/(x + (3/2)/(x + …))) with erfc(x) = e^{−x²}/(√π·K(x)), for x ≥ 2. */
function erfcFraction(x) {
  let f = x;
  for (let k = 200; k >= 1; k--) f = x + k / 2 / f;
  return f;
}

/** G(t) = ln(erfc(z)/t) + z², z = 2(1 − t)/t, computed without forming erfc for large z (it underflows). */
function G(t) {
  const z = (2 * (1 - t)) / t;
  if (z >= 2) return -Math.log(SQRT_PI * t * erfcFraction(z));
  return Math.log((1 - erfSeries(z)) / t) + z * z;
}

const lo = 0;
const hi = 2 / 3;
const n = DEGREE + 1;
const rows = [];
for (let k = 0; k < n; k++) {
  const t = (lo + hi) / 2 + ((hi - lo) / 2) * Math.cos((Math.PI * (k + 0.5)) / n);
  rows.push([...Array.from({ length: n }, (_, j) => t ** j), G(t)]);
}
// Gaussian elimination with partial pivoting on the (small, well-conditioned on [0, 2/3]) Vandermonde system.
for (let i = 0; i < n; i++) {
  let pivot = i;
  for (let r = i + 1; r < n; r++) if (Math.abs(rows[r][i]) > Math.abs(rows[pivot][i])) pivot = r;
  [rows[i], rows[pivot]] = [rows[pivot], rows[i]];
  for (let r = i + 1; r < n; r++) {
    const f = rows[r][i] / rows[i][i];
    for (let c = i; c <= n; c++) rows[r][c] -= f * rows[i][c];
  }
}
const coef = new Array(n);
for (let i = n - 1; i >= 0; i--) {
  let s = rows[i][n];
  for (let j = i + 1; j < n; j++) s -= rows[i][j] * coef[j];
  coef[i] = s / rows[i][i];
}
const coef32 = coef.map((c) => Math.fround(c));
let worst = 0;
for (let i = 1; i <= 100_000; i++) {
  const t = (hi * i) / 100_000;
  let q = 0;
  for (let j = n - 1; j >= 0; j--) q = q * t + coef32[j];
  worst = Math.max(worst, Math.abs(q - G(t)));
}
console.log(`degree ${DEGREE}: max |G error| = ${worst.toExponential(2)} (relative error of erfc before f32 evaluation)`);
console.log('Horner, highest degree first:');
for (let j = n - 1; j >= 0; j--) console.log(`  ${coef32[j].toPrecision(9)}`);
