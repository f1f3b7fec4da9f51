// A model directory as evaluation reads it: config.json (HF BertConfig, with our fields under
// "densescale"), model.safetensors (HF tensor names), vocab.txt, and optionally tokenizer_config.json
// (HF; only do_lower_case is read, default true: uncased BERT, as in the paper). A minimal loader for
// `densescale eval` and `embed`; the training side writes these directories.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import type { Device } from '../gpu/device.js';
import { BiEncoder } from '../model/biencoder.js';
import type { BiEncoderConfig } from '../model/config.js';
import { fromHfConfig } from '../model/hf_config.js';
import { decodeSafetensors, type NamedTensor } from '../model/safetensors.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import type { FileDigest } from './manifest.js';
import { digestOf } from './manifest_node.js';

export interface ModelDirContents {
  config: BiEncoderConfig;
  tensors: Map<string, NamedTensor>;
  vocabText: string;
  lowercase: boolean;
  /** Digests of the files read, for the manifest. */
  files: FileDigest[];
}

async function readOptional(dir: string, name: string): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await readFile(join(dir, name)));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new FormatError(`cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, join(dir, name));
  }
}

async function readRequired(dir: string, name: string): Promise<Uint8Array> {
  const bytes = await readOptional(dir, name);
  if (bytes === null) throw new FormatError('missing: a model directory holds config.json, model.safetensors and vocab.txt', join(dir, name));
  return bytes;
}

function parseJson(bytes: Uint8Array, file: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new FormatError(`not valid JSON (${(e as Error).message})`, file);
  }
}

/**
 * Reads and checks a model directory's files (no GPU needed).
 *
 * @example
 * const contents = await readModelDir('runs/mini-100k');
 * contents.config.hidden; // 256
 */
export async function readModelDir(dir: string): Promise<ModelDirContents> {
  const configBytes = await readRequired(dir, 'config.json');
  const weights = await readRequired(dir, 'model.safetensors');
  const vocab = await readRequired(dir, 'vocab.txt');
  const tokenizerConfig = await readOptional(dir, 'tokenizer_config.json');
  const config = fromHfConfig(parseJson(configBytes, join(dir, 'config.json')), join(dir, 'config.json'));
  const { tensors } = decodeSafetensors(weights, join(dir, 'model.safetensors'));
  let lowercase = true;
  if (tokenizerConfig !== null) {
    const file = join(dir, 'tokenizer_config.json');
    const json = parseJson(tokenizerConfig, file) as { do_lower_case?: unknown };
    if (json.do_lower_case !== undefined && typeof json.do_lower_case !== 'boolean') throw new FormatError(`expected true or false, got ${JSON.stringify(json.do_lower_case)}`, file, undefined, 'do_lower_case');
    lowercase = json.do_lower_case ?? true;
  }
  const files = [digestOf('config.json', configBytes), digestOf('model.safetensors', weights), digestOf('vocab.txt', vocab)];
  if (tokenizerConfig !== null) files.push(digestOf('tokenizer_config.json', tokenizerConfig));
  return { config, tensors, vocabText: new TextDecoder().decode(vocab), lowercase, files };
}

export interface OpenedModel {
  model: BiEncoder;
  tokenizer: Tokenizer;
  files: FileDigest[];
  /** Tensors the checkpoint lacked, initialised from seed 0 (the projection of a plain BERT). */
  initialised: string[];
}

/**
 * Loads a model directory onto a device for inference: the BiEncoder and its tokenizer. The vocabulary
 * must match config.json's vocab_size.
 *
 * @example
 * const { model, tokenizer } = await openModelDir(device, 'runs/mini-100k', { maxLength: 180 });
 * try { … } finally { model.destroy(); tokenizer.free(); }
 */
export async function openModelDir(device: Device, dir: string, options: { maxLength: number }): Promise<OpenedModel> {
  const contents = await readModelDir(dir);
  const tokenizer = await Tokenizer.fromVocab(contents.vocabText, { lowercase: contents.lowercase });
  if (tokenizer.vocabSize !== contents.config.vocabSize) {
    tokenizer.free();
    throw new FormatError(`has ${tokenizer.vocabSize} tokens but config.json says vocab_size ${contents.config.vocabSize}`, join(dir, 'vocab.txt'));
  }
  try {
    const { model, initialised } = BiEncoder.fromTensors(device, contents.config, contents.tensors, { seed: 0, maxLength: options.maxLength }, join(dir, 'model.safetensors'));
    return { model, tokenizer, files: contents.files, initialised };
  } catch (e) {
    tokenizer.free();
    throw e;
  }
}
