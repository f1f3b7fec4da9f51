// The file side of `densescale sweep` and `densescale demo`: loading the data and tokenizer a config
// names, finished run ids from runs.jsonl, per-run checkpoint directories, and the progress line.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, FormatError } from '../errors.js';
import { loadRetrievalData } from '../data/load.js';
import { loadWordNet, nodeSource } from '../data/node.js';
import type { RetrievalData } from '../data/retrieval.js';
import { recoverDir, writeDirAtomic, writeFileAtomic } from '../io/atomic.js';
import type { RunCheckpointStore, RunState, SweepRow } from '../sweep/run.js';
import { formatProgress, type SweepProgress } from '../sweep/progress.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { trainWordPieceVocab } from '../tokenizer/train_vocab.js';
import { sha256Hex, canonicalJson } from '../util/hash.js';
import { jsonlObjects } from '../util/jsonl.js';

/** The `data` section of a sweep config file. */
export type DataSpec = { source: 'wordnet'; seed?: number; testFraction?: number } | { source: 'dir'; path: string };

/** The `tokenizer` section: a vocab.txt, or a WordPiece vocabulary learned from the training data. */
export type TokenizerSpec = { vocab: string; lowercase?: boolean } | { train: { vocabSize: number; lowercase?: boolean } };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function checkDataSpec(v: unknown): DataSpec {
  if (v === undefined) return { source: 'wordnet' };
  if (!isObject(v)) throw new ConfigError('expected an object', 'data');
  if (v.source === 'wordnet') {
    for (const k of Object.keys(v)) if (!['source', 'seed', 'testFraction'].includes(k)) throw new ConfigError('unknown field (expected source, seed, testFraction)', `data.${k}`);
    if (v.seed !== undefined && !(Number.isSafeInteger(v.seed) && (v.seed as number) >= 0)) throw new ConfigError(`expected an integer ≥ 0, got ${JSON.stringify(v.seed)}`, 'data.seed');
    if (v.testFraction !== undefined && !(typeof v.testFraction === 'number' && v.testFraction > 0 && v.testFraction < 1)) throw new ConfigError(`expected a number in (0, 1), got ${JSON.stringify(v.testFraction)}`, 'data.testFraction');
    return v as DataSpec;
  }
  if (v.source === 'dir') {
    for (const k of Object.keys(v)) if (!['source', 'path'].includes(k)) throw new ConfigError('unknown field (expected source, path)', `data.${k}`);
    if (typeof v.path !== 'string' || v.path === '') throw new ConfigError('expected the dataset directory', 'data.path');
    return v as DataSpec;
  }
  throw new ConfigError(`expected "wordnet" or "dir", got ${JSON.stringify(v.source)}`, 'data.source');
}

export function checkTokenizerSpec(v: unknown): TokenizerSpec {
  if (v === undefined) return { train: { vocabSize: 8192 } };
  if (!isObject(v)) throw new ConfigError('expected an object', 'tokenizer');
  if (typeof v.vocab === 'string') {
    if (v.lowercase !== undefined && typeof v.lowercase !== 'boolean') throw new ConfigError('expected true or false', 'tokenizer.lowercase');
    return v as TokenizerSpec;
  }
  if (isObject(v.train)) {
    const size = v.train.vocabSize;
    if (!(Number.isSafeInteger(size) && (size as number) >= 16)) throw new ConfigError(`expected an integer ≥ 16, got ${JSON.stringify(size)}`, 'tokenizer.train.vocabSize');
    return v as TokenizerSpec;
  }
  throw new ConfigError('expected {"vocab": "<vocab.txt>"} or {"train": {"vocabSize": N}}', 'tokenizer');
}

/** Loads the dataset a config names; relative paths resolve against `baseDir` (the config file's folder). */
export async function loadSweepData(spec: DataSpec, baseDir: string): Promise<RetrievalData> {
  if (spec.source === 'wordnet') return loadWordNet({ ...(spec.seed === undefined ? {} : { seed: spec.seed }), ...(spec.testFraction === undefined ? {} : { testFraction: spec.testFraction }) });
  return loadRetrievalData(nodeSource(resolve(baseDir, spec.path)));
}

/**
 * The texts a vocabulary is learned from: every passage and the training split's queries (never the
 * evaluated queries, whose words would otherwise shape the vocabulary).
 */
export function vocabularyTexts(data: RetrievalData, trainSplit: string): string[] {
  const texts: string[] = [];
  for (let i = 0; i < data.passageCount; i++) texts.push(data.passageText(i));
  const queries = new Set(data.positives(trainSplit).query);
  for (const q of [...queries].sort((a, b) => a - b)) texts.push(data.queryText(q));
  return texts;
}

/**
 * The tokenizer a config names. A learned vocabulary is cached in `cacheDir` under a name derived from
 * the data and the options (learning is deterministic, so the cache only saves time).
 */
export async function loadSweepTokenizer(spec: TokenizerSpec, data: RetrievalData, dataKey: string, trainSplit: string, baseDir: string, cacheDir: string): Promise<{ tokenizer: Tokenizer; vocabPath: string }> {
  if ('vocab' in spec) {
    const path = resolve(baseDir, spec.vocab);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read "${path}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'tokenizer.vocab');
    }
    return { tokenizer: await Tokenizer.fromVocab(text, { lowercase: spec.lowercase ?? true }), vocabPath: path };
  }
  const options = { vocabSize: spec.train.vocabSize, lowercase: spec.train.lowercase ?? true };
  const key = (await sha256Hex(canonicalJson({ dataKey, trainSplit, options }))).slice(0, 12);
  const path = join(cacheDir, `vocab-${key}.txt`);
  let text: string;
  if (existsSync(path)) {
    text = readFileSync(path, 'utf8');
  } else {
    text = await trainWordPieceVocab(vocabularyTexts(data, trainSplit), options);
    writeFileAtomic(path, text);
  }
  return { tokenizer: await Tokenizer.fromVocab(text, { lowercase: options.lowercase }), vocabPath: path };
}

/** Rows of a runs.jsonl (empty when the file does not exist). */
export function readRows(path: string): SweepRow[] {
  if (!existsSync(path)) return [];
  const rows: SweepRow[] = [];
  for (const { row, line } of jsonlObjects(readFileSync(path, 'utf8'), path)) {
    if (typeof row.id !== 'string') throw new FormatError('expected a run row with an "id"', path, line, 'id');
    rows.push(row as unknown as SweepRow);
  }
  return rows;
}

const STATE_MAGIC = 'densescale-sweep-run-state';
const STATE_VERSION = 1;

function f32Bytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  if (b.byteLength % 4 !== 0) throw new FormatError(`${b.byteLength} bytes is not a whole number of f32 values`, path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/**
 * A run's checkpoint as a directory (state.json plus raw little-endian f32 params, m, v and best),
 * replaced atomically on every save, so a kill at any moment leaves the previous complete checkpoint.
 *
 * @example
 * sweep({ ..., checkpoints: (id) => fileCheckpointStore(join(out, 'checkpoints', id)) });
 */
export function fileCheckpointStore(dir: string): RunCheckpointStore {
  return {
    async load(): Promise<RunState | null> {
      const at = recoverDir(dir);
      if (at === null) return null;
      const file = join(at, 'state.json');
      const meta = JSON.parse(readFileSync(file, 'utf8')) as { magic?: string; version?: number } & Omit<RunState, 'params' | 'm' | 'v' | 'best'> & { best: { step: number; loss: number } | null };
      if (meta.magic !== STATE_MAGIC || meta.version !== STATE_VERSION) throw new FormatError(`not a version ${STATE_VERSION} run checkpoint`, file, undefined, 'magic');
      return {
        step: meta.step,
        params: readF32(join(at, 'params.f32')),
        m: readF32(join(at, 'm.f32')),
        v: readF32(join(at, 'v.f32')),
        best: meta.best === null ? null : { ...meta.best, params: readF32(join(at, 'best.f32')) },
        validation: meta.validation,
        trainLoss: meta.trainLoss,
        trainMs: meta.trainMs,
        ...(meta.validationMs === undefined ? {} : { validationMs: meta.validationMs }),
        ...(meta.stoppedEarly === true ? { stoppedEarly: true } : {}),
      };
    },
    async save(state: RunState): Promise<void> {
      const { params, m, v, best, ...rest } = state;
      const files: Record<string, Uint8Array | string> = {
        'state.json': JSON.stringify({ magic: STATE_MAGIC, version: STATE_VERSION, ...rest, best: best === null ? null : { step: best.step, loss: best.loss } }),
        'params.f32': f32Bytes(params),
        'm.f32': f32Bytes(m),
        'v.f32': f32Bytes(v),
      };
      if (best !== null) files['best.f32'] = f32Bytes(best.params);
      writeDirAtomic(dir, files);
    },
    async clear(): Promise<void> {
      rmSync(dir, { recursive: true, force: true });
      rmSync(`${dir}.old`, { recursive: true, force: true });
    },
  };
}

/**
 * Prints progress to a stream: on a terminal one line redrawn in place; otherwise a line per finished
 * run and at most one every `intervalMs` in between (logs stay short).
 */
export function progressPrinter(stream: NodeJS.WriteStream, intervalMs = 10_000): { update(p: SweepProgress): void; done(): void } {
  let last = 0;
  let drawn = false;
  return {
    update(p: SweepProgress): void {
      const line = formatProgress(p);
      if (stream.isTTY) {
        stream.write(`\r\x1b[2K${line}`);
        drawn = true;
        return;
      }
      const t = Date.now();
      if (p.current === undefined || t - last >= intervalMs) {
        stream.write(`${line}\n`);
        last = t;
      }
    },
    done(): void {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
