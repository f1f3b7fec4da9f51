// Checkpoint files: HF BERT folders load (bert. prefixes, pre-training heads, integer buffers, no
// projection), our folders round-trip, and every malformed file is a FormatError naming file and field.
import { describe, expect, it } from 'vitest';
import { ConfigError, FormatError } from '../../src/errors.js';
import { BiEncoder } from '../../src/model/biencoder.js';
import { toHfConfig } from '../../src/model/hf_config.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/model/safetensors.js';
import {
  loadCheckpoint,
  memoryCheckpointStore,
  modelFiles,
  restoreTraining,
  tensorsFromFlat,
  tokenizerFromFiles,
  type CheckpointFiles,
} from '../../src/train/checkpoint.js';
import { train } from '../../src/train/train.js';
import { testDevice } from '../helpers/device.js';
import { randomF32 } from '../helpers/rand.js';
import { fixture, SHAPE } from './fixture.js';

const fx = await fixture();
const enc = new TextEncoder();
const json = (x: unknown) => enc.encode(JSON.stringify(x));

/** A safetensors file with an I64 tensor, written by hand as HF's older BERT checkpoints have it. */
function withPositionIds(floatTensors: { name: string; shape: number[]; data: Float32Array }[], positions: number): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of floatTensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  header['bert.embeddings.position_ids'] = { dtype: 'I64', shape: [1, positions], data_offsets: [offset, offset + 8 * positions] };
  const headerBytes = enc.encode(JSON.stringify(header));
  const out = new Uint8Array(8 + headerBytes.length + offset + 8 * positions);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of floatTensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  for (let i = 0; i < positions; i++) dv.setBigInt64(at + 8 * i, BigInt(i), true);
  return out;
}

async function expectFormatError(run: () => Promise<unknown>, file: string, field: string | undefined, message?: RegExp): Promise<void> {
  const e = await run().then(
    () => null,
    (x: unknown) => x,
  );
  expect(e, `${file} ${field}`).toBeInstanceOf(FormatError);
  expect((e as FormatError).file, (e as Error).message).toBe(file);
  expect((e as FormatError).field, (e as Error).message).toBe(field);
  if (message) expect((e as Error).message).toMatch(message);
}

describe('HF BERT checkpoints', () => {
  it('load with bert. prefixes, ignoring pre-training heads and integer buffers, initialising the projection from the seed', async () => {
    const device = await testDevice();
    // An HF BertForPreTraining-style file: "bert."-prefixed encoder tensors in HF order, the MLM head,
    // the I64 position_ids buffer, and no projection (BERT has none). Config without densescale fields.
    const bertConfig = { ...fx.config, projection: 768 };
    const reference = BiEncoder.create(device, bertConfig, { seed: 5 });
    const encoderTensors = tensorsFromFlat(reference.layout, randomF32(reference.layout.size, 8, 0.1)).filter((t) => !t.name.startsWith('projection.'));
    const file = withPositionIds(
      [...encoderTensors.map((t) => ({ ...t, name: `bert.${t.name}` })), { name: 'cls.predictions.bias', shape: [fx.config.vocabSize], data: randomF32(fx.config.vocabSize, 9) }],
      fx.config.maxPositions,
    );
    const hf = toHfConfig(bertConfig) as Record<string, unknown>;
    delete hf.densescale;
    hf.architectures = ['BertForPreTraining'];
    const files: CheckpointFiles = { 'config.json': json(hf), 'model.safetensors': file, 'vocab.txt': enc.encode(fx.tokenizer.vocabText()) };
    const { model, tokenizer, config, unused, initialised } = await loadCheckpoint(device, files, { seed: 5 });
    try {
      expect(config.pooling).toBe('mean');
      expect(config.projection).toBe(768);
      expect(unused).toEqual(['cls.predictions.bias', 'embeddings.position_ids']);
      expect(initialised).toEqual(['projection.weight', 'projection.bias']);
      const got = new Map((await model.exportTensors()).map((t) => [t.name, t]));
      for (const t of encoderTensors) expect(Array.from(got.get(t.name)!.data), t.name).toEqual(Array.from(t.data));
      // The projection is the seed's initialisation: the same as a fresh model with that seed.
      const fresh = new Map((await reference.exportTensors()).map((t) => [t.name, t]));
      expect(Array.from(got.get('projection.weight')!.data)).toEqual(Array.from(fresh.get('projection.weight')!.data));
      expect(tokenizer.vocabText()).toBe(fx.tokenizer.vocabText());
      tokenizer.free();
    } finally {
      model.destroy();
      reference.destroy();
    }
  });

  it('our model folder round-trips: same tensors, config and tokenizer settings (cased too)', async () => {
    const device = await testDevice();
    const model = BiEncoder.create(device, { ...fx.config, pooling: 'cls', normalize: true }, { seed: 11 });
    const cased = await tokenizerFromFiles({ 'vocab.txt': enc.encode(fx.tokenizer.vocabText()), 'tokenizer_config.json': json({ do_lower_case: false }) });
    try {
      const files = await modelFiles(model, cased);
      expect(decodeSafetensors(files['model.safetensors']!).metadata).toEqual({ format: 'pt' });
      expect(JSON.parse(new TextDecoder().decode(files['tokenizer_config.json']))).toMatchObject({ tokenizer_class: 'BertTokenizer', do_lower_case: false, strip_accents: false });
      const back = await loadCheckpoint(device, files);
      expect(back.config).toEqual(model.config);
      expect(back.unused).toEqual([]);
      expect(back.initialised).toEqual([]);
      expect(back.tokenizer.settings).toEqual(cased.settings);
      expect(Array.from(await back.model.readFlat('params'))).toEqual(Array.from(await model.readFlat('params')));
      back.model.destroy();
      back.tokenizer.free();
    } finally {
      model.destroy();
      cased.free();
    }
  });
});

describe('bad checkpoint files', () => {
  it('are FormatErrors that name the file and the field or tensor', async () => {
    const device = await testDevice();
    const model = BiEncoder.create(device, fx.config, { seed: 1, train: SHAPE });
    try {
      const store = memoryCheckpointStore();
      await train(model, fx.dataset, fx.tokenizer, { ...SHAPE, steps: 2, learningRate: 1e-3, seed: 0, checkpoints: store });
      const good = store.files!;
      const patch = (name: string, bytes: Uint8Array | undefined): CheckpointFiles => {
        const f = { ...good };
        if (bytes === undefined) delete f[name];
        else f[name] = bytes;
        return f;
      };
      const load = (files: CheckpointFiles) => async () => {
        const r = await loadCheckpoint(device, files);
        r.model.destroy();
        r.tokenizer.free();
      };
      const restore = (files: CheckpointFiles) => async () => restoreTraining(model, fx.tokenizer, files);
      const config = JSON.parse(new TextDecoder().decode(good['config.json'])) as Record<string, unknown>;
      const trainer = JSON.parse(new TextDecoder().decode(good['trainer_state.json'])) as Record<string, unknown>;
      const weights = decodeSafetensors(good['model.safetensors']!).tensors;
      const without = (name: string) => encodeSafetensors([...weights.values()].filter((t) => t.name !== name));
      const reshaped = (name: string) => encodeSafetensors([...weights.values()].map((t) => (t.name === name ? { ...t, shape: [t.data.length] } : t)));

      await expectFormatError(load(patch('config.json', undefined)), 'config.json', undefined, /missing/);
      await expectFormatError(load(patch('config.json', enc.encode('{"hidden_size": 16,'))), 'config.json', undefined, /JSON/);
      await expectFormatError(load(patch('config.json', json({ ...config, hidden_size: -3 }))), 'config.json', 'hidden_size');
      await expectFormatError(load(patch('config.json', json({ ...config, model_type: 'roberta' }))), 'config.json', 'model_type');
      await expectFormatError(load(patch('model.safetensors', undefined)), 'model.safetensors', undefined, /missing/);
      await expectFormatError(load(patch('model.safetensors', good['model.safetensors']!.subarray(0, 100))), 'model.safetensors', 'header');
      await expectFormatError(load(patch('model.safetensors', without('encoder.layer.0.output.dense.bias'))), 'model.safetensors', 'encoder.layer.0.output.dense.bias', /missing/);
      await expectFormatError(load(patch('model.safetensors', reshaped('embeddings.word_embeddings.weight'))), 'model.safetensors', 'embeddings.word_embeddings.weight', /shape/);
      await expectFormatError(load(patch('vocab.txt', undefined)), 'vocab.txt', undefined, /vocab.txt or tokenizer.json/);
      await expectFormatError(load(patch('vocab.txt', enc.encode('[PAD]\n[UNK]\n[CLS]\n[SEP]\nword\n'))), 'vocab.txt', undefined, /5 tokens/);
      await expectFormatError(load(patch('tokenizer_config.json', json({ do_lower_case: 'yes' }))), 'tokenizer_config.json', 'do_lower_case');

      await expectFormatError(restore(patch('trainer_state.json', undefined)), 'trainer_state.json', undefined, /missing/);
      await expectFormatError(restore(patch('trainer_state.json', json({ ...trainer, version: 9 }))), 'trainer_state.json', 'version');
      await expectFormatError(restore(patch('trainer_state.json', json({ ...trainer, step: -1 }))), 'trainer_state.json', 'step');
      await expectFormatError(restore(patch('trainer_state.json', json({ ...trainer, best: { step: 1, score: 2 } }))), 'trainer_state.json', 'best', /best.safetensors is missing/);
      await expectFormatError(restore(patch('optimizer.safetensors', undefined)), 'optimizer.safetensors', undefined, /missing/);
      const moments = decodeSafetensors(good['optimizer.safetensors']!);
      const noV = encodeSafetensors([...moments.tensors.values()].filter((t) => t.name !== 'exp_avg_sq.pooler.dense.weight'), moments.metadata);
      await expectFormatError(restore(patch('optimizer.safetensors', noV)), 'optimizer.safetensors', 'exp_avg_sq.pooler.dense.weight');
      const noStep = encodeSafetensors([...moments.tensors.values()], { format: 'pt' });
      await expectFormatError(restore(patch('optimizer.safetensors', noStep)), 'optimizer.safetensors', 'step');
      // A checkpoint of another architecture is a ConfigError on the model, not a file error.
      await expect(restore(patch('config.json', json({ ...config, num_hidden_layers: 2 })))()).rejects.toThrow(ConfigError);
    } finally {
      model.destroy();
    }
  });
});
