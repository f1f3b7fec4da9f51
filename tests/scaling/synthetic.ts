// Synthetic runs drawn from known laws, with seeded multiplicative log-normal noise, so fits can be
// checked against the parameters that generated them. Paper values from paper.md "The laws".
import type { FitPoint } from '../../src/scaling/fit.js';
import type { LawParams } from '../../src/scaling/laws.js';
import { Pcg32 } from '../../src/util/rng.js';

/** MS MARCO model-size law, paper v1 Table 1. */
export const MSMARCO_MODEL = { A: 4.54e4, alpha: 0.46, delta: 0.02 };
/** MS MARCO joint law, paper v2 (transcribed). */
export const MSMARCO_JOINT = { A: 3.6e4, alpha: 0.56, B: 7.1e3, beta: 1.31, delta: 0.03 };
/** T2Ranking data-size law, paper v1 Table 2. */
export const T2RANKING_DATA = { B: 6.04e4, beta: 0.5, delta: 0.15 };
/** An additive (Chinchilla-form) law with losses in the same range as the paper's. */
export const ADDITIVE = { E: 0.03, A: 20, alpha: 0.3, B: 5, beta: 0.35 };

export function logSpace(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.exp(Math.log(lo) + ((Math.log(hi) - Math.log(lo)) * i) / (n - 1)));
}

// Written out with Math.pow, independently of src/scaling/laws.ts, so the tests do not trust the code under test.
export function modelLoss(p: LawParams, n: number): number {
  return Math.pow(p.A! / n, p.alpha!) + p.delta!;
}
export function dataLoss(p: LawParams, d: number): number {
  return Math.pow(p.B! / d, p.beta!) + p.delta!;
}
export function jointLoss(p: LawParams, n: number, d: number): number {
  return Math.pow(Math.pow(p.A! / n, p.alpha! / p.beta!) + p.B! / d, p.beta!) + p.delta!;
}
export function additiveLoss(p: LawParams, n: number, d: number): number {
  return p.E! + p.A! / Math.pow(n, p.alpha!) + p.B! / Math.pow(d, p.beta!);
}

/** Model sizes of the paper (0.5M–86M non-embedding parameters), log-spaced. */
export const MODEL_SIZES = logSpace(0.5e6, 86e6, 24);

function noisy(loss: number, noise: number, rng: Pcg32): number {
  return noise === 0 ? loss : loss * Math.exp(noise * rng.nextNormal());
}

export function modelRuns(p: LawParams, noise: number, seed: number, sizes = MODEL_SIZES): FitPoint[] {
  const rng = new Pcg32(seed, 11);
  return sizes.map((n) => ({ params: n, loss: noisy(modelLoss(p, n), noise, rng) }));
}

export function dataRuns(p: LawParams, noise: number, seed: number, pairs = logSpace(1e4, 7.4e5, 12)): FitPoint[] {
  const rng = new Pcg32(seed, 12);
  return pairs.map((d) => ({ pairs: d, loss: noisy(dataLoss(p, d), noise, rng) }));
}

/** A 6 × 5 grid of (N, D): N over the paper's sizes, D from 10k to 500k pairs. */
export function gridRuns(loss: (n: number, d: number) => number, noise: number, seed: number): FitPoint[] {
  const rng = new Pcg32(seed, 13);
  const out: FitPoint[] = [];
  for (const n of logSpace(0.5e6, 86e6, 6)) for (const d of logSpace(1e4, 5e5, 5)) out.push({ params: n, pairs: d, loss: noisy(loss(n, d), noise, rng) });
  return out;
}
