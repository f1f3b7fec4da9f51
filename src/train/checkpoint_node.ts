// Node-only: a model folder on disk (ours, or an HF BERT checkpoint) → model, tokenizer, config.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import type { Device } from '../gpu/device.js';
import type { BiEncoderOptions } from '../model/biencoder.js';
import { loadCheckpoint, type CheckpointFiles, type LoadedModel } from './checkpoint.js';

/** The files a model folder is read from; others (pytorch_model.bin, training state) are not read. */
const MODEL_FILES = ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer_config.json', 'tokenizer.json'];

/**
 * Loads a model folder: config.json + model.safetensors + vocab.txt (or tokenizer.json). Works on our
 * checkpoints and on HF BERT folders; a folder with only pytorch_model.bin is a FormatError (convert it
 * with HF's save_pretrained(..., safe_serialization=True)).
 *
 * @example
 * const { model, tokenizer, config, files } = await loadModelDir(device, 'runs/mini/model', { maxLength: 180 });
 * // files: the bytes read, by name (for manifests)
 */
export async function loadModelDir(device: Device, dir: string, options: BiEncoderOptions = {}): Promise<LoadedModel & { files: CheckpointFiles }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new FormatError(`cannot read the model folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, dir);
  }
  if (!names.includes('model.safetensors') && names.includes('pytorch_model.bin')) {
    throw new FormatError('only pytorch_model.bin is present; densescale reads safetensors (save with safe_serialization=True)', join(dir, 'model.safetensors'));
  }
  const files: CheckpointFiles = {};
  for (const name of MODEL_FILES) if (names.includes(name)) files[name] = new Uint8Array(await readFile(join(dir, name)));
  try {
    return { ...(await loadCheckpoint(device, files, options)), files };
  } catch (e) {
    // Name the file by its path on disk, not only by its name in the folder.
    if (e instanceof FormatError && e.file !== undefined && !e.file.startsWith(dir)) {
      const prefix = new FormatError('', e.file, e.line, e.field).message;
      throw new FormatError(e.message.slice(prefix.length), join(dir, e.file), e.line, e.field);
    }
    throw e;
  }
}
