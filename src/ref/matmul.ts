// CPU reference for shaders/matmul_forward.wgsl and shaders/matmul_backward.wgsl, in f64 (llm.c
// train_gpt2.c style loops). Besides each result it returns Σ|a·b| over the products that were summed,
// the scale of the dot-product tolerance 1e-6·√len·Σ|ab| (DESIGN.md §3.5): an output near zero because of
// cancellation is judged against the size of what cancelled, not against itself.

/** Dimensions of out (M,N) = inp (M,K) · weight (N,K)ᵀ. */
export interface MatmulDims {
  M: number;
  N: number;
  K: number;
}

export interface MatmulForwardResult {
  /** (M,N) */
  out: Float64Array;
  /** (M,N): Σ_k |inp[m,k]·weight[n,k]| + |bias[n]| */
  absSum: Float64Array;
}

export interface MatmulBackwardResult {
  /** (M,K) = dout · weight */
  dinp: Float64Array;
  /** (N,K) = doutᵀ · inp */
  dweight: Float64Array;
  /** (N) = Σ_m dout[m,n] */
  dbias: Float64Array;
  /** (M,K): Σ_n |dout[m,n]·weight[n,k]| */
  dinpAbsSum: Float64Array;
  /** (N,K): Σ_m |dout[m,n]·inp[m,k]| */
  dweightAbsSum: Float64Array;
  /** (N): Σ_m |dout[m,n]| */
  dbiasAbsSum: Float64Array;
}

/**
 * out[m,n] = Σ_k inp[m,k]·weight[n,k] + bias[n], the linear layer y = x·Wᵀ + b with W stored (out, in).
 *
 * @example
 * const { out } = matmulForward([1, 2], [3, 4, 5, 6], [0.5, -1], { M: 1, N: 2, K: 2 }); // [11.5, 16]
 */
export function matmulForward(
  inp: ArrayLike<number>,
  weight: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  { M, N, K }: MatmulDims,
): MatmulForwardResult {
  const out = new Float64Array(M * N);
  const absSum = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      let a = 0;
      for (let k = 0; k < K; k++) {
        const t = inp[m * K + k]! * weight[n * K + k]!;
        s += t;
        a += Math.abs(t);
      }
      if (bias !== null) {
        s += bias[n]!;
        a += Math.abs(bias[n]!);
      }
      out[m * N + n] = s;
      absSum[m * N + n] = a;
    }
  }
  return { out, absSum };
}

/**
 * Gradients of out = inp·weightᵀ + bias given dout = ∂L/∂out (M,N): dinp = dout·weight,
 * dweight = doutᵀ·inp, dbias = column sums of dout.
 *
 * @example
 * const g = matmulBackward([1, 1], [1, 2], [3, 4, 5, 6], { M: 1, N: 2, K: 2 });
 * g.dinp;    // [8, 10]
 * g.dweight; // [1, 2, 1, 2]
 * g.dbias;   // [1, 1]
 */
export function matmulBackward(
  dout: ArrayLike<number>,
  inp: ArrayLike<number>,
  weight: ArrayLike<number>,
  { M, N, K }: MatmulDims,
): MatmulBackwardResult {
  const dinp = new Float64Array(M * K);
  const dinpAbsSum = new Float64Array(M * K);
  const dweight = new Float64Array(N * K);
  const dweightAbsSum = new Float64Array(N * K);
  const dbias = new Float64Array(N);
  const dbiasAbsSum = new Float64Array(N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const d = dout[m * N + n]!;
      dbias[n]! += d;
      dbiasAbsSum[n]! += Math.abs(d);
      for (let k = 0; k < K; k++) {
        const ti = d * weight[n * K + k]!;
        dinp[m * K + k]! += ti;
        dinpAbsSum[m * K + k]! += Math.abs(ti);
        const tw = d * inp[m * K + k]!;
        dweight[n * K + k]! += tw;
        dweightAbsSum[n * K + k]! += Math.abs(tw);
      }
    }
  }
  return { dinp, dweight, dbias, dinpAbsSum, dweightAbsSum, dbiasAbsSum };
}

/**
 * The kernels' exact f32 arithmetic for one forward element, for bitwise tests on drivers that do not
 * contract a·b + c into an FMA (lavapipe, SwiftShader, Chromium: RUNTIME.md §4): one f32 accumulator,
 * k = 0..K−1 in order, each product and sum rounded to f32, then the bias added.
 *
 * @example
 * matmulForwardF32([0.1, 0.2], [0.3, 0.4], null, { M: 1, N: 1, K: 2 })[0]; // Math.fround(...) value
 */
export function matmulForwardF32(
  inp: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  { M, N, K }: MatmulDims,
): Float32Array {
  const f = Math.fround;
  const out = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s = f(s + f(inp[m * K + k]! * weight[n * K + k]!));
      out[m * N + n] = bias === null ? s : f(s + bias[n]!);
    }
  }
  return out;
}
