// CPU reference for layernorm_forward / layernorm_backward, in f64, llm.c style.
// Rows of length C: out = (x − μ)·rstd·w + b with μ = mean(x), rstd = 1/√(var(x) + eps) (biased var).

export interface LayernormRefForward {
  out: Float64Array; // (N, C)
  mean: Float64Array; // (N)
  rstd: Float64Array; // (N)
}

export function layernormForward(
  inp: ArrayLike<number>,
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
  N: number,
  C: number,
  eps: number,
): LayernormRefForward {
  const out = new Float64Array(N * C);
  const mean = new Float64Array(N);
  const rstd = new Float64Array(N);
  for (let r = 0; r < N; r++) {
    const x = r * C;
    let m = 0;
    for (let c = 0; c < C; c++) m += inp[x + c]!;
    m /= C;
    let v = 0;
    for (let c = 0; c < C; c++) {
      const d = inp[x + c]! - m;
      v += d * d;
    }
    v /= C;
    const s = 1 / Math.sqrt(v + eps);
    for (let c = 0; c < C; c++) out[x + c] = (inp[x + c]! - m) * s * weight[c]! + bias[c]!;
    mean[r] = m;
    rstd[r] = s;
  }
  return { out, mean, rstd };
}

export interface LayernormRefBackward {
  dinp: Float64Array; // (N, C)
  dweight: Float64Array; // (C)
  dbias: Float64Array; // (C)
}

/**
 * Full derivative (μ and rstd depend on x): with x̂ = (x − μ)·rstd and g = w·dout,
 * dinp = rstd·(g − mean(g) − x̂·mean(g·x̂)), dweight = Σ_rows dout·x̂, dbias = Σ_rows dout.
 */
export function layernormBackward(
  dout: ArrayLike<number>,
  inp: ArrayLike<number>,
  weight: ArrayLike<number>,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  N: number,
  C: number,
): LayernormRefBackward {
  const dinp = new Float64Array(N * C);
  const dweight = new Float64Array(C);
  const dbias = new Float64Array(C);
  for (let r = 0; r < N; r++) {
    const x = r * C;
    const m = mean[r]!;
    const s = rstd[r]!;
    let gMean = 0;
    let gxMean = 0;
    for (let c = 0; c < C; c++) {
      const xhat = (inp[x + c]! - m) * s;
      const g = weight[c]! * dout[x + c]!;
      gMean += g;
      gxMean += g * xhat;
    }
    gMean /= C;
    gxMean /= C;
    for (let c = 0; c < C; c++) {
      const xhat = (inp[x + c]! - m) * s;
      const g = weight[c]! * dout[x + c]!;
      dinp[x + c] = s * (g - gMean - xhat * gxMean);
      dweight[c]! += dout[x + c]! * xhat;
      dbias[c]! += dout[x + c]!;
    }
  }
  return { dinp, dweight, dbias };
}
