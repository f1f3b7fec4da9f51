// CPU reference for l2norm_forward / l2norm_backward, in f64.
// y = x / max(‖x‖, eps) per row, as torch.nn.functional.normalize (eps = 1e-12).

export const L2NORM_EPS = 1e-12;

export function l2normForward(inp: ArrayLike<number>, N: number, C: number): { out: Float64Array; norm: Float64Array } {
  const out = new Float64Array(N * C);
  const norm = new Float64Array(N);
  for (let r = 0; r < N; r++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += inp[r * C + c]! ** 2;
    const n = Math.sqrt(ss);
    const d = Math.max(n, L2NORM_EPS);
    for (let c = 0; c < C; c++) out[r * C + c] = inp[r * C + c]! / d;
    norm[r] = n;
  }
  return { out, norm };
}

/**
 * dx = (dy − y·(y·dy)) / ‖x‖ where ‖x‖ > eps; below eps the divisor is the constant eps, so dx = dy / eps.
 */
export function l2normBackward(dout: ArrayLike<number>, inp: ArrayLike<number>, N: number, C: number): Float64Array {
  const dinp = new Float64Array(N * C);
  for (let r = 0; r < N; r++) {
    let ss = 0;
    let xdy = 0;
    for (let c = 0; c < C; c++) {
      ss += inp[r * C + c]! ** 2;
      xdy += inp[r * C + c]! * dout[r * C + c]!;
    }
    const n = Math.sqrt(ss);
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      dinp[i] = n > L2NORM_EPS ? (dout[i]! - (inp[i]! * xdy) / (n * n)) / n : dout[i]! / L2NORM_EPS;
    }
  }
  return dinp;
}
