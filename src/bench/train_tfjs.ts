// The baseline of `densescale bench train`: the same BERT bi-encoder training step written with tfjs
// ops on @tensorflow/tfjs-backend-webgpu, on the same adapter. Faithful to BiEncoder: shared tower,
// token + position + type-0 embeddings and LayerNorm, post-LN layers (fused QKV, key-padding-masked
// softmax attention, output dense, residual + LayerNorm, erf GELU FFN, residual + LayerNorm), masked
// mean pooling, the linear projection, S = Q·Pᵀ / temperature and softmax cross-entropy of each query's
// own positive among the B positives and W negatives, gradients by tf.variableGrads, Adam.
// It is loaded with the densescale model's weights (HF names), so both compute the same loss: the bench
// checks that before timing anything.
import type { BiEncoderConfig } from '../model/config.js';
import type { NamedTensor } from '../model/safetensors.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- tfjs is an optional dev dependency, typed loosely. */
type Tf = any;
type TfTensor = any;

export interface StepShape {
  batchSize: number;
  negatives: number;
  queryLength: number;
  passageLength: number;
}

export interface StepBatch {
  queryIds: Int32Array;
  queryMask: Int32Array;
  passageIds: Int32Array;
  passageMask: Int32Array;
}

/** A tfjs bi-encoder whose variables hold the given HF-named weights. */
export class TfjsBiEncoder {
  private readonly vars = new Map<string, TfTensor>();
  private readonly optimizer: TfTensor;

  constructor(
    private readonly tf: Tf,
    private readonly cfg: BiEncoderConfig,
    weights: readonly NamedTensor[],
    learningRate: number,
  ) {
    if (!cfg.sharedTowers || cfg.pooling !== 'mean' || cfg.hiddenAct !== 'gelu' || cfg.normalize || cfg.projection === 0) {
      throw new Error('the tfjs baseline implements the paper model only: shared tower, mean pooling, erf GELU, a projection, no normalisation');
    }
    for (const w of weights) {
      // The pooler is carried in checkpoints but unused by mean pooling: it gets no gradient, so no variable.
      if (w.name.startsWith('pooler.')) continue;
      this.vars.set(w.name, tf.variable(tf.tensor(w.data, w.shape), true, w.name));
    }
    this.optimizer = tf.train.adam(learningRate);
  }

  private v(name: string): TfTensor {
    const x = this.vars.get(name);
    if (x === undefined) throw new Error(`tfjs baseline: no weight ${name}`);
    return x;
  }

  private layerNorm(x: TfTensor, prefix: string): TfTensor {
    const { tf } = this;
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.cfg.layerNormEps))), this.v(`${prefix}.weight`)), this.v(`${prefix}.bias`));
  }

  /** x (n, in) · Wᵀ + b with an HF Linear's (out, in) weight. */
  private dense(x: TfTensor, prefix: string): TfTensor {
    return this.tf.add(this.tf.matMul(x, this.v(`${prefix}.weight`), false, true), this.v(`${prefix}.bias`));
  }

  /** Embeddings (rows, D) of token sequences (rows, T). */
  encode(ids: TfTensor, mask: TfTensor, rows: number, T: number): TfTensor {
    const { tf, cfg } = this;
    const H = cfg.hidden;
    const NH = cfg.heads;
    const hd = H / NH;
    const positions = tf.slice(this.v('embeddings.position_embeddings.weight'), [0, 0], [T, H]);
    const typeZero = tf.slice(this.v('embeddings.token_type_embeddings.weight'), [0, 0], [1, H]);
    let x = tf.reshape(tf.add(tf.reshape(tf.gather(this.v('embeddings.word_embeddings.weight'), tf.reshape(ids, [-1])), [rows, T, H]), tf.add(positions, typeZero)), [rows * T, H]);
    x = this.layerNorm(x, 'embeddings.LayerNorm');
    const keyBias = tf.reshape(tf.mul(tf.sub(1, mask), -1e9), [rows, 1, 1, T]);
    const heads = (t: TfTensor) => tf.transpose(tf.reshape(t, [rows, T, NH, hd]), [0, 2, 1, 3]);
    for (let l = 0; l < cfg.layers; l++) {
      const p = `encoder.layer.${l}.`;
      const wqkv = tf.concat([this.v(`${p}attention.self.query.weight`), this.v(`${p}attention.self.key.weight`), this.v(`${p}attention.self.value.weight`)], 0);
      const bqkv = tf.concat([this.v(`${p}attention.self.query.bias`), this.v(`${p}attention.self.key.bias`), this.v(`${p}attention.self.value.bias`)], 0);
      const [q, k, v] = tf.split(tf.add(tf.matMul(x, wqkv, false, true), bqkv), 3, 1);
      const scores = tf.add(tf.mul(tf.matMul(heads(q), heads(k), false, true), 1 / Math.sqrt(hd)), keyBias);
      const attended = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), heads(v)), [0, 2, 1, 3]), [rows * T, H]);
      x = this.layerNorm(tf.add(x, this.dense(attended, `${p}attention.output.dense`)), `${p}attention.output.LayerNorm`);
      const inner = this.dense(x, `${p}intermediate.dense`);
      const gelu = tf.mul(tf.mul(inner, 0.5), tf.add(1, tf.erf(tf.mul(inner, Math.SQRT1_2))));
      x = this.layerNorm(tf.add(x, this.dense(gelu, `${p}output.dense`)), `${p}output.LayerNorm`);
    }
    const m = tf.reshape(mask, [rows, T, 1]);
    const pooled = tf.div(tf.sum(tf.mul(tf.reshape(x, [rows, T, H]), m), 1), tf.maximum(tf.sum(m, 1), 1));
    return this.dense(pooled, 'projection');
  }

  /** Mean over queries of −log softmax of the own positive (column i) among all B + W passages. */
  loss(inputs: { q: TfTensor; qm: TfTensor; p: TfTensor; pm: TfTensor }, shape: StepShape): TfTensor {
    const { tf } = this;
    const B = shape.batchSize;
    const Q = this.encode(inputs.q, inputs.qm, B, shape.queryLength);
    const P = this.encode(inputs.p, inputs.pm, B + shape.negatives, shape.passageLength);
    const S = tf.mul(tf.matMul(Q, P, false, true), 1 / this.cfg.temperature);
    const own = tf.sum(tf.mul(S, tf.pad(tf.eye(B), [[0, 0], [0, shape.negatives]])), 1);
    return tf.mean(tf.sub(tf.logSumExp(S, 1), own));
  }

  inputs(batch: StepBatch, shape: StepShape): { q: TfTensor; qm: TfTensor; p: TfTensor; pm: TfTensor } {
    const { tf } = this;
    const rows = shape.batchSize + shape.negatives;
    return {
      q: tf.tensor(batch.queryIds, [shape.batchSize, shape.queryLength], 'int32'),
      qm: tf.tensor(Float32Array.from(batch.queryMask), [shape.batchSize, shape.queryLength]),
      p: tf.tensor(batch.passageIds, [rows, shape.passageLength], 'int32'),
      pm: tf.tensor(Float32Array.from(batch.passageMask), [rows, shape.passageLength]),
    };
  }

  /** The loss without an update. */
  async evaluate(batch: StepBatch, shape: StepShape): Promise<number> {
    const x = this.inputs(batch, shape);
    try {
      const loss = this.tf.tidy(() => this.loss(x, shape));
      const value = (await loss.data())[0] as number;
      loss.dispose();
      return value;
    } finally {
      for (const t of Object.values(x)) (t as TfTensor).dispose();
    }
  }

  /** One training step: loss, gradients of every variable (tf.variableGrads), Adam; returns the loss. */
  async step(x: { q: TfTensor; qm: TfTensor; p: TfTensor; pm: TfTensor }, shape: StepShape): Promise<number> {
    const { tf } = this;
    const { value, grads } = tf.variableGrads(() => this.loss(x, shape), [...this.vars.values()]);
    this.optimizer.applyGradients(grads);
    tf.dispose(grads);
    const loss = (await value.data())[0] as number;
    value.dispose();
    return loss;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.optimizer.dispose();
  }
}
