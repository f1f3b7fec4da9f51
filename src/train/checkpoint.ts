// Checkpoints: a model folder HF transformers can read, plus what an interrupted run needs to continue
// bit for bit. Portable: files are a name → bytes record; where they live is a CheckpointStore's business
// (src/io/checkpoint_store.ts on disk in Node, memoryCheckpointStore anywhere).
//
// Files (names as HF save_pretrained writes them, so a folder loads with BertModel.from_pretrained and
// BertTokenizer.from_pretrained):
//   config.json            HF BertConfig (toHfConfig); our own fields under "densescale"
//   model.safetensors      F32 tensors with HF BERT names (metadata format=pt, which transformers requires)
//   vocab.txt              the tokenizer's vocabulary
//   tokenizer_config.json  BertTokenizer's do_lower_case / strip_accents / tokenize_chinese_chars
// and, in a training checkpoint only:
//   optimizer.safetensors  AdamW moments per parameter: exp_avg.<name>, exp_avg_sq.<name>; metadata step = t
//   trainer_state.json     next batch step, run identity (schedule, batch shape, seed, data), best-so-far
//   best.safetensors       the parameters of the best evaluation so far (early stopping), when there is one
// HF BertModel reports `projection.*` (our H→768 head) as unexpected weights and drops it: the encoder
// loads, the projection does not (it is not part of BERT).
import { ConfigError, FormatError } from '../errors.js';
import type { Device } from '../gpu/device.js';
import { BiEncoder, type BiEncoderOptions } from '../model/biencoder.js';
import type { BiEncoderConfig } from '../model/config.js';
import { fromHfConfig, toHfConfig } from '../model/hf_config.js';
import type { ParamLayout } from '../model/layout.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../model/safetensors.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { canonicalJson } from '../util/hash.js';

/** A checkpoint as files: name → contents. */
export type CheckpointFiles = Record<string, Uint8Array>;

/**
 * Where train() keeps its resumable checkpoint. `save` must replace the previous checkpoint atomically
 * (a reader sees the old one or the new one, never a mix), so that a kill at any moment leaves a
 * checkpoint to resume from. Node: `DirectoryCheckpointStore` (src/io/checkpoint_store.ts).
 *
 * @example
 * const store = memoryCheckpointStore();
 * await train(model, data, tokenizer, { ...options, checkpoints: store, checkpointEvery: 100 });
 */
export interface CheckpointStore {
  /** The last complete checkpoint, or null when there is none. */
  load(): Promise<CheckpointFiles | null>;
  /** Replaces the checkpoint with `files`, atomically. */
  save(files: CheckpointFiles): Promise<void>;
}

/**
 * A CheckpointStore in memory (tests, browsers, or a caller that persists the files itself).
 *
 * @example
 * const store = memoryCheckpointStore();
 * await store.save({ 'a.txt': new Uint8Array([1]) });
 * (await store.load())?.['a.txt'];   // Uint8Array [1]
 */
export function memoryCheckpointStore(initial: CheckpointFiles | null = null): CheckpointStore & { files: CheckpointFiles | null } {
  const copy = (f: CheckpointFiles | null) => (f === null ? null : Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v.slice()])));
  const store = {
    files: copy(initial),
    async load() {
      return copy(store.files);
    },
    async save(files: CheckpointFiles) {
      store.files = copy(files);
    },
  };
  return store;
}

export const TRAINER_STATE_FORMAT = 'densescale.trainer_state';
export const TRAINER_STATE_VERSION = 1;

/** What a run needs besides weights and moments to continue exactly where it stopped. */
export interface TrainerState {
  format: typeof TRAINER_STATE_FORMAT;
  version: number;
  /** Optimizer steps done = the index of the next batch (batches are a pure function of seed and step). */
  step: number;
  /** Everything that must be equal for a resumed run to continue the same run (compared on resume). */
  run: Record<string, unknown>;
  /** Best evaluation so far (lower is better), or null. */
  best: { step: number; score: number } | null;
  /** Every evaluation so far, in step order. */
  evaluations: { step: number; score: number }[];
  /** The last loss read back, or null. */
  lastLoss: number | null;
  pairsSeen: number;
  tokensSeen: number;
  /** Training wall time summed over every session of the run. */
  elapsedMs: number;
}

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder('utf-8', { fatal: true });

function jsonBytes(value: unknown): Uint8Array {
  return ENCODER.encode(`${JSON.stringify(value, null, 2)}\n`);
}

function parseJson(bytes: Uint8Array, file: string): unknown {
  try {
    return JSON.parse(DECODER.decode(bytes)) as unknown;
  } catch (e) {
    throw new FormatError(`not valid UTF-8 JSON (${(e as Error).message})`, file);
  }
}

function required(files: CheckpointFiles, name: string, what: string): Uint8Array {
  const bytes = files[name];
  if (bytes === undefined) throw new FormatError(`missing (${what})`, name);
  return bytes;
}

/** The flat layout-ordered buffer as HF-named tensors; `prefix` goes in front of every name. */
export function tensorsFromFlat(layout: ParamLayout, flat: Float32Array, prefix = ''): NamedTensor[] {
  const out: NamedTensor[] = [];
  for (const g of layout.groups) {
    for (const part of g.parts) {
      const n = part.shape.reduce((a, b) => a * b, 1);
      const at = g.offset + part.offset;
      out.push({ name: prefix + part.name, shape: part.shape, data: flat.slice(at, at + n) });
    }
  }
  return out;
}

/**
 * HF-named tensors into a flat layout-ordered buffer. Strict: every parameter must be present with its
 * exact shape (a resumed run must get back exactly what it saved); alignment padding stays zero.
 */
export function flatFromTensors(layout: ParamLayout, tensors: ReadonlyMap<string, NamedTensor>, file: string, prefix = ''): Float32Array {
  const flat = new Float32Array(layout.size);
  for (const g of layout.groups) {
    for (const part of g.parts) {
      const name = prefix + part.name;
      const t = tensors.get(name);
      if (t === undefined) throw new FormatError(`tensor ${name} is missing`, file, undefined, name);
      if (t.shape.length !== part.shape.length || t.shape.some((d, i) => d !== part.shape[i])) {
        throw new FormatError(`tensor ${name} has shape [${t.shape}], the model needs [${part.shape}]`, file, undefined, name);
      }
      flat.set(t.data, g.offset + part.offset);
    }
  }
  return flat;
}

/** The tokenizer as vocab.txt plus BertTokenizer's tokenizer_config.json. */
export function tokenizerFiles(tokenizer: Tokenizer, maxLength?: number): CheckpointFiles {
  const s = tokenizer.settings;
  const config: Record<string, unknown> = {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: s.lowercase,
    strip_accents: s.stripAccents,
    tokenize_chinese_chars: s.handleChineseChars,
  };
  if (maxLength !== undefined) config.model_max_length = maxLength;
  return { 'vocab.txt': ENCODER.encode(tokenizer.vocabText()), 'tokenizer_config.json': jsonBytes(config) };
}

/**
 * The tokenizer of a model folder: vocab.txt (with tokenizer_config.json's casing when present, else
 * uncased, BertTokenizer's default) or, failing that, an HF tokenizer.json.
 *
 * @example
 * const tok = await tokenizerFromFiles({ 'vocab.txt': bytes });
 */
export async function tokenizerFromFiles(files: CheckpointFiles): Promise<Tokenizer> {
  const vocab = files['vocab.txt'];
  if (vocab === undefined) {
    const json = files['tokenizer.json'];
    if (json === undefined) throw new FormatError('missing: a model folder needs vocab.txt or tokenizer.json', 'vocab.txt');
    return Tokenizer.fromTokenizerJson(DECODER.decode(json));
  }
  const options: { lowercase?: boolean; stripAccents?: boolean; handleChineseChars?: boolean } = {};
  const configBytes = files['tokenizer_config.json'];
  if (configBytes !== undefined) {
    const c = parseJson(configBytes, 'tokenizer_config.json') as Record<string, unknown>;
    const flag = (key: string): boolean | undefined => {
      const v = c[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'boolean') throw new FormatError(`expected true, false or null, got ${JSON.stringify(v)}`, 'tokenizer_config.json', undefined, key);
      return v;
    };
    const lower = flag('do_lower_case');
    const strip = flag('strip_accents');
    const chinese = flag('tokenize_chinese_chars');
    if (lower !== undefined) options.lowercase = lower;
    if (strip !== undefined) options.stripAccents = strip;
    if (chinese !== undefined) options.handleChineseChars = chinese;
  }
  return Tokenizer.fromVocab(DECODER.decode(vocab), options);
}

/**
 * A model folder's files: config.json, model.safetensors, vocab.txt and tokenizer_config.json, with the
 * model's current parameters (or `params`, a flat layout-ordered buffer, e.g. the best ones).
 *
 * @example
 * const files = await modelFiles(model, tokenizer);   // then write them, e.g. writeDirAtomic(dir, files)
 */
export async function modelFiles(model: BiEncoder, tokenizer: Tokenizer, params?: Float32Array): Promise<CheckpointFiles> {
  if (tokenizer.vocabSize !== model.config.vocabSize) {
    throw new ConfigError(`the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary is ${model.config.vocabSize}`, 'tokenizer');
  }
  const tensors = tensorsFromFlat(model.layout, params ?? (await model.readFlat('params')));
  return {
    'config.json': jsonBytes(toHfConfig(model.config)),
    'model.safetensors': encodeSafetensors(tensors, { format: 'pt' }),
    ...tokenizerFiles(tokenizer, model.config.maxPositions),
  };
}

/**
 * A training checkpoint: the model folder plus AdamW's moments and step, the trainer state and, when
 * given, the best parameters so far.
 */
export async function trainingCheckpointFiles(model: BiEncoder, tokenizer: Tokenizer, state: TrainerState, bestParams: Float32Array | null): Promise<CheckpointFiles> {
  const files = await modelFiles(model, tokenizer);
  const [m, v] = [await model.readFlat('m'), await model.readFlat('v')];
  files['optimizer.safetensors'] = encodeSafetensors([...tensorsFromFlat(model.layout, m, 'exp_avg.'), ...tensorsFromFlat(model.layout, v, 'exp_avg_sq.')], {
    format: 'pt',
    step: String(model.step),
  });
  files['trainer_state.json'] = jsonBytes(state);
  if (bestParams !== null) files['best.safetensors'] = encodeSafetensors(tensorsFromFlat(model.layout, bestParams), { format: 'pt' });
  return files;
}

export interface LoadedModel {
  model: BiEncoder;
  tokenizer: Tokenizer;
  config: BiEncoderConfig;
  /** Tensors of the file the model does not use (e.g. a BERT checkpoint's `cls.*` heads, `embeddings.position_ids`). */
  unused: string[];
  /** Parameters the file lacked and that were initialised from the seed (projection, pooler). */
  initialised: string[];
}

/**
 * Loads a model folder's files: ours, or an HF BERT checkpoint (config.json, model.safetensors with
 * or without the `bert.` prefix, vocab.txt or tokenizer.json). A config without `densescale` fields
 * gets the paper's defaults (mean pooling, a 768 projection initialised from `options.seed`).
 * Bad files are FormatErrors naming the file and the field or tensor.
 *
 * @example
 * const { model, tokenizer } = await loadCheckpoint(device, files, { train: { batchSize: 32, negatives: 32, queryLength: 32, passageLength: 128 } });
 */
export async function loadCheckpoint(device: Device, files: CheckpointFiles, options: BiEncoderOptions = {}): Promise<LoadedModel> {
  const config = fromHfConfig(parseJson(required(files, 'config.json', 'the HF BertConfig'), 'config.json'), 'config.json');
  const { tensors, skipped } = decodeSafetensors(required(files, 'model.safetensors', 'the weights'), 'model.safetensors');
  const tokenizer = await tokenizerFromFiles(files);
  try {
    if (tokenizer.vocabSize !== config.vocabSize) {
      throw new FormatError(`the vocabulary has ${tokenizer.vocabSize} tokens but config.json says vocab_size ${config.vocabSize}`, files['vocab.txt'] ? 'vocab.txt' : 'tokenizer.json');
    }
    const { model, unused, initialised } = BiEncoder.fromTensors(device, config, tensors, options, 'model.safetensors');
    return { model, tokenizer, config, unused: [...unused, ...skipped.map((n) => n.replace(/^bert\./, ''))].sort(), initialised };
  } catch (e) {
    tokenizer.free();
    throw e;
  }
}

/** Parses and checks trainer_state.json; every problem names the file and the field. */
export function parseTrainerState(bytes: Uint8Array): TrainerState {
  const file = 'trainer_state.json';
  const s = parseJson(bytes, file) as Partial<TrainerState> & Record<string, unknown>;
  if (typeof s !== 'object' || s === null) throw new FormatError('not a JSON object', file);
  if (s.format !== TRAINER_STATE_FORMAT) throw new FormatError(`expected "${TRAINER_STATE_FORMAT}", got ${JSON.stringify(s.format)}`, file, undefined, 'format');
  if (s.version !== TRAINER_STATE_VERSION) throw new FormatError(`version ${JSON.stringify(s.version)} is not supported (this build reads ${TRAINER_STATE_VERSION})`, file, undefined, 'version');
  const count = (field: 'step' | 'pairsSeen' | 'tokensSeen' | 'elapsedMs') => {
    const v = s[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (field !== 'elapsedMs' && !Number.isInteger(v))) throw new FormatError(`expected a non-negative ${field === 'elapsedMs' ? 'number' : 'integer'}, got ${JSON.stringify(v)}`, file, undefined, field);
  };
  for (const f of ['step', 'pairsSeen', 'tokensSeen', 'elapsedMs'] as const) count(f);
  if (typeof s.run !== 'object' || s.run === null || Array.isArray(s.run)) throw new FormatError('expected an object', file, undefined, 'run');
  const isEval = (e: unknown): e is { step: number; score: number } =>
    typeof e === 'object' && e !== null && Number.isInteger((e as { step: unknown }).step) && typeof (e as { score: unknown }).score === 'number';
  if (s.best !== null && !isEval(s.best)) throw new FormatError(`expected null or {step, score}, got ${JSON.stringify(s.best)}`, file, undefined, 'best');
  if (!Array.isArray(s.evaluations) || !s.evaluations.every(isEval)) throw new FormatError('expected a list of {step, score}', file, undefined, 'evaluations');
  if (s.lastLoss !== null && typeof s.lastLoss !== 'number') throw new FormatError(`expected a number or null, got ${JSON.stringify(s.lastLoss)}`, file, undefined, 'lastLoss');
  return s as TrainerState;
}

/** The trainer state of a training checkpoint's files. */
export function trainerStateOf(files: CheckpointFiles): TrainerState {
  return parseTrainerState(required(files, 'trainer_state.json', 'the trainer state'));
}

/** The first field where two run identities differ, as "field: saved vs now", or null when equal. */
export function runDifference(saved: Record<string, unknown>, now: Record<string, unknown>): string | null {
  for (const key of [...new Set([...Object.keys(saved), ...Object.keys(now)])].sort()) {
    const a = canonicalJson(saved[key]);
    const b = canonicalJson(now[key]);
    if (a !== b) return `${key}: checkpoint has ${a ?? 'nothing'}, this run has ${b ?? 'nothing'}`;
  }
  return null;
}

/**
 * Puts a training checkpoint back into `model`: parameters, AdamW moments and step (bit for bit), and
 * returns the trainer state and the best parameters. The model must have the checkpoint's config
 * (ConfigError otherwise); bad files are FormatErrors naming the file and the field or tensor.
 */
export function restoreTraining(model: BiEncoder, tokenizer: Tokenizer, files: CheckpointFiles): { state: TrainerState; bestParams: Float32Array | null } {
  const saved = fromHfConfig(parseJson(required(files, 'config.json', 'the HF BertConfig'), 'config.json'), 'config.json');
  const savedJson = canonicalJson(toHfConfig(saved));
  const nowJson = canonicalJson(toHfConfig(model.config));
  if (savedJson !== nowJson) throw new ConfigError(`the checkpoint's config.json (${savedJson}) differs from the model's (${nowJson})`, 'model');
  const vocab = required(files, 'vocab.txt', 'the vocabulary the run was trained with');
  if (DECODER.decode(vocab) !== tokenizer.vocabText()) throw new ConfigError("the checkpoint's vocab.txt differs from the tokenizer's vocabulary", 'tokenizer');
  const state = trainerStateOf(files);
  const params = flatFromTensors(model.layout, decodeSafetensors(required(files, 'model.safetensors', 'the weights'), 'model.safetensors').tensors, 'model.safetensors');
  const opt = decodeSafetensors(required(files, 'optimizer.safetensors', 'the AdamW moments'), 'optimizer.safetensors');
  const m = flatFromTensors(model.layout, opt.tensors, 'optimizer.safetensors', 'exp_avg.');
  const v = flatFromTensors(model.layout, opt.tensors, 'optimizer.safetensors', 'exp_avg_sq.');
  const t = Number(opt.metadata.step);
  if (!Number.isInteger(t) || t < 0) throw new FormatError(`metadata step ${JSON.stringify(opt.metadata.step)} is not a non-negative integer`, 'optimizer.safetensors', undefined, 'step');
  const bestBytes = files['best.safetensors'];
  const bestParams = bestBytes === undefined ? null : flatFromTensors(model.layout, decodeSafetensors(bestBytes, 'best.safetensors').tensors, 'best.safetensors');
  if (state.best !== null && bestParams === null) throw new FormatError(`best step ${state.best.step} is recorded but best.safetensors is missing`, 'trainer_state.json', undefined, 'best');
  model.writeFlat('params', params);
  model.writeFlat('m', m);
  model.writeFlat('v', v);
  model.step = t;
  return { state, bestParams };
}
