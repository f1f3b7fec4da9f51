import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { modelConfig, paramCount } from '../../src/model/config.js';
import { fromHfConfig, toHfConfig } from '../../src/model/hf_config.js';
import { GROUP_ALIGN_ELEMENTS, layoutFor } from '../../src/model/layout.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/model/safetensors.js';
import { randomF32 } from '../helpers/rand.js';

describe('parameter layout', () => {
  for (const shared of [true, false]) {
    it(`holds exactly paramCount parameters, aligned groups, HF names (sharedTowers=${shared})`, () => {
      const cfg = modelConfig('tiny', { vocabSize: 1000, sharedTowers: shared });
      const layout = layoutFor(cfg);
      const total = layout.groups.reduce((s, g) => s + g.numel, 0);
      expect(total).toBe(paramCount(cfg));
      let end = 0;
      for (const g of layout.groups) {
        expect(g.offset % GROUP_ALIGN_ELEMENTS, g.key).toBe(0);
        expect(g.offset, `${g.key} overlaps its predecessor`).toBeGreaterThanOrEqual(end);
        end = g.offset + g.numel;
        expect(g.parts.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0)).toBe(g.numel);
      }
      expect(layout.size).toBeGreaterThanOrEqual(end);
      const names = layout.groups.flatMap((g) => g.parts.map((p) => p.name));
      expect(new Set(names).size).toBe(names.length);
      const prefix = shared ? '' : 'query_encoder.';
      expect(names).toContain(`${prefix}encoder.layer.1.attention.self.value.bias`);
      expect(names).toContain(`${prefix}embeddings.LayerNorm.weight`);
      expect(names).toContain('projection.weight');
    });
  }

  it('stacks query, key and value as one (3H, H) matrix for the fused matmul', () => {
    const layout = layoutFor(modelConfig('tiny', { vocabSize: 100 }));
    const g = layout.group('q.l0.qkv.w');
    expect(g.shape).toEqual([384, 128]);
    expect(g.parts.map((p) => [p.name.split('.').slice(-2, -1)[0], p.offset])).toEqual([
      ['query', 0],
      ['key', 128 * 128],
      ['value', 2 * 128 * 128],
    ]);
  });
});

describe('safetensors', () => {
  it('round-trips tensors and metadata bit for bit', () => {
    const tensors = [
      { name: 'a.weight', shape: [3, 5], data: randomF32(15, 1) },
      { name: 'b', shape: [7], data: randomF32(7, 2, 1e30) },
      { name: 'empty', shape: [0], data: new Float32Array(0) },
    ];
    const bytes = encodeSafetensors(tensors, { format: 'pt' });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLen % 8).toBe(0);
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'pt' });
    for (const t of tensors) {
      const got = back.tensors.get(t.name)!;
      expect(got.shape).toEqual(t.shape);
      expect(Buffer.from(got.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
    }
  });

  it('widens F16 and BF16 tensors (as HF checkpoints store them)', () => {
    // 1.0, -2.5, 65504 (max half) in F16; 1.0, -2.5, 3.0e38 in BF16 (truncated f32 bits)
    const header = JSON.stringify({
      h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
      b: { dtype: 'BF16', shape: [3], data_offsets: [6, 12] },
    });
    const hb = new TextEncoder().encode(header);
    const bytes = new Uint8Array(8 + hb.length + 12);
    const dv = new DataView(bytes.buffer);
    dv.setBigUint64(0, BigInt(hb.length), true);
    bytes.set(hb, 8);
    const at = 8 + hb.length;
    [0x3c00, 0xc100, 0x7bff].forEach((v, i) => dv.setUint16(at + 2 * i, v, true));
    const f32bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0]! >>> 16;
    [1, -2.5, 3e38].forEach((v, i) => dv.setUint16(at + 6 + 2 * i, f32bits(v), true));
    const t = decodeSafetensors(bytes).tensors;
    expect(Array.from(t.get('h')!.data)).toEqual([1, -2.5, 65504]);
    expect(Array.from(t.get('b')!.data)).toEqual([1, -2.5, new Float32Array(new Uint32Array([f32bits(3e38) << 16]).buffer)[0]]);
  });

  it('names the file and the tensor field on corrupt input', () => {
    const good = encodeSafetensors([{ name: 'w', shape: [2, 2], data: new Float32Array(4) }]);
    expect(() => decodeSafetensors(good.subarray(0, 5), 'x.safetensors')).toThrow(/x\.safetensors: 5 bytes/);
    const truncated = good.subarray(0, good.length - 4);
    expect(() => decodeSafetensors(truncated, 'm.safetensors')).toThrow(FormatError);
    expect(() => decodeSafetensors(truncated, 'm.safetensors')).toThrow(/field "w.data_offsets"/);
    const badHeader = good.slice();
    badHeader[9] = 0xff;
    expect(() => decodeSafetensors(badHeader, 'm.safetensors')).toThrow(/field "header"/);
  });
});

describe('HF config.json', () => {
  it('round-trips our configuration and reads a plain HF BertConfig with the paper defaults', () => {
    const cfg = modelConfig('mini', { vocabSize: 30522, normalize: true, temperature: 0.05, projection: 256 });
    expect(fromHfConfig(JSON.parse(JSON.stringify(toHfConfig(cfg))))).toEqual(cfg);
    const hf = { model_type: 'bert', vocab_size: 30522, hidden_size: 128, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 512, hidden_act: 'gelu', max_position_embeddings: 512, type_vocab_size: 2, layer_norm_eps: 1e-12 };
    const fromHf = fromHfConfig(hf);
    expect(fromHf).toMatchObject({ hidden: 128, layers: 2, heads: 2, pooling: 'mean', projection: 768, temperature: 1 });
  });

  it('names the bad field', () => {
    expect(() => fromHfConfig({ model_type: 'bert', hidden_size: 'x' }, 'ckpt/config.json')).toThrow(/ckpt\/config\.json, field "hidden_size"/);
    expect(() => fromHfConfig({ model_type: 'gpt2' })).toThrow(/model_type/);
    expect(() => fromHfConfig({ vocab_size: 10, hidden_size: 64, num_hidden_layers: 1, num_attention_heads: 1, hidden_act: 'relu' })).toThrow(/hidden_act/);
  });
});
