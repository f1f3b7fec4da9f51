import { describe, expect, it } from 'vitest';
import { expDet, f32Bits, f32FromBits, logDet } from '../../src/ref/detmath.js';

/** Distance in units in the last place of f32 between a (an f32 value) and the exact value b. */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const ulp = 2 ** (Math.floor(Math.log2(Math.abs(b))) - 23);
  return Math.abs(a - b) / ulp;
}

describe('detmath: the TS twins of exp_det / log_det', () => {
  it('expDet is within 1.5 ULP of exp over [−87, 88], exact at 0, 0 below −87', () => {
    expect(expDet(0)).toBe(1);
    expect(expDet(-87.5)).toBe(0);
    let worst = 0;
    for (let x = -87; x <= 88; x += 0.01373) worst = Math.max(worst, ulps(expDet(x), Math.exp(Math.fround(x))));
    expect(worst).toBeLessThan(1.5);
  });

  it('logDet is within 2 ULP (or 2e-7 absolute near 1) of log over normal f32 values', () => {
    expect(logDet(1)).toBe(0);
    let worst = 0;
    for (let e = -126; e <= 127; e += 3) {
      for (let i = 0; i < 64; i++) {
        const x = f32FromBits(((e + 127) << 23) | ((i * 131071) & 0x7fffff));
        const exact = Math.log(x);
        const err = Math.abs(exact) < 1 ? Math.abs(logDet(x) - exact) / 2e-7 * 2 : ulps(logDet(x), exact);
        worst = Math.max(worst, err);
      }
    }
    expect(worst).toBeLessThan(2);
  });

  it('round-trips f32 bit patterns', () => {
    for (const x of [0, -0, 1, -2.5, 3.4028234663852886e38, 1.1754943508222875e-38]) expect(f32FromBits(f32Bits(x))).toBe(Math.fround(x));
    expect(f32Bits(-0)).toBe(0x80000000);
  });
});
