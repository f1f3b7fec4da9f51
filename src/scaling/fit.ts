// Robust scaling-law fitting (Chinchilla "approach 3", Hoffmann et al. 2022, as paper.md recommends):
//
//   θ̂ = argmin_θ  Σ_i w_i · Huber_h( log L_θ(N_i, D_i) − log L_i ) / (h · Σ_i w_i)
//
// Residuals are in log space so a 1% miss counts the same at loss 0.3 and at 0.05; the Huber loss
// (h = 1e-3 by default, Chinchilla's value) makes a handful of bad runs cost linearly, not quadratically.
// L-BFGS (lbfgs.ts) starts from a data-informed grid (below) and the lowest objective wins, because the
// joint law has several local minima (α/β trade off against A and B). Dividing by h only rescales the
// objective; it keeps the tolerances of the optimiser meaningful for any h.
//
// Uncertainty: percentile bootstrap over runs. Each resample is a multinomial count vector w over the
// runs (the same as refitting on n runs drawn with replacement), drawn from a seeded PCG32 stream, and is
// refitted from θ̂ (a full grid per resample would cost 100× more and lands in θ̂'s basin anyway).
import { ConfigError } from '../errors.js';
import { Pcg32 } from '../util/rng.js';
import { minimizeLbfgs, type Objective } from './lbfgs.js';
import {
  decodeParams,
  evalTheta,
  isLawName,
  LAW_AXES,
  LAW_NAMES,
  LAW_PARAMS,
  predictLoss,
  type Law,
  type LawName,
  type LawParams,
  type ParamName,
  type ScalePoint,
} from './laws.js';

/** One finished run: its scale and its loss (the paper's contrastive entropy, in nats). */
export interface FitPoint extends ScalePoint {
  loss: number;
}

/** Which runs `holdout` keeps out of the fit: the `largest` ones by N (params), D (pairs) or N·D (compute). */
export interface HoldoutOptions {
  largest: number;
  by?: 'params' | 'pairs' | 'compute';
}

export interface FitOptions {
  law: LawName;
  /** Bootstrap resamples for the confidence intervals; 0 skips them. Default 200. */
  bootstrap?: number;
  /** Seed of the bootstrap stream. Default 0. */
  seed?: number;
  /** Fit on all but the largest runs and report how well the law predicts those. */
  holdout?: HoldoutOptions;
  /** Huber threshold h on log residuals. Default 1e-3 (Chinchilla): residuals past 0.1% count linearly. */
  huberDelta?: number;
  /** Two-sided coverage of `ci`. Default 0.95. */
  confidence?: number;
}

export interface HeldOutReport {
  points: FitPoint[];
  predicted: number[];
  /** (predicted − observed) / observed, per held-out run. */
  relErrors: number[];
  /** Mean of |relErrors|. */
  meanRelError: number;
}

/** The result of `fitScalingLaw`. `fitSummary(fit)` gives its JSON form. */
export interface ScalingFit extends Law {
  /** 1 − SS_res/SS_tot on the loss values of the fitted runs (the paper's R²); NaN if every loss is equal. */
  r2: number;
  /** Bootstrap percentile interval of each parameter (empty when `bootstrap` is 0). */
  ci: LawCi;
  /** Runs the law was fitted on. */
  n: number;
  /** log L_pred − log L_obs per fitted run, in input order. */
  residuals: number[];
  /** Final value of the normalised Huber objective. */
  objective: number;
  huberDelta: number;
  /** Resamples that were refitted, and those that failed (non-finite fit or unidentifiable draw). */
  bootstrap: { resamples: number; failed: number; seed: number };
  heldOut?: HeldOutReport;
  predict(point: ScalePoint): number;
}

export type LawCi = Partial<Record<ParamName, [number, number]>>;

/** JSON shape of a fit: what `densescale fit --json` prints and `densescale budget --law` reads. */
export interface FitSummary extends Law {
  r2: number;
  ci: LawCi;
  n: number;
  heldOut?: { relErrors: number[]; meanRelError: number };
}

const DEFAULT_HUBER_DELTA = 1e-3;

/**
 * Fits a scaling law to runs by Huber loss on log residuals with multi-start L-BFGS, with bootstrap
 * confidence intervals and optional held-out prediction error. Synchronous and deterministic.
 *
 * @example
 * const fit = fitScalingLaw(
 *   [{ params: 0.5e6, loss: 0.352 }, { params: 3.4e6, loss: 0.148 }, { params: 13e6, loss: 0.09 }, { params: 86e6, loss: 0.051 }],
 *   { law: 'model', bootstrap: 100, seed: 1 },
 * );
 * fit.params; // { A, alpha, delta }
 * fit.predict({ params: 300e6 });
 */
export function fitScalingLaw(points: readonly FitPoint[], options: FitOptions): ScalingFit {
  const law = options.law;
  if (!isLawName(law)) throw new ConfigError(`unknown law ${JSON.stringify(law)}; expected one of ${LAW_NAMES.join(', ')}`, 'law');
  const huberDelta = options.huberDelta ?? DEFAULT_HUBER_DELTA;
  if (!(huberDelta > 0) || !Number.isFinite(huberDelta)) throw new ConfigError(`must be a positive number, got ${huberDelta}`, 'huberDelta');
  const resamples = options.bootstrap ?? 200;
  if (!Number.isInteger(resamples) || resamples < 0) throw new ConfigError(`must be a non-negative integer, got ${resamples}`, 'bootstrap');
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new ConfigError(`must be in (0, 1), got ${confidence}`, 'confidence');
  const seed = options.seed ?? 0;
  checkPoints(law, points);

  const { fitted, heldOut } = splitHoldout(law, points, options.holdout);
  checkIdentifiable(law, fitted, options.holdout ? ` after holding out the ${options.holdout.largest} largest` : '');

  const data = toLogData(law, fitted);
  const weights = new Float64Array(fitted.length).fill(1);
  const objective = makeObjective(law, data, weights, huberDelta);
  let best: { theta: Float64Array; value: number } | null = null;
  for (const start of startingPoints(law, data)) {
    const r = minimizeLbfgs(objective, start);
    if (Number.isFinite(r.value) && (best === null || r.value < best.value)) best = { theta: r.x, value: r.value };
  }
  if (best === null) throw new ConfigError(`the ${law} law could not be fitted: every start gave a non-finite loss`, 'points');
  const params = decodeParams(law, best.theta);

  const predicted = fitted.map((_, i) => evalTheta(law, best.theta, data.x[i]!, data.y[i]!));
  const residuals = predicted.map((l, i) => Math.log(l) - data.logLoss[i]!);
  const meanLoss = fitted.reduce((s, p) => s + p.loss, 0) / fitted.length;
  let ssRes = 0;
  let ssTot = 0;
  fitted.forEach((p, i) => {
    ssRes += (predicted[i]! - p.loss) ** 2;
    ssTot += (p.loss - meanLoss) ** 2;
  });

  const boot = bootstrapCi(law, data, best.theta, huberDelta, resamples, seed, confidence);
  const lawOnly: Law = { law, params };
  const fit: ScalingFit = {
    law,
    params,
    // Losses equal to within rounding have no variance to explain.
    r2: ssTot <= fitted.length * (Number.EPSILON * meanLoss) ** 2 ? Number.NaN : 1 - ssRes / ssTot,
    ci: boot.ci,
    n: fitted.length,
    residuals,
    objective: best.value,
    huberDelta,
    bootstrap: { resamples, failed: boot.failed, seed },
    predict: (point) => predictLoss(lawOnly, point),
  };
  if (heldOut.length > 0) {
    const predicted = heldOut.map((p) => predictLoss(lawOnly, p));
    const relErrors = heldOut.map((p, i) => (predicted[i]! - p.loss) / p.loss);
    fit.heldOut = { points: heldOut, predicted, relErrors, meanRelError: relErrors.reduce((s, e) => s + Math.abs(e), 0) / relErrors.length };
  }
  return fit;
}

/**
 * The JSON form of a fit (no functions, no per-run arrays except held-out errors).
 *
 * @example
 * JSON.stringify(fitSummary(fitScalingLaw(points, { law: 'joint' })));
 */
export function fitSummary(fit: ScalingFit): FitSummary {
  const out: FitSummary = { law: fit.law, params: fit.params, r2: fit.r2, ci: fit.ci, n: fit.n };
  if (fit.heldOut) out.heldOut = { relErrors: fit.heldOut.relErrors, meanRelError: fit.heldOut.meanRelError };
  return out;
}

function checkPoints(law: LawName, points: readonly FitPoint[]): void {
  if (!Array.isArray(points)) throw new ConfigError('expected an array of { params, pairs, loss }', 'points');
  points.forEach((p, i) => {
    for (const field of ['loss', ...LAW_AXES[law]] as const) {
      const v = (p as Partial<FitPoint> | null)?.[field];
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
        throw new ConfigError(`row ${i + 1}: the ${law} law needs a positive finite "${field}", got ${JSON.stringify(v)}`, `points[${i}].${field}`);
      }
    }
  });
}

function axisKey(law: LawName, p: ScalePoint): string {
  return LAW_AXES[law].map((a) => p[a]).join(',');
}

function checkIdentifiable(law: LawName, points: readonly FitPoint[], context: string): void {
  const k = LAW_PARAMS[law].length;
  const distinct = new Set(points.map((p) => axisKey(law, p))).size;
  if (distinct < k) {
    throw new ConfigError(
      `the ${law} law has ${k} parameters (${LAW_PARAMS[law].join(', ')}) and needs runs at ${k} or more distinct ${LAW_AXES[law].join('×')} values; got ${distinct}${context}`,
      'points',
    );
  }
  if (LAW_AXES[law].length === 2) {
    for (const axis of LAW_AXES[law]) {
      if (new Set(points.map((p) => p[axis])).size < 2) {
        throw new ConfigError(`the ${law} law needs runs at 2 or more distinct "${axis}" values to separate the N and D terms${context}`, 'points');
      }
    }
  }
}

function splitHoldout(law: LawName, points: readonly FitPoint[], holdout: HoldoutOptions | undefined): { fitted: FitPoint[]; heldOut: FitPoint[] } {
  if (holdout === undefined) return { fitted: [...points], heldOut: [] };
  const by = holdout.by ?? (law === 'model' ? 'params' : law === 'data' ? 'pairs' : 'compute');
  if (!['params', 'pairs', 'compute'].includes(by)) throw new ConfigError(`must be "params", "pairs" or "compute", got ${JSON.stringify(by)}`, 'holdout.by');
  if (!Number.isInteger(holdout.largest) || holdout.largest < 1 || holdout.largest >= points.length) {
    throw new ConfigError(`must be an integer in [1, ${points.length - 1}] for ${points.length} runs, got ${holdout.largest}`, 'holdout.largest');
  }
  const size = (p: FitPoint, i: number): number => {
    const v = by === 'compute' ? p.params! * p.pairs! : p[by]!;
    if (!(v > 0) || !Number.isFinite(v)) {
      throw new ConfigError(`row ${i + 1}: holding out by ${by} needs positive finite "params"${by === 'compute' ? ' and "pairs"' : ''}`, `points[${i}].${by === 'compute' ? 'pairs' : by}`);
    }
    return v;
  };
  const order = points.map((p, i) => ({ i, s: size(p, i) })).sort((a, b) => b.s - a.s || a.i - b.i);
  const held = new Set(order.slice(0, holdout.largest).map((o) => o.i));
  return { fitted: points.filter((_, i) => !held.has(i)), heldOut: points.filter((_, i) => held.has(i)) };
}

interface LogData {
  x: Float64Array; // log N (0 when the law has no N axis)
  y: Float64Array; // log D
  logLoss: Float64Array;
  minLoss: number;
}

function toLogData(law: LawName, points: readonly FitPoint[]): LogData {
  const usesN = LAW_AXES[law].includes('params');
  const usesD = LAW_AXES[law].includes('pairs');
  return {
    x: Float64Array.from(points, (p) => (usesN ? Math.log(p.params!) : 0)),
    y: Float64Array.from(points, (p) => (usesD ? Math.log(p.pairs!) : 0)),
    logLoss: Float64Array.from(points, (p) => Math.log(p.loss)),
    minLoss: Math.min(...points.map((p) => p.loss)),
  };
}

/**
 * The objective `fitScalingLaw` minimises, as a function of θ (see laws.ts for the parameterisation), with
 * its analytic gradient. Exported so the gradient can be checked against finite differences.
 *
 * @example
 * const f = huberObjective('model', points);
 * const grad = new Float64Array(3);
 * f(encodeParams('model', { A: 4.54e4, alpha: 0.46, delta: 0.02 }), grad);
 */
export function huberObjective(law: LawName, points: readonly FitPoint[], huberDelta = DEFAULT_HUBER_DELTA): Objective {
  checkPoints(law, points);
  return makeObjective(law, toLogData(law, points), new Float64Array(points.length).fill(1), huberDelta);
}

function makeObjective(law: LawName, data: LogData, weights: Float64Array, huberDelta: number): Objective {
  const k = LAW_PARAMS[law].length;
  const lawGrad = new Float64Array(k);
  let totalWeight = 0;
  for (const w of weights) totalWeight += w;
  const scale = 1 / (totalWeight * huberDelta);
  return (theta, grad) => {
    grad.fill(0);
    let value = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      if (w === 0) continue;
      const predicted = evalTheta(law, theta, data.x[i]!, data.y[i]!, lawGrad);
      if (!(predicted > 0) || !Number.isFinite(predicted)) return Infinity;
      const r = Math.log(predicted) - data.logLoss[i]!;
      let psi: number; // Huber'(r)
      if (Math.abs(r) <= huberDelta) {
        value += w * 0.5 * r * r;
        psi = r;
      } else {
        value += w * huberDelta * (Math.abs(r) - 0.5 * huberDelta);
        psi = Math.sign(r) * huberDelta;
      }
      const c = (w * psi) / predicted; // ∂/∂L of w·Huber(log L − log obs)
      for (let j = 0; j < k; j++) grad[j]! += c * lawGrad[j]!;
    }
    for (let j = 0; j < k; j++) grad[j]! *= scale;
    return value * scale;
  };
}

function mean(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s / a.length;
}

/**
 * Starting points built from the data rather than a blind grid: for each trial exponent and floor, the
 * scale constants are solved so the curve passes through the geometric mean of the runs. That covers
 * plausible basins with far fewer starts than Chinchilla's 4,500-point grid.
 *  model/data: α₀ ∈ {0.1, 0.25, 0.5, 1, 2}, δ₀ ∈ {0.02, 0.3, 0.7}·min L; log A₀ = mean(x + log(L − δ₀)/α₀).
 *  joint:      α₀ ∈ {0.25, 0.5, 1}, β₀ ∈ {0.25, 0.5, 1, 2}, δ₀ ∈ {0.05, 0.5}·min L, and the share f of the
 *              bracket owed to the N term ∈ {0.2, 0.5, 0.8} at the mean point.
 *  additive:   α₀, β₀ ∈ {0.1, 0.3, 0.6, 1}, E₀ ∈ {0.05, 0.5}·min L, f ∈ {0.2, 0.5, 0.8}.
 */
function startingPoints(law: LawName, data: LogData): Float64Array[] {
  const starts: Float64Array[] = [];
  const xBar = mean(data.x);
  const yBar = mean(data.y);
  const logRemainder = (floor: number) => {
    let s = 0;
    for (const l of data.logLoss) s += Math.log(Math.exp(l) - floor);
    return s / data.logLoss.length;
  };
  switch (law) {
    case 'model':
    case 'data': {
      const axis = law === 'model' ? data.x : data.y;
      for (const exponent of [0.1, 0.25, 0.5, 1, 2]) {
        for (const share of [0.02, 0.3, 0.7]) {
          const floor = share * data.minLoss;
          let logScale = 0;
          for (let i = 0; i < axis.length; i++) logScale += axis[i]! + Math.log(Math.exp(data.logLoss[i]!) - floor) / exponent;
          starts.push(Float64Array.of(logScale / axis.length, Math.log(exponent), Math.sqrt(floor)));
        }
      }
      break;
    }
    case 'joint':
      for (const alpha of [0.25, 0.5, 1]) {
        for (const beta of [0.25, 0.5, 1, 2]) {
          for (const share of [0.05, 0.5]) {
            const floor = share * data.minLoss;
            const logBracket = logRemainder(floor) / beta; // log of [(A/N)^(α/β) + B/D] at the mean point
            for (const f of [0.2, 0.5, 0.8]) {
              const a = xBar + (beta / alpha) * (Math.log(f) + logBracket);
              const b = yBar + Math.log(1 - f) + logBracket;
              starts.push(Float64Array.of(a, Math.log(alpha), b, Math.log(beta), Math.sqrt(floor)));
            }
          }
        }
      }
      break;
    case 'additive':
      for (const alpha of [0.1, 0.3, 0.6, 1]) {
        for (const beta of [0.1, 0.3, 0.6, 1]) {
          for (const share of [0.05, 0.5]) {
            const floor = share * data.minLoss;
            const logR = logRemainder(floor);
            for (const f of [0.2, 0.5, 0.8]) {
              starts.push(Float64Array.of(Math.sqrt(floor), Math.log(f) + logR + alpha * xBar, Math.log(alpha), Math.log(1 - f) + logR + beta * yBar, Math.log(beta)));
            }
          }
        }
      }
      break;
  }
  return starts;
}

/** Type-7 (linear interpolation) quantile of sorted values, as R and NumPy compute by default. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

function bootstrapCi(
  law: LawName,
  data: LogData,
  thetaHat: Float64Array,
  huberDelta: number,
  resamples: number,
  seed: number,
  confidence: number,
): { ci: LawCi; failed: number } {
  if (resamples === 0) return { ci: {}, failed: 0 };
  const n = data.logLoss.length;
  const names = LAW_PARAMS[law];
  const draws: number[][] = names.map(() => []);
  const rng = new Pcg32(seed);
  const weights = new Float64Array(n);
  const keys = Array.from({ length: n }, (_, i) => `${data.x[i]},${data.y[i]}`);
  let failed = 0;
  for (let b = 0; b < resamples; b++) {
    // A draw with fewer distinct runs than parameters cannot pin the law down; redraw (bounded).
    let identifiable = false;
    for (let attempt = 0; attempt < 100 && !identifiable; attempt++) {
      weights.fill(0);
      for (let i = 0; i < n; i++) weights[rng.nextBelow(n)]! += 1;
      identifiable = drawIsIdentifiable(law, data, weights, keys);
    }
    if (!identifiable) {
      failed++;
      continue;
    }
    const r = minimizeLbfgs(makeObjective(law, data, weights, huberDelta), thetaHat);
    const params: LawParams = decodeParams(law, r.x);
    if (!Number.isFinite(r.value) || names.some((name) => !Number.isFinite(params[name]!))) {
      failed++;
      continue;
    }
    names.forEach((name, j) => draws[j]!.push(params[name]!));
  }
  const ci: LawCi = {};
  const tail = (1 - confidence) / 2;
  names.forEach((name, j) => {
    const sorted = draws[j]!.sort((a, b) => a - b);
    if (sorted.length > 0) ci[name] = [quantileSorted(sorted, tail), quantileSorted(sorted, 1 - tail)];
  });
  return { ci, failed };
}

function drawIsIdentifiable(law: LawName, data: LogData, weights: Float64Array, keys: string[]): boolean {
  const distinct = new Set<string>();
  const xs = new Set<number>();
  const ys = new Set<number>();
  for (let i = 0; i < weights.length; i++) {
    if (weights[i] === 0) continue;
    distinct.add(keys[i]!);
    xs.add(data.x[i]!);
    ys.add(data.y[i]!);
  }
  if (distinct.size < LAW_PARAMS[law].length) return false;
  return LAW_AXES[law].length === 1 || (xs.size >= 2 && ys.size >= 2);
}
