// CPU reference for shaders/attention_forward.wgsl and shaders/attention_backward.wgsl, in f64.
//
// Bidirectional multi-head self-attention with a key-padding mask (BERT):
//   qkv (B,T,3C) = [q | k | v]; head h uses columns h·hd..(h+1)·hd of each, hd = C/NH
//   s_ij = (q_i·k_j)/√hd over valid keys j (mask[b,j] = 1); p_ij = exp(s_ij − lse_i); lse_i = log Σ_j exp s_ij
//   out_i = Σ_j p_ij v_j (heads concatenated, (B,T,C)); padded query rows give 0 and lse 0.
// Backward, with D_i = dout_i·out_i = Σ_j p_ij dp_ij:
//   dp_ij = dout_i·v_j, ds_ij = p_ij (dp_ij − D_i), dq_i = Σ_j ds_ij k_j/√hd, dk_j = Σ_i ds_ij q_i/√hd, dv_j = Σ_i p_ij dout_i.
//
// Besides the values, each function returns an error scale per output element: the magnitude f32
// rounding can reach, so tests compare with `atol·scale` instead of one global atol. It is the sum of
// |terms| of each dot product, with each probability weighted by the size of the score it came from,
// because a rounding error δ in a score s moves exp(s − lse) by a relative δ: logits of 1e4 carry
// absolute errors of ~1e-3 in f32, and that is what the GPU result legitimately differs by.

export interface AttentionDims {
  B: number;
  T: number;
  C: number;
  NH: number;
}

interface RowSoftmax {
  /** probabilities over keys (0 for padded keys) */
  p: Float64Array;
  /** rounding sensitivity of each probability: 1 + scale·Σ_d|q_d k_d| + max over the row (the lse term) */
  sens: Float64Array;
  lse: number;
}

/** Softmax of one query row of one head over the valid keys of its sequence. */
function rowSoftmax(qkv: ArrayLike<number>, mask: ArrayLike<number>, dims: AttentionDims, b: number, h: number, i: number): RowSoftmax {
  const { T, C, NH } = dims;
  const hd = C / NH;
  const scale = 1 / Math.sqrt(hd);
  const q = (b * T + i) * 3 * C + h * hd;
  const s = new Float64Array(T);
  const mag = new Float64Array(T);
  let max = -Infinity;
  let maxMag = 0;
  for (let j = 0; j < T; j++) {
    if (mask[b * T + j] === 0) continue;
    const k = (b * T + j) * 3 * C + C + h * hd;
    let dot = 0;
    let abs = 0;
    for (let d = 0; d < hd; d++) {
      dot += qkv[q + d]! * qkv[k + d]!;
      abs += Math.abs(qkv[q + d]! * qkv[k + d]!);
    }
    s[j] = dot * scale;
    mag[j] = abs * scale;
    if (s[j]! > max) max = s[j]!;
    if (mag[j]! > maxMag) maxMag = mag[j]!;
  }
  let sum = 0;
  for (let j = 0; j < T; j++) if (mask[b * T + j] !== 0) sum += Math.exp(s[j]! - max);
  const lse = max + Math.log(sum);
  const p = new Float64Array(T);
  const sens = new Float64Array(T);
  for (let j = 0; j < T; j++) {
    if (mask[b * T + j] === 0) continue;
    p[j] = Math.exp(s[j]! - lse);
    sens[j] = 1 + mag[j]! + maxMag + Math.abs(lse);
  }
  return { p, sens, lse };
}

function checkDims(n: number, dims: AttentionDims): void {
  const { B, T, C, NH } = dims;
  if (C % NH !== 0 || n !== B * T * 3 * C) throw new Error(`attention ref: qkv of ${n} values does not fit B=${B} T=${T} C=${C} NH=${NH}`);
}

/**
 * Forward pass. Returns out (B,T,C), lse (B,NH,T), and the error scales of both (see the file header).
 *
 * @example
 * const { out, lse } = attentionForward(qkv, mask, { B: 1, T: 4, C: 8, NH: 2 });
 */
export function attentionForward(
  qkv: ArrayLike<number>,
  mask: ArrayLike<number>,
  dims: AttentionDims,
): { out: Float64Array; lse: Float64Array; outScale: Float64Array; lseScale: Float64Array } {
  checkDims(qkv.length, dims);
  const { B, T, C, NH } = dims;
  const hd = C / NH;
  const out = new Float64Array(B * T * C);
  const outScale = new Float64Array(B * T * C);
  const lse = new Float64Array(B * NH * T);
  const lseScale = new Float64Array(B * NH * T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let i = 0; i < T; i++) {
        if (mask[b * T + i] === 0) continue;
        const row = rowSoftmax(qkv, mask, dims, b, h, i);
        lse[(b * NH + h) * T + i] = row.lse;
        let maxSens = 0;
        for (let j = 0; j < T; j++) maxSens = Math.max(maxSens, row.sens[j]!);
        lseScale[(b * NH + h) * T + i] = maxSens;
        const o = (b * T + i) * C + h * hd;
        for (let j = 0; j < T; j++) {
          const pj = row.p[j]!;
          if (pj === 0) continue;
          const v = (b * T + j) * 3 * C + 2 * C + h * hd;
          for (let d = 0; d < hd; d++) {
            out[o + d]! += pj * qkv[v + d]!;
            outScale[o + d]! += pj * Math.abs(qkv[v + d]!) * row.sens[j]!;
          }
        }
      }
    }
  }
  return { out, lse, outScale, lseScale };
}

/**
 * Backward pass: dqkv (B,T,3C) for the upstream gradient dout (B,T,C), recomputing the softmax; plus
 * the error scale of each gradient element (see the file header).
 *
 * @example
 * const { dqkv } = attentionBackward(dout, qkv, mask, { B: 1, T: 4, C: 8, NH: 2 });
 */
export function attentionBackward(
  dout: ArrayLike<number>,
  qkv: ArrayLike<number>,
  mask: ArrayLike<number>,
  dims: AttentionDims,
): { dqkv: Float64Array; dqkvScale: Float64Array } {
  checkDims(qkv.length, dims);
  const { B, T, C, NH } = dims;
  const hd = C / NH;
  const scale = 1 / Math.sqrt(hd);
  const { out, outScale } = attentionForward(qkv, mask, dims);
  const dqkv = new Float64Array(B * T * 3 * C);
  const dqkvScale = new Float64Array(B * T * 3 * C);
  const dp = new Float64Array(T);
  const dpMag = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let i = 0; i < T; i++) {
        if (mask[b * T + i] === 0) continue;
        const { p, sens } = rowSoftmax(qkv, mask, dims, b, h, i);
        const q = (b * T + i) * 3 * C + h * hd;
        const g = (b * T + i) * C + h * hd;
        let D = 0;
        let dMag = 0;
        for (let d = 0; d < hd; d++) {
          D += dout[g + d]! * out[g + d]!;
          dMag += Math.abs(dout[g + d]!) * (Math.abs(out[g + d]!) + outScale[g + d]!);
        }
        for (let j = 0; j < T; j++) {
          dp[j] = 0;
          dpMag[j] = 0;
          if (p[j] === 0) continue;
          const v = (b * T + j) * 3 * C + 2 * C + h * hd;
          for (let d = 0; d < hd; d++) {
            dp[j]! += dout[g + d]! * qkv[v + d]!;
            dpMag[j]! += Math.abs(dout[g + d]! * qkv[v + d]!);
          }
        }
        for (let j = 0; j < T; j++) {
          const pj = p[j]!;
          if (pj === 0) continue;
          const ds = pj * (dp[j]! - D);
          const dsMag = pj * (sens[j]! * Math.abs(dp[j]! - D) + dpMag[j]! + dMag);
          const k = (b * T + j) * 3 * C + C + h * hd;
          const v = k + C;
          for (let d = 0; d < hd; d++) {
            dqkv[q + d]! += ds * qkv[k + d]! * scale;
            dqkvScale[q + d]! += dsMag * Math.abs(qkv[k + d]!) * scale;
            dqkv[k + d]! += ds * qkv[q + d]! * scale;
            dqkvScale[k + d]! += dsMag * Math.abs(qkv[q + d]!) * scale;
            dqkv[v + d]! += pj * dout[g + d]!;
            dqkvScale[v + d]! += pj * Math.abs(dout[g + d]!) * sens[j]!;
          }
        }
      }
    }
  }
  return { dqkv, dqkvScale };
}
