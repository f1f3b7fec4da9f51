// HF BertConfig (config.json) ⇄ BiEncoderConfig. Our own fields travel under "densescale", so a HF
// BertModel loads our checkpoints and we load theirs (where they are absent, the paper's defaults apply).
import { FormatError } from '../errors.js';
import { modelConfig, type BiEncoderConfig, type HiddenAct } from './config.js';

export function toHfConfig(cfg: BiEncoderConfig): Record<string, unknown> {
  return {
    architectures: ['BertModel'],
    model_type: 'bert',
    vocab_size: cfg.vocabSize,
    hidden_size: cfg.hidden,
    num_hidden_layers: cfg.layers,
    num_attention_heads: cfg.heads,
    intermediate_size: cfg.intermediate,
    hidden_act: cfg.hiddenAct,
    max_position_embeddings: cfg.maxPositions,
    type_vocab_size: cfg.typeVocabSize,
    layer_norm_eps: cfg.layerNormEps,
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
    initializer_range: 0.02,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    densescale: {
      pooling: cfg.pooling,
      projection: cfg.projection,
      normalize: cfg.normalize,
      temperature: cfg.temperature,
      sharedTowers: cfg.sharedTowers,
      pooler: cfg.pooler,
    },
  };
}

const ACTS: Record<string, HiddenAct> = { gelu: 'gelu', gelu_new: 'gelu_new', gelu_pytorch_tanh: 'gelu_new' };

export function fromHfConfig(json: unknown, file = 'config.json'): BiEncoderConfig {
  if (typeof json !== 'object' || json === null) throw new FormatError('not a JSON object', file);
  const j = json as Record<string, unknown>;
  const int = (field: string, fallback?: number): number => {
    const v = j[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new FormatError(`expected a positive integer, got ${JSON.stringify(v)}`, file, undefined, field);
    return v;
  };
  if (j.model_type !== undefined && j.model_type !== 'bert') throw new FormatError(`model_type "${String(j.model_type)}" is not "bert"`, file, undefined, 'model_type');
  const act = ACTS[String(j.hidden_act ?? 'gelu')];
  if (act === undefined) throw new FormatError(`hidden_act "${String(j.hidden_act)}" is not supported (gelu, gelu_new, gelu_pytorch_tanh)`, file, undefined, 'hidden_act');
  if (j.position_embedding_type !== undefined && j.position_embedding_type !== 'absolute') {
    throw new FormatError(`position_embedding_type "${String(j.position_embedding_type)}" is not supported (absolute)`, file, undefined, 'position_embedding_type');
  }
  const ds = (j.densescale ?? {}) as Partial<BiEncoderConfig>;
  const hidden = int('hidden_size');
  try {
    return modelConfig(
      { hidden, layers: int('num_hidden_layers'), heads: int('num_attention_heads') },
      {
        vocabSize: int('vocab_size'),
        intermediate: int('intermediate_size', 4 * hidden),
        maxPositions: int('max_position_embeddings', 512),
        typeVocabSize: int('type_vocab_size', 2),
        layerNormEps: typeof j.layer_norm_eps === 'number' ? j.layer_norm_eps : 1e-12,
        hiddenAct: act,
        ...ds,
      },
    );
  } catch (e) {
    throw new FormatError((e as Error).message, file, undefined, 'densescale');
  }
}
