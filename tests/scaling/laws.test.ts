import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { checkLaw, decodeParams, encodeParams, evalTheta, formatLaw, LAW_NAMES, LAW_PARAMS, predictLoss, type LawName, type LawParams } from '../../src/scaling/laws.js';
import { additiveLoss, ADDITIVE, dataLoss, jointLoss, modelLoss, MSMARCO_JOINT, MSMARCO_MODEL, T2RANKING_DATA } from './synthetic.js';
import { mulberry32 } from '../helpers/rand.js';

const PARAMS: Record<LawName, LawParams> = { model: MSMARCO_MODEL, data: T2RANKING_DATA, joint: MSMARCO_JOINT, additive: ADDITIVE };

describe('law values', () => {
  it('match closed forms at special points', () => {
    const { A, alpha, delta } = MSMARCO_MODEL;
    expect(predictLoss({ law: 'model', params: MSMARCO_MODEL }, { params: A })).toBeCloseTo(1 + delta, 14);
    expect(predictLoss({ law: 'model', params: MSMARCO_MODEL }, { params: A / 2 ** (1 / alpha) })).toBeCloseTo(2 + delta, 13);
    const j = MSMARCO_JOINT;
    // At N = A and D = B the bracket is 1 + 1.
    expect(predictLoss({ law: 'joint', params: j }, { params: j.A, pairs: j.B })).toBeCloseTo(2 ** j.beta + j.delta, 13);
    // D → ∞ leaves the model-size law with exponent α; N → ∞ leaves the data law.
    expect(predictLoss({ law: 'joint', params: j }, { params: 1e7, pairs: 1e300 })).toBeCloseTo((j.A / 1e7) ** j.alpha + j.delta, 13);
    expect(predictLoss({ law: 'joint', params: j }, { params: 1e300, pairs: 1e5 })).toBeCloseTo((j.B / 1e5) ** j.beta + j.delta, 13);
    expect(predictLoss({ law: 'additive', params: ADDITIVE }, { params: 1, pairs: 1 })).toBeCloseTo(ADDITIVE.E + ADDITIVE.A + ADDITIVE.B, 13);
  });

  it('equal independent Math.pow implementations across the paper range', () => {
    const rnd = mulberry32(3);
    for (let i = 0; i < 50; i++) {
      const n = 10 ** (5 + 5 * rnd());
      const d = 10 ** (3 + 4 * rnd());
      const rel = (a: number, b: number) => Math.abs(a / b - 1);
      expect(rel(predictLoss({ law: 'model', params: MSMARCO_MODEL }, { params: n }), modelLoss(MSMARCO_MODEL, n))).toBeLessThan(1e-13);
      expect(rel(predictLoss({ law: 'data', params: T2RANKING_DATA }, { pairs: d }), dataLoss(T2RANKING_DATA, d))).toBeLessThan(1e-13);
      expect(rel(predictLoss({ law: 'joint', params: MSMARCO_JOINT }, { params: n, pairs: d }), jointLoss(MSMARCO_JOINT, n, d))).toBeLessThan(1e-13);
      expect(rel(predictLoss({ law: 'additive', params: ADDITIVE }, { params: n, pairs: d }), additiveLoss(ADDITIVE, n, d))).toBeLessThan(1e-13);
    }
  });

  it('stay exact where the plain power form overflows', () => {
    // With β = 0.005, (A/N)^(α/β) at N = 1 is 3.6e4^112 ≈ 1e510: +∞ in f64, so the textbook formula
    // gives ∞. The bracket as a log-sum-exp never forms that number and returns A^α + δ to rounding.
    const params = { ...MSMARCO_JOINT, beta: 0.005 };
    expect(jointLoss(params, 1, 1e5)).toBe(Infinity);
    const v = predictLoss({ law: 'joint', params }, { params: 1, pairs: 1e5 });
    expect(Math.abs(v / (params.A ** params.alpha + params.delta) - 1)).toBeLessThan(1e-12);
  });
});

describe('θ parameterisation', () => {
  it('round-trips and keeps the floor non-negative for any θ', () => {
    for (const law of LAW_NAMES) {
      const back = decodeParams(law, encodeParams(law, PARAMS[law]));
      for (const name of LAW_PARAMS[law]) expect(back[name]).toBeCloseTo(PARAMS[law][name]!, 10);
    }
    expect(decodeParams('model', [1, 0, -0.3]).delta).toBeCloseTo(0.09, 15);
  });

  it('analytic ∂L/∂θ matches central finite differences (f64, eps 1e-6) for every law', () => {
    const rnd = mulberry32(11);
    for (const law of LAW_NAMES) {
      for (let trial = 0; trial < 20; trial++) {
        const theta = encodeParams(law, PARAMS[law]);
        for (let j = 0; j < theta.length; j++) theta[j] = theta[j]! + (rnd() - 0.5) * 0.6;
        const x = Math.log(10 ** (5 + 3 * rnd()));
        const y = Math.log(10 ** (3 + 3 * rnd()));
        const grad = new Float64Array(theta.length);
        const value = evalTheta(law, theta, x, y, grad);
        for (let j = 0; j < theta.length; j++) {
          const eps = 1e-6;
          const plus = Float64Array.from(theta);
          const minus = Float64Array.from(theta);
          plus[j] = plus[j]! + eps;
          minus[j] = minus[j]! - eps;
          const fd = (evalTheta(law, plus, x, y) - evalTheta(law, minus, x, y)) / (2 * eps);
          // DESIGN §3.5 ref-vs-FD tolerance, atol scaled by the value (FD rounding is ~1e-16·L/eps).
          expect(Math.abs(grad[j]! - fd), `${law} θ${j} (${LAW_PARAMS[law][j]}) analytic ${grad[j]} fd ${fd}`).toBeLessThanOrEqual(1e-6 * Math.abs(fd) + 1e-9 * Math.max(1, value));
        }
      }
    }
  });
});

describe('checkLaw / formatLaw', () => {
  it('accepts fit output with extra fields and names the bad field otherwise', () => {
    expect(checkLaw({ law: 'model', params: MSMARCO_MODEL, r2: 0.99, ci: {}, n: 24 }, 'fit.json').law).toBe('model');
    expect(checkLaw({ law: 'model', params: { ...MSMARCO_MODEL, delta: 0 } }, 'x').params.delta).toBe(0);
    const field = (v: unknown) => {
      try {
        checkLaw(v, 'fit.json');
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).field;
      }
      return undefined;
    };
    expect(field(null)).toBe('fit.json');
    expect(field({ law: 'power', params: {} })).toBe('fit.json.law');
    expect(field({ law: 'joint' })).toBe('fit.json.params');
    expect(field({ law: 'joint', params: { ...MSMARCO_JOINT, beta: 'x' } })).toBe('fit.json.params.beta');
    expect(field({ law: 'joint', params: { ...MSMARCO_JOINT, A: 0 } })).toBe('fit.json.params.A');
    expect(field({ law: 'additive', params: { ...ADDITIVE, E: -1 } })).toBe('fit.json.params.E');
  });

  it('predictLoss names the missing axis', () => {
    expect(() => predictLoss({ law: 'joint', params: MSMARCO_JOINT }, { params: 1e6 })).toThrow(/joint law needs a positive finite "pairs"/);
  });

  it('formats each law with three significant digits', () => {
    expect(formatLaw({ law: 'model', params: MSMARCO_MODEL })).toBe('L(N) = (4.54e+4/N)^0.46 + 0.02');
    expect(formatLaw({ law: 'joint', params: MSMARCO_JOINT })).toBe('L(N,D) = [(3.6e+4/N)^(0.56/1.31) + 7100/D]^1.31 + 0.03');
    expect(formatLaw({ law: 'data', params: { B: 2.37e-2, beta: 0.19, delta: 0.01 } })).toBe('L(D) = (0.0237/D)^0.19 + 0.01');
    expect(formatLaw({ law: 'additive', params: ADDITIVE })).toBe('L(N,D) = 0.03 + 20/N^0.3 + 5/D^0.35');
  });
});
