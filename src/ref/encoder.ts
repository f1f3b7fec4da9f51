// CPU reference for encoder_forward / encoder_backward (BERT embeddings), in f64.
// out[b,t,:] = wte[ids[b,t],:] + wpe[t,:] (+ wtt[typeIds[b,t],:] when a token-type table is used).
// The backward is a plain scatter-add, deliberately not the CSR scheme the kernel uses.

export interface EncoderRefDims {
  B: number;
  T: number;
  C: number;
}

export function encoderForward(
  ids: ArrayLike<number>,
  typeIds: ArrayLike<number> | null,
  wte: ArrayLike<number>,
  wpe: ArrayLike<number>,
  wtt: ArrayLike<number> | null,
  { B, T, C }: EncoderRefDims,
): Float64Array {
  const out = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const bt = b * T + t;
      const id = ids[bt]!;
      for (let c = 0; c < C; c++) {
        let v = wte[id * C + c]! + wpe[t * C + c]!;
        if (wtt !== null && typeIds !== null) v += wtt[typeIds[bt]! * C + c]!;
        out[bt * C + c] = v;
      }
    }
  }
  return out;
}

export interface EncoderRefGrads {
  dwte: Float64Array; // (V, C)
  dwpe: Float64Array; // (P, C)
  dwtt: Float64Array | null; // (NT, C)
}

export function encoderBackward(
  dout: ArrayLike<number>,
  ids: ArrayLike<number>,
  typeIds: ArrayLike<number> | null,
  { B, T, C }: EncoderRefDims,
  tables: { V: number; P: number; NT: number | null },
): EncoderRefGrads {
  const dwte = new Float64Array(tables.V * C);
  const dwpe = new Float64Array(tables.P * C);
  const dwtt = tables.NT === null ? null : new Float64Array(tables.NT * C);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const bt = b * T + t;
      for (let c = 0; c < C; c++) {
        const g = dout[bt * C + c]!;
        dwte[ids[bt]! * C + c]! += g;
        dwpe[t * C + c]! += g;
        if (dwtt !== null && typeIds !== null) dwtt[typeIds[bt]! * C + c]! += g;
      }
    }
  }
  return { dwte, dwpe, dwtt };
}
