import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { budgetFrontier, optimalAllocation, PAPER_COSTS } from '../../src/scaling/budget.js';
import type { Law } from '../../src/scaling/laws.js';
import { additiveLoss, ADDITIVE, jointLoss, MSMARCO_JOINT, MSMARCO_MODEL } from './synthetic.js';

const JOINT: Law = { law: 'joint', params: MSMARCO_JOINT };
const ADD: Law = { law: 'additive', params: ADDITIVE };

/** Brute force: the best of `steps` log-spaced N on the budget line, in its own arithmetic. */
function gridSearch(loss: (n: number, d: number) => number, budget: number, perParam: number, steps = 20_001) {
  const nMax = (budget - PAPER_COSTS.zData) / perParam; // at least one pair
  let best = { N: NaN, D: NaN, loss: Infinity };
  for (let i = 0; i < steps; i++) {
    const n = Math.exp((Math.log(nMax) * i) / (steps - 1));
    const d = (budget - perParam * n) / PAPER_COSTS.zData;
    const l = loss(n, d);
    if (l < best.loss) best = { N: n, D: d, loss: l };
  }
  return { ...best, spacing: Math.log(nMax) / (steps - 1) };
}

describe('optimalAllocation', () => {
  for (const [name, law, loss] of [
    ['joint', JOINT, (n: number, d: number) => jointLoss(MSMARCO_JOINT, n, d)],
    ['additive', ADD, (n: number, d: number) => additiveLoss(ADDITIVE, n, d)],
  ] as const) {
    for (const inference of [true, false]) {
      it(`${name}, inference ${inference}: matches a 20,001-point grid search on the budget line`, () => {
        const perParam = PAPER_COSTS.zTrain + (inference ? PAPER_COSTS.zInfer : 0);
        for (const budget of [1e4, 1e6, 1e8]) {
          const a = optimalAllocation(law, { budget, inference });
          const g = gridSearch(loss, budget, perParam);
          expect(a.predictedLoss, `budget ${budget}`).toBeLessThanOrEqual(g.loss * (1 + 1e-12));
          expect(a.predictedLoss).toBeCloseTo(loss(a.N, a.D), 12);
          expect(Math.abs(Math.log(a.N / g.N)), `budget ${budget}: N ${a.N} vs grid ${g.N}`).toBeLessThanOrEqual(2 * g.spacing);
          expect(a.atBound).toBeUndefined();
        }
      });
    }
  }

  it('spends exactly the budget, itemised by the paper §6 constants', () => {
    const a = optimalAllocation(JOINT, { budget: 2.5e6 });
    expect(a.cost.data).toBeCloseTo(0.6 * a.D, 6);
    expect(a.cost.train).toBeCloseTo(3.22e-8 * a.N, 12);
    expect(a.cost.infer).toBeCloseTo(0.43 * a.N, 6);
    expect(a.cost.total).toBeCloseTo(a.cost.data + a.cost.train + a.cost.infer, 6);
    expect(Math.abs(a.cost.total - 2.5e6)).toBeLessThan(1e-6);
    expect(a).toMatchObject({ budget: 2.5e6, inference: true });
    const b = optimalAllocation(JOINT, { budget: 2.5e6, inference: false });
    expect(b.cost.infer).toBe(0);
    expect(b.inference).toBe(false);
    expect(Math.abs(b.cost.data + b.cost.train - 2.5e6)).toBeLessThan(1e-6);
  });

  it('is monotone in the budget: more money, lower loss, larger N* and D*', () => {
    const budgets = Array.from({ length: 13 }, (_, i) => 10 ** (3 + i / 2));
    for (const inference of [true, false]) {
      const runs = budgets.map((budget) => optimalAllocation(JOINT, { budget, inference }));
      for (let i = 1; i < runs.length; i++) {
        expect(runs[i]!.predictedLoss).toBeLessThan(runs[i - 1]!.predictedLoss);
        expect(runs[i]!.N).toBeGreaterThan(runs[i - 1]!.N);
        expect(runs[i]!.D).toBeGreaterThan(runs[i - 1]!.D);
      }
    }
  });

  it("reproduces the paper's qualitative claim with its joint law: inference cost keeps N* at millions", () => {
    // Paper §6: without inference cost the optimal model grows past 13B parameters; with it, millions.
    for (const budget of [1e6, 3e6, 1e7]) {
      const withInference = optimalAllocation(JOINT, { budget });
      const without = optimalAllocation(JOINT, { budget, inference: false });
      expect(without.N, `budget ${budget}`).toBeGreaterThan(13e9);
      expect(withInference.N, `budget ${budget}`).toBeGreaterThanOrEqual(1e6);
      expect(withInference.N, `budget ${budget}`).toBeLessThan(1e8);
      // Without inference cost the money shifts to annotation as well: D* grows too.
      expect(without.D).toBeGreaterThan(withInference.D);
      expect(without.predictedLoss).toBeLessThan(withInference.predictedLoss);
    }
  });

  it('respects bounds and reports an optimum pinned at one', () => {
    const free = optimalAllocation(JOINT, { budget: 1e7 });
    expect(free.N).toBeGreaterThan(1e7);
    const capped = optimalAllocation(JOINT, { budget: 1e7, bounds: { params: [1e6, 1e7] } });
    expect(capped.N).toBe(1e7);
    expect(capped.atBound).toBe('params-max');
    expect(capped.cost.total).toBeCloseTo(1e7, 4);
    // $1e7 buys at most 2.33e7 parameters with inference; the free optimum (2.06e7) is below this floor.
    const floored = optimalAllocation(JOINT, { budget: 1e7, bounds: { params: [2.2e7, 1e9] } });
    expect(floored.N).toBe(2.2e7);
    expect(floored.atBound).toBe('params-min');
    // Capping D at 1e5 pairs forces N up along the budget line.
    const fewPairs = optimalAllocation(JOINT, { budget: 1e7, bounds: { pairs: [1, 1e5] } });
    expect(fewPairs.D).toBeCloseTo(1e5, 3);
    expect(fewPairs.atBound).toBe('params-min');
  });

  it('uses the configured cost constants; scaling every price and the budget together changes nothing', () => {
    const a = optimalAllocation(JOINT, { budget: 1e6 });
    const b = optimalAllocation(JOINT, { budget: 1e7, zData: 6, zTrain: 3.22e-7, zInfer: 4.3 });
    // The loss is flat at the optimum, so N* is pinned to ~√ε relative, not to ε.
    expect(b.N / a.N).toBeCloseTo(1, 6);
    expect(b.D / a.D).toBeCloseTo(1, 6);
    const cheapInference = optimalAllocation(JOINT, { budget: 1e6, zInfer: 0.043 });
    expect(cheapInference.N).toBeGreaterThan(a.N);
  });

  it('rejects laws without both axes, bad budgets and infeasible bounds with ConfigError', () => {
    expect(() => optimalAllocation({ law: 'model', params: MSMARCO_MODEL }, { budget: 1e6 })).toThrow(/law: budget allocation needs a law of both N and D.*model/);
    expect(() => optimalAllocation(JOINT, { budget: 0 })).toThrow(ConfigError);
    expect(() => optimalAllocation(JOINT, { budget: -1 })).toThrow(/budget: must be a positive/);
    expect(() => optimalAllocation(JOINT, { budget: 1e6, zData: Number.NaN })).toThrow(/zData/);
    expect(() => optimalAllocation(JOINT, { budget: 0.5 })).toThrow(/budget: \$0.5 cannot buy/);
    expect(() => optimalAllocation(JOINT, { budget: 1e6, bounds: { params: [1e9, 1e10] } })).toThrow(/cannot buy/);
    expect(() => optimalAllocation(JOINT, { budget: 1e6, bounds: { params: [5, 1] } })).toThrow(/bounds.params/);
  });
});

describe('budgetFrontier', () => {
  it('is optimalAllocation at each budget, with and without inference', () => {
    const budgets = [1e4, 1e5, 1e6];
    const f = budgetFrontier(JOINT, budgets, { zData: 0.8 });
    expect(f.budgets).toEqual(budgets);
    budgets.forEach((budget, i) => {
      expect(f.withInference[i]).toEqual(optimalAllocation(JOINT, { budget, zData: 0.8 }));
      expect(f.withoutInference[i]).toEqual(optimalAllocation(JOINT, { budget, zData: 0.8, inference: false }));
    });
  });
});
