// Bi-encoder configuration, the presets of the paper (the 24 compact BERTs of Turc et al.) and a
// ladder of smaller shapes for CPU-sized runs, and paramCount(): the paper's N.
import { ConfigError } from '../errors.js';

export type HiddenAct = 'gelu' | 'gelu_new';
export type Pooling = 'mean' | 'cls';

/** The architecture of a BERT bi-encoder; field names follow HF's BertConfig where one exists. */
export interface BiEncoderConfig {
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  /** FFN inner size; 4·hidden in BERT. */
  intermediate: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
  hiddenAct: HiddenAct;
  pooling: Pooling;
  /** Output size of the linear projection after pooling (768 in the paper); 0 for none. */
  projection: number;
  /** L2-normalise embeddings before the inner product. */
  normalize: boolean;
  /** Scores are divided by this; 1 = the paper's raw inner product. */
  temperature: number;
  /** One encoder for queries and passages (the paper) or two. */
  sharedTowers: boolean;
  /**
   * Keep BERT's pooler (dense + tanh on [CLS]). Mean pooling does not use it, but HF checkpoints carry
   * it and the paper counts it in N, so it is kept for both.
   */
  pooler: boolean;
}

export type PresetShape = Pick<BiEncoderConfig, 'hidden' | 'layers' | 'heads'>;

const DEFAULTS: Omit<BiEncoderConfig, 'hidden' | 'layers' | 'heads' | 'intermediate' | 'vocabSize'> = {
  maxPositions: 512,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  hiddenAct: 'gelu',
  pooling: 'mean',
  projection: 768,
  normalize: false,
  temperature: 1,
  sharedTowers: true,
  pooler: true,
};

function compactBerts(): Record<string, PresetShape> {
  const out: Record<string, PresetShape> = {};
  for (const layers of [2, 4, 6, 8, 10, 12]) {
    for (const hidden of [128, 256, 512, 768]) out[`bert-L${layers}-H${hidden}`] = { layers, hidden, heads: hidden / 64 };
  }
  return out;
}

/**
 * Model shapes by name: the 24 compact BERTs (`bert-L{2..12}-H{128..768}`, A = H/64 heads), the paper's
 * named points (tiny, mini, small, medium, base), and a ladder of smaller shapes (`cpu-*`) whose
 * non-embedding sizes grow by about 2× per step, for scaling sweeps that finish on a CPU.
 *
 * @example
 * const cfg = modelConfig('mini', { vocabSize: 30522 });
 */
export const presets: Readonly<Record<string, PresetShape>> = {
  ...compactBerts(),
  tiny: { layers: 2, hidden: 128, heads: 2 },
  mini: { layers: 4, hidden: 256, heads: 4 },
  small: { layers: 4, hidden: 512, heads: 8 },
  medium: { layers: 8, hidden: 512, heads: 8 },
  base: { layers: 12, hidden: 768, heads: 12 },
  'cpu-1': { layers: 1, hidden: 32, heads: 1 },
  'cpu-2': { layers: 1, hidden: 48, heads: 1 },
  'cpu-3': { layers: 2, hidden: 48, heads: 1 },
  'cpu-4': { layers: 2, hidden: 64, heads: 2 },
  'cpu-5': { layers: 2, hidden: 96, heads: 3 },
  'cpu-6': { layers: 2, hidden: 128, heads: 4 },
  'cpu-7': { layers: 3, hidden: 160, heads: 5 },
};

/** A full configuration from a preset name or shape plus overrides; validates every field. */
export function modelConfig(preset: string | PresetShape, overrides: Partial<BiEncoderConfig> & { vocabSize: number }): BiEncoderConfig {
  const shape = typeof preset === 'string' ? presets[preset] : preset;
  if (shape === undefined) throw new ConfigError(`unknown preset "${String(preset)}" (have: ${Object.keys(presets).join(', ')})`, 'preset');
  const cfg: BiEncoderConfig = { ...DEFAULTS, ...shape, intermediate: 4 * (overrides.hidden ?? shape.hidden), ...overrides };
  validateConfig(cfg);
  return cfg;
}

export function validateConfig(cfg: BiEncoderConfig): void {
  const posInt = (field: keyof BiEncoderConfig, min = 1) => {
    const v = cfg[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ConfigError(`must be an integer ≥ ${min}, got ${String(v)}`, field);
  };
  for (const f of ['vocabSize', 'hidden', 'layers', 'heads', 'intermediate', 'maxPositions', 'typeVocabSize'] as const) posInt(f);
  posInt('projection', 0);
  if (cfg.hidden % cfg.heads !== 0) throw new ConfigError(`hidden ${cfg.hidden} is not divisible by heads ${cfg.heads}`, 'heads');
  if (cfg.hidden % 4 !== 0) throw new ConfigError(`hidden ${cfg.hidden} must be a multiple of 4 (vec4 kernels)`, 'hidden');
  if (!(cfg.layerNormEps > 0)) throw new ConfigError(`must be > 0, got ${cfg.layerNormEps}`, 'layerNormEps');
  if (!(cfg.temperature > 0)) throw new ConfigError(`must be > 0, got ${cfg.temperature}`, 'temperature');
  if (cfg.hiddenAct !== 'gelu' && cfg.hiddenAct !== 'gelu_new') throw new ConfigError(`must be "gelu" or "gelu_new", got "${String(cfg.hiddenAct)}"`, 'hiddenAct');
  if (cfg.pooling !== 'mean' && cfg.pooling !== 'cls') throw new ConfigError(`must be "mean" or "cls", got "${String(cfg.pooling)}"`, 'pooling');
}

/**
 * Number of parameters. With `nonEmbedding: true` this is the paper's N: everything except the
 * `embeddings.*` tensors of a HF BERT (token, position and type embeddings and the embedding LayerNorm),
 * including the pooler and the projection. Excluding the embedding LayerNorm is what reproduces the
 * paper's counts exactly (Small: 13.266M; it would be 13.267M with it).
 *
 * @example
 * paramCount(modelConfig('base', { vocabSize: 30522 }), { nonEmbedding: true }); // 86_235_648
 */
export function paramCount(cfg: BiEncoderConfig, options: { nonEmbedding?: boolean } = {}): number {
  const H = cfg.hidden;
  const perLayer = 4 * (H * H + H) + 2 * H + (cfg.intermediate * H + cfg.intermediate) + (H * cfg.intermediate + H) + 2 * H;
  const towers = cfg.sharedTowers ? 1 : 2;
  const encoder = cfg.layers * perLayer + (cfg.pooler ? H * H + H : 0);
  const embeddings = (cfg.vocabSize + cfg.maxPositions + cfg.typeVocabSize) * H + 2 * H;
  const projection = cfg.projection > 0 ? cfg.projection * H + cfg.projection : 0;
  return towers * (encoder + (options.nonEmbedding ? 0 : embeddings)) + projection;
}
