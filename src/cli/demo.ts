// densescale demo: the main job on the embedded default. A model-size sweep, a data-size sweep and a joint
// N × D grid on WordNet 3.1 word-sense retrieval with a WordPiece vocabulary learned from it, sized by the
// adapter (src/sweep/demo.ts, docs/SWEEP.md), then the three fitted laws in a report folder:
//   report.html  the laws, log-log plots with fitted curves and held-out points, the budget frontier, runs
//   runs.jsonl   one row per run (the sweep's rows; rerunning skips finished runs and resumes a cut one)
//   fit.json     the fits as `densescale fit --json` prints them, plus which runs each law used
import { join, resolve } from 'node:path';
import { loadWordNet } from '../data/node.js';
import type { RetrievalData } from '../data/retrieval.js';
import { createDevice, type Device } from '../gpu/device.js';
import { VERSION } from '../gen/version.js';
import { appendJsonlAtomic, writeFileAtomic } from '../io/atomic.js';
import { renderReport, type RunRow } from '../report/report.js';
import { budgetFrontier } from '../scaling/budget.js';
import { fitSummary, type ScalingFit } from '../scaling/fit.js';
import { fmt, formatLaw } from '../scaling/laws.js';
import { demoPlan, demoScale, fitDemo, type DemoFits, type LawSweepPlan } from '../sweep/demo.js';
import { datasetFingerprint, planRuns, tokenizerFingerprint } from '../sweep/plan.js';
import { adapterName, type SweepRow } from '../sweep/run.js';
import { sweep } from '../sweep/sweep.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { parse, UsageError } from './args.js';
import { fileCheckpointStore, loadSweepTokenizer, progressPrinter, readRows } from './sweep_io.js';

export const summary = 'the main job: model- and data-size sweeps on WordNet, fitted laws, report folder: densescale demo [--quick] [--out DIR]';

export const USAGE = `usage: densescale demo [--quick] [--out DIR] [--adapter NAME] [--bootstrap N]
Trains and evaluates a model-size sweep, a data-size sweep and a joint grid on WordNet 3.1 word-sense
retrieval, fits L(N), L(D) and L(N, D) (the largest run held out and predicted), and writes
DIR/report.html, DIR/runs.jsonl and DIR/fit.json (default DIR: ./densescale-report). Rerun to resume;
finished runs are kept. On a 2-core CPU adapter it takes about 10-12 minutes; --quick: a smaller grid
(about 3 minutes).`;

/** Budgets of the frontier (USD), with the paper's cost constants. */
const BUDGETS = [1e3, 1e4, 1e5, 1e6, 1e7];

export function reportRow(r: SweepRow): RunRow {
  const row: RunRow = { id: r.id, preset: r.preset, params: r.params, pairs: r.pairs, loss: r.loss, steps: r.steps, wallMs: r.wallMs, method: r.method };
  if (r.metrics !== undefined) row.metrics = r.metrics;
  return row;
}

function lawLine(name: string, fit: ScalingFit): string {
  return `${name.padEnd(6)} ${formatLaw(fit)}   R² = ${fit.r2.toFixed(4)} (${fit.n} runs)`;
}

/** Writes fit.json and report.html of a law sweep into `out`; returns the report's path. */
export function writeDemoReport(out: string, plan: LawSweepPlan, rows: SweepRow[], fits: DemoFits, meta: { adapter: string; date: string; title: string }): string {
  const summaries = { model: fitSummary(fits.model), data: fitSummary(fits.data), joint: fitSummary(fits.joint) };
  writeFileAtomic(
    join(out, 'fit.json'),
    `${JSON.stringify({ ...summaries, runs: { model: fits.modelRuns, data: fits.dataRuns, joint: fits.jointRuns, heldOut: fits.heldOut }, scale: plan.scale, adapter: meta.adapter, version: VERSION }, null, 2)}\n`,
  );
  const html = renderReport({
    title: meta.title,
    runs: rows.map(reportRow),
    fits: {
      model: { ...summaries.model, runIds: fits.modelRuns },
      data: { ...summaries.data, runIds: fits.dataRuns },
      joint: { ...summaries.joint, runIds: fits.jointRuns },
    },
    heldOut: fits.heldOut,
    frontier: budgetFrontier(fits.joint, BUDGETS),
    meta: { adapter: meta.adapter, version: VERSION, date: meta.date, seed: 0 },
  });
  const path = join(out, 'report.html');
  writeFileAtomic(path, html);
  return path;
}

export interface LawSweepRun {
  device: Device;
  data: RetrievalData;
  tokenizer: Tokenizer;
  plan: LawSweepPlan;
  /** Folder of runs.jsonl, checkpoints/, fit.json and report.html. */
  out: string;
  title: string;
  bootstrap: number;
  /** Lines about what is happening (stderr in the CLI). */
  log: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * Runs a law sweep with its files in `out` (finished runs are skipped, a cut run resumes), fits the three
 * laws and writes fit.json and report.html. Shared by `densescale demo` and `densescale bench reproduce`.
 */
export async function runLawSweep(o: LawSweepRun): Promise<{ rows: SweepRow[]; fits: DemoFits; report: string }> {
  const runsFile = join(o.out, 'runs.jsonl');
  const dataKey = await datasetFingerprint(o.data);
  const planned = await planRuns(o.plan.config, { dataset: dataKey, tokenizer: await tokenizerFingerprint(o.tokenizer), vocabSize: o.tokenizer.vocabSize });
  const ids = new Set(planned.map((r) => r.id));
  const done = new Set(readRows(runsFile).map((r) => r.id).filter((id) => ids.has(id)));
  o.log(`${planned.length} runs (${done.size} already done), ${o.data.passageCount} passages, ${o.data.positives(o.plan.config.trainSplit).query.length} training pairs, vocabulary ${o.tokenizer.vocabSize}`);
  const printer = progressPrinter(process.stderr);
  try {
    await sweep({
      device: o.device,
      data: o.data,
      tokenizer: o.tokenizer,
      config: o.plan.config,
      skip: (id) => done.has(id),
      onResult: (row) => appendJsonlAtomic(runsFile, row),
      checkpoints: (id) => fileCheckpointStore(join(o.out, 'checkpoints', id)),
      onProgress: (p) => printer.update(p),
      ...(o.signal === undefined ? {} : { signal: o.signal }),
    });
  } finally {
    printer.done();
  }
  const rows = readRows(runsFile).filter((r) => ids.has(r.id));
  const fits = fitDemo(rows, o.plan, { bootstrap: o.bootstrap });
  const report = writeDemoReport(o.out, o.plan, rows, fits, { adapter: adapterName(o.device), date: new Date().toISOString().slice(0, 10), title: o.title });
  return { rows, fits, report };
}

/** The fitted laws, R² and held-out predictions as lines of text. */
export function fitLines(fits: DemoFits): string[] {
  const held = fits.joint.heldOut!;
  return [
    lawLine('model', fits.model),
    lawLine('data', fits.data),
    lawLine('joint', fits.joint),
    ...held.points.map((p, i) => `       held out N=${fmt(p.params!)} D=${fmt(p.pairs!)}: observed ${p.loss.toFixed(4)}, predicted ${held.predicted[i]!.toFixed(4)} (${(100 * held.relErrors[i]!).toFixed(2)}%)`),
  ];
}

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { quick: { type: 'boolean' }, out: { type: 'string' }, adapter: { type: 'string' }, bootstrap: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError(USAGE);
  const bootstrap = values.bootstrap === undefined ? 200 : Number(values.bootstrap);
  if (!(Number.isInteger(bootstrap) && bootstrap >= 0)) throw new UsageError(`--bootstrap: expected an integer ≥ 0, got "${String(values.bootstrap)}"`);
  const out = resolve((values.out as string | undefined) ?? 'densescale-report');
  const started = performance.now();
  const device = await createDevice(values.adapter ? { adapter: values.adapter as string } : {});
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const plan = demoPlan(demoScale(device.info, values.quick === true));
    const adapter = adapterName(device);
    const log = (line: string) => void process.stderr.write(`${line}\n`);
    log(`densescale demo: ${plan.scale} grid on ${adapter}; loading WordNet 3.1`);
    const data = await loadWordNet({ seed: 0 });
    const { tokenizer } = await loadSweepTokenizer({ train: { vocabSize: plan.vocabSize } }, data, await datasetFingerprint(data), plan.config.trainSplit, out, out);
    const { rows, fits, report } = await runLawSweep({
      device,
      data,
      tokenizer,
      plan,
      out,
      title: `densescale demo: scaling laws of dense retrieval on WordNet 3.1 (${plan.scale} grid)`,
      bootstrap,
      log,
      signal: abort.signal,
    });
    const lines = [
      `fitted on ${rows.length} runs (${plan.scale} grid, ${adapter}), contrastive entropy in nats:`,
      ...fitLines(fits),
      `report: ${report}`,
      `time: ${((performance.now() - started) / 60000).toFixed(1)} min`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    device.destroy();
  }
}
