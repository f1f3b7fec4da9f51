// The manifest of an evaluation: what was evaluated (checkpoint and data files by SHA-256, the
// settings) and where (package version, runtime, adapter). Evaluation is deterministic and bit-identical
// across runtimes, so two manifests with the same `id` and version must report the same numbers; a
// different number under the same id is a bug (or a driver that breaks determinism) worth reporting.
import type { DataSource } from '../data/source.js';
import type { Device } from '../gpu/device.js';
import { canonicalJson, stableId } from '../util/hash.js';

export interface FileDigest {
  /** Path relative to the model or data directory, '/'-separated. */
  path: string;
  bytes: number;
  sha256: string;
}

/** Every option that changes an evaluation's numbers. */
export interface EvalSettings {
  split: string;
  negatives: number;
  repeats: number;
  seed: number;
  queryLength: number;
  passageLength: number;
  k: number;
  /** Only when a pair subset was evaluated. */
  maxPairs?: number;
}

export interface EvalManifest {
  /** Hash of the settings and every file digest: equal ids mean the same model on the same data, evaluated the same way. */
  id: string;
  /** densescale package version. */
  densescale: string;
  settings: EvalSettings;
  model: {
    files: FileDigest[];
    /** Tensors the checkpoint lacked and that were initialised from seed 0 (a plain BERT has no projection). */
    initialised: string[];
  };
  data: { files: FileDigest[] };
  runtime: { runtime: string; versions: Record<string, string> };
  adapter: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter: boolean };
}

/**
 * Builds the manifest. File digests come from the caller (the CLI hashes what it read), as does the
 * version (src/gen/version.ts), so this runs anywhere.
 *
 * @example
 * const manifest = await evalManifest({ version: VERSION, settings, modelFiles, dataFiles, initialised: [], device });
 * manifest.id; // 'c0ffee123456'
 */
export async function evalManifest(input: {
  version: string;
  settings: EvalSettings;
  modelFiles: readonly FileDigest[];
  dataFiles: readonly FileDigest[];
  initialised: readonly string[];
  device: Device;
}): Promise<EvalManifest> {
  const byPath = (a: FileDigest, b: FileDigest) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  const modelFiles = [...input.modelFiles].sort(byPath);
  const dataFiles = [...input.dataFiles].sort(byPath);
  const initialised = [...input.initialised].sort();
  const { vendor, architecture, device, description, isFallbackAdapter, runtime, versions } = input.device.info;
  return {
    id: await stableId({ settings: input.settings, model: modelFiles, initialised, data: dataFiles }, 16),
    densescale: input.version,
    settings: JSON.parse(canonicalJson(input.settings)) as EvalSettings,
    model: { files: modelFiles, initialised },
    data: { files: dataFiles },
    runtime: { runtime, versions },
    adapter: { vendor, architecture, device, description, isFallbackAdapter },
  };
}

/**
 * Wraps a DataSource and remembers which files were read through it, so a manifest can list exactly
 * the files an evaluation used (not a whole directory, and not splits that were not loaded).
 *
 * @example
 * const recorded = recordReads(nodeSource(dir));
 * const data = await loadRetrievalData(recorded.source, { split: 'test' });
 * recorded.paths(); // ['corpus.jsonl', 'qrels/test.tsv', 'queries.jsonl']
 */
export function recordReads(source: DataSource): { source: DataSource; paths(): string[] } {
  const read = new Set<string>();
  return {
    source: {
      name: source.name,
      list: (dir) => source.list(dir),
      read(path) {
        read.add(path);
        return source.read(path);
      },
    },
    paths: () => [...read].sort(),
  };
}
