// Scaling-law forms (paper.md "The laws"), evaluated in the parameterisation the fitter optimises.
//
//   model     L(N)   = (A/N)^α + δ
//   data      L(D)   = (B/D)^β + δ
//   joint     L(N,D) = [(A/N)^(α/β) + B/D]^β + δ          (Kaplan et al. 2020 form, used by the paper)
//   additive  L(N,D) = E + A/N^α + B/D^β                   (Chinchilla form, for comparison)
//
// θ (what L-BFGS moves) keeps every positive parameter in log space (log A, log α, …), so one step size
// suits A ≈ 1e4 and α ≈ 0.5 alike and no bound is needed. The floor δ (or E) is u², which reaches exactly 0
// (a floor of 0 is a legitimate fit) and stays ≥ 0 without a projected method. Every power is computed as
// exp(exponent · log base), and the joint bracket as a log-sum-exp, so no intermediate overflows: only a
// loss that is itself past the f64 range comes out as ∞ (which the fitter treats as "step too long").
import { ConfigError } from '../errors.js';

/** The four law forms `fitScalingLaw` knows. */
export type LawName = 'model' | 'data' | 'joint' | 'additive';

/** A parameter of some law: A, α (alpha), B, β (beta), the floor δ (delta), or the additive floor E. */
export type ParamName = 'A' | 'alpha' | 'B' | 'beta' | 'delta' | 'E';

/** Parameter values of a law; a law fills exactly the names in `LAW_PARAMS[law]`. */
export type LawParams = Partial<Record<ParamName, number>>;

/** One run's scale: N = non-embedding parameters (paper.md "Model"), D = annotated training pairs. */
export interface ScalePoint {
  params?: number;
  pairs?: number;
}

/** A law together with its parameters: the shape `densescale fit --json` writes and `budget --law` reads. */
export interface Law {
  law: LawName;
  params: LawParams;
}

/**
 * Parameter names of each law, in θ order.
 *
 * @example
 * LAW_PARAMS.joint; // ['A', 'alpha', 'B', 'beta', 'delta']
 */
export const LAW_PARAMS: Readonly<Record<LawName, readonly ParamName[]>> = {
  model: ['A', 'alpha', 'delta'],
  data: ['B', 'beta', 'delta'],
  joint: ['A', 'alpha', 'B', 'beta', 'delta'],
  additive: ['E', 'A', 'alpha', 'B', 'beta'],
};

/**
 * The scale axes each law reads from a point.
 *
 * @example
 * LAW_AXES.model; // ['params']
 */
export const LAW_AXES: Readonly<Record<LawName, readonly ('params' | 'pairs')[]>> = {
  model: ['params'],
  data: ['pairs'],
  joint: ['params', 'pairs'],
  additive: ['params', 'pairs'],
};

export const LAW_NAMES: readonly LawName[] = ['model', 'data', 'joint', 'additive'];

export function isLawName(s: unknown): s is LawName {
  return typeof s === 'string' && (LAW_NAMES as readonly string[]).includes(s);
}

/** Parameters as θ: log of every positive parameter, √ of the floor (δ or E). */
export function encodeParams(law: LawName, params: LawParams): Float64Array {
  return Float64Array.from(LAW_PARAMS[law], (name) => {
    const v = params[name]!;
    return name === 'delta' || name === 'E' ? Math.sqrt(v) : Math.log(v);
  });
}

export function decodeParams(law: LawName, theta: ArrayLike<number>): LawParams {
  const out: LawParams = {};
  LAW_PARAMS[law].forEach((name, i) => {
    const t = theta[i]!;
    out[name] = name === 'delta' || name === 'E' ? t * t : Math.exp(t);
  });
  return out;
}

/**
 * L at (x = log N, y = log D) for θ, and ∂L/∂θ into `grad` when given. The axis a law does not use is
 * ignored. Derivations (s = log α, t = log β, u² = floor):
 *  model:    L = e^{α(a−x)} + u²;            ∂a = αT, ∂s = T·α(a−x), ∂u = 2u
 *  joint:    lX = (α/β)(a−x), lY = b−y, lS = logsumexp(lX, lY), P = e^{β lS}, w = e^{lX−lS}
 *            ∂a = αPw, ∂s = βPw·lX, ∂b = βP(1−w), ∂t = βP(lS − w·lX), ∂u = 2u
 *  additive: T1 = e^{a−αx}, T2 = e^{b−βy};   ∂a = T1, ∂s = −αx·T1, ∂b = T2, ∂t = −βy·T2
 */
export function evalTheta(law: LawName, theta: ArrayLike<number>, x: number, y: number, grad?: Float64Array): number {
  switch (law) {
    case 'model':
    case 'data': {
      const logScale = theta[0]!;
      const exponent = Math.exp(theta[1]!);
      const u = theta[2]!;
      const z = exponent * (logScale - (law === 'model' ? x : y));
      const term = Math.exp(z);
      if (grad) {
        grad[0] = exponent * term;
        grad[1] = term * z;
        grad[2] = 2 * u;
      }
      return term + u * u;
    }
    case 'joint': {
      const a = theta[0]!;
      const alpha = Math.exp(theta[1]!);
      const b = theta[2]!;
      const beta = Math.exp(theta[3]!);
      const u = theta[4]!;
      const lX = (alpha / beta) * (a - x);
      const lY = b - y;
      const m = Math.max(lX, lY);
      const lS = m + Math.log(Math.exp(lX - m) + Math.exp(lY - m));
      const w = Math.exp(lX - lS);
      const power = Math.exp(beta * lS);
      if (grad) {
        grad[0] = alpha * power * w;
        grad[1] = beta * power * w * lX;
        grad[2] = beta * power * (1 - w);
        grad[3] = beta * power * (lS - w * lX);
        grad[4] = 2 * u;
      }
      return power + u * u;
    }
    case 'additive': {
      const u = theta[0]!;
      const alpha = Math.exp(theta[2]!);
      const beta = Math.exp(theta[4]!);
      const termN = Math.exp(theta[1]! - alpha * x);
      const termD = Math.exp(theta[3]! - beta * y);
      if (grad) {
        grad[0] = 2 * u;
        grad[1] = termN;
        grad[2] = -alpha * x * termN;
        grad[3] = termD;
        grad[4] = -beta * y * termD;
      }
      return u * u + termN + termD;
    }
  }
}

function axisValue(law: LawName, point: ScalePoint, axis: 'params' | 'pairs'): number {
  const v = point[axis];
  if (!LAW_AXES[law].includes(axis)) return 1;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
    throw new ConfigError(`the ${law} law needs a positive finite "${axis}", got ${String(v)}`, axis);
  }
  return v;
}

/**
 * Predicted loss of a law at a point (N = `params`, D = `pairs`; only the axes the law uses are read).
 *
 * @example
 * predictLoss({ law: 'model', params: { A: 4.54e4, alpha: 0.46, delta: 0.02 } }, { params: 86e6 }); // ≈ 0.0511
 */
export function predictLoss(law: Law, point: ScalePoint): number {
  checkLaw(law, 'law');
  const x = Math.log(axisValue(law.law, point, 'params'));
  const y = Math.log(axisValue(law.law, point, 'pairs'));
  return evalTheta(law.law, encodeParams(law.law, law.params), x, y);
}

/**
 * Validates an object as a `Law` (e.g. the parsed output of `densescale fit --json`), naming the field
 * that is wrong. Extra fields (r2, ci, n) are allowed and ignored.
 *
 * @example
 * const law = checkLaw(JSON.parse(text), 'fit.json'); // throws ConfigError('fit.json.params.beta: …')
 */
export function checkLaw(value: unknown, where: string): Law {
  if (typeof value !== 'object' || value === null) throw new ConfigError('expected an object with "law" and "params"', where);
  const { law, params } = value as { law?: unknown; params?: unknown };
  if (!isLawName(law)) throw new ConfigError(`unknown law ${JSON.stringify(law)}; expected one of ${LAW_NAMES.join(', ')}`, `${where}.law`);
  if (typeof params !== 'object' || params === null) throw new ConfigError('expected an object of parameters', `${where}.params`);
  for (const name of LAW_PARAMS[law]) {
    const v = (params as Record<string, unknown>)[name];
    const floor = name === 'delta' || name === 'E';
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!floor && v === 0)) {
      throw new ConfigError(`the ${law} law needs a finite ${floor ? 'non-negative' : 'positive'} number, got ${JSON.stringify(v)}`, `${where}.params.${name}`);
    }
  }
  return value as Law;
}

/**
 * The law as one line of text with its parameter values, for reports and CLI output.
 *
 * @example
 * formatLaw({ law: 'model', params: { A: 4.54e4, alpha: 0.46, delta: 0.02 } });
 * // 'L(N) = (4.54e+4/N)^0.46 + 0.02'
 */
export function formatLaw(law: Law): string {
  const p = law.params;
  const g = (v: number | undefined) => fmt(v!);
  switch (law.law) {
    case 'model':
      return `L(N) = (${g(p.A)}/N)^${g(p.alpha)} + ${g(p.delta)}`;
    case 'data':
      return `L(D) = (${g(p.B)}/D)^${g(p.beta)} + ${g(p.delta)}`;
    case 'joint':
      return `L(N,D) = [(${g(p.A)}/N)^(${g(p.alpha)}/${g(p.beta)}) + ${g(p.B)}/D]^${g(p.beta)} + ${g(p.delta)}`;
    case 'additive':
      return `L(N,D) = ${g(p.E)} + ${g(p.A)}/N^${g(p.alpha)} + ${g(p.B)}/D^${g(p.beta)}`;
  }
}

/** Three significant digits; exponent form outside [1e-3, 1e4). */
export function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e4 ? String(Number(v.toPrecision(3))) : v.toExponential(2).replace(/\.?0+e/, 'e');
}
