// Where dataset bytes come from. The readers see only this interface, so the same code loads from the
// file system in Node (src/data/node.ts), from fetch() in a browser, or from memory in tests. Files whose
// name ends in .gz are gunzipped on the fly (fflate, streaming): the decompressed file is never held whole.
import { Gunzip } from 'fflate';
import { FormatError } from '../errors.js';

/**
 * Read access to a dataset directory. Paths are relative to the dataset root and use '/'.
 *
 * @example
 * const source: DataSource = {
 *   name: 'https://example.org/nfcorpus',
 *   list: async (dir) => (dir === '' ? ['corpus.jsonl', 'queries.jsonl', 'qrels/'] : ['test.tsv']),
 *   read: (path) => streamFromFetch(`https://example.org/nfcorpus/${path}`),
 * };
 */
export interface DataSource {
  /** Names shown in error messages (a directory path or URL). */
  readonly name: string;
  /** Entries directly under `dir` ('' is the root): file names, and directory names ending in '/'. */
  list(dir: string): Promise<string[]>;
  /**
   * The file's bytes, in chunks of any size. A chunk need only stay valid until the next one is
   * requested (readers copy what they keep), so a source may reuse one buffer.
   */
  read(path: string): AsyncIterable<Uint8Array>;
}

/**
 * A DataSource over files held in memory (strings are UTF-8 encoded). Directories are implied by '/'
 * in the paths.
 *
 * @example
 * const data = await loadRetrievalData(memorySource({
 *   'collection.tsv': '0\tthe cat sat\n1\ta dog ran\n',
 *   'queries.train.tsv': '7\twhere did the cat sit\n',
 *   'qrels.train.tsv': '7\t0\t0\t1\n',
 * }));
 */
export function memorySource(files: Record<string, Uint8Array | string>, name = 'memory'): DataSource {
  const encoded = new Map<string, Uint8Array>();
  for (const [path, content] of Object.entries(files)) {
    encoded.set(path, typeof content === 'string' ? new TextEncoder().encode(content) : content);
  }
  return {
    name,
    async list(dir: string): Promise<string[]> {
      const prefix = dir === '' || dir.endsWith('/') ? dir : `${dir}/`;
      const names = new Set<string>();
      for (const path of encoded.keys()) {
        if (!path.startsWith(prefix)) continue;
        const rest = path.slice(prefix.length);
        const slash = rest.indexOf('/');
        names.add(slash < 0 ? rest : rest.slice(0, slash + 1));
      }
      return [...names].sort();
    },
    read(path: string): AsyncIterable<Uint8Array> {
      const bytes = encoded.get(path);
      if (bytes === undefined) throw new FormatError('no such file', `${name}/${path}`);
      // Several chunks, so memory-backed tests exercise the same block boundaries as streamed files.
      return (async function* () {
        const CHUNK = 1 << 16;
        for (let i = 0; i < bytes.length; i += CHUNK) yield bytes.subarray(i, Math.min(bytes.length, i + CHUNK));
      })();
    },
  };
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/**
 * The file's decompressed bytes as they arrive. A `.gz` name selects gunzip; the magic number is
 * checked, so a mislabelled file fails with a FormatError rather than as garbage text.
 */
export async function* fileBytes(source: DataSource, path: string): AsyncGenerator<Uint8Array> {
  if (!path.endsWith('.gz')) {
    yield* source.read(path);
    return;
  }
  const file = `${source.name}/${path}`;
  let ready: Uint8Array[] = [];
  const gunzip = new Gunzip((chunk) => {
    ready.push(chunk);
  });
  let first = true;
  let sawInput = false;
  for await (const chunk of source.read(path)) {
    if (chunk.length === 0) continue;
    if (first) {
      if (chunk[0] !== GZIP_MAGIC_0 || (chunk.length > 1 && chunk[1] !== GZIP_MAGIC_1)) {
        throw new FormatError('not a gzip file (bad magic number) although the name ends in .gz', file, 1);
      }
      first = false;
    }
    sawInput = true;
    try {
      gunzip.push(chunk, false);
    } catch (e) {
      throw new FormatError(`corrupt gzip data (${(e as Error).message})`, file);
    }
    // Hand over what this chunk produced before reading more input: at most one input chunk's worth of
    // decompressed data is ever buffered.
    const out = ready;
    ready = [];
    yield* out;
  }
  if (!sawInput) return;
  try {
    gunzip.push(new Uint8Array(0), true);
  } catch (e) {
    throw new FormatError(`truncated or corrupt gzip data (${(e as Error).message})`, file);
  }
  yield* ready;
}
