// Compute-optimal allocation under a dollar budget (paper.md "Budget allocation", paper §6):
//
//   minimise L(N, D)  subject to  Z(N, D) = Z_data·D + Z_train·N + Z_infer·N ≤ budget
//
// L decreases in both N and D, so the optimum spends the whole budget: D(N) = (budget − c·N)/Z_data with
// c = Z_train (+ Z_infer), and the problem is 1-D in t = log N. On that line both laws are convex in t
// (joint: minimising the bracket (A/N)^(α/β) + B/D(N) suffices since u ↦ u^β is increasing, and A'e^{−kt}
// and B·Z_data/(budget − c·e^t) are both convex; additive: the same with D^{−β}), so golden-section search
// inside a bracket finds the global minimum. A coarse scan first brackets it and tells whether the
// optimum is pinned at a bound (the bracket check).
import { ConfigError } from '../errors.js';
import { checkLaw, encodeParams, evalTheta, type Law } from './laws.js';

/** Paper §6 cost constants (USD). */
export const PAPER_COSTS = {
  /** per annotated (query, positive) pair */
  zData: 0.6,
  /** per parameter: 10,000 steps × 256 × (30 + 2·60) tokens × 6N FLOP on an A100 at $3.93/h, 25% of 312 TFLOP/s */
  zTrain: 3.22e-8,
  /** per parameter: encoding 30e12 pages × 512 tokens × 2N FLOP */
  zInfer: 0.43,
} as const;

export interface BudgetOptions {
  /** Total spend in USD. */
  budget: number;
  zData?: number;
  zTrain?: number;
  zInfer?: number;
  /** Count the cost of encoding the corpus with the model (Z_infer·N). Default true. */
  inference?: boolean;
  /** Allowed ranges of N (params) and D (pairs); default N ≥ 1, D ≥ 1. */
  bounds?: { params?: [number, number]; pairs?: [number, number] };
}

export interface Allocation {
  N: number;
  D: number;
  predictedLoss: number;
  cost: { data: number; train: number; infer: number; total: number };
  budget: number;
  inference: boolean;
  /** Set when the optimum sits on a bound of N (from `bounds.params`, or `bounds.pairs` through the budget line). */
  atBound?: 'params-min' | 'params-max';
}

const SCAN_POINTS = 256;
const INV_PHI = (Math.sqrt(5) - 1) / 2;

function positive(v: number, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ConfigError(`must be a positive finite number, got ${JSON.stringify(v)}`, field);
  return v;
}

function checkRange(range: [number, number] | undefined, field: string): [number, number] {
  if (range === undefined) return [1, Infinity];
  const [lo, hi] = range;
  if (!(lo > 0) || !(hi >= lo)) throw new ConfigError(`must be [min, max] with 0 < min ≤ max, got ${JSON.stringify(range)}`, field);
  return [lo, hi];
}

/**
 * The (N, D) that minimises the law's predicted loss under a budget, with and without the cost of
 * inference over the corpus. The law must have both axes (joint or additive).
 *
 * @example
 * const law = { law: 'joint', params: { A: 3.6e4, alpha: 0.56, B: 7.1e3, beta: 1.31, delta: 0.03 } } as const;
 * optimalAllocation(law, { budget: 1e6 });                     // N in the millions (inference priced in)
 * optimalAllocation(law, { budget: 1e6, inference: false });  // far larger N
 */
export function optimalAllocation(law: Law, options: BudgetOptions): Allocation {
  checkLaw(law, 'law');
  if (law.law !== 'joint' && law.law !== 'additive') {
    throw new ConfigError(`budget allocation needs a law of both N and D (joint or additive), got the ${law.law} law`, 'law');
  }
  const budget = positive(options.budget, 'budget');
  const zData = positive(options.zData ?? PAPER_COSTS.zData, 'zData');
  const zTrain = positive(options.zTrain ?? PAPER_COSTS.zTrain, 'zTrain');
  const zInfer = positive(options.zInfer ?? PAPER_COSTS.zInfer, 'zInfer');
  const inference = options.inference ?? true;
  const perParam = zTrain + (inference ? zInfer : 0);
  const [nMin, nMax] = checkRange(options.bounds?.params, 'bounds.params');
  const [dMin, dMax] = checkRange(options.bounds?.pairs, 'bounds.pairs');

  // The budget line, clipped to the bounds: D ≤ dMax ⇒ N ≥ (budget − Z_data·dMax)/c; D ≥ dMin ⇒ N ≤ ….
  const lo = Math.max(nMin, (budget - zData * dMax) / perParam);
  const hi = Math.min(nMax, (budget - zData * dMin) / perParam);
  if (!(lo <= hi)) {
    throw new ConfigError(
      `$${budget} cannot buy N in [${nMin}, ${nMax}] and D in [${dMin}, ${dMax}] at $${zData}/pair and $${perParam}/parameter`,
      'budget',
    );
  }
  const theta = encodeParams(law.law, law.params);
  const pairsAt = (n: number) => Math.max((budget - perParam * n) / zData, 0);
  const lossAtLogN = (t: number) => {
    const d = pairsAt(Math.exp(t));
    return d > 0 ? evalTheta(law.law, theta, t, Math.log(d)) : Infinity;
  };

  const tLo = Math.log(lo);
  const tHi = Math.log(hi);
  let tBest: number;
  let atBound: Allocation['atBound'];
  if (tHi - tLo < 1e-12) {
    tBest = tLo;
  } else {
    const step = (tHi - tLo) / (SCAN_POINTS - 1);
    let best = 0;
    let bestLoss = Infinity;
    for (let i = 0; i < SCAN_POINTS; i++) {
      const v = lossAtLogN(tLo + i * step);
      if (v < bestLoss) {
        bestLoss = v;
        best = i;
      }
    }
    // A bracket [a, c] around b with f(b) ≤ f(a), f(c) exists unless the scan minimum is an end point.
    tBest = goldenSection(lossAtLogN, tLo + Math.max(best - 1, 0) * step, tLo + Math.min(best + 1, SCAN_POINTS - 1) * step);
    if (best === 0 && lossAtLogN(tLo) <= lossAtLogN(tBest)) {
      tBest = tLo;
      atBound = 'params-min';
    } else if (best === SCAN_POINTS - 1 && lossAtLogN(tHi) <= lossAtLogN(tBest)) {
      tBest = tHi;
      atBound = 'params-max';
    }
  }
  const N = tBest === tLo ? lo : tBest === tHi ? hi : Math.exp(tBest);
  const D = pairsAt(N);
  const cost = { data: zData * D, train: zTrain * N, infer: inference ? zInfer * N : 0, total: 0 };
  cost.total = cost.data + cost.train + cost.infer;
  const out: Allocation = { N, D, predictedLoss: lossAtLogN(Math.log(N)), cost, budget, inference };
  if (atBound) out.atBound = atBound;
  return out;
}

/** Golden-section search for the minimum of a unimodal f on [a, b]; stops at a relative width of 1e-12. */
function goldenSection(f: (t: number) => number, a: number, b: number): number {
  let c = b - INV_PHI * (b - a);
  let d = a + INV_PHI * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (Math.abs(b - a) > 1e-12 * Math.max(1, Math.abs(a) + Math.abs(b))) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - INV_PHI * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + INV_PHI * (b - a);
      fd = f(d);
    }
  }
  return fc <= fd ? c : d;
}

/** Optimal allocations over a list of budgets, with and without the inference cost. */
export interface Frontier {
  budgets: number[];
  withInference: Allocation[];
  withoutInference: Allocation[];
}

/**
 * `optimalAllocation` at every budget, both with and without the inference cost (for the report's
 * frontier plot). Options other than `budget` and `inference` apply to every point.
 *
 * @example
 * const budgets = [1e3, 1e4, 1e5, 1e6, 1e7];
 * const frontier = budgetFrontier(law, budgets);
 * frontier.withoutInference.map((a) => a.N); // grows with the budget
 */
export function budgetFrontier(law: Law, budgets: readonly number[], options: Omit<BudgetOptions, 'budget' | 'inference'> = {}): Frontier {
  return {
    budgets: [...budgets],
    withInference: budgets.map((budget) => optimalAllocation(law, { ...options, budget, inference: true })),
    withoutInference: budgets.map((budget) => optimalAllocation(law, { ...options, budget, inference: false })),
  };
}
