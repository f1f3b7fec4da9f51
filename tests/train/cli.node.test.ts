// densescale train in-process through main(argv): flags and their errors, fine-tuning a model folder,
// loadModelDir, the on-disk checkpoint store, and the progress display.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { formatDuration, ProgressDisplay } from '../../src/cli/progress.js';
import { main } from '../../src/cli/train.js';
import { FormatError } from '../../src/errors.js';
import { DirectoryCheckpointStore, removeStaleTemporaries } from '../../src/io/checkpoint_store.js';
import { loadModelDir } from '../../src/train/checkpoint_node.js';
import { parseTrainerState } from '../../src/train/checkpoint.js';
import type { TrainProgress } from '../../src/train/train.js';
import { testDevice } from '../helpers/device.js';
import { fixtureRecords } from './fixture.js';
import { stdoutOf } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'densescale-train-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const data = join(work, 'data');
{
  const r = fixtureRecords();
  mkdirSync(join(data, 'qrels'), { recursive: true });
  writeFileSync(join(data, 'corpus.jsonl'), r.passages.map((p) => JSON.stringify({ _id: p.id, title: '', text: p.text })).join('\n') + '\n');
  writeFileSync(join(data, 'queries.jsonl'), r.queries.map((q) => JSON.stringify({ _id: q.id, text: q.text })).join('\n') + '\n');
  for (const [split, list] of Object.entries(r.qrels)) writeFileSync(join(data, 'qrels', `${split}.tsv`), list.map((x) => `${x.queryId}\t${x.passageId}\t1`).join('\n') + '\n');
}
const SMALL = ['--batch', '4', '--negatives', '2', '--query-length', '8', '--passage-length', '12'];

async function usageError(argv: string[], message: RegExp): Promise<void> {
  const e = await stdoutOf(() => main(argv)).then(
    () => null,
    (x: unknown) => x,
  );
  expect(e, argv.join(' ')).toBeInstanceOf(UsageError);
  expect((e as Error).message).toMatch(message);
}

describe('densescale train flags', () => {
  it('errors name the bad flag or file', async () => {
    const out = join(work, 'bad');
    const base = ['--data', data, '--model', 'cpu-1', '--out', out, ...SMALL, '--steps', '2', '--vocab-size', '100'];
    await usageError(['--model', 'cpu-1', '--out', out], /--data is required/);
    await usageError([...base, '--model', 'huge'], /--model: "huge" is neither a model folder nor a preset/);
    await usageError([...base, '--steps', 'ten'], /--steps: "ten" is not an integer/);
    await usageError([...base, '--lr=-1'], /--lr: "-1" is not a number ≥ 0/);
    await usageError([...base, '--split', 'dev'], /--split: .* has no qrels for "dev" \(have: /);
    await usageError([...base, '--pairs', '41'], /--pairs: 41 exceeds the 40 pairs available in split "train"/);
    await usageError([...base, '--eval-every', '1', '--eval-pairs', '8', '--pairs', '40'], /--pairs: 40 exceeds the 32 pairs available \(split "train" has 40; --eval-pairs 8 are held out/);
    await usageError([...base, '--eval-every', '1', '--eval-pairs', '40'], /--eval-pairs: 40 would leave no training pairs/);
    await usageError([...base, '--eval-every', '1', '--eval-split', 'train'], /--eval-split: "train" is the training split/);
    await usageError([...base, '--warmup', '5'], /--warmup: 5 exceeds the 2 steps/);
    await usageError([...base, '--batch', '50'], /--batch: larger than the dataset \(40 pairs\)/);
    await usageError([...base, '--vocab', join(work, 'nope.txt')], /--vocab: cannot read ".*nope.txt" \(ENOENT\)/);
    const e = await stdoutOf(() => main([...base, '--data', join(work, 'missing')])).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).file).toBe(join(work, 'missing'));
  });

  it('trains a preset with a learned vocabulary, then fine-tunes the result as a model folder (lr 5e-6 by default)', async () => {
    const first = join(work, 'scratch');
    const report = JSON.parse(await stdoutOf(() => main(['--data', data, '--model', 'cpu-1', '--out', first, ...SMALL, '--steps', '4', '--vocab-size', '100', '--lr', '1e-3', '--json']))) as Record<string, unknown>;
    expect(report).toMatchObject({ steps: 4, pairsSeen: 16, resumedFrom: null, model: 'cpu-1', vocabSize: 100, data: { split: 'train', pairs: 40, evaluation: null } });
    expect(JSON.parse(readFileSync(join(first, 'summary.json'), 'utf8'))).toEqual(report);
    const vocab = readFileSync(join(first, 'model', 'vocab.txt'), 'utf8');
    expect(vocab.split('\n').slice(0, 4)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]']);

    const device = await testDevice();
    const loaded = await loadModelDir(device, join(first, 'model'));
    expect(loaded.config.vocabSize).toBe(100);
    expect(loaded.unused).toEqual([]);
    loaded.model.destroy();
    loaded.tokenizer.free();

    const tuned = join(work, 'tuned');
    const text = await stdoutOf(() => main(['--data', data, '--model', join(first, 'model'), '--out', tuned, ...SMALL, '--steps', '3', '--eval-every', '2', '--eval-pairs', '5', '--eval-negatives', '4']));
    expect(text).toMatch(/trained .*scratch\/model \(N = \d+\) for 3 steps on 35 pairs: final loss \d\.\d{4}, best evaluation \d\.\d{4} at step [23]/);
    const state = parseTrainerState(readFileSync(join(tuned, 'checkpoint', 'trainer_state.json')));
    expect(state.run).toMatchObject({ learningRate: 5e-6, warmup: 0, weightDecay: 0.001, maxGradNorm: 1, negatives: 2 });
    expect(state.evaluations.map((x) => x.step)).toEqual([2, 3]);
    expect(readFileSync(join(tuned, 'model', 'vocab.txt'), 'utf8')).toBe(vocab);
    await usageError(['--data', data, '--model', join(first, 'model'), '--out', tuned, '--vocab-size', '50'], /--vocab\/--vocab-size: a model folder brings its own vocabulary/);
    // The same --out with other settings: the checkpoint there belongs to another run.
    await usageError(['--data', data, '--model', join(first, 'model'), '--out', tuned, ...SMALL, '--steps', '3', '--eval-every', '2', '--eval-pairs', '5', '--eval-negatives', '4', '--lr', '1e-5'], /--out: the checkpoint belongs to another run \(learningRate: checkpoint has 0.000005, this run has 0.00001\)/);
  });
});

describe('loadModelDir', () => {
  it('names the file on disk', async () => {
    const device = await testDevice();
    const dir = join(work, 'hf-bin');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'pytorch_model.bin'), 'x');
    await expect(loadModelDir(device, dir)).rejects.toThrow(/pytorch_model.bin is present; densescale reads safetensors/);
    writeFileSync(join(dir, 'model.safetensors'), 'x');
    writeFileSync(join(dir, 'config.json'), '{"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 3, "vocab_size": 10}');
    const e = await loadModelDir(device, dir).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).file).toBe(join(dir, 'config.json'));
    expect((e as Error).message).toMatch(/hidden 16 is not divisible by heads 3/);
  });
});

describe('DirectoryCheckpointStore', () => {
  it('recovers an interrupted swap and drops temporaries of dead writers only', async () => {
    const root = join(work, 'store');
    const dir = join(root, 'checkpoint');
    const store = new DirectoryCheckpointStore(dir);
    expect(await store.load()).toBeNull();
    await store.save({ 'a.bin': new Uint8Array([1, 2]) });
    await store.save({ 'b.bin': new Uint8Array([3]) });
    expect(await store.load()).toEqual({ 'b.bin': new Uint8Array([3]) });
    // A kill between writeDirAtomic's two renames leaves only <dir>.old: the previous checkpoint.
    rmSync(dir, { recursive: true });
    mkdirSync(`${dir}.old`);
    writeFileSync(join(`${dir}.old`, 'a.bin'), new Uint8Array([9]));
    // A dead writer's half-written directory, and a live one's (this process: never removed under it).
    mkdirSync(join(root, '.checkpoint.tmp-999999999-abcd'));
    mkdirSync(join(root, `.checkpoint.tmp-${process.ppid}-beef`));
    expect(await store.load()).toEqual({ 'a.bin': new Uint8Array([9]) });
    expect(existsSync(join(root, '.checkpoint.tmp-999999999-abcd'))).toBe(false);
    expect(existsSync(join(root, `.checkpoint.tmp-${process.ppid}-beef`))).toBe(true);
    expect(removeStaleTemporaries(dir)).toEqual([]);
  });
});

describe('progress display', () => {
  const p = (step: number, extra: Partial<TrainProgress> = {}): TrainProgress => ({
    step, steps: 100, loss: 1.23456, learningRate: 5e-4, pairsPerSecond: 1234.5, tokensPerSecond: 250_000, elapsedMs: 75_000, etaMs: 3_725_000, ...extra,
  });

  it('redraws one line on a terminal, truncated to its width, with evaluations above it', () => {
    let text = '';
    const d = new ProgressDisplay({ write: (s: string) => (text += s) }, { tty: true, columns: 60 });
    d.update(p(10));
    expect(text).toBe(`\r\x1b[K${'step 10/100 [##------------------]  10% loss 1.2346 | lr 5.00e-4 | 1235 pairs/s | 250.0k tok/s | 1:15 elapsed | ETA 1:02:05'.slice(0, 59)}`);
    text = '';
    d.update(p(20, { evaluation: { score: 2.5, best: { step: 20, score: 2.5 } } }));
    const bar = 'step 20/100 [####----------------]  20% loss 1.2346 | lr 5.00e-4 | 1235 pairs/s'.slice(0, 59);
    const evaluation = 'step 20/100 loss 1.2346 | lr 5.00e-4 | 1235 pairs/s | 250.0k tok/s | 1:15 elapsed | ETA 1:02:05 | eval 2.5000 (best 2.5000 at step 20)';
    expect(text).toBe(`\r\x1b[K${bar}\r\x1b[K${evaluation}\n${bar}`);
    text = '';
    d.done();
    expect(text).toBe('\n');
  });

  it('prints plain lines at most once per interval off a terminal, plus evaluations and the last step', () => {
    const lines: string[] = [];
    let now = 0;
    const d = new ProgressDisplay({ write: (s: string) => lines.push(s) }, { tty: false, columns: 80, intervalMs: 1000, now: () => now });
    for (let step = 1; step <= 100; step++) {
      now = step * 100;
      d.update(p(step, step === 55 ? { evaluation: { score: 2, best: { step: 55, score: 2 } } } : {}));
    }
    expect(lines.map((l) => Number(/^step (\d+)/.exec(l)![1]))).toEqual([1, 11, 21, 31, 41, 51, 55, 65, 75, 85, 95, 100]);
    expect(lines.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
    expect(formatDuration(59_400)).toBe('0:59');
  });
});
