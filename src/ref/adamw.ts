// CPU reference for adamw_update.wgsl: one AdamW step in f64, PyTorch's formulation (decoupled weight
// decay applied as θ·(1 − lr·λ), bias-corrected moments).

export interface AdamwStep {
  learningRate: number;
  /** 1-based step count t, for the bias corrections 1 − βᵗ. */
  step: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

/** Elements per bit of an AdamW decay mask: parameter groups start at multiples of 64 elements. */
export const DECAY_BLOCK = 64;

/**
 * Whether element i decays under a packed mask (bit b of word w ↔ 64-element block 32w + b).
 *
 * @example
 * decays([0b10], 70); // true: element 70 is in block 1
 */
export function decays(mask: ArrayLike<number> | undefined, i: number): boolean {
  if (mask === undefined) return true;
  const block = Math.floor(i / DECAY_BLOCK);
  return ((mask[block >>> 5]! >>> (block & 31)) & 1) === 1;
}

/**
 * One AdamW step, in place on params, m and v: g = grads·clipScale, m ← β1 m + (1−β1) g,
 * v ← β2 v + (1−β2) g², θ ← θ(1 − lr·λ) − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε). Weight decay applies where
 * the decay mask has the element's block bit set, everywhere without a mask.
 *
 * @example
 * const p = [1], m = [0], v = [0];
 * adamwUpdate(p, m, v, [0.5], 1, { learningRate: 0.1, step: 1, beta1: 0.9, beta2: 0.999, epsilon: 0, weightDecay: 0 });
 * p[0]; // 0.9: the first step moves each weight by lr·sign(g)
 */
export function adamwUpdate(
  params: number[] | Float64Array,
  m: number[] | Float64Array,
  v: number[] | Float64Array,
  grads: ArrayLike<number>,
  clipScale: number,
  h: AdamwStep,
  decayMask?: ArrayLike<number>,
): void {
  const bc1 = 1 - h.beta1 ** h.step;
  const bc2 = 1 - h.beta2 ** h.step;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i]! * clipScale;
    m[i] = h.beta1 * m[i]! + (1 - h.beta1) * g;
    v[i] = h.beta2 * v[i]! + (1 - h.beta2) * g * g;
    const mHat = m[i]! / bc1;
    const vHat = v[i]! / bc2;
    const decay = decays(decayMask, i) ? 1 - h.learningRate * h.weightDecay : 1;
    params[i] = params[i]! * decay - (h.learningRate * mHat) / (Math.sqrt(vHat) + h.epsilon);
  }
}
