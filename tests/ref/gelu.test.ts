import { describe, expect, it } from 'vitest';
import { erf, erfc, geluBackward, geluForward, normalCdf, type GeluFormName } from '../../src/ref/gelu.js';
import { jacobianMismatches } from '../helpers/nn_grad.js';

describe('ref erf', () => {
  // Values from Abramowitz & Stegun table 7.1 / any CAS, to 16 digits.
  it('matches known values of erf and erfc', () => {
    expect(erf(0)).toBe(0);
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 15);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 15);
    expect(erf(2)).toBeCloseTo(0.9953222650189527, 15);
    expect(erf(-1)).toBeCloseTo(-0.8427007929497149, 15);
    expect(erfc(3) / 2.209049699858544e-5 - 1).toBeLessThan(1e-12);
    expect(Math.abs(erfc(5) / 1.5374597944280349e-12 - 1)).toBeLessThan(1e-12);
    expect(Math.abs(erfc(10) / 2.088487583762545e-45 - 1)).toBeLessThan(1e-12);
    expect(erfc(-3)).toBeCloseTo(2 - 2.209049699858544e-5, 15);
  });

  it('has derivative 2/√π·e^{−x²} on both sides of the series/continued-fraction switch at |x| = 2', () => {
    for (const x of [-3.1, -2.0000001, -1.9999999, -0.3, 0.7, 1.9999999, 2.0000001, 2.5, 4]) {
      const h = 1e-5;
      const fd = (erf(x + h) - erf(x - h)) / (2 * h);
      expect(Math.abs(fd - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x)), `x=${x}`).toBeLessThan(1e-9);
    }
  });

  it('erf and erfc agree across the switch (continuity and erf + erfc = 1)', () => {
    for (const x of [1.999999999, 2, 2.000000001, -2]) expect(Math.abs(erf(x) + erfc(x) - 1), `x=${x}`).toBeLessThan(1e-15);
    // No jump at the switch beyond the slope: erf(2 + h) − erf(2 − h) ≈ 2h·erf'(2).
    const h = 1e-12;
    expect(Math.abs(erf(2 + h) - erf(2 - h) - 2 * h * (2 / Math.sqrt(Math.PI)) * Math.exp(-4))).toBeLessThan(1e-15);
  });

  it('gives the normal CDF: Φ(0) = ½, Φ(1.959963984540054) = 0.975, Φ(−x) = 1 − Φ(x)', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 14);
    expect(normalCdf(-1.3) + normalCdf(1.3)).toBeCloseTo(1, 15);
  });
});

describe('ref gelu', () => {
  it('matches closed-form values of both forms', () => {
    // gelu(1) = Φ(1) = 0.8413447460685429; the tanh form gives 0.8411919906082768 (DESIGN.md §3.5: ≈ 0.841192).
    expect(geluForward([1], 'gelu')[0]).toBeCloseTo(0.8413447460685429, 15);
    expect(geluForward([1], 'gelu_new')[0]).toBeCloseTo(0.8411919906082768, 15);
    expect(geluForward([0], 'gelu')[0]).toBe(0);
    expect(geluForward([-1], 'gelu')[0]).toBeCloseTo(-0.15865525393145707, 15);
    // Far tails: x and 0; gelu'(0) = ½ in both forms.
    expect(geluForward([100, -100], 'gelu')).toEqual(new Float64Array([100, -0]));
    expect(geluBackward([1], [0], 'gelu')[0]).toBe(0.5);
    expect(geluBackward([1], [0], 'gelu_new')[0]).toBe(0.5);
  });

  for (const form of ['gelu', 'gelu_new'] as GeluFormName[]) {
    it(`${form} backward equals the finite-difference Jacobian`, () => {
      const x = Float64Array.from([-6, -3.3, -1.2, -0.5, -1e-3, 0, 0.25, 0.9, 1.7, 2.4, 3.9, 7]);
      const bad = jacobianMismatches(
        ([v]) => geluForward(v!, form),
        (dout, [v]) => [geluBackward(dout, v!, form)],
        [x],
      );
      expect(bad).toEqual([]);
    });
  }
});
