// Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed.: Alg. 7.4 two-loop recursion,
// Alg. 3.5/3.6 line search with zoom) for the small smooth problems of scaling-law fitting (3–5 unknowns).
//
// Why L-BFGS and not Levenberg–Marquardt: the objective is a Huber loss of residuals, not a sum of squares,
// so LM would need an IRLS outer loop; Chinchilla's "approach 3" fits the same objective with L-BFGS.
// Why a strong-Wolfe line search and not Armijo backtracking: the curvature condition guarantees
// yᵀs > 0, so every stored pair keeps the inverse-Hessian approximation positive definite.
//
// A trial point where f is not finite (an exp overflow far from the data) counts as "too long" and the
// step shrinks, so callers need no bounds. Everything is f64 in a fixed order: same x0, same result.

/** f(x); writes ∇f(x) into `grad`. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  /** Correction pairs kept (m). Default 10; for ≤ 10 unknowns this is close to full BFGS. */
  memory?: number;
  /** Outer iterations before giving up. Default 500. */
  maxIterations?: number;
  /** Stop when ‖∇f‖∞ ≤ this. Default 1e-12. */
  gradientTolerance?: number;
  /** Stop when the decrease of f over one iteration is ≤ this · max(|f|, tiny). Default 1e-15. */
  valueTolerance?: number;
  /** Largest ∞-norm of the first trial step, in units of x. Default 1. */
  maxFirstStep?: number;
}

export type StopReason = 'gradient' | 'value' | 'line-search' | 'iterations';

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  gradient: Float64Array;
  iterations: number;
  evaluations: number;
  stop: StopReason;
}

const C1 = 1e-4; // sufficient decrease (Armijo)
const C2 = 0.9; // curvature; 0.9 is the usual choice for quasi-Newton directions
const MAX_LINE_EVALS = 40;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

interface Trial {
  step: number;
  value: number;
  slope: number; // φ'(step) = ∇f(x + step·d)·d
  x: Float64Array;
  grad: Float64Array;
}

/**
 * Minimises `f` from `x0` with L-BFGS and a strong-Wolfe line search. Returns the best point found and
 * why it stopped ('line-search' means no step along the search direction lowered f any further, which is
 * how a converged fit ends when rounding error dominates).
 *
 * @example
 * const rosenbrock: Objective = (x, g) => {
 *   const [a, b] = [x[0]!, x[1]!];
 *   g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
 *   g[1] = 200 * (b - a * a);
 *   return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
 * };
 * minimizeLbfgs(rosenbrock, Float64Array.of(-1.2, 1)).x; // ≈ [1, 1]
 */
export function minimizeLbfgs(f: Objective, x0: ArrayLike<number>, options: LbfgsOptions = {}): LbfgsResult {
  const m = options.memory ?? 10;
  const maxIterations = options.maxIterations ?? 500;
  const gtol = options.gradientTolerance ?? 1e-12;
  const ftol = options.valueTolerance ?? 1e-15;
  const maxFirstStep = options.maxFirstStep ?? 1;
  const n = x0.length;

  let x: Float64Array = Float64Array.from(x0);
  let grad: Float64Array = new Float64Array(n);
  let value = f(x, grad);
  let evaluations = 1;
  if (!Number.isFinite(value)) return { x, value, gradient: grad, iterations: 0, evaluations, stop: 'line-search' };

  const sHistory: Float64Array[] = [];
  const yHistory: Float64Array[] = [];
  const rhoHistory: number[] = [];
  const alphas = new Float64Array(m);
  const direction = new Float64Array(n);

  const evaluate = (step: number): Trial => {
    const xt = new Float64Array(n);
    for (let i = 0; i < n; i++) xt[i] = x[i]! + step * direction[i]!;
    const gt = new Float64Array(n);
    const v = f(xt, gt);
    evaluations++;
    return { step, value: Number.isFinite(v) ? v : Infinity, slope: Number.isFinite(v) ? dot(gt, direction) : NaN, x: xt, grad: gt };
  };

  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if (maxAbs(grad) <= gtol) return { x, value, gradient: grad, iterations: iteration, evaluations, stop: 'gradient' };

    // Two-loop recursion: direction = −H·∇f with H built from the stored (s, y) pairs.
    direction.set(grad);
    const k = sHistory.length;
    for (let i = k - 1; i >= 0; i--) {
      const a = rhoHistory[i]! * dot(sHistory[i]!, direction);
      alphas[i] = a;
      const y = yHistory[i]!;
      for (let j = 0; j < n; j++) direction[j]! -= a * y[j]!;
    }
    if (k > 0) {
      // H0 = γI with γ = sᵀy / yᵀy (N&W eq. 7.20): matches the scale of the most recent curvature.
      const gamma = dot(sHistory[k - 1]!, yHistory[k - 1]!) / dot(yHistory[k - 1]!, yHistory[k - 1]!);
      for (let j = 0; j < n; j++) direction[j]! *= gamma;
    }
    for (let i = 0; i < k; i++) {
      const b = rhoHistory[i]! * dot(yHistory[i]!, direction);
      const s = sHistory[i]!;
      for (let j = 0; j < n; j++) direction[j]! += s[j]! * (alphas[i]! - b);
    }
    for (let j = 0; j < n; j++) direction[j] = -direction[j]!;

    let slope0 = dot(grad, direction);
    if (!(slope0 < 0)) {
      // Lost descent to rounding: restart from steepest descent.
      sHistory.length = yHistory.length = rhoHistory.length = 0;
      for (let j = 0; j < n; j++) direction[j] = -grad[j]!;
      slope0 = dot(grad, direction);
    }
    // Without curvature information, a unit step along −∇f has no natural length: cap its size in x.
    const firstStep = sHistory.length === 0 ? Math.min(1, maxFirstStep / maxAbs(direction)) : 1;

    const accepted = lineSearch(evaluate, value, slope0, firstStep);
    if (accepted === null) return { x, value, gradient: grad, iterations: iteration, evaluations, stop: 'line-search' };

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      s[j] = accepted.x[j]! - x[j]!;
      y[j] = accepted.grad[j]! - grad[j]!;
    }
    const sy = dot(s, y);
    const previous = value;
    x = accepted.x;
    grad = accepted.grad;
    value = accepted.value;
    // Keep a pair only with clearly positive curvature; Wolfe guarantees sᵀy > 0 in exact arithmetic.
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (sHistory.length === m) {
        sHistory.shift();
        yHistory.shift();
        rhoHistory.shift();
      }
      sHistory.push(s);
      yHistory.push(y);
      rhoHistory.push(1 / sy);
    }
    if (previous - value <= ftol * Math.max(Math.abs(previous), Math.abs(value), Number.MIN_VALUE)) {
      return { x, value, gradient: grad, iterations: iteration + 1, evaluations, stop: 'value' };
    }
  }
  return { x, value, gradient: grad, iterations: maxIterations, evaluations, stop: 'iterations' };
}

/**
 * Strong-Wolfe line search (N&W Alg. 3.5): expand the step until the bracket [lo, hi] holds a point
 * satisfying both conditions, then zoom (Alg. 3.6). Returns null when no step lowers f.
 */
function lineSearch(evaluate: (step: number) => Trial, value0: number, slope0: number, firstStep: number): Trial | null {
  const origin: Trial = { step: 0, value: value0, slope: slope0, x: new Float64Array(0), grad: new Float64Array(0) };
  let previous = origin;
  let step = firstStep;
  let best: Trial | null = null;
  for (let evals = 0; evals < MAX_LINE_EVALS; evals++) {
    const t = evaluate(step);
    if (t.value < value0 && (best === null || t.value < best.value)) best = t;
    if (t.value > value0 + C1 * step * slope0 || (evals > 0 && t.value >= previous.value)) {
      return zoom(evaluate, value0, slope0, previous, t, MAX_LINE_EVALS - evals - 1) ?? best;
    }
    if (Math.abs(t.slope) <= -C2 * slope0) return t;
    if (t.slope >= 0) return zoom(evaluate, value0, slope0, t, previous, MAX_LINE_EVALS - evals - 1) ?? best;
    previous = t;
    step *= 4;
  }
  return best;
}

/** `lo` satisfies sufficient decrease and has the lowest f seen; the minimiser lies between lo and hi. */
function zoom(evaluate: (step: number) => Trial, value0: number, slope0: number, lo: Trial, hi: Trial, budget: number): Trial | null {
  let best = lo.step > 0 ? lo : null;
  for (let evals = 0; evals < budget; evals++) {
    // An interval this narrow has no representable interior point worth a function evaluation.
    if (Math.abs(hi.step - lo.step) <= 1e-14 * Math.max(lo.step, hi.step)) break;
    const step = interpolate(lo, hi);
    const t = evaluate(step);
    if (t.value < value0 && (best === null || t.value < best.value)) best = t;
    if (t.value > value0 + C1 * step * slope0 || t.value >= lo.value) {
      hi = t;
    } else {
      if (Math.abs(t.slope) <= -C2 * slope0) return t;
      if (t.slope * (hi.step - lo.step) >= 0) hi = lo;
      lo = t;
    }
  }
  return best;
}

/**
 * Minimiser of the cubic through (step, value, slope) at both ends (N&W eq. 3.59), kept at least 10% of
 * the interval away from either end; bisection when the cubic is unusable (an end with f = ∞).
 */
function interpolate(lo: Trial, hi: Trial): number {
  const left = Math.min(lo.step, hi.step);
  const width = Math.abs(hi.step - lo.step);
  let step = NaN;
  if (Number.isFinite(hi.value) && Number.isFinite(hi.slope)) {
    const d1 = lo.slope + hi.slope - (3 * (lo.value - hi.value)) / (lo.step - hi.step);
    const disc = d1 * d1 - lo.slope * hi.slope;
    if (disc >= 0) {
      const d2 = Math.sign(hi.step - lo.step) * Math.sqrt(disc);
      step = hi.step - (hi.step - lo.step) * ((hi.slope + d2 - d1) / (hi.slope - lo.slope + 2 * d2));
    }
  }
  if (!Number.isFinite(step) || step < left + 0.1 * width || step > left + 0.9 * width) step = left + 0.5 * width;
  return step;
}
