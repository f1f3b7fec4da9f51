// densescale bench reproduce: the paper's model-size and data-size laws on real annotated data, fitted
// and set beside the paper's values. Datasets (../shared/data, BEIR layout):
//   squad  SQuAD 1.1 dev recast as passage retrieval (English; 2,067 passages, 8,595 train / 1,975 test
//          pairs, split by article), a 2,000-token WordPiece vocabulary learned from its training side
//          (from scratch, the 30,522-token bert-base-uncased table does not train on 8.6k pairs; see below);
//   cmrc   CMRC 2018 (Chinese; 1,104 passages, 3,219 train / 1,002 test pairs), the canonical
//          bert-base-chinese vocab (21,128; every CJK character a token, as in the paper's T2Ranking BERT).
// Each dataset is a law sweep (src/sweep/demo.ts) whose files go to <out>/<dataset>/ (runs.jsonl,
// checkpoints, fit.json, report.html), so an interrupted bench resumes. Evaluation is the paper's: the
// whole test split, W = 256 negatives from the whole corpus minus test positives, R = 10 repeats, plus
// ranking metrics over the whole corpus. One JSON line per run and per fitted law.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '../cli/args.js';
import { fitLines, runLawSweep } from '../cli/demo.js';
import { loadSweepTokenizer } from '../cli/sweep_io.js';
import { loadRetrievalData } from '../data/load.js';
import { nodeSource } from '../data/node.js';
import { fitSummary } from '../scaling/fit.js';
import { formatLaw } from '../scaling/laws.js';
import { demoScale, lawSweepPlan, type LawGrid } from '../sweep/demo.js';
import { datasetFingerprint } from '../sweep/plan.js';
import { adapterTag, type BenchContext } from './common.js';

export const summary = 'scaling laws on real data (SQuAD 1.1 dev retrieval, CMRC 2018) vs the paper: [--dataset squad|cmrc] [--out DIR]';

interface Dataset {
  dir: string;
  /** A canonical BERT vocabulary in ../shared/data, or learn a WordPiece vocabulary of this size from the training side. */
  vocab: string | { learn: number };
  title: string;
  passageLength: number;
  /** Batches of the data sweep (D = steps × b). */
  dataBatches: number[];
}

const DATASETS: Record<string, Dataset> = {
  // From scratch, bert-base-uncased's 30,522-row table leaves most rows untrained on 8.6k pairs: with it
  // every run stayed within 0.5 nats of random (5.55) and no law emerged (README). A 2,000-token
  // vocabulary learned from the training side (as tests/train/squad.node.test.ts) and passages of 64
  // tokens, with D from 2,000 up (below it these models sit on the random plateau, as on WordNet).
  squad: { dir: 'squad11-dev-retrieval', vocab: { learn: 2000 }, title: 'SQuAD 1.1 dev retrieval (English)', passageLength: 64, dataBatches: [8, 11, 16, 23, 32] },
  cmrc: { dir: 'cmrc2018', vocab: 'bert-base-chinese-vocab', title: 'CMRC 2018 retrieval (Chinese)', passageLength: 128, dataBatches: [2, 3, 4, 6, 8, 11, 16, 23, 32] },
};

/** The paper's fits (PAPER.md): v1 Tables 1 and 2. */
const PAPER = {
  model: { 'MS MARCO': { alpha: 0.46, r2: 0.99 }, T2Ranking: { alpha: 0.53, r2: 0.999 } },
  data: { 'MS MARCO': { beta: 0.19, r2: 0.971 }, T2Ranking: { beta: 0.5, r2: 0.991 } },
};

/**
 * CPU grids (lavapipe): the WordNet demo's design (src/sweep/demo.ts) on longer texts: one-layer widths
 * 8…48, one pass over the data at a fixed number of steps and passages per step (with random negatives at
 * every batch), one peak rate per width, passages truncated to 128 tokens (SQuAD median 152 tokens, CMRC
 * median 441 characters). The model sweep uses every training pair one pass allows; the data sweep
 * shrinks the batch by steps of about √2 (D spans 16×); the joint grid runs every width at three D. The
 * demo's grid was tuned on WordNet (below ~3k pairs its models sat on the random-guess plateau); these
 * datasets have fewer training pairs and were not re-tuned.
 */
function grid(ds: Dataset, scale: 'quick' | 'cpu' | 'gpu', trainPairs: number): LawGrid {
  // One pass over at most trainPairs pairs: steps × 32 ≤ trainPairs.
  const steps = Math.min(250, Math.floor(trainPairs / 32));
  const cpu: LawGrid = {
    widths: [8, 16, 24, 32, 48],
    dataWidth: 24,
    layers: 1,
    headDim: 8,
    steps,
    batchSize: 32,
    dataBatches: ds.dataBatches,
    jointBatches: [8, 16, 32],
    columns: 48,
    queryLength: 32,
    passageLength: ds.passageLength,
    learningRateScale: 0.25,
    learningRateBatchPower: 0,
    eval: { negatives: 256, repeats: 10, ranking: true, queryLength: 32, passageLength: ds.passageLength },
    vocabSize: 0,
  };
  if (scale === 'quick') return { ...cpu, widths: [8, 12, 16, 24, 32], dataWidth: 16, steps: Math.min(60, steps), eval: { ...cpu.eval, repeats: 2 } };
  if (scale === 'gpu') {
    const gpuSteps = Math.floor(trainPairs / 128);
    return { ...cpu, widths: [64, 96, 128, 192, 256], dataWidth: 128, layers: 2, headDim: 32, steps: gpuSteps, batchSize: 128, dataBatches: [16, 23, 32, 45, 64, 91, 128], jointBatches: [32, 64, 128], columns: 256, passageLength: 256, eval: { ...cpu.eval, passageLength: 256 } };
  }
  return cpu;
}

function sharedDataRoot(): string {
  // dist/bench/reproduce.js → the repository → its sibling shared/data
  return process.env.DENSESCALE_SHARED_DATA ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'data');
}

export async function run(ctx: BenchContext): Promise<void> {
  const { values } = parse(ctx.args, { dataset: { type: 'string' }, out: { type: 'string' } });
  const names = values.dataset === undefined || values.dataset === 'all' ? Object.keys(DATASETS) : [values.dataset as string];
  const outRoot = resolve((values.out as string | undefined) ?? join('dist', 'reproduce'));
  const device = await ctx.device();
  const adapter = adapterTag(device);
  for (const name of names) {
    const ds = DATASETS[name];
    if (ds === undefined) throw new Error(`unknown dataset "${name}" (have: ${Object.keys(DATASETS).join(', ')})`);
    const root = sharedDataRoot();
    const data = await loadRetrievalData(nodeSource(join(root, ds.dir)));
    const trainPairs = data.positives('train').query.length;
    const scale = demoScale(device.info, ctx.quick);
    const plan = lawSweepPlan(grid(ds, scale, trainPairs), scale, `${ds.title}, ${scale} grid`);
    const out = join(outRoot, `${name}-${scale}`);
    const spec = typeof ds.vocab === 'string' ? { vocab: join(root, ds.vocab, 'vocab.txt') } : { train: { vocabSize: ds.vocab.learn } };
    const { tokenizer } = await loadSweepTokenizer(spec, data, await datasetFingerprint(data), plan.config.trainSplit, out, out);
    const started = performance.now();
    const { rows, fits, report } = await runLawSweep({
      device,
      data,
      tokenizer,
      plan,
      out,
      title: `densescale: scaling laws on ${ds.title} (${scale} grid)`,
      bootstrap: 200,
      log: (line) => void process.stderr.write(`${name}: ${line}\n`),
    });
    for (const r of rows) {
      ctx.emit({ bench: 'reproduce', dataset: name, kind: 'run', id: r.id, preset: r.preset, params: r.params, pairs: r.pairs, loss: r.loss, steps: r.steps, bestStep: r.bestStep, wallMs: Math.round(r.wallMs), metrics: r.metrics, adapter });
    }
    for (const law of ['model', 'data', 'joint'] as const) {
      const fit = fits[law];
      ctx.emit({
        bench: 'reproduce',
        dataset: name,
        kind: 'law',
        formula: formatLaw(fit),
        ...fitSummary(fit),
        ...(law === 'joint' ? {} : { paper: PAPER[law] }),
        minutes: Number(((performance.now() - started) / 60000).toFixed(1)),
        report,
        adapter,
      });
    }
    process.stderr.write(`${name}:\n${fitLines(fits).join('\n')}\n`);
  }
}
