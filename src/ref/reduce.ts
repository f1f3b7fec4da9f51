// CPU references for reduce_sum: the exact sum in f64, and the kernel's own order emulated in f32.

/**
 * scale · Σ x, in f64.
 *
 * @example
 * reduceSum([1, 2, 3], 0.5); // 3
 */
export function reduceSum(x: ArrayLike<number>, scale = 1): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s * scale;
}

/** The lane count of shaders/reduce_sum.wgsl. */
export const REDUCE_LANES = 256;

/**
 * The bits reduce_sum.wgsl produces: lane l sums x[l], x[l+256], … in f32, then a binary tree over the
 * 256 lane sums, then one multiply by scale. Additions are correctly rounded everywhere and nothing can
 * be fused, so every adapter must give exactly this.
 *
 * @example
 * reduceSumF32([0.1, 0.2]); // 0.30000001192092896: f32(0.1) + f32(0.2) rounded to f32
 */
export function reduceSumF32(x: ArrayLike<number>, scale = 1): number {
  const f = Math.fround;
  const lanes = new Array<number>(REDUCE_LANES).fill(0);
  for (let l = 0; l < REDUCE_LANES; l++) {
    let acc = 0;
    for (let i = l; i < x.length; i += REDUCE_LANES) acc = f(acc + f(x[i]!));
    lanes[l] = acc;
  }
  for (let half = REDUCE_LANES / 2; half > 0; half >>= 1) {
    for (let l = 0; l < half; l++) lanes[l] = f(lanes[l]! + lanes[l + half]!);
  }
  return f(lanes[0]! * f(scale));
}
