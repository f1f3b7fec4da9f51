// One BERT encoder tower on the GPU, as an explicit list of op calls (llm.c style, no autograd):
//
//   x0 = LN(wte[ids] + wpe[t] + wtt[0])
//   per layer (post-LN, as BERT):  qkv = x·Wqkvᵀ + b;  a = attention(qkv, mask);  r1 = a·Woᵀ + bo + x;
//                                  x1 = LN1(r1);  h = gelu(x1·W1ᵀ + b1);  r2 = h·W2ᵀ + b2 + x1;  x = LN2(r2)
//   e = pool(x, mask) [· Wpᵀ + bp] [/ ‖·‖]
//
// Activations are held for one chunk of sequences (up to `capacityTokens` tokens), one buffer per
// tensor (WebGPU forbids read and read_write views of one buffer in a dispatch). Parameter gradients are
// always accumulated: the trainer clears them once per step, and every chunk of both towers adds into them.
import type { Device } from '../gpu/device.js';
import type { Recorder } from '../gpu/recorder.js';
import type { Tensor } from '../gpu/tensor.js';
import { attentionBackward, attentionBackwardWorkspaceSize, attentionForward } from '../ops/attention.js';
import { createCsrTensors, encoderBackward, encoderForward, writeCsr, type CsrTensors } from '../ops/encoder.js';
import { geluBackward, geluForward } from '../ops/gelu.js';
import { l2normBackward, l2normForward } from '../ops/l2norm.js';
import { layernormBackward, layernormForward, layernormWorkspaceSize } from '../ops/layernorm.js';
import { matmulBackward, matmulForward, matmulWorkspaceSize } from '../ops/matmul.js';
import { residualForward } from '../ops/residual.js';
import { poolBackward, poolForward } from '../ops/pool.js';
import { tokenCsr } from '../util/csr.js';
import type { BiEncoderConfig } from './config.js';
import type { ParamLayout, Tower } from './layout.js';

export interface LayerParams {
  qkvW: Tensor;
  qkvB: Tensor;
  attnOutW: Tensor;
  attnOutB: Tensor;
  ln1W: Tensor;
  ln1B: Tensor;
  ffnInW: Tensor;
  ffnInB: Tensor;
  ffnOutW: Tensor;
  ffnOutB: Tensor;
  ln2W: Tensor;
  ln2B: Tensor;
}

/** Views of one tower's parameters (or gradients) in a flat buffer. */
export interface TowerParams {
  wte: Tensor;
  wpe: Tensor;
  wtt: Tensor;
  embLnW: Tensor;
  embLnB: Tensor;
  layers: LayerParams[];
  projW: Tensor | null;
  projB: Tensor | null;
}

/** Slices a flat buffer (params, grads, m or v) into one tower's tensors by the layout. */
export function towerViews(flat: Tensor, layout: ParamLayout, cfg: BiEncoderConfig, tower: Tower, kind: string): TowerParams {
  const t = cfg.sharedTowers ? 'q' : tower;
  const view = (key: string) => {
    const g = layout.group(key);
    return flat.slice(g.offset, g.shape, `${kind}.${key}`);
  };
  const p = (role: string) => view(`${t}.${role}`);
  const layers: LayerParams[] = [];
  for (let l = 0; l < cfg.layers; l++) {
    layers.push({
      qkvW: p(`l${l}.qkv.w`),
      qkvB: p(`l${l}.qkv.b`),
      attnOutW: p(`l${l}.attn_out.w`),
      attnOutB: p(`l${l}.attn_out.b`),
      ln1W: p(`l${l}.ln1.w`),
      ln1B: p(`l${l}.ln1.b`),
      ffnInW: p(`l${l}.ffn_in.w`),
      ffnInB: p(`l${l}.ffn_in.b`),
      ffnOutW: p(`l${l}.ffn_out.w`),
      ffnOutB: p(`l${l}.ffn_out.b`),
      ln2W: p(`l${l}.ln2.w`),
      ln2B: p(`l${l}.ln2.b`),
    });
  }
  return {
    wte: p('wte'),
    wpe: p('wpe'),
    wtt: p('wtt'),
    embLnW: p('emb_ln.w'),
    embLnB: p('emb_ln.b'),
    layers,
    projW: cfg.projection > 0 ? view('proj.w') : null,
    projB: cfg.projection > 0 ? view('proj.b') : null,
  };
}

interface LayerActs {
  qkv: Tensor;
  att: Tensor;
  lse: Tensor;
  r1: Tensor;
  mean1: Tensor;
  rstd1: Tensor;
  x1: Tensor;
  hpre: Tensor;
  h: Tensor;
  r2: Tensor;
  mean2: Tensor;
  rstd2: Tensor;
  x2: Tensor;
}

/** Token inputs of one chunk, on the GPU. Each chunk of a step has its own, so a step is one submit. */
export interface ChunkInputs {
  ids: Tensor; // (capacityTokens) u32
  typeIds: Tensor; // (capacityTokens) u32, zeros: single texts are segment 0
  mask: Tensor; // (capacityTokens) u32
  tokens: CsrTensors;
  types: CsrTensors;
  rows: number;
  length: number;
}

/**
 * Activation storage of one tower for chunks of up to `capacityTokens` tokens and `maxRows` sequences,
 * with everything the backward pass reads and the scratch gradients it writes.
 */
export class EncoderActivations {
  readonly emb: Tensor;
  readonly embMean: Tensor;
  readonly embRstd: Tensor;
  readonly x0: Tensor;
  readonly layers: LayerActs[] = [];
  readonly pooled: Tensor;
  readonly proj: Tensor;
  readonly norms: Tensor;
  /** Chunk output and its gradient, for targets whose offset cannot be bound (not 256-byte aligned). */
  private readonly out: Tensor;
  private readonly dOut: Tensor;
  /** Forward scratch for the output projections that feed a residual. */
  private readonly tmp: Tensor;
  // backward scratch
  private readonly dA: Tensor;
  private readonly dB: Tensor;
  private readonly dC: Tensor;
  private readonly dQkv: Tensor;
  private readonly dH: Tensor;
  private readonly dHpre: Tensor;
  private readonly dPooled: Tensor;
  private readonly dProj: Tensor;
  private readonly lnWorkspace: Tensor;
  private readonly matmulWorkspace: Tensor | null;
  private readonly attWorkspace: Tensor;
  private readonly all: Tensor[] = [];

  constructor(
    private readonly device: Device,
    private readonly cfg: BiEncoderConfig,
    readonly capacityTokens: number,
    readonly maxRows: number,
    readonly label: string,
    training: boolean,
  ) {
    const N = capacityTokens;
    const C = cfg.hidden;
    const I = cfg.intermediate;
    const NH = cfg.heads;
    const t = (name: string, shape: number[]) => {
      const x = device.tensor(`${label}.${name}`, shape);
      this.all.push(x);
      return x;
    };
    this.emb = t('emb', [N, C]);
    this.embMean = t('emb_mean', [N]);
    this.embRstd = t('emb_rstd', [N]);
    this.x0 = t('x0', [N, C]);
    this.tmp = t('tmp', [N, C]);
    // Inference keeps one layer's worth of activations and reuses it; training keeps every layer.
    const stored = training ? cfg.layers : 1;
    for (let l = 0; l < stored; l++) {
      const p = `l${l}`;
      this.layers.push({
        qkv: t(`${p}.qkv`, [N, 3 * C]),
        att: t(`${p}.att`, [N, C]),
        lse: t(`${p}.lse`, [N * NH]),
        r1: t(`${p}.r1`, [N, C]),
        mean1: t(`${p}.mean1`, [N]),
        rstd1: t(`${p}.rstd1`, [N]),
        x1: t(`${p}.x1`, [N, C]),
        hpre: t(`${p}.hpre`, [N, I]),
        h: t(`${p}.h`, [N, I]),
        r2: t(`${p}.r2`, [N, C]),
        mean2: t(`${p}.mean2`, [N]),
        rstd2: t(`${p}.rstd2`, [N]),
        x2: t(`${p}.x2`, [N, C]),
      });
    }
    const D = cfg.projection > 0 ? cfg.projection : C;
    this.pooled = t('pooled', [maxRows, C]);
    this.proj = t('proj', [maxRows, D]);
    this.norms = t('norms', [maxRows]);
    this.out = t('out', [maxRows, D]);
    this.dOut = t('dout', training ? [maxRows, D] : [1]);
    const small = [1];
    this.dA = t('dA', training ? [N, C] : small);
    this.dB = t('dB', training ? [N, C] : small);
    this.dC = t('dC', training ? [N, C] : small);
    this.dQkv = t('dqkv', training ? [N, 3 * C] : small);
    this.dH = t('dh', training ? [N, I] : small);
    this.dHpre = t('dhpre', training ? [N, I] : small);
    this.dPooled = t('dpooled', training ? [maxRows, C] : small);
    this.dProj = t('dproj', training ? [maxRows, D] : small);
    this.lnWorkspace = t('ln_ws', [training ? layernormWorkspaceSize({ rows: N, channels: Math.max(C, 1) }) : 1]);
    // Shared by every linear layer: the forward's transposed weight (≈2× faster matmuls on lavapipe, same
    // bits), and in training the backward's dbias partial sums and, on a GPU, the dweight split-K partials
    // (≤ 64 MiB; a fallback adapter never splits by default, so it does not reserve them).
    const splitK = training && !device.info.isFallbackAdapter;
    const mmWs = Math.max(
      matmulWorkspaceSize({ M: N, N: 3 * C, K: C }, { splitK }),
      matmulWorkspaceSize({ M: N, N: C, K: C }, { splitK }),
      matmulWorkspaceSize({ M: N, N: I, K: C }, { splitK }),
      matmulWorkspaceSize({ M: N, N: C, K: I }, { splitK }),
      D !== C ? matmulWorkspaceSize({ M: maxRows, N: D, K: C }, { splitK }) : 0,
    );
    this.matmulWorkspace = mmWs > 0 ? t('matmul_ws', [mmWs]) : null;
    this.attWorkspace = t('att_ws', [training ? attentionBackwardWorkspaceSize({ batch: 1, seqLen: N, numHeads: NH }) : 1]);
  }

  /** Allocates one chunk's input buffers (token ids, type ids, mask, CSRs). */
  createInputs(label: string): ChunkInputs {
    const N = this.capacityTokens;
    const mk = (name: string) => {
      const x = this.device.tensor(`${label}.${name}`, [N], 'u32');
      this.all.push(x);
      return x;
    };
    const tokens = createCsrTensors(this.device, `${label}.csr`, N);
    const types = createCsrTensors(this.device, `${label}.type_csr`, N);
    for (const c of [tokens, types]) this.all.push(c.uniqueIds, c.offsets, c.positions);
    return { ids: mk('ids'), typeIds: mk('type_ids'), mask: mk('mask'), tokens, types, rows: 0, length: 0 };
  }

  /**
   * Uploads token ids and mask (rows × length, row-major) into `inputs` (queued before the next submit).
   * The CSRs for the embedding backward are built here on the CPU: a few thousand ints per chunk.
   */
  writeInputs(inputs: ChunkInputs, ids: Int32Array, mask: ArrayLike<number>, rows: number, length: number, withGradients: boolean): ChunkInputs {
    const n = rows * length;
    const u = new Uint32Array(n);
    for (let i = 0; i < n; i++) u[i] = ids[i]!;
    const m = new Uint32Array(n);
    for (let i = 0; i < n; i++) m[i] = mask[i]! ? 1 : 0;
    this.device.write(inputs.ids.slice(0, [n]), u);
    this.device.write(inputs.mask.slice(0, [n]), m);
    let { tokens, types } = inputs;
    if (withGradients) {
      tokens = writeCsr(this.device, tokens, tokenCsr(ids.subarray(0, n)));
      types = writeCsr(this.device, types, tokenCsr(new Int32Array(n)));
    }
    return { ...inputs, tokens, types, rows, length };
  }

  destroy(): void {
    for (const t of this.all) this.device.release(t);
    this.all.length = 0;
  }

  private view(t: Tensor, rows: number, cols: number): Tensor {
    return t.slice(0, [rows, cols]);
  }

  private seq(t: Tensor, B: number, T: number, cols: number): Tensor {
    return t.slice(0, [B, T, cols]);
  }

  /**
   * Records the forward pass of one chunk; the (rows, D) embeddings go to `target` (any offset: a target
   * that cannot be bound directly is written through a copy). With `training`, every layer's activations
   * are kept for backward().
   */
  forward(rec: Recorder, p: TowerParams, inp: ChunkInputs, target: Tensor): void {
    const bindable = target.offset % this.device.gpu.limits.minStorageBufferOffsetAlignment === 0;
    const out = bindable ? target : this.out.slice(0, target.shape);
    this.forwardInto(rec, p, inp, out);
    if (!bindable) rec.copy(out, target);
  }

  private forwardInto(rec: Recorder, p: TowerParams, inp: ChunkInputs, out: Tensor): void {
    const cfg = this.cfg;
    const B = inp.rows;
    const T = inp.length;
    const N = B * T;
    const C = cfg.hidden;
    const I = cfg.intermediate;
    const eps = cfg.layerNormEps;
    const ids = inp.ids.slice(0, [B, T]);
    const mask = inp.mask.slice(0, [B, T]);
    const emb = this.seq(this.emb, B, T, C);
    encoderForward(rec, emb, ids, p.wte, p.wpe, { ids: inp.typeIds.slice(0, [B, T]), table: p.wtt });
    let x = this.seq(this.x0, B, T, C);
    layernormForward(rec, x, this.embMean.slice(0, [N]), this.embRstd.slice(0, [N]), emb, p.embLnW, p.embLnB, { eps });
    for (let l = 0; l < cfg.layers; l++) {
      const a = this.layers[Math.min(l, this.layers.length - 1)]!;
      const w = p.layers[l]!;
      const qkv = this.seq(a.qkv, B, T, 3 * C);
      matmulForward(rec, qkv, x, w.qkvW, w.qkvB, { workspace: this.matmulWorkspace });
      const att = this.seq(a.att, B, T, C);
      attentionForward(rec, att, a.lse.slice(0, [B, cfg.heads, T]), qkv, mask, { numHeads: cfg.heads });
      // The projection goes to shared scratch: the backward of r = proj + x needs neither term.
      const proj = this.seq(this.tmp, B, T, C);
      matmulForward(rec, proj, att, w.attnOutW, w.attnOutB, { workspace: this.matmulWorkspace });
      const r1 = this.seq(a.r1, B, T, C);
      residualForward(rec, r1, proj, x);
      const x1 = this.seq(a.x1, B, T, C);
      layernormForward(rec, x1, a.mean1.slice(0, [N]), a.rstd1.slice(0, [N]), r1, w.ln1W, w.ln1B, { eps });
      const hpre = this.seq(a.hpre, B, T, I);
      matmulForward(rec, hpre, x1, w.ffnInW, w.ffnInB, { workspace: this.matmulWorkspace });
      const h = this.seq(a.h, B, T, I);
      geluForward(rec, h, hpre, { form: cfg.hiddenAct });
      matmulForward(rec, proj, h, w.ffnOutW, w.ffnOutB, { workspace: this.matmulWorkspace });
      const r2 = this.seq(a.r2, B, T, C);
      residualForward(rec, r2, proj, x1);
      const x2 = this.seq(a.x2, B, T, C);
      layernormForward(rec, x2, a.mean2.slice(0, [N]), a.rstd2.slice(0, [N]), r2, w.ln2W, w.ln2B, { eps });
      x = x2;
    }
    const pooled = this.view(this.pooled, B, C);
    poolForward(rec, pooled, x, mask, { mode: cfg.pooling });
    let e = pooled;
    if (p.projW !== null && p.projB !== null) {
      const proj = cfg.normalize ? this.view(this.proj, B, cfg.projection) : out;
      matmulForward(rec, proj, pooled, p.projW, p.projB, { workspace: this.matmulWorkspace });
      e = proj;
    }
    if (cfg.normalize) l2normForward(rec, out, this.norms.slice(0, [B]), e);
    else if (e !== out) rec.copy(e, out);
  }

  /**
   * Records the backward pass of the chunk whose activations forward() left here, from dTarget (rows, D;
   * any offset), adding every parameter gradient into `g`.
   */
  backward(rec: Recorder, p: TowerParams, g: TowerParams, inp: ChunkInputs, dTarget: Tensor): void {
    let dOut = dTarget;
    if (dTarget.offset % this.device.gpu.limits.minStorageBufferOffsetAlignment !== 0) {
      dOut = this.dOut.slice(0, dTarget.shape);
      rec.copy(dTarget, dOut);
    }
    const cfg = this.cfg;
    const B = inp.rows;
    const T = inp.length;
    const N = B * T;
    const C = cfg.hidden;
    const I = cfg.intermediate;
    const D = cfg.projection > 0 ? cfg.projection : C;
    const mask = inp.mask.slice(0, [B, T]);
    const ws = this.matmulWorkspace;
    const acc = { dinp: false, dweight: true, dbias: true };

    // Head: normalisation, projection, pooling.
    let dE = dOut;
    if (cfg.normalize) {
      const dProj = this.view(this.dProj, B, D);
      const e = p.projW !== null ? this.view(this.proj, B, D) : this.view(this.pooled, B, C);
      l2normBackward(rec, dProj, dOut, e, this.norms.slice(0, [B]), { accumulate: false });
      dE = dProj;
    }
    const dPooled = this.view(this.dPooled, B, C);
    if (p.projW !== null && g.projW !== null && g.projB !== null) {
      matmulBackward(rec, dPooled, g.projW, g.projB, ws, dE, this.view(this.pooled, B, C), p.projW, { accumulate: acc });
    } else {
      rec.copy(dE, dPooled);
    }
    let dx = this.seq(this.dB, B, T, C);
    poolBackward(rec, dx, dPooled, mask, { mode: cfg.pooling, accumulate: false });

    for (let l = cfg.layers - 1; l >= 0; l--) {
      const a = this.layers[l]!;
      const w = p.layers[l]!;
      const gw = g.layers[l]!;
      const x = l === 0 ? this.seq(this.x0, B, T, C) : this.seq(this.layers[l - 1]!.x2, B, T, C);
      const other = dx.buffer === this.dA.buffer ? this.dB : this.dA;
      // LN2: dr2 (also the gradient of x1 through the residual)
      const dr2 = this.seq(other, B, T, C);
      layernormBackward(rec, dr2, gw.ln2W, gw.ln2B, this.lnWorkspace, dx, this.seq(a.r2, B, T, C), w.ln2W, a.mean2.slice(0, [N]), a.rstd2.slice(0, [N]), {
        accumulate: { input: false, params: true },
      });
      // FFN out: dh = dr2·W2, dW2 += dr2ᵀ·h
      const dh = this.seq(this.dH, B, T, I);
      matmulBackward(rec, dh, gw.ffnOutW, gw.ffnOutB, ws, dr2, this.seq(a.h, B, T, I), w.ffnOutW, { accumulate: acc });
      const dhpre = this.seq(this.dHpre, B, T, I);
      geluBackward(rec, dhpre, this.seq(a.hpre, B, T, I), dh, { form: cfg.hiddenAct, accumulate: false });
      // FFN in: dx1 = dr2 + dhpre·W1 (accumulated onto dr2 in place)
      matmulBackward(rec, dr2, gw.ffnInW, gw.ffnInB, ws, dhpre, this.seq(a.x1, B, T, C), w.ffnInW, { accumulate: { dinp: true, dweight: true, dbias: true } });
      // LN1: dr1 (also the gradient of x through the residual)
      const dr1 = dx;
      layernormBackward(rec, dr1, gw.ln1W, gw.ln1B, this.lnWorkspace, dr2, this.seq(a.r1, B, T, C), w.ln1W, a.mean1.slice(0, [N]), a.rstd1.slice(0, [N]), {
        accumulate: { input: false, params: true },
      });
      // attention output projection: datt = dr1·Wo
      const datt = this.seq(this.dC, B, T, C);
      matmulBackward(rec, datt, gw.attnOutW, gw.attnOutB, ws, dr1, this.seq(a.att, B, T, C), w.attnOutW, { accumulate: acc });
      const dqkv = this.seq(this.dQkv, B, T, 3 * C);
      attentionBackward(rec, dqkv, this.attWorkspace, datt, this.seq(a.qkv, B, T, 3 * C), mask, this.seq(a.att, B, T, C), a.lse.slice(0, [B, cfg.heads, T]), {
        numHeads: cfg.heads,
        accumulate: false,
      });
      // QKV: dx = dr1 + dqkv·Wqkv (accumulated onto dr1 in place)
      matmulBackward(rec, dr1, gw.qkvW, gw.qkvB, ws, dqkv, x, w.qkvW, { accumulate: { dinp: true, dweight: true, dbias: true } });
      dx = dr1;
    }
    const demb = this.seq(dx.buffer === this.dA.buffer ? this.dB : this.dA, B, T, C);
    layernormBackward(rec, demb, g.embLnW, g.embLnB, this.lnWorkspace, dx, this.seq(this.emb, B, T, C), p.embLnW, this.embMean.slice(0, [N]), this.embRstd.slice(0, [N]), {
      accumulate: { input: false, params: true },
    });
    encoderBackward(rec, g.wte, g.wpe, g.wtt, demb, inp.tokens, inp.types, { accumulate: true });
  }
}
