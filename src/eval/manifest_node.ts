// Node side of the evaluation manifest: SHA-256 of files on disk, streamed (a 3 GB collection is never
// held whole).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import type { FileDigest } from './manifest.js';

/**
 * Digests of files under `root`, in the order given.
 *
 * @example
 * const digests = await hashFiles('../shared/data/cranfield', ['corpus.jsonl', 'queries.jsonl', 'qrels/test.tsv']);
 * digests[0]; // { path: 'corpus.jsonl', bytes: 1234567, sha256: '9f86d0…' }
 */
export async function hashFiles(root: string, paths: readonly string[]): Promise<FileDigest[]> {
  const out: FileDigest[] = [];
  for (const path of paths) {
    const file = join(root, path);
    try {
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
      out.push({ path, bytes: (await stat(file)).size, sha256: hash.digest('hex') });
    } catch (e) {
      throw new FormatError(`cannot hash (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file);
    }
  }
  return out;
}

/** The digest of bytes already in memory. */
export function digestOf(path: string, bytes: Uint8Array): FileDigest {
  return { path, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
}
