// The bi-encoder: one or two BERT towers, the contrastive head and AdamW, entirely on the GPU.
//
// Memory is allocated at creation: flat params/grads/m/v buffers (model/layout.ts) and, per tower, the
// activations of one chunk of sequences. A training step is one submit:
//   clear grads → forward every query and passage chunk → S = Q·Pᵀ → contrastive loss and dS →
//   dQ = dS·P, dP = dSᵀ·Q → backward every chunk (recomputing the activations of all but each tower's
//   last chunk, as GradCache does: memory stays one chunk deep whatever the batch) → ‖g‖ and the clip
//   scale → AdamW.
// When a tower's batch fits one chunk (every CPU-sized run, and most GPU runs) nothing is recomputed.
import { ConfigError, FormatError, LimitError } from '../errors.js';
import type { Device } from '../gpu/device.js';
import type { ProfileEntry, Recorder } from '../gpu/recorder.js';
import { Tensor } from '../gpu/tensor.js';
import { adamwDecayMask, adamwUpdate } from '../ops/adamw.js';
import { contrastiveBackward, contrastiveForward } from '../ops/contrastive.js';
import { globalNorm, globalNormWorkspaceSize } from '../ops/global_norm.js';
import { matmulBackwardInput, matmulBackwardWeight, matmulForward } from '../ops/matmul.js';
import { Pcg32 } from '../util/rng.js';
import { paramCount, validateConfig, type BiEncoderConfig } from './config.js';
import { EncoderActivations, towerViews, type ChunkInputs, type TowerParams } from './bert.js';
import { layoutFor, type ParamLayout, type Tower } from './layout.js';
import type { NamedTensor } from './safetensors.js';

/** The shape of training batches a model is created for (the paper: 128 queries, 256 negatives, 32/180 tokens). */
export interface TrainShape {
  batchSize: number;
  negatives: number;
  queryLength: number;
  passageLength: number;
}

export interface BiEncoderOptions {
  /** Seed of the parameter initialisation (normal, std 0.02, as HF BERT). */
  seed?: number;
  /** Allocate what training needs for batches of this shape; omit for an inference-only model. */
  train?: TrainShape;
  /**
   * Tokens per chunk of sequences the activations hold. Default: a whole tower batch when it fits the
   * device's storage binding limit, else the most that does. Smaller values trade speed for memory.
   */
  chunkTokens?: number;
  /** For inference-only models: the longest sequence to embed (default 512 or maxPositions). */
  maxLength?: number;
}

/** One training batch: token ids and masks row-major, as PairDataset.batches() produces them. */
export interface TrainBatch {
  queryIds: Int32Array; // (B, Tq)
  queryMask: ArrayLike<number>; // (B, Tq), 1 = token
  passageIds: Int32Array; // (B + W, Tp): B positives, then W shared negatives
  passageMask: ArrayLike<number>;
  /** (B, B + W): 0 where column j is not a valid negative for row i (a duplicate of its positive). */
  validNegative?: ArrayLike<number>;
}

export interface OptimizerSettings {
  learningRate: number;
  weightDecay: number;
  /** Clip the global gradient norm to this; 0 or Infinity disables clipping. */
  maxGradNorm: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

interface TowerRun {
  act: EncoderActivations;
  chunks: ChunkInputs[];
  chunkRows: number;
  length: number;
  rows: number;
}

interface TrainState {
  shape: TrainShape;
  q: TowerRun;
  p: TowerRun;
  Q: Tensor;
  P: Tensor;
  dQ: Tensor;
  dP: Tensor;
  S: Tensor;
  dS: Tensor;
  validMask: Tensor;
  loss: Tensor;
  rowLoss: Tensor;
  rowStats: Tensor;
  gradNorm: Tensor;
  clipScale: Tensor;
  noClip: Tensor;
  normWorkspace: Tensor;
  decayMask: Tensor;
}

/**
 * Initial parameters as HF BertPreTrainedModel._init_weights sets them: normal(0, 0.02) for weights and
 * embeddings, zero biases, LayerNorm weights 1, drawn from a seeded PCG32 stream in layout order.
 */
export function initialParams(layout: ParamLayout, seed: number): Float32Array {
  const rng = new Pcg32(seed);
  const data = new Float32Array(layout.size);
  for (const g of layout.groups) {
    const view = data.subarray(g.offset, g.offset + g.numel);
    if (/(^|\.)(emb_)?ln\d?\.w$/.test(g.key)) view.fill(1);
    else if (g.weightDecay) for (let i = 0; i < view.length; i++) view[i] = rng.nextNormal() * 0.02;
  }
  return data;
}

/**
 * A BERT bi-encoder on a WebGPU device: shared (the paper) or separate query/passage towers, masked mean
 * or [CLS] pooling, a linear projection, inner-product scores. Created with random weights or loaded
 * from HF-named tensors; trained with `trainStep`; embeds with `embed`.
 *
 * @example
 * const model = BiEncoder.create(device, modelConfig('mini', { vocabSize: tok.vocabSize }),
 *   { seed: 0, train: { batchSize: 32, negatives: 32, queryLength: 32, passageLength: 128 } });
 * const loss = await model.trainStep(batch, { learningRate: 1e-4, weightDecay: 0.01, maxGradNorm: 1 }, { readLoss: true });
 * model.destroy();
 */
export class BiEncoder {
  readonly layout: ParamLayout;
  /** Optimizer steps taken so far (AdamW's t). */
  step = 0;
  private readonly params: Tensor;
  private readonly grads: Tensor | null;
  private readonly m: Tensor | null;
  private readonly v: Tensor | null;
  private readonly train: TrainState | null;
  private readonly infer: { q: EncoderActivations; p: EncoderActivations; inputs: ChunkInputs; pInputs: ChunkInputs };
  private readonly owned: Tensor[] = [];
  private destroyed = false;

  private constructor(
    readonly device: Device,
    readonly config: BiEncoderConfig,
    options: BiEncoderOptions,
  ) {
    validateConfig(config);
    this.layout = layoutFor(config);
    const flat = (label: string) => {
      const buf = device.buffer(label, this.layout.size * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
      return new Tensor(buf, 0, [this.layout.size], label);
    };
    this.checkGroupsFitBindings();
    this.params = flat('params');
    const training = options.train !== undefined;
    this.grads = training ? flat('grads') : null;
    this.m = training ? flat('adam.m') : null;
    this.v = training ? flat('adam.v') : null;
    this.train = options.train ? this.createTrainState(options.train, options.chunkTokens) : null;
    const maxLength = Math.min(options.maxLength ?? config.maxPositions, config.maxPositions);
    const inferTokens = this.train ? Math.max(this.train.q.act.capacityTokens, this.train.p.act.capacityTokens) : Math.max(maxLength, Math.min(options.chunkTokens ?? 8192, this.maxChunkTokens()));
    if (this.train) {
      this.infer = { q: this.train.q.act, p: this.train.p.act, inputs: this.train.q.chunks[0]!, pInputs: this.train.p.chunks[0]! };
    } else {
      const q = new EncoderActivations(device, config, inferTokens, inferTokens, 'infer', false);
      this.infer = { q, p: q, inputs: q.createInputs('infer.in'), pInputs: q.createInputs('infer.in') };
    }
  }

  /**
   * A model with freshly initialised weights: normal(0, 0.02) for weights and embeddings, zero biases,
   * LayerNorm weights 1 (HF BertPreTrainedModel._init_weights), from a seeded PCG32 stream.
   */
  static create(device: Device, config: BiEncoderConfig, options: BiEncoderOptions = {}): BiEncoder {
    const model = new BiEncoder(device, config, options);
    model.writeFlat('params', initialParams(model.layout, options.seed ?? 0));
    return model;
  }

  /**
   * A model from HF-named tensors (a BERT checkpoint, or one of ours). A leading "bert." is stripped.
   * Tensors the model lacks are an error, except the projection (and pooler), which are initialised
   * from `seed` when a plain BERT checkpoint has none; tensors it does not use are returned as `unused`.
   */
  static fromTensors(device: Device, config: BiEncoderConfig, tensors: ReadonlyMap<string, NamedTensor>, options: BiEncoderOptions = {}, file = 'model.safetensors'): { model: BiEncoder; unused: string[]; initialised: string[] } {
    const model = new BiEncoder(device, config, options);
    const byName = new Map<string, NamedTensor>();
    for (const [name, t] of tensors) byName.set(name.replace(/^bert\./, ''), t);
    const data = new Float32Array(model.layout.size);
    const used = new Set<string>();
    const initialised: string[] = [];
    const fresh = initialParams(model.layout, options.seed ?? 0);
    for (const g of model.layout.groups) {
      for (const part of g.parts) {
        const t = byName.get(part.name);
        const n = part.shape.reduce((a, b) => a * b, 1);
        if (t === undefined) {
          if (/^(projection|pooler)\./.test(part.name)) {
            initialised.push(part.name);
            data.set(fresh.subarray(g.offset + part.offset, g.offset + part.offset + n), g.offset + part.offset);
            continue;
          }
          throw new FormatError(`tensor ${part.name} is missing`, file, undefined, part.name);
        }
        if (t.shape.length !== part.shape.length || t.shape.some((d, i) => d !== part.shape[i])) {
          throw new FormatError(`tensor ${part.name} has shape [${t.shape}], the config needs [${part.shape}]`, file, undefined, part.name);
        }
        data.set(t.data, g.offset + part.offset);
        used.add(part.name);
      }
    }
    model.writeFlat('params', data);
    return { model, unused: [...byName.keys()].filter((k) => !used.has(k)).sort(), initialised };
  }

  /** Non-embedding parameters (the paper's N). */
  get paramCount(): number {
    return paramCount(this.config, { nonEmbedding: true });
  }

  /** Output embedding size D. */
  get embeddingSize(): number {
    return this.config.projection > 0 ? this.config.projection : this.config.hidden;
  }

  private maxChunkTokens(): number {
    const widest = Math.max(3 * this.config.hidden, this.config.intermediate) * 4;
    return Math.floor(this.device.gpu.limits.maxStorageBufferBindingSize / widest);
  }

  private checkGroupsFitBindings(): void {
    const max = this.device.gpu.limits.maxStorageBufferBindingSize;
    for (const g of this.layout.groups) {
      if (g.numel * 4 > max) {
        throw new LimitError(
          `parameter ${g.parts[0]!.name} needs ${g.numel * 4} bytes, over the device's maxStorageBufferBindingSize ${max}; lower the vocabulary size or hidden size`,
          'maxStorageBufferBindingSize',
          g.numel * 4,
          max,
        );
      }
    }
  }

  private towerRun(tower: Tower, rows: number, length: number, chunkTokens: number | undefined, training: boolean): TowerRun {
    if (length > this.config.maxPositions) throw new ConfigError(`${length} exceeds maxPositions ${this.config.maxPositions}`, tower === 'q' ? 'queryLength' : 'passageLength');
    const cap = Math.min(chunkTokens ?? rows * length, this.maxChunkTokens());
    const chunkRows = Math.min(rows, Math.floor(cap / length));
    if (chunkRows < 1) {
      throw new LimitError(
        `a ${tower === 'q' ? 'query' : 'passage'} chunk of ${length} tokens does not fit: at most ${cap} tokens per chunk on this device; lower the sequence length or hidden size`,
        'maxStorageBufferBindingSize',
      );
    }
    const act = new EncoderActivations(this.device, this.config, chunkRows * length, chunkRows, `acts.${tower}`, training);
    const n = Math.ceil(rows / chunkRows);
    const chunks = Array.from({ length: n }, (_, c) => act.createInputs(`inputs.${tower}${c}`));
    return { act, chunks, chunkRows, length, rows };
  }

  private createTrainState(shape: TrainShape, chunkTokens: number | undefined): TrainState {
    for (const [k, v] of Object.entries(shape)) {
      if (!Number.isInteger(v) || v < (k === 'negatives' ? 0 : 1)) throw new ConfigError(`must be a positive integer, got ${v}`, k);
    }
    const D = this.embeddingSize;
    const B = shape.batchSize;
    const cols = B + shape.negatives;
    const q = this.towerRun('q', B, shape.queryLength, chunkTokens, true);
    const p = this.towerRun('p', cols, shape.passageLength, chunkTokens, true);
    const t = (label: string, dims: number[], dtype: 'f32' | 'u32' = 'f32') => {
      const x = this.device.tensor(label, dims, dtype);
      this.owned.push(x);
      return x;
    };
    const decay = adamwDecayMask(this.layout.size, this.layout.groups.filter((g) => g.weightDecay));
    const state: TrainState = {
      shape,
      q,
      p,
      Q: t('head.Q', [B, D]),
      P: t('head.P', [cols, D]),
      dQ: t('head.dQ', [B, D]),
      dP: t('head.dP', [cols, D]),
      S: t('head.S', [B, cols]),
      dS: t('head.dS', [B, cols]),
      validMask: t('head.valid', [B, cols], 'u32'),
      loss: t('head.loss', [1]),
      rowLoss: t('head.row_loss', [B]),
      rowStats: t('head.row_stats', [B, 2]),
      gradNorm: t('optim.grad_norm', [1]),
      clipScale: t('optim.clip_scale', [1]),
      noClip: t('optim.no_clip', [1]),
      normWorkspace: t('optim.norm_ws', [globalNormWorkspaceSize(this.layout.size)]),
      decayMask: t('optim.decay_mask', [decay.length], 'u32'),
    };
    this.device.write(state.noClip, new Float32Array([1]));
    this.device.write(state.decayMask, decay);
    return state;
  }

  private towerParams(tower: Tower): TowerParams {
    return towerViews(this.params, this.layout, this.config, tower, 'params');
  }

  private writeTower(run: TowerRun, ids: Int32Array, mask: ArrayLike<number>, withGradients: boolean): void {
    const T = run.length;
    for (let c = 0; c < run.chunks.length; c++) {
      const r0 = c * run.chunkRows;
      const rows = Math.min(run.chunkRows, run.rows - r0);
      const sub = ids.subarray(r0 * T, (r0 + rows) * T);
      const subMask = Array.prototype.slice.call(mask, r0 * T, (r0 + rows) * T) as number[];
      run.chunks[c] = run.act.writeInputs(run.chunks[c]!, sub, subMask, rows, T, withGradients);
    }
  }

  private rowsOf(E: Tensor, run: TowerRun, c: number): Tensor {
    const D = this.embeddingSize;
    const inp = run.chunks[c]!;
    return E.slice(c * run.chunkRows * D, [inp.rows, D]);
  }

  private requireTraining(): { st: TrainState; grads: Tensor; m: Tensor; v: Tensor } {
    const st = this.train;
    if (st === null || this.grads === null || this.m === null || this.v === null) throw new ConfigError('this model was created without a training shape', 'train');
    return { st, grads: this.grads, m: this.m, v: this.v };
  }

  /** Uploads a batch's tokens, masks and negative validity (queued before the next submit). */
  private writeBatch(st: TrainState, batch: TrainBatch): void {
    const { batchSize: B, negatives: W, queryLength: Tq, passageLength: Tp } = st.shape;
    const cols = B + W;
    if (batch.queryIds.length !== B * Tq || batch.passageIds.length !== cols * Tp) {
      throw new ConfigError(`batch has ${batch.queryIds.length} query and ${batch.passageIds.length} passage tokens; the model was created for (${B}×${Tq}) and (${cols}×${Tp})`, 'batch');
    }
    this.writeTower(st.q, batch.queryIds, batch.queryMask, true);
    this.writeTower(st.p, batch.passageIds, batch.passageMask, true);
    const valid = new Uint32Array(B * cols);
    for (let i = 0; i < valid.length; i++) valid[i] = batch.validNegative === undefined || batch.validNegative[i] ? 1 : 0;
    this.device.write(st.validMask, valid);
  }

  /** Records forward, loss and (with `backward`) the gradient of the mean loss into the cleared grads. */
  private recordLoss(rec: Recorder, st: TrainState, grads: Tensor, backward: boolean): void {
    const towers: [TowerRun, Tensor, Tensor, Tower][] = [
      [st.q, st.Q, st.dQ, 'q'],
      [st.p, st.P, st.dP, 'p'],
    ];
    for (const [run, E, , tower] of towers) {
      const p = this.towerParams(tower);
      for (let c = 0; c < run.chunks.length; c++) run.act.forward(rec, p, run.chunks[c]!, this.rowsOf(E, run, c));
    }
    const scale = 1 / this.config.temperature;
    matmulForward(rec, st.S, st.Q, st.P, null);
    contrastiveForward(rec, st.loss, st.rowLoss, st.rowStats, st.S, { scale, mask: st.validMask });
    if (!backward) return;
    rec.clear(grads);
    contrastiveBackward(rec, st.dS, st.S, st.rowStats, { scale, mask: st.validMask, accumulate: false });
    matmulBackwardInput(rec, st.dQ, st.dS, st.P);
    matmulBackwardWeight(rec, st.dP, st.dS, st.Q);
    for (const [run, E, dE, tower] of towers) {
      const p = this.towerParams(tower);
      const g = towerViews(grads, this.layout, this.config, tower, 'grads');
      const last = run.chunks.length - 1;
      for (let c = last; c >= 0; c--) {
        // The last chunk's activations are still in place from the forward above; others are recomputed.
        if (c !== last) run.act.forward(rec, p, run.chunks[c]!, this.rowsOf(E, run, c));
        run.act.backward(rec, p, g, run.chunks[c]!, this.rowsOf(dE, run, c));
      }
    }
  }

  /** Records a whole training step: forward, backward, clipping and AdamW. */
  private recordStep(rec: Recorder, opt: OptimizerSettings): TrainState {
    const { st, grads, m, v } = this.requireTraining();
    this.recordLoss(rec, st, grads, true);
    this.step++;
    const clip = opt.maxGradNorm > 0 && Number.isFinite(opt.maxGradNorm);
    if (clip) globalNorm(rec, st.gradNorm, st.clipScale, st.normWorkspace, grads, { maxNorm: opt.maxGradNorm });
    const adam: Parameters<typeof adamwUpdate>[6] = { learningRate: opt.learningRate, step: this.step, weightDecay: opt.weightDecay, decayMask: st.decayMask };
    if (opt.beta1 !== undefined) adam.beta1 = opt.beta1;
    if (opt.beta2 !== undefined) adam.beta2 = opt.beta2;
    if (opt.epsilon !== undefined) adam.epsilon = opt.epsilon;
    adamwUpdate(rec, this.params, m, v, grads, clip ? st.clipScale : st.noClip, adam);
    return st;
  }

  /**
   * One AdamW step on a batch: forward, contrastive loss over the B positives and W shared negatives,
   * backward, clipping, update — one submit. Returns the batch loss (nats) when `readLoss`, else undefined
   * (reading it back costs a GPU round trip, so trainers read it every k steps).
   */
  async trainStep(batch: TrainBatch, opt: OptimizerSettings, { readLoss = false }: { readLoss?: boolean } = {}): Promise<number | undefined> {
    this.writeBatch(this.requireTraining().st, batch);
    const rec = this.device.recorder('train.step');
    const st = this.recordStep(rec, opt);
    const lossBytes = readLoss ? rec.read(st.loss) : null;
    await rec.submit();
    return lossBytes === null ? undefined : new Float32Array(await lossBytes)[0]!;
  }

  /**
   * trainStep with each dispatch timed (one compute pass per dispatch, timestamp queries): where a step's
   * GPU time goes, for benchmarks. The step is applied like any other. Empty without timestamp-query.
   */
  async profileStep(batch: TrainBatch, opt: OptimizerSettings): Promise<ProfileEntry[]> {
    this.writeBatch(this.requireTraining().st, batch);
    const rec = this.device.recorder('train.step', { profile: true });
    this.recordStep(rec, opt);
    await rec.submit();
    return (await rec.profile) ?? [];
  }

  /** The mean contrastive loss of a batch under the current parameters (no update). */
  async loss(batch: TrainBatch): Promise<number> {
    const { st, grads } = this.requireTraining();
    this.writeBatch(st, batch);
    const rec = this.device.recorder('loss');
    this.recordLoss(rec, st, grads, false);
    const bytes = rec.read(st.loss);
    await rec.submit();
    return new Float32Array(await bytes)[0]!;
  }

  /** The loss and its gradient over the flat parameters (layout order), without an update. */
  async gradients(batch: TrainBatch): Promise<{ loss: number; grads: Float32Array }> {
    const { st, grads } = this.requireTraining();
    this.writeBatch(st, batch);
    const rec = this.device.recorder('gradients');
    this.recordLoss(rec, st, grads, true);
    const lossBytes = rec.read(st.loss);
    const gradBytes = rec.read(grads);
    await rec.submit();
    return { loss: new Float32Array(await lossBytes)[0]!, grads: new Float32Array(await gradBytes) };
  }

  /**
   * Embeds token sequences with the query or passage tower: ids and mask (rows × length, row-major) →
   * (rows, D) embeddings. Large inputs are processed in chunks, one submit each.
   */
  async embed(tower: 'query' | 'passage', ids: Int32Array, mask: ArrayLike<number>, rows: number, length: number): Promise<Float32Array> {
    const t: Tower = tower === 'query' ? 'q' : 'p';
    const act = t === 'q' ? this.infer.q : this.infer.p;
    const D = this.embeddingSize;
    const chunkRows = Math.min(act.maxRows, Math.floor(act.capacityTokens / length));
    if (chunkRows < 1) throw new LimitError(`sequences of ${length} tokens exceed this model's chunk of ${act.capacityTokens} tokens; create it with a larger maxLength or chunkTokens`);
    if (length > this.config.maxPositions) throw new ConfigError(`${length} exceeds maxPositions ${this.config.maxPositions}`, 'length');
    const out = new Float32Array(rows * D);
    const p = this.towerParams(t);
    const reads: Promise<void>[] = [];
    let inputs = t === 'q' ? this.infer.inputs : this.infer.pInputs;
    for (let r0 = 0; r0 < rows; r0 += chunkRows) {
      const n = Math.min(chunkRows, rows - r0);
      inputs = act.writeInputs(inputs, ids.subarray(r0 * length, (r0 + n) * length), Array.prototype.slice.call(mask, r0 * length, (r0 + n) * length) as number[], n, length, false);
      const target = this.embedTarget(D, n);
      const rec = this.device.recorder('embed');
      act.forward(rec, p, inputs, target);
      const bytes = rec.read(target);
      await rec.submit();
      reads.push(bytes.then((b) => out.set(new Float32Array(b), r0 * D)));
    }
    await Promise.all(reads);
    return out;
  }

  private embedOut: Tensor | null = null;

  private embedTarget(D: number, rows: number): Tensor {
    const need = Math.max(this.infer.q.maxRows, this.infer.p.maxRows) * D;
    if (this.embedOut === null) {
      this.embedOut = this.device.tensor('embed.out', [need]);
      this.owned.push(this.embedOut);
    }
    return this.embedOut.slice(0, [rows, D]);
  }

  /** Copies a flat buffer back to the CPU: the parameters, or AdamW's first/second moments. */
  async readFlat(which: 'params' | 'm' | 'v'): Promise<Float32Array> {
    const t = which === 'params' ? this.params : which === 'm' ? this.m : this.v;
    if (t === null) throw new ConfigError('an inference-only model has no optimizer state', which);
    const rec = this.device.recorder(`read.${which}`);
    const bytes = rec.read(t);
    await rec.submit();
    return new Float32Array(await bytes);
  }

  /** Overwrites a flat buffer (checkpoint restore). */
  writeFlat(which: 'params' | 'm' | 'v', data: Float32Array): void {
    const t = which === 'params' ? this.params : which === 'm' ? this.m : this.v;
    if (t === null) throw new ConfigError('an inference-only model has no optimizer state', which);
    if (data.length !== this.layout.size) throw new ConfigError(`${data.length} values for a flat buffer of ${this.layout.size}`, which);
    this.device.write(t, data);
  }

  /** The parameters as HF-named tensors, in layout order (for safetensors). */
  async exportTensors(): Promise<NamedTensor[]> {
    const flat = await this.readFlat('params');
    const out: NamedTensor[] = [];
    for (const g of this.layout.groups) {
      for (const part of g.parts) {
        const n = part.shape.reduce((a, b) => a * b, 1);
        out.push({ name: part.name, shape: part.shape, data: flat.slice(g.offset + part.offset, g.offset + part.offset + n) });
      }
    }
    return out;
  }

  /** Frees every GPU buffer of the model. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const acts = new Set<EncoderActivations>([this.infer.q, this.infer.p]);
    if (this.train) {
      acts.add(this.train.q.act);
      acts.add(this.train.p.act);
    }
    for (const a of acts) a.destroy();
    for (const t of this.owned) this.device.release(t);
    for (const t of [this.params, this.grads, this.m, this.v]) if (t !== null) this.device.release(t);
  }
}
