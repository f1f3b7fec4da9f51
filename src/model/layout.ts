// Where every parameter lives in the flat params/grads/m/v buffers. Tensors that one kernel consumes
// together are placed as one group (query/key/value weights form the (3H, H) matrix of the fused QKV
// matmul); each group starts at a 256-byte boundary so it can be bound on its own. HF tensor names map
// to slices of groups, which is all safetensors import/export needs.
import type { BiEncoderConfig } from './config.js';

/** 256 bytes = 64 f32: WebGPU's minStorageBufferOffsetAlignment on every adapter we know of. */
export const GROUP_ALIGN_ELEMENTS = 64;

export interface ParamPart {
  /** HF BERT tensor name, e.g. encoder.layer.0.attention.self.key.weight */
  name: string;
  shape: number[];
  /** Element offset within its group. */
  offset: number;
}

export interface ParamGroup {
  /** Short key the model code uses, e.g. "q.l0.qkv.w" (tower prefix, layer, role). */
  key: string;
  shape: number[];
  /** Element offset of the group in the flat buffers (a multiple of GROUP_ALIGN_ELEMENTS). */
  offset: number;
  numel: number;
  /** AdamW weight decay applies (HF convention: not to biases and LayerNorm weights). */
  weightDecay: boolean;
  parts: ParamPart[];
}

export interface ParamLayout {
  groups: ParamGroup[];
  /** Total elements including alignment padding. */
  size: number;
  group(key: string): ParamGroup;
}

export type Tower = 'q' | 'p';

/** Group keys of one tower; with shared towers only the "q" tower exists and serves both. */
export function towerKey(tower: Tower, role: string): string {
  return `${tower}.${role}`;
}

export function layoutFor(cfg: BiEncoderConfig): ParamLayout {
  const H = cfg.hidden;
  const I = cfg.intermediate;
  const specs: { key: string; parts: [string, number[]][]; decay: boolean }[] = [];
  const towers: [Tower, string][] = cfg.sharedTowers ? [['q', '']] : [['q', 'query_encoder.'], ['p', 'passage_encoder.']];
  for (const [t, prefix] of towers) {
    const add = (role: string, decay: boolean, ...parts: [string, number[]][]) =>
      specs.push({ key: towerKey(t, role), decay, parts: parts.map(([n, s]) => [prefix + n, s]) });
    add('wte', true, ['embeddings.word_embeddings.weight', [cfg.vocabSize, H]]);
    add('wpe', true, ['embeddings.position_embeddings.weight', [cfg.maxPositions, H]]);
    add('wtt', true, ['embeddings.token_type_embeddings.weight', [cfg.typeVocabSize, H]]);
    add('emb_ln.w', false, ['embeddings.LayerNorm.weight', [H]]);
    add('emb_ln.b', false, ['embeddings.LayerNorm.bias', [H]]);
    for (let l = 0; l < cfg.layers; l++) {
      const p = `encoder.layer.${l}.`;
      add(`l${l}.qkv.w`, true, [`${p}attention.self.query.weight`, [H, H]], [`${p}attention.self.key.weight`, [H, H]], [`${p}attention.self.value.weight`, [H, H]]);
      add(`l${l}.qkv.b`, false, [`${p}attention.self.query.bias`, [H]], [`${p}attention.self.key.bias`, [H]], [`${p}attention.self.value.bias`, [H]]);
      add(`l${l}.attn_out.w`, true, [`${p}attention.output.dense.weight`, [H, H]]);
      add(`l${l}.attn_out.b`, false, [`${p}attention.output.dense.bias`, [H]]);
      add(`l${l}.ln1.w`, false, [`${p}attention.output.LayerNorm.weight`, [H]]);
      add(`l${l}.ln1.b`, false, [`${p}attention.output.LayerNorm.bias`, [H]]);
      add(`l${l}.ffn_in.w`, true, [`${p}intermediate.dense.weight`, [I, H]]);
      add(`l${l}.ffn_in.b`, false, [`${p}intermediate.dense.bias`, [I]]);
      add(`l${l}.ffn_out.w`, true, [`${p}output.dense.weight`, [H, I]]);
      add(`l${l}.ffn_out.b`, false, [`${p}output.dense.bias`, [H]]);
      add(`l${l}.ln2.w`, false, [`${p}output.LayerNorm.weight`, [H]]);
      add(`l${l}.ln2.b`, false, [`${p}output.LayerNorm.bias`, [H]]);
    }
    if (cfg.pooler) {
      add('pooler.w', true, ['pooler.dense.weight', [H, H]]);
      add('pooler.b', false, ['pooler.dense.bias', [H]]);
    }
  }
  if (cfg.projection > 0) {
    specs.push({ key: 'proj.w', decay: true, parts: [['projection.weight', [cfg.projection, H]]] });
    specs.push({ key: 'proj.b', decay: false, parts: [['projection.bias', [cfg.projection]]] });
  }

  const groups: ParamGroup[] = [];
  let offset = 0;
  for (const s of specs) {
    let inGroup = 0;
    const parts = s.parts.map(([name, shape]) => {
      const part = { name, shape, offset: inGroup };
      inGroup += shape.reduce((a, b) => a * b, 1);
      return part;
    });
    const first = s.parts[0]![1];
    // A multi-part group stacks its parts along the first dimension: (3H, H) for q|k|v weights.
    const shape = parts.length === 1 ? first : [first[0]! * parts.length, ...first.slice(1)];
    groups.push({ key: s.key, shape, offset, numel: inGroup, weightDecay: s.decay, parts });
    offset += Math.ceil(inGroup / GROUP_ALIGN_ELEMENTS) * GROUP_ALIGN_ELEMENTS;
  }
  const byKey = new Map(groups.map((g) => [g.key, g]));
  return {
    groups,
    size: offset,
    group(key: string): ParamGroup {
      const g = byKey.get(key);
      if (g === undefined) throw new Error(`no parameter group "${key}"`);
      return g;
    },
  };
}
