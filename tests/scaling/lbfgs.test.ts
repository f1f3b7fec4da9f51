import { describe, expect, it } from 'vitest';
import { minimizeLbfgs, type Objective } from '../../src/scaling/lbfgs.js';

const rosenbrock: Objective = (x, g) => {
  const a = x[0]!;
  const b = x[1]!;
  g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
  g[1] = 200 * (b - a * a);
  return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
};

describe('minimizeLbfgs', () => {
  it('finds the Rosenbrock minimum (1, 1) from the classic start (−1.2, 1)', () => {
    const r = minimizeLbfgs(rosenbrock, [-1.2, 1]);
    expect(r.x[0]).toBeCloseTo(1, 8);
    expect(r.x[1]).toBeCloseTo(1, 8);
    expect(r.value).toBeLessThan(1e-16);
    expect(['gradient', 'value', 'line-search']).toContain(r.stop);
    // L-BFGS needs a few dozen iterations here; steepest descent needs thousands.
    expect(r.iterations).toBeLessThan(100);
  });

  it('solves an ill-conditioned quadratic (condition number 1e4) to the closed-form minimiser', () => {
    // f(x) = ½ Σ c_i (x_i − t_i)² in a rotated basis: x* = t exactly.
    const n = 5;
    const c = [1, 10, 100, 1000, 10000];
    const t = [0.3, -2, 5, 1e-3, 7];
    // Rotation: a fixed Householder reflection H = I − 2vvᵀ/vᵀv.
    const v = [1, 2, -1, 0.5, 3];
    const vv = v.reduce((s, a) => s + a * a, 0);
    const H = (x: ArrayLike<number>) => {
      const d = v.reduce((s, a, i) => s + a * x[i]!, 0);
      return Array.from({ length: n }, (_, i) => x[i]! - (2 * d * v[i]!) / vv);
    };
    const f: Objective = (x, g) => {
      const z = H(x).map((zi, i) => zi - t[i]!); // z = Hx − t
      const gz = H(z.map((zi, i) => c[i]! * zi)); // ∇f = Hᵀ C z, and H is symmetric
      for (let i = 0; i < n; i++) g[i] = gz[i]!;
      return 0.5 * z.reduce((s, zi, i) => s + c[i]! * zi * zi, 0);
    };
    const r = minimizeLbfgs(f, new Float64Array(n), { maxFirstStep: 10 });
    const xStar = H(t); // H⁻¹ = H
    for (let i = 0; i < n; i++) expect(Math.abs(r.x[i]! - xStar[i]!), `x[${i}]`).toBeLessThan(1e-9);
  });

  it('backs off from points where f is not finite instead of failing', () => {
    // A wall at x = 5 (f = ∞ beyond it) and a first step long enough to cross it.
    const f: Objective = (x, g) => {
      if (x[0]! >= 5) return Infinity;
      g[0] = 2 * (x[0]! - 3);
      return (x[0]! - 3) ** 2;
    };
    const r = minimizeLbfgs(f, [0], { maxFirstStep: 100 });
    expect(r.x[0]).toBeCloseTo(3, 10);
  });

  it('is deterministic: the same start gives bit-identical results', () => {
    const a = minimizeLbfgs(rosenbrock, [-1.2, 1]);
    const b = minimizeLbfgs(rosenbrock, [-1.2, 1]);
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    expect(a.evaluations).toBe(b.evaluations);
  });

  it('stops at the iteration limit and reports it', () => {
    const r = minimizeLbfgs(rosenbrock, [-1.2, 1], { maxIterations: 3 });
    expect(r.stop).toBe('iterations');
    expect(r.iterations).toBe(3);
    expect(r.value).toBeLessThan(rosenbrock(Float64Array.of(-1.2, 1), new Float64Array(2)));
  });
});
