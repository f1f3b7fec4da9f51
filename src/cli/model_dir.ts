// Opening a model folder for evaluation: the training side's loader (ours or an HF BERT folder), plus
// the SHA-256 of every file it read, for the evaluation manifest.
import type { Device } from '../gpu/device.js';
import type { BiEncoder } from '../model/biencoder.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { loadModelDir } from '../train/checkpoint_node.js';
import type { FileDigest } from '../eval/manifest.js';
import { digestOf } from '../eval/manifest_node.js';

export interface OpenedModel {
  model: BiEncoder;
  tokenizer: Tokenizer;
  /** Digests of the files read, for the manifest. */
  files: FileDigest[];
  /** Tensors the checkpoint lacked, initialised from seed 0 (the projection of a plain BERT). */
  initialised: string[];
}

/**
 * Loads a model folder onto a device for inference: the BiEncoder, its tokenizer and the digests of
 * the files read.
 *
 * @example
 * const { model, tokenizer } = await openModelDir(device, 'runs/mini-100k', { maxLength: 180 });
 * try { … } finally { model.destroy(); tokenizer.free(); }
 */
export async function openModelDir(device: Device, dir: string, options: { maxLength: number }): Promise<OpenedModel> {
  const loaded = await loadModelDir(device, dir, { seed: 0, maxLength: options.maxLength });
  const files = Object.entries(loaded.files)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, bytes]) => digestOf(name, bytes));
  return { model: loaded.model, tokenizer: loaded.tokenizer, files, initialised: loaded.initialised };
}
