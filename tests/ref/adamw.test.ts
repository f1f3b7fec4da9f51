import { describe, expect, it } from 'vitest';
import { adamwUpdate, type AdamwStep } from '../../src/ref/adamw.js';
import { adamwDecayMask } from '../../src/ops/adamw.js';
import { ConfigError } from '../../src/errors.js';

const H: AdamwStep = { learningRate: 1e-2, step: 1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1 };

describe('ref adamwUpdate: closed forms', () => {
  it('first step: θ(1 − lr·λ) − lr·g/(|g| + ε), with the clip scale applied to g', () => {
    const p0 = [0.5, -1, 2, 0];
    const g = [0.3, -2, 1e-3, -0.7];
    const clip = 0.25;
    const p = [...p0];
    adamwUpdate(p, [0, 0, 0, 0], [0, 0, 0, 0], g, clip, H);
    p0.forEach((x, i) => {
      const gc = g[i]! * clip;
      expect(p[i]).toBeCloseTo(x * (1 - H.learningRate * H.weightDecay) - (H.learningRate * gc) / (Math.abs(gc) + H.epsilon), 14);
    });
  });

  it('constant gradient: bias correction makes every step lr·sign(g) (no decay)', () => {
    const h = { ...H, weightDecay: 0, epsilon: 0 };
    const p = [1, 1];
    const m = [0, 0];
    const v = [0, 0];
    for (let t = 1; t <= 7; t++) adamwUpdate(p, m, v, [0.3, -5], 1, { ...h, step: t });
    expect(p[0]).toBeCloseTo(1 - 7 * h.learningRate, 12);
    expect(p[1]).toBeCloseTo(1 + 7 * h.learningRate, 12);
  });

  it('zero gradient: only the decayed blocks shrink, by (1 − lr·λ) per step', () => {
    const n = 200;
    const mask = adamwDecayMask(n, [{ offset: 64, numel: 70 }]);
    const p = new Float64Array(n).fill(1);
    const m = new Float64Array(n);
    const v = new Float64Array(n);
    for (let t = 1; t <= 3; t++) adamwUpdate(p, m, v, new Float64Array(n), 1, { ...H, step: t }, mask);
    const shrunk = (1 - H.learningRate * H.weightDecay) ** 3;
    for (let i = 0; i < n; i++) expect(p[i], `element ${i}`).toBeCloseTo(i >= 64 && i < 192 ? shrunk : 1, 14);
  });
});

describe('adamwDecayMask', () => {
  it('sets one bit per 64-element block of each decayed range, including its padded tail', () => {
    const mask = adamwDecayMask(64 * 40, [{ offset: 0, numel: 1 }, { offset: 64 * 33, numel: 64 * 2 + 5 }]);
    expect(Array.from(mask)).toEqual([1, (1 << 1) | (1 << 2) | (1 << 3)]);
  });

  it('rejects a range that does not start on a block boundary', () => {
    expect(() => adamwDecayMask(1000, [{ offset: 10, numel: 5 }])).toThrow(ConfigError);
    expect(() => adamwDecayMask(1000, [{ offset: 960, numel: 100 }])).toThrow(/adamwDecayMask.decayed/);
  });
});
