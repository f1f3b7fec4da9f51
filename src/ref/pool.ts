// CPU reference for pool_forward / pool_backward, in f64.
// mean: out[b,c] = Σ_t mask[b,t]·x[b,t,c] / max(Σ_t mask[b,t], 1)   (a row with no valid token pools to 0)
// cls:  out[b,c] = x[b,0,c]

export type PoolModeName = 'mean' | 'cls';

export function poolForward(inp: ArrayLike<number>, mask: ArrayLike<number>, B: number, T: number, C: number, mode: PoolModeName): Float64Array {
  const out = new Float64Array(B * C);
  for (let b = 0; b < B; b++) {
    if (mode === 'cls') {
      for (let c = 0; c < C; c++) out[b * C + c] = inp[b * T * C + c]!;
      continue;
    }
    let count = 0;
    for (let t = 0; t < T; t++) {
      if (mask[b * T + t] === 0) continue;
      count++;
      for (let c = 0; c < C; c++) out[b * C + c]! += inp[(b * T + t) * C + c]!;
    }
    for (let c = 0; c < C; c++) out[b * C + c]! /= Math.max(count, 1);
  }
  return out;
}

/** dinp (B,T,C): the pooled gradient spread over the tokens that were pooled, zero elsewhere. */
export function poolBackward(dout: ArrayLike<number>, mask: ArrayLike<number>, B: number, T: number, C: number, mode: PoolModeName): Float64Array {
  const dinp = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++) {
    let count = 0;
    for (let t = 0; t < T; t++) if (mask[b * T + t] !== 0) count++;
    for (let t = 0; t < T; t++) {
      const pooled = mode === 'cls' ? t === 0 : mask[b * T + t] !== 0;
      if (!pooled) continue;
      for (let c = 0; c < C; c++) dinp[(b * T + t) * C + c] = mode === 'cls' ? dout[b * C + c]! : dout[b * C + c]! / count;
    }
  }
  return dinp;
}
