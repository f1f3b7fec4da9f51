import { describe, expect, it } from 'vitest';
import { globalNorm } from '../../src/ref/global_norm.js';
import { reduceSum, reduceSumF32 } from '../../src/ref/reduce.js';

describe('ref globalNorm', () => {
  it('is the Euclidean norm with the clip_grad_norm_ coefficient', () => {
    expect(globalNorm([3, 4], 10)).toEqual({ norm: 5, clipScale: 1 });
    const r = globalNorm([3, 4], 1);
    expect(r.norm).toBe(5);
    expect(r.clipScale).toBeCloseTo(1 / (5 + 1e-6), 15);
    expect(globalNorm([0, 0], 1).clipScale).toBe(1);
  });
});

describe('ref reduceSum / reduceSumF32', () => {
  it('reduceSumF32 equals the exact sum when every partial sum is representable', () => {
    const x = Array.from({ length: 1000 }, (_, i) => (i % 17) - 8);
    expect(reduceSumF32(x)).toBe(reduceSum(x));
    expect(reduceSumF32(x, 0.5)).toBe(reduceSum(x, 0.5));
  });

  it('reduceSumF32 follows the kernel order: strided lane sums, then a tree pairing lane l with l + half', () => {
    // In one lane, 2^24 + 1 rounds back to 2^24 (ties to even), twice.
    const sameLane = new Float32Array(513);
    sameLane[0] = 2 ** 24;
    sameLane[256] = 1;
    sameLane[512] = 1;
    expect(reduceSumF32(sameLane)).toBe(2 ** 24);
    // Lanes 1 and 3 meet first (half = 2), so their ones add to 2 before meeting 2^24.
    expect(reduceSumF32([2 ** 24, 1, 0, 1])).toBe(2 ** 24 + 2);
    // Lanes 0 and 2 meet first: 2^24 + 1 is lost, then 2^24 + 1 again.
    expect(reduceSumF32([2 ** 24, 1, 1])).toBe(2 ** 24);
  });
});
