// densescale train: a bi-encoder from a preset (vocabulary learned from the training pairs unless --vocab
// is given) or from a model folder (fine-tuning, the paper's setting), trained on a BEIR or MS MARCO-style
// folder. <out>/checkpoint is the resumable state (rerunning the same command continues from it, after
// Ctrl-C or kill -9 alike); <out>/model the exported model (the best evaluation's weights with
// --eval-every); <out>/summary.json the run's result.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PairDataset, PAPER_SUBSET_SEED } from '../data/pairs.js';
import { loadRetrievalData } from '../data/load.js';
import { nodeSource } from '../data/node.js';
import { AbortError, ConfigError } from '../errors.js';
import { createDevice } from '../gpu/device.js';
import { DirectoryCheckpointStore, removeStaleTemporaries } from '../io/checkpoint_store.js';
import { writeDirAtomic, writeFileAtomic } from '../io/atomic.js';
import { BiEncoder } from '../model/biencoder.js';
import { modelConfig, presets } from '../model/config.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { loadCheckpoint, modelFiles, type CheckpointFiles } from '../train/checkpoint.js';
import { loadModelDir } from '../train/checkpoint_node.js';
import { negativePool } from '../data/sampling.js';
import { contrastiveEntropy } from '../eval/entropy.js';
import { holdOutPairs, pairEntropy, poolExcluding, type PairList } from '../train/holdout.js';
import { train, type PeriodicEvaluation } from '../train/train.js';
import { learnTrainingVocabulary } from '../train/vocab.js';
import { num, parse, UsageError } from './args.js';
import { ProgressDisplay, stderrTerminal } from './progress.js';

export const summary = 'train a bi-encoder: --data <dir> --model <preset|model dir> --out <dir> [--steps --batch --lr ...]; rerun to resume';

export const USAGE = `usage: densescale train --data <dir> --model <preset|model dir> --out <dir> [options]

  --data DIR              BEIR folder (corpus.jsonl, queries.jsonl, qrels/) or MS MARCO-style TSV folder
  --model NAME|DIR        a preset (${['tiny', 'mini', 'small', 'medium', 'base', 'cpu-1…cpu-7', 'bert-L{2..12}-H{128..768}'].join(', ')}),
                          trained from scratch, or a model folder (ours or HF BERT: config.json,
                          model.safetensors, vocab.txt) to fine-tune
  --out DIR               <out>/checkpoint (resume state), <out>/model (result), <out>/summary.json
  --split NAME            training split (default train)
  --pairs D               training pairs: a prefix of one seeded shuffle (default: all)
  --subset-seed N         seed of that shuffle (default 521, the paper's)
  --steps S               optimizer steps (default 10000)
  --batch B               pairs per batch (default 128)
  --negatives W           random negatives shared by a batch (default 256)
  --query-length N        tokens per query (default 32)
  --passage-length N      tokens per passage (default 180)
  --lr X                  peak learning rate (default 5e-6 for a model folder, 5e-4 for a preset)
  --warmup N              linear warmup steps (default 0 for a model folder, steps/10 for a preset)
  --weight-decay X        AdamW weight decay (default 0.001)
  --max-grad-norm X       gradient clipping, 0 = off (default 1)
  --seed N                initialisation, batch order and negatives (default 0)
  --eval-every N          contrastive entropy every N steps; keeps the best step's weights (default 0: off)
  --eval-split NAME       evaluation split (default: dev, dev.small or validation if present, else
                          --eval-pairs held out of the training split)
  --eval-pairs H          pairs evaluated (default 1000)
  --eval-negatives W      negatives per evaluated pair (default 256)
  --checkpoint-every N    steps between checkpoints (default steps/10, at most 1000)
  --log-every N           read the loss back every N steps (default 10)
  --vocab FILE            vocab.txt or tokenizer.json for a preset (default: learn one)
  --vocab-size N          size of the learned vocabulary (default 8000)
  --cased                 learn a cased vocabulary / read --vocab as cased
  --adapter NAME          WebGPU adapter (substring of its name, e.g. llvmpipe, NVIDIA)
  --json                  print the result as one JSON object on stdout`;

const FLAGS = {
  data: { type: 'string' },
  model: { type: 'string' },
  out: { type: 'string' },
  split: { type: 'string' },
  pairs: { type: 'string' },
  'subset-seed': { type: 'string' },
  steps: { type: 'string' },
  batch: { type: 'string' },
  negatives: { type: 'string' },
  'query-length': { type: 'string' },
  'passage-length': { type: 'string' },
  lr: { type: 'string' },
  warmup: { type: 'string' },
  'weight-decay': { type: 'string' },
  'max-grad-norm': { type: 'string' },
  seed: { type: 'string' },
  'eval-every': { type: 'string' },
  'eval-split': { type: 'string' },
  'eval-pairs': { type: 'string' },
  'eval-negatives': { type: 'string' },
  'checkpoint-every': { type: 'string' },
  'log-every': { type: 'string' },
  vocab: { type: 'string' },
  'vocab-size': { type: 'string' },
  cased: { type: 'boolean' },
  adapter: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Library option names → the flag a user typed, so errors name the flag. */
const FLAG_OF: Record<string, string> = {
  pairs: 'pairs',
  batchSize: 'batch',
  negatives: 'negatives',
  queryLength: 'query-length',
  passageLength: 'passage-length',
  learningRate: 'lr',
  warmup: 'warmup',
  weightDecay: 'weight-decay',
  maxGradNorm: 'max-grad-norm',
  steps: 'steps',
  seed: 'seed',
  'evaluate.every': 'eval-every',
  checkpointEvery: 'checkpoint-every',
  logEvery: 'log-every',
  evalPairs: 'eval-pairs',
  split: 'split',
  vocabSize: 'vocab-size',
  // A checkpoint in <out> written by a run with other settings.
  checkpoints: 'out',
};

const DEV_SPLITS = ['dev', 'dev.small', 'validation', 'valid', 'val'];

async function readTokenizer(path: string, cased: boolean): Promise<Tokenizer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--vocab: cannot read "${path}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return path.endsWith('.json') || text.trimStart().startsWith('{') ? Tokenizer.fromTokenizerJson(text) : Tokenizer.fromVocab(text, { lowercase: !cased });
}

/** What --eval-every evaluates: a dev split (a seeded subset of its pairs) or pairs held out of training. */
type EvalSet = { name: string; split: string; pairs: number } | { name: string; heldOut: PairList; pool: Int32Array };

function flagName(e: ConfigError): string | undefined {
  return e.field === undefined ? undefined : FLAG_OF[e.field];
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parse(argv, FLAGS);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  try {
    await run(values);
  } catch (e) {
    const flag = e instanceof ConfigError ? flagName(e) : undefined;
    if (flag !== undefined) throw new UsageError(`--${flag}: ${(e as Error).message.slice((e as ConfigError).field!.length + 2)}`);
    throw e;
  }
}

async function run(values: Record<string, string | boolean | undefined>): Promise<void> {
  const str = (k: string) => values[k] as string | undefined;
  for (const required of ['data', 'model', 'out']) if (str(required) === undefined) throw new UsageError(`--${required} is required\n${USAGE}`);
  const dataDir = str('data')!;
  const modelArg = str('model')!;
  const outDir = str('out')!;
  const fromFolder = existsSync(modelArg) && statSync(modelArg).isDirectory();
  if (!fromFolder && presets[modelArg] === undefined) {
    throw new UsageError(`--model: "${modelArg}" is neither a model folder nor a preset (${Object.keys(presets).join(', ')})`);
  }
  if (fromFolder && (str('vocab') !== undefined || str('vocab-size') !== undefined)) throw new UsageError('--vocab/--vocab-size: a model folder brings its own vocabulary');
  const int = (flag: string, fallback: number, min = 1) => num(str(flag), flag, fallback, { int: true, min });
  const steps = int('steps', 10_000);
  const shape = { batchSize: int('batch', 128), negatives: int('negatives', 256, 0), queryLength: int('query-length', 32, 3), passageLength: int('passage-length', 180, 3) };
  const learningRate = num(str('lr'), 'lr', fromFolder ? 5e-6 : 5e-4, { min: 0 });
  const warmup = int('warmup', fromFolder ? 0 : Math.round(steps / 10), 0);
  const weightDecay = num(str('weight-decay'), 'weight-decay', 0.001, { min: 0 });
  const maxGradNorm = num(str('max-grad-norm'), 'max-grad-norm', 1, { min: 0 });
  const seed = int('seed', 0, 0);
  const subsetSeed = int('subset-seed', PAPER_SUBSET_SEED, 0);
  const evalEvery = int('eval-every', 0, 0);
  const evalPairCount = int('eval-pairs', 1000);
  const evalNegatives = int('eval-negatives', 256);
  const logEvery = int('log-every', 10);
  const checkpointEvery = str('checkpoint-every') === undefined ? undefined : int('checkpoint-every', 1);
  const vocabSize = int('vocab-size', 8000, 16);
  const split = str('split') ?? 'train';
  const cased = values.cased === true;
  const terminal = stderrTerminal();
  const display = new ProgressDisplay(process.stderr, terminal);

  const device = await createDevice(str('adapter') ? { adapter: str('adapter')! } : {});
  let model: BiEncoder | null = null;
  let tokenizer: Tokenizer | null = null;
  const controller = new AbortController();
  let firstSignal = 0;
  const onSignal = () => {
    if (!controller.signal.aborted) {
      firstSignal = Date.now();
      controller.abort();
      display.message('stopping after the current step; the checkpoint is kept and the same command resumes (signal again to quit now)');
      return;
    }
    // A terminal's Ctrl-C reaches this child twice (directly and forwarded by the filtering parent).
    if (Date.now() - firstSignal > 1000) process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const data = await loadRetrievalData(nodeSource(dataDir));
    if (!data.splits.includes(split)) throw new UsageError(`--split: ${dataDir} has no qrels for "${split}" (have: ${data.splits.join(', ')})`);
    const total = data.positives(split).query.length;

    let evalSet: EvalSet | null = null;
    let maxPairs = total;
    if (evalEvery > 0) {
      const named = str('eval-split') ?? DEV_SPLITS.find((s) => data.splits.includes(s));
      if (named !== undefined) {
        if (!data.splits.includes(named)) throw new UsageError(`--eval-split: ${dataDir} has no qrels for "${named}" (have: ${data.splits.join(', ')})`);
        if (named === split) throw new UsageError(`--eval-split: "${named}" is the training split; leave --eval-split out to hold pairs out of it`);
        evalSet = { name: named, split: named, pairs: Math.min(evalPairCount, data.positives(named).query.length) };
      } else {
        if (evalPairCount >= total) throw new UsageError(`--eval-pairs: ${evalPairCount} would leave no training pairs (split "${split}" has ${total})`);
        const held = holdOutPairs(data, { split, pairs: evalPairCount, seed: subsetSeed });
        evalSet = { name: `${split} (${evalPairCount} held-out pairs)`, heldOut: held.pairs, pool: poolExcluding(data, held.pairs) };
        maxPairs = held.maxTrainPairs;
      }
    }
    const pairs = int('pairs', maxPairs);
    if (pairs > maxPairs) {
      throw new UsageError(`--pairs: ${pairs} exceeds the ${maxPairs} pairs available${maxPairs < total ? ` (split "${split}" has ${total}; --eval-pairs ${evalPairCount} are held out for evaluation)` : ` in split "${split}"`}`);
    }
    const dataset = PairDataset.fromRetrievalData(data, { split, pairs, seed: subsetSeed });

    const store = new DirectoryCheckpointStore(join(outDir, 'checkpoint'));
    const resumeFiles = await store.load();
    if (resumeFiles !== null) {
      // Config and vocabulary come from the checkpoint; train() restores its weights and optimizer state.
      ({ model, tokenizer } = await loadCheckpoint(device, resumeFiles, { seed, train: shape }));
    } else if (fromFolder) {
      const loaded = await loadModelDir(device, modelArg, { seed, train: shape });
      ({ model, tokenizer } = loaded);
      if (loaded.initialised.length > 0) display.message(`${modelArg}: initialised from seed ${seed}: ${loaded.initialised.join(', ')}`);
      if (loaded.unused.length > 0) display.message(`${modelArg}: not used: ${loaded.unused.join(', ')}`);
    } else {
      const vocabPath = str('vocab');
      tokenizer = vocabPath !== undefined ? await readTokenizer(vocabPath, cased) : await learnTrainingVocabulary(dataset, { vocabSize, lowercase: !cased });
      model = BiEncoder.create(device, modelConfig(modelArg, { vocabSize: tokenizer.vocabSize }), { seed, train: shape });
    }
    const activeModel = model;
    const activeTokenizer = tokenizer;

    // One draw of negatives (seed 1, the paper's), the same at every evaluation, so scores compare across steps.
    let evaluate: PeriodicEvaluation | undefined;
    const lengths = { queryLength: shape.queryLength, passageLength: shape.passageLength };
    if (evalSet !== null && 'split' in evalSet) {
      const { split: evalSplit, pairs: maxPairs } = evalSet;
      const negatives = Math.min(evalNegatives, negativePool(data, [evalSplit]).length);
      evaluate = { every: evalEvery, run: async (m) => (await contrastiveEntropy(m, activeTokenizer, data, { split: evalSplit, negatives, repeats: 1, seed: 1, maxPairs, ...lengths })).nats };
    } else if (evalSet !== null) {
      const { heldOut, pool } = evalSet;
      evaluate = { every: evalEvery, run: async (m) => (await pairEntropy(m, activeTokenizer, data, heldOut, { negatives: Math.min(evalNegatives, pool.length), seed: 1, pool, ...lengths })).nats };
    }
    const result = await train(activeModel, dataset, activeTokenizer, {
      ...shape,
      steps,
      learningRate,
      warmup,
      weightDecay,
      maxGradNorm,
      seed,
      logEvery,
      ...(checkpointEvery === undefined ? {} : { checkpointEvery }),
      ...(evaluate === undefined ? {} : { evaluate }),
      checkpoints: { load: async () => resumeFiles, save: (files: CheckpointFiles) => store.save(files) },
      signal: controller.signal,
      onProgress: (p) => display.update(p),
      runIdentity: {
        model: fromFolder ? resolve(modelArg) : modelArg,
        vocabulary: fromFolder ? 'model folder' : str('vocab') !== undefined ? resolve(str('vocab')!) : { learned: vocabSize, cased },
        evaluation: evalSet === null ? null : { set: evalSet.name, pairs: evalPairCount, negatives: evalNegatives },
      },
    });
    display.done();
    const modelDir = join(outDir, 'model');
    removeStaleTemporaries(modelDir);
    writeDirAtomic(modelDir, await modelFiles(activeModel, activeTokenizer));
    const report = {
      ...result,
      model: fromFolder ? resolve(modelArg) : modelArg,
      params: activeModel.paramCount,
      vocabSize: activeTokenizer.vocabSize,
      data: { dir: resolve(dataDir), split, pairs: dataset.size, evaluation: evalSet?.name ?? null },
      out: { model: resolve(modelDir), checkpoint: resolve(store.dir) },
      adapter: `${device.info.vendor}/${device.info.architecture} ${device.info.description}`.trim(),
    };
    writeFileAtomic(join(outDir, 'summary.json'), `${JSON.stringify(report, null, 2)}\n`);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      const best = result.bestStep === null ? '' : `, best evaluation ${result.bestScore!.toFixed(4)} at step ${result.bestStep} (its weights are exported)`;
      const resumed = result.resumedFrom === null ? '' : ` (resumed at step ${result.resumedFrom})`;
      process.stdout.write(`trained ${report.model} (N = ${report.params}) for ${result.steps} steps on ${dataset.size} pairs${resumed}: final loss ${result.finalLoss.toFixed(4)}${best}\nmodel: ${report.out.model}\n`);
    }
  } catch (e) {
    display.done();
    if (e instanceof AbortError) throw new AbortError(`${e.message}: rerun the same command to continue`);
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    model?.destroy();
    tokenizer?.free();
    device.destroy();
  }
}
