// densescale eval: contrastive entropy and full-corpus ranking metrics of a model directory on a
// dataset directory, with a manifest (file hashes, settings, version, runtime, adapter) that lets anyone
// rerun the same evaluation elsewhere and compare.
import { stat } from 'node:fs/promises';
import { loadRetrievalData } from '../data/load.js';
import { nodeSource } from '../data/node.js';
import { evaluate, type EvaluationMetrics } from '../eval/evaluate.js';
import type { EvalProgress } from '../eval/entropy.js';
import { evalManifest, recordReads, type EvalManifest, type EvalSettings } from '../eval/manifest.js';
import { hashFiles } from '../eval/manifest_node.js';
import { openModelDir } from './model_dir.js';
import { VERSION } from '../gen/version.js';
import { createDevice } from '../gpu/device.js';
import { num, parse, UsageError } from './args.js';

export const summary = 'contrastive entropy + full-corpus MRR/NDCG/Recall of a model dir on a data dir, with a manifest: --model DIR --data DIR [--json]';

export const USAGE = `usage: densescale eval --model <dir> --data <dir> [options]
  --model DIR            config.json + model.safetensors + vocab.txt [+ tokenizer_config.json]
  --data DIR             BEIR (corpus.jsonl, queries.jsonl, qrels/<split>.tsv) or MS MARCO TSV layout
  --split NAME           evaluated split (default test)
  --negatives W          negatives per pair for contrastive entropy (default 256)
  --repeats R            draws of the negatives (default 10)
  --seed N               seed of the negatives (default 1)
  --query-length N       query tokens, [CLS]/[SEP] included (default 32)
  --passage-length N     passage tokens (default 180)
  --k N                  passages retrieved per query for the ranking metrics, ≤ 1024 (default 1000)
  --max-pairs N          contrastive entropy on a seeded subset of N pairs (default: all)
  --adapter NAME         WebGPU adapter by name (Node: e.g. llvmpipe, SwiftShader)
  --json                 one JSON object on stdout`;

/** What `densescale eval --json` prints. */
export interface EvalReport extends EvaluationMetrics {
  adapter: EvalManifest['adapter'];
  manifest: EvalManifest;
}

async function directory(path: string | undefined, flag: string): Promise<string> {
  if (path === undefined) throw new UsageError(`--${flag} is required\n${USAGE}`);
  const s = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`--${flag}: cannot read "${path}" (${e.code ?? e.message})`);
  });
  if (!s.isDirectory()) throw new UsageError(`--${flag}: "${path}" is not a directory`);
  return path;
}

export interface EvalArgs {
  modelDir: string;
  dataDir: string;
  settings: EvalSettings;
  adapter?: string;
  json: boolean;
}

/** Parses and checks the flags; null for --help. */
export async function parseEvalArgs(argv: string[]): Promise<EvalArgs | null> {
  const { values } = parse(argv, {
    model: { type: 'string' },
    data: { type: 'string' },
    split: { type: 'string' },
    negatives: { type: 'string' },
    repeats: { type: 'string' },
    seed: { type: 'string' },
    'query-length': { type: 'string' },
    'passage-length': { type: 'string' },
    k: { type: 'string' },
    'max-pairs': { type: 'string' },
    adapter: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return null;
  const str = (flag: string) => values[flag] as string | undefined;
  const settings: EvalSettings = {
    split: str('split') ?? 'test',
    negatives: num(str('negatives'), 'negatives', 256, { int: true, min: 1 }),
    repeats: num(str('repeats'), 'repeats', 10, { int: true, min: 1 }),
    seed: num(str('seed'), 'seed', 1, { int: true, min: 0 }),
    queryLength: num(str('query-length'), 'query-length', 32, { int: true, min: 2 }),
    passageLength: num(str('passage-length'), 'passage-length', 180, { int: true, min: 2 }),
    k: num(str('k'), 'k', 1000, { int: true, min: 1 }),
  };
  if (str('max-pairs') !== undefined) settings.maxPairs = num(str('max-pairs'), 'max-pairs', 0, { int: true, min: 1 });
  const args: EvalArgs = { modelDir: await directory(str('model'), 'model'), dataDir: await directory(str('data'), 'data'), settings, json: values.json === true };
  const adapter = str('adapter');
  if (adapter !== undefined) args.adapter = adapter;
  return args;
}

/** Runs the evaluation and builds the report (main prints it). Exported for tests. */
export async function runEval(args: EvalArgs, onProgress?: (progress: EvalProgress) => void): Promise<EvalReport> {
  const { settings } = args;
  const device = await createDevice(args.adapter ? { adapter: args.adapter } : {});
  try {
    const opened = await openModelDir(device, args.modelDir, { maxLength: Math.max(settings.queryLength, settings.passageLength) });
    try {
      const recorded = recordReads(nodeSource(args.dataDir));
      const data = await loadRetrievalData(recorded.source, { split: settings.split });
      const result = await evaluate(opened.model, opened.tokenizer, data, { ...settings, ...(onProgress ? { onProgress } : {}) });
      const manifest = await evalManifest({
        version: VERSION,
        settings,
        modelFiles: opened.files,
        dataFiles: await hashFiles(args.dataDir, recorded.paths()),
        initialised: opened.initialised,
        device,
      });
      const { entropy: _entropy, retrieval: _retrieval, ...metrics } = result;
      return { ...metrics, adapter: manifest.adapter, manifest };
    } finally {
      opened.model.destroy();
      opened.tokenizer.free();
    }
  } finally {
    device.destroy();
  }
}

/** The report for people: metrics first, then where the numbers came from. */
export function formatReport(r: EvalReport): string {
  const m = r.manifest;
  const s = m.settings;
  const f = (x: number) => x.toFixed(4);
  const lines = [
    `contrastive entropy  ${f(r.contrastiveEntropy)} nats (${f(r.contrastiveEntropy / Math.LN2)} bits): ${r.pairs} pairs × ${s.repeats} repeats, ${s.negatives} negatives, seed ${s.seed}`,
    `MRR@10 ${f(r['mrr@10'])}   NDCG@10 ${f(r['ndcg@10'])}   Recall@10 ${f(r['recall@10'])}   Recall@100 ${f(r['recall@100'])}   Recall@1000 ${f(r['recall@1000'])}   (${r.queries} queries, full corpus, k ${s.k})`,
    `split ${s.split}, query/passage length ${s.queryLength}/${s.passageLength}${s.maxPairs === undefined ? '' : `, max pairs ${s.maxPairs}`}`,
    `manifest ${m.id}: densescale ${m.densescale}, ${m.runtime.runtime}, ${r.adapter.vendor}/${r.adapter.architecture} ${r.adapter.description}`,
    ...m.model.files.map((d) => `  model ${d.path.padEnd(22)} ${d.sha256} ${d.bytes} B`),
    ...m.data.files.map((d) => `  data  ${d.path.padEnd(22)} ${d.sha256} ${d.bytes} B`),
  ];
  if (m.model.initialised.length > 0) lines.push(`warning: the checkpoint lacks ${m.model.initialised.join(', ')}; initialised from seed 0`);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<void> {
  const args = await parseEvalArgs(argv);
  if (args === null) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  // Progress only for a person watching: one line rewritten in place on a terminal.
  const live = !args.json && process.stderr.isTTY === true;
  const report = await runEval(args, live ? ({ phase, done, total }) => process.stderr.write(`\r${phase} ${done}/${total}\x1b[K`) : undefined);
  if (live) process.stderr.write('\r\x1b[K');
  process.stdout.write(args.json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\n`);
}
