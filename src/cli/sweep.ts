// densescale sweep --config <file>: runs a sweep config and appends one row per finished run to
// <out>/runs.jsonl. Rerunning the same command skips finished runs and resumes an interrupted one from
// <out>/checkpoints/<run id>/. The config file is the library's SweepConfig plus three file-side sections:
//   "data":      {"source": "wordnet", "seed": 0, "testFraction": 0.1} (default) or {"source": "dir", "path": "…"}
//   "tokenizer": {"vocab": "vocab.txt"} or {"train": {"vocabSize": 8192}} (default: learn 8192 from the data)
//   "methods":   {"<name>": {"file": "pairs.jsonl"}}: annotation plug-ins read from JSONL files
// Relative paths resolve against the config file's folder.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { AnnotationMethod } from '../annotate/annotation.js';
import { fileMethod } from '../annotate/file.js';
import { ANNOTATION_METHODS } from '../annotate/methods.js';
import { ConfigError } from '../errors.js';
import { createDevice } from '../gpu/device.js';
import { appendJsonlAtomic, writeFileAtomic } from '../io/atomic.js';
import { validateSweepConfig, type SweepConfig } from '../sweep/config.js';
import { datasetFingerprint } from '../sweep/plan.js';
import type { SweepRow } from '../sweep/run.js';
import { planSweep, sweep } from '../sweep/sweep.js';
import { sha256Hex } from '../util/hash.js';
import { parse, UsageError } from './args.js';
import { readInputFile } from './input.js';
import { checkDataSpec, checkTokenizerSpec, fileCheckpointStore, loadSweepData, loadSweepTokenizer, progressPrinter, readRows } from './sweep_io.js';

export const summary = 'run a sweep config (presets × D × annotation methods × seeds), resumable: densescale sweep --config <file> [--out DIR]';

export const USAGE = `usage: densescale sweep --config <sweep.json> [--out DIR] [--adapter NAME] [--plan]
Appends a row per finished run to DIR/runs.jsonl (default DIR: ./densescale-sweep); rerun to resume.
--plan lists the runs (id, preset, D, method, seed, N, done) without training.`;

const FILE_SECTIONS = ['data', 'tokenizer', 'methods'];

/** File-backed annotation plug-ins of the config's "methods" section, with their inputs' SHA-256. */
async function fileMethods(value: unknown, baseDir: string): Promise<{ methods: Record<string, AnnotationMethod>; inputs: Record<string, string> }> {
  const methods: Record<string, AnnotationMethod> = {};
  const inputs: Record<string, string> = {};
  if (value === undefined) return { methods, inputs };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError('expected an object of {"<name>": {"file": "pairs.jsonl"}}', 'methods');
  for (const [name, spec] of Object.entries(value)) {
    if (ANNOTATION_METHODS[name] !== undefined) throw new ConfigError(`"${name}" is a built-in method; name the file method otherwise`, `methods.${name}`);
    const file = (spec as { file?: unknown } | null)?.file;
    if (typeof file !== 'string') throw new ConfigError('expected {"file": "<pairs.jsonl>"}', `methods.${name}`);
    const path = resolve(baseDir, file);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read "${path}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, `methods.${name}.file`);
    }
    methods[name] = fileMethod(text, path, name);
    inputs[name] = (await sha256Hex(text)).slice(0, 16);
  }
  return { methods, inputs };
}

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { config: { type: 'string' }, out: { type: 'string' }, adapter: { type: 'string' }, plan: { type: 'boolean' } });
  if (positionals.length > 0 || typeof values.config !== 'string') throw new UsageError(`expected --config <file>\n${USAGE}`);
  const configPath = resolve(values.config);
  const baseDir = dirname(configPath);
  let raw: unknown;
  try {
    raw = JSON.parse(readInputFile(configPath));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new ConfigError(`${configPath} is not valid JSON (${(e as Error).message})`, 'config');
  }
  const rawObject = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const dataSpec = checkDataSpec(rawObject.data);
  const tokenizerSpec = checkTokenizerSpec(rawObject.tokenizer);
  const { methods, inputs } = await fileMethods(rawObject.methods, baseDir);
  const config: SweepConfig = validateSweepConfig(raw, { methods: [...Object.keys(ANNOTATION_METHODS), ...Object.keys(methods)], ignore: FILE_SECTIONS });
  const out = resolve((values.out as string | undefined) ?? 'densescale-sweep');
  const runsFile = join(out, 'runs.jsonl');

  const data = await loadSweepData(dataSpec, baseDir);
  const dataKey = await datasetFingerprint(data);
  const { tokenizer } = await loadSweepTokenizer(tokenizerSpec, data, dataKey, config.trainSplit, baseDir, out);
  const done = new Set(readRows(runsFile).map((r) => r.id));

  if (values.plan) {
    const runs = await planSweep({ data, tokenizer, config, methods, methodInputs: inputs });
    process.stdout.write(`${['id', 'preset', 'pairs', 'method', 'seed', 'params', 'done'].join('\t')}\n`);
    for (const r of runs) process.stdout.write(`${[r.id, r.spec.preset, r.spec.pairs, r.spec.method, r.spec.seed, r.params, done.has(r.id) ? 'yes' : 'no'].join('\t')}\n`);
    return;
  }

  writeFileAtomic(join(out, 'config.json'), `${JSON.stringify(raw, null, 2)}\n`);
  const device = await createDevice(values.adapter ? { adapter: values.adapter as string } : {});
  const printer = progressPrinter(process.stderr);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const rows = await sweep({
      device,
      data,
      tokenizer,
      config,
      methods,
      methodInputs: inputs,
      skip: (id) => done.has(id),
      onResult: (row: SweepRow) => appendJsonlAtomic(runsFile, row),
      checkpoints: (id) => fileCheckpointStore(join(out, 'checkpoints', id)),
      onProgress: (p) => printer.update(p),
      signal: abort.signal,
    });
    printer.done();
    process.stdout.write(`${rows.length} run${rows.length === 1 ? '' : 's'} finished, ${done.size} already done; rows in ${runsFile}\n`);
  } finally {
    printer.done();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    device.destroy();
  }
}
