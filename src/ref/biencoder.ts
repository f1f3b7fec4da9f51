// CPU reference of the whole bi-encoder in f64, composed from the per-op references: forward, the
// contrastive loss, backward and AdamW, over the same flat parameter layout as the GPU model. Whole-model
// tests compare the GPU to it step by step (llm.c's expected losses) and check its gradient against
// finite differences. Config and layout come in as plain data so ref/ depends on nothing but util.
import { adamwUpdate } from './adamw.js';
import { attentionBackward, attentionForward } from './attention.js';
import { contrastiveBackward, contrastiveForward } from './contrastive.js';
import { encoderBackward, encoderForward } from './encoder.js';
import { geluBackward, geluForward } from './gelu.js';
import { l2normBackward, l2normForward } from './l2norm.js';
import { layernormBackward, layernormForward } from './layernorm.js';
import { matmulBackward, matmulForward } from './matmul.js';
import { poolBackward, poolForward } from './pool.js';

export interface RefConfig {
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
  hiddenAct: 'gelu' | 'gelu_new';
  pooling: 'mean' | 'cls';
  projection: number;
  normalize: boolean;
  temperature: number;
  sharedTowers: boolean;
}

export interface RefLayout {
  groups: readonly { key: string; offset: number; numel: number; weightDecay: boolean }[];
  size: number;
}

type Arr = Float64Array;

class Params {
  private readonly at = new Map<string, { offset: number; numel: number }>();
  constructor(
    layout: RefLayout,
    readonly data: Float64Array,
  ) {
    for (const g of layout.groups) this.at.set(g.key, g);
  }
  get(key: string): Arr {
    const g = this.at.get(key);
    if (g === undefined) throw new Error(`ref: no parameter group ${key}`);
    return this.data.subarray(g.offset, g.offset + g.numel);
  }
}

interface LayerCache {
  x: Arr;
  qkv: Arr;
  att: Arr;
  r1: Arr;
  ln1: { mean: Arr; rstd: Arr };
  x1: Arr;
  hpre: Arr;
  h: Arr;
  r2: Arr;
  ln2: { mean: Arr; rstd: Arr };
}

interface TowerCache {
  tower: string;
  ids: Int32Array;
  mask: ArrayLike<number>;
  B: number;
  T: number;
  emb: Arr;
  embLn: { mean: Arr; rstd: Arr };
  layers: LayerCache[];
  last: Arr;
  pooled: Arr;
  proj: Arr;
  out: Arr;
}

function add(a: Arr, b: ArrayLike<number>): Arr {
  const o = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) o[i] = a[i]! + b[i]!;
  return o;
}

function addInto(target: Arr, src: ArrayLike<number>): void {
  for (let i = 0; i < target.length; i++) target[i]! += src[i]!;
}

function towerKey(cfg: RefConfig, tower: 'q' | 'p'): string {
  return cfg.sharedTowers ? 'q' : tower;
}

/** Forward of one tower for B sequences of T tokens: embeddings (B, D) and what the backward needs. */
export function refTowerForward(cfg: RefConfig, layout: RefLayout, params: Float64Array, tower: 'q' | 'p', ids: Int32Array, mask: ArrayLike<number>, B: number, T: number): TowerCache {
  const P = new Params(layout, params);
  const t = towerKey(cfg, tower);
  const C = cfg.hidden;
  const I = cfg.intermediate;
  const N = B * T;
  const eps = cfg.layerNormEps;
  const typeIds = new Int32Array(N);
  const emb = encoderForward(ids, typeIds, P.get(`${t}.wte`), P.get(`${t}.wpe`), P.get(`${t}.wtt`), { B, T, C });
  const embLn = layernormForward(emb, P.get(`${t}.emb_ln.w`), P.get(`${t}.emb_ln.b`), N, C, eps);
  let x = embLn.out;
  const layers: LayerCache[] = [];
  for (let l = 0; l < cfg.layers; l++) {
    const w = (role: string) => P.get(`${t}.l${l}.${role}`);
    const qkv = matmulForward(x, w('qkv.w'), w('qkv.b'), { M: N, N: 3 * C, K: C }).out;
    const att = attentionForward(qkv, mask, { B, T, C, NH: cfg.heads }).out;
    const r1 = add(matmulForward(att, w('attn_out.w'), w('attn_out.b'), { M: N, N: C, K: C }).out, x);
    const ln1 = layernormForward(r1, w('ln1.w'), w('ln1.b'), N, C, eps);
    const hpre = matmulForward(ln1.out, w('ffn_in.w'), w('ffn_in.b'), { M: N, N: I, K: C }).out;
    const h = geluForward(hpre, cfg.hiddenAct);
    const r2 = add(matmulForward(h, w('ffn_out.w'), w('ffn_out.b'), { M: N, N: C, K: I }).out, ln1.out);
    const ln2 = layernormForward(r2, w('ln2.w'), w('ln2.b'), N, C, eps);
    layers.push({ x, qkv, att, r1, ln1, x1: ln1.out, hpre, h, r2, ln2 });
    x = ln2.out;
  }
  const pooled = poolForward(x, mask, B, T, C, cfg.pooling);
  const proj = cfg.projection > 0 ? matmulForward(pooled, P.get('proj.w'), P.get('proj.b'), { M: B, N: cfg.projection, K: C }).out : pooled;
  const D = cfg.projection > 0 ? cfg.projection : C;
  const out = cfg.normalize ? l2normForward(proj, B, D).out : proj;
  return { tower: t, ids, mask, B, T, emb, embLn, layers, last: x, pooled, proj, out };
}

/** Backward of one tower from dOut (B, D), adding every parameter gradient into `grads`. */
export function refTowerBackward(cfg: RefConfig, layout: RefLayout, params: Float64Array, grads: Float64Array, cache: TowerCache, dOut: ArrayLike<number>): void {
  const P = new Params(layout, params);
  const G = new Params(layout, grads);
  const t = cache.tower;
  const { B, T, mask } = cache;
  const C = cfg.hidden;
  const I = cfg.intermediate;
  const N = B * T;
  const D = cfg.projection > 0 ? cfg.projection : C;
  let dE: ArrayLike<number> = dOut;
  if (cfg.normalize) dE = l2normBackward(dOut, cache.proj, B, D);
  let dPooled: ArrayLike<number> = dE;
  if (cfg.projection > 0) {
    const g = matmulBackward(dE, cache.pooled, P.get('proj.w'), { M: B, N: D, K: C });
    addInto(G.get('proj.w'), g.dweight);
    addInto(G.get('proj.b'), g.dbias);
    dPooled = g.dinp;
  }
  let dx: Arr = poolBackward(dPooled, mask, B, T, C, cfg.pooling);
  for (let l = cfg.layers - 1; l >= 0; l--) {
    const a = cache.layers[l]!;
    const w = (role: string) => P.get(`${t}.l${l}.${role}`);
    const gw = (role: string) => G.get(`${t}.l${l}.${role}`);
    const ln2 = layernormBackward(dx, a.r2, w('ln2.w'), a.ln2.mean, a.ln2.rstd, N, C);
    addInto(gw('ln2.w'), ln2.dweight);
    addInto(gw('ln2.b'), ln2.dbias);
    const ffnOut = matmulBackward(ln2.dinp, a.h, w('ffn_out.w'), { M: N, N: C, K: I });
    addInto(gw('ffn_out.w'), ffnOut.dweight);
    addInto(gw('ffn_out.b'), ffnOut.dbias);
    const dhpre = geluBackward(ffnOut.dinp, a.hpre, cfg.hiddenAct);
    const ffnIn = matmulBackward(dhpre, a.x1, w('ffn_in.w'), { M: N, N: I, K: C });
    addInto(gw('ffn_in.w'), ffnIn.dweight);
    addInto(gw('ffn_in.b'), ffnIn.dbias);
    const dx1 = add(ln2.dinp, ffnIn.dinp);
    const ln1 = layernormBackward(dx1, a.r1, w('ln1.w'), a.ln1.mean, a.ln1.rstd, N, C);
    addInto(gw('ln1.w'), ln1.dweight);
    addInto(gw('ln1.b'), ln1.dbias);
    const attOut = matmulBackward(ln1.dinp, a.att, w('attn_out.w'), { M: N, N: C, K: C });
    addInto(gw('attn_out.w'), attOut.dweight);
    addInto(gw('attn_out.b'), attOut.dbias);
    const dqkv = attentionBackward(attOut.dinp, a.qkv, mask, { B, T, C, NH: cfg.heads }).dqkv;
    const qkv = matmulBackward(dqkv, a.x, w('qkv.w'), { M: N, N: 3 * C, K: C });
    addInto(gw('qkv.w'), qkv.dweight);
    addInto(gw('qkv.b'), qkv.dbias);
    dx = add(ln1.dinp, qkv.dinp);
  }
  const embLn = layernormBackward(dx, cache.emb, P.get(`${t}.emb_ln.w`), cache.embLn.mean, cache.embLn.rstd, N, C);
  addInto(G.get(`${t}.emb_ln.w`), embLn.dweight);
  addInto(G.get(`${t}.emb_ln.b`), embLn.dbias);
  const tables = encoderBackward(embLn.dinp, cache.ids, new Int32Array(N), { B, T, C }, { V: cfg.vocabSize, P: cfg.maxPositions, NT: cfg.typeVocabSize });
  addInto(G.get(`${t}.wte`), tables.dwte);
  addInto(G.get(`${t}.wpe`), tables.dwpe);
  addInto(G.get(`${t}.wtt`), tables.dwtt!);
}

export interface RefBatch {
  queryIds: Int32Array;
  queryMask: ArrayLike<number>;
  passageIds: Int32Array;
  passageMask: ArrayLike<number>;
  validNegative?: ArrayLike<number>;
  batchSize: number;
  negatives: number;
  queryLength: number;
  passageLength: number;
}

/** The mean contrastive loss of a batch and (with `withGrads`) its gradient over the flat parameters. */
export function refLossAndGrads(cfg: RefConfig, layout: RefLayout, params: Float64Array, batch: RefBatch, withGrads = true): { loss: number; grads: Float64Array | null } {
  const B = batch.batchSize;
  const cols = B + batch.negatives;
  const D = cfg.projection > 0 ? cfg.projection : cfg.hidden;
  const q = refTowerForward(cfg, layout, params, 'q', batch.queryIds, batch.queryMask, B, batch.queryLength);
  const p = refTowerForward(cfg, layout, params, 'p', batch.passageIds, batch.passageMask, cols, batch.passageLength);
  const S = matmulForward(q.out, p.out, null, { M: B, N: cols, K: D }).out;
  const scale = 1 / cfg.temperature;
  const mask = batch.validNegative;
  const { loss } = contrastiveForward(S, B, cols, scale, mask);
  if (!withGrads) return { loss, grads: null };
  const dS = contrastiveBackward(S, B, cols, scale, mask);
  // S = Q·Pᵀ as a matmul with weight P: dQ = dS·P, dP = dSᵀ·Q.
  const g = matmulBackward(dS, q.out, p.out, { M: B, N: cols, K: D });
  const grads = new Float64Array(layout.size);
  refTowerBackward(cfg, layout, params, grads, q, g.dinp);
  refTowerBackward(cfg, layout, params, grads, p, g.dweight);
  return { loss, grads };
}

export interface RefOptimizer {
  learningRate: number;
  weightDecay: number;
  maxGradNorm: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** One reference training step in place (clip to maxGradNorm, AdamW with the layout's decay flags); returns the loss. */
export function refTrainStep(
  cfg: RefConfig,
  layout: RefLayout,
  state: { params: Float64Array; m: Float64Array; v: Float64Array; step: number },
  batch: RefBatch,
  opt: RefOptimizer,
): number {
  const { loss, grads } = refLossAndGrads(cfg, layout, state.params, batch);
  let ss = 0;
  for (const g of grads!) ss += g * g;
  const norm = Math.sqrt(ss);
  const clip = opt.maxGradNorm > 0 && Number.isFinite(opt.maxGradNorm) ? Math.min(1, opt.maxGradNorm / (norm + 1e-6)) : 1;
  state.step++;
  const decayMask = new Uint32Array(Math.ceil(Math.ceil(layout.size / 64) / 32) || 1);
  for (const g of layout.groups) {
    if (!g.weightDecay) continue;
    for (let b = g.offset / 64; b < Math.ceil((g.offset + g.numel) / 64); b++) decayMask[b >>> 5]! |= 1 << (b & 31);
  }
  adamwUpdate(
    state.params,
    state.m,
    state.v,
    grads!,
    clip,
    { learningRate: opt.learningRate, step: state.step, beta1: opt.beta1 ?? 0.9, beta2: opt.beta2 ?? 0.999, epsilon: opt.epsilon ?? 1e-8, weightDecay: opt.weightDecay },
    decayMask,
  );
  return loss;
}
