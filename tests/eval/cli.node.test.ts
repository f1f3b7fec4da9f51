// densescale eval and embed on a tiny generated checkpoint and BEIR directory: the report equals an
// in-process evaluate() of the same model, the manifest hashes exactly the files read (and changes when
// one of them changes), embeddings round-trip bit for bit through the JSON lines, errors name the flag
// or file.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedLines, formatF32, main as embedMain } from '../../src/cli/embed.js';
import { formatReport, main as evalMain, parseEvalArgs, runEval, type EvalArgs } from '../../src/cli/eval.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { VERSION } from '../../src/gen/version.js';
import { testDevice } from '../helpers/device.js';
import { mulberry32 } from '../helpers/rand.js';
import { fixtureData, fixtureRecords, openFixture, VOCAB_TEXT } from './fixture.js';
import { writeBeirDir, writeModelDir } from './write_dirs.js';
import { stdoutOf } from '../helpers/cli.js';

const SEED = 44;
const records = fixtureRecords(SEED, 50, 20);
const FLAGS = ['--negatives', '8', '--repeats', '2', '--seed', '3', '--query-length', '12', '--passage-length', '24', '--k', '30'];

let root: string;
let modelDir: string;
let dataDir: string;
const { tokenizer, model } = await openFixture(6);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'densescale-eval-'));
  modelDir = join(root, 'model');
  dataDir = join(root, 'data');
  await writeModelDir(modelDir, model, VOCAB_TEXT);
  writeBeirDir(dataDir, records);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

async function args(extra: string[] = []): Promise<EvalArgs> {
  return (await parseEvalArgs(['--model', modelDir, '--data', dataDir, ...FLAGS, ...extra]))!;
}

describe('densescale eval', () => {
  it('prints the metrics of an in-process evaluate() of the same model, the adapter and the manifest', async () => {
    const out = await stdoutOf(() => evalMain(['--model', modelDir, '--data', dataDir, ...FLAGS, '--json']));
    const report = JSON.parse(out) as Record<string, unknown> & { manifest: Record<string, any> };
    expect(Object.keys(report)).toEqual(['contrastiveEntropy', 'mrr@10', 'ndcg@10', 'recall@10', 'recall@100', 'recall@1000', 'pairs', 'queries', 'adapter', 'manifest']);

    const direct = await evaluate(model, tokenizer, fixtureData(SEED, 50, 20), { negatives: 8, repeats: 2, seed: 3, queryLength: 12, passageLength: 24, k: 30 });
    for (const key of ['contrastiveEntropy', 'mrr@10', 'ndcg@10', 'recall@10', 'recall@100', 'recall@1000', 'pairs', 'queries'] as const) {
      expect(report[key], key).toBe(direct[key]);
    }
    const device = await testDevice();
    expect(report.adapter).toEqual({ vendor: device.info.vendor, architecture: device.info.architecture, device: device.info.device, description: device.info.description, isFallbackAdapter: device.info.isFallbackAdapter });

    const m = report.manifest;
    expect(m.densescale).toBe(VERSION);
    expect(m.settings).toEqual({ k: 30, negatives: 8, passageLength: 24, queryLength: 12, repeats: 2, seed: 3, split: 'test' });
    expect(m.model.files.map((f: { path: string }) => f.path)).toEqual(['config.json', 'model.safetensors', 'vocab.txt']);
    // Exactly the files the load read: the train qrels were not loaded, so they are not part of it.
    expect(m.data.files.map((f: { path: string }) => f.path)).toEqual(['corpus.jsonl', 'qrels/test.tsv', 'queries.jsonl']);
    for (const f of m.model.files) expect(f.sha256, f.path).toBe(sha256(join(modelDir, f.path)));
    for (const f of m.data.files) {
      expect(f.sha256, f.path).toBe(sha256(join(dataDir, f.path)));
      expect(f.bytes).toBe(readFileSync(join(dataDir, f.path)).length);
    }
    expect(m.model.initialised).toEqual([]);
    expect(m.runtime.runtime).toBe('node');
    expect(m.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('the manifest changes when a data or checkpoint file changes, and only then', async () => {
    const first = await runEval(await args());
    const again = await runEval(await args());
    expect(again.manifest.id).toBe(first.manifest.id);
    expect(again.contrastiveEntropy).toBe(first.contrastiveEntropy);

    const corpus = join(dataDir, 'corpus.jsonl');
    const original = readFileSync(corpus);
    try {
      appendFileSync(corpus, `${JSON.stringify({ _id: 'extra', title: '', text: 'a new passage' })}\n`);
      const changed = await runEval(await args());
      expect(changed.manifest.id).not.toBe(first.manifest.id);
      const digest = (r: typeof first, path: string) => r.manifest.data.files.find((f) => f.path === path)!.sha256;
      expect(digest(changed, 'corpus.jsonl')).not.toBe(digest(first, 'corpus.jsonl'));
      expect(digest(changed, 'queries.jsonl')).toBe(digest(first, 'queries.jsonl'));
      expect(changed.manifest.model.files).toEqual(first.manifest.model.files);
    } finally {
      writeFileSync(corpus, original);
    }
    // Rewriting config.json (same config, other whitespace) changes its digest but not the numbers.
    const config = join(modelDir, 'config.json');
    const configText = readFileSync(config, 'utf8');
    try {
      writeFileSync(config, JSON.stringify(JSON.parse(configText)));
      const rewritten = await runEval(await args());
      expect(rewritten.manifest.id).not.toBe(first.manifest.id);
      expect(rewritten.manifest.model.files[0]!.sha256).not.toBe(first.manifest.model.files[0]!.sha256);
      expect(rewritten.manifest.model.files.slice(1)).toEqual(first.manifest.model.files.slice(1));
      expect(rewritten.contrastiveEntropy).toBe(first.contrastiveEntropy);
    } finally {
      writeFileSync(config, configText);
    }
    // A different setting is a different evaluation too.
    expect((await runEval(await args(['--seed', '4']))).manifest.id).not.toBe(first.manifest.id);
  });

  it('prints a readable report without --json', async () => {
    const report = await runEval(await args());
    const text = formatReport(report);
    expect(text).toMatch(/^contrastive entropy {2}\d+\.\d{4} nats \(\d+\.\d{4} bits\): \d+ pairs × 2 repeats, 8 negatives, seed 3$/m);
    expect(text).toMatch(/MRR@10 \d\.\d{4} {3}NDCG@10/);
    expect(text).toContain(`manifest ${report.manifest.id}: densescale ${VERSION}`);
    expect(text).toContain(report.manifest.data.files[0]!.sha256);
  });

  it('names the bad flag, directory or file', async () => {
    await expect(evalMain(['--data', dataDir])).rejects.toThrow(/--model is required/);
    await expect(evalMain(['--model', modelDir, '--data', join(root, 'nope')])).rejects.toThrow(/--data: cannot read ".*nope" \(ENOENT\)/);
    await expect(evalMain(['--model', join(modelDir, 'config.json'), '--data', dataDir])).rejects.toThrow(/--model: ".*config.json" is not a directory/);
    await expect(evalMain(['--model', modelDir, '--data', dataDir, '--negatives', 'many'])).rejects.toThrow(/--negatives: "many" is not an integer/);
    await expect(evalMain(['--model', modelDir, '--data', dataDir, '--split', 'dev'])).rejects.toThrow(/split "dev"/);
    await expect(evalMain(['--model', modelDir, '--data', dataDir, ...FLAGS, '--k', '2000'])).rejects.toThrow(/^k: must be an integer in \[1, 1024\]/);
    const broken = join(root, 'broken');
    await writeModelDir(broken, model, VOCAB_TEXT.replace('[MASK]\n', ''));
    await expect(evalMain(['--model', broken, '--data', dataDir])).rejects.toThrow(/broken\/vocab.txt: the vocabulary has \d+ tokens but config.json says vocab_size/);
    rmSync(join(broken, 'model.safetensors'));
    await expect(evalMain(['--model', broken, '--data', dataDir])).rejects.toThrow(/broken\/model.safetensors: missing/);
    expect(await stdoutOf(() => evalMain(['--help']))).toMatch(/^usage: densescale eval --model <dir> --data <dir>/);
  });
});

describe('densescale embed', () => {
  it('writes each line’s embedding as a JSON array that reads back to the same f32 bits', async () => {
    const lines = [...records.queries.slice(0, 9).map((q) => q.text), '', 'gpu kernel matrix'];
    for (const [tower, maxLength] of [['query', 12], ['passage', 24]] as const) {
      const input = new PassThrough();
      const output = new PassThrough();
      let text = '';
      output.on('data', (c: Buffer) => (text += c.toString()));
      const done = embedLines(model, tokenizer, input, output, { tower, maxLength });
      input.end(lines.join('\n') + '\n');
      expect(await done).toBe(lines.length);
      const got = text.trimEnd().split('\n').map((l) => JSON.parse(l) as number[]);
      const b = tokenizer.encodeBatch(lines, { maxLength, padding: 'max_length' });
      const want = await model.embed(tower, b.ids, b.mask, lines.length, maxLength);
      const D = model.embeddingSize;
      expect(got.length).toBe(lines.length);
      got.forEach((row, i) => expect(Float32Array.from(row), `${tower} line ${i}`).toEqual(want.subarray(i * D, (i + 1) * D)));
    }
  });

  it('formats f32 values with the fewest digits that read back exactly', () => {
    const r = mulberry32(5);
    for (let i = 0; i < 2000; i++) {
      const x = Math.fround((r() - 0.5) * 10 ** Math.floor(r() * 20 - 10));
      const s = formatF32(x);
      expect(Math.fround(Number(s)), s).toBe(x);
      expect(s.replace(/^-?0?\.?0*|e.*$|\./g, '').length, s).toBeLessThanOrEqual(9);
    }
    expect(formatF32(Math.fround(0.1))).toBe('0.1');
    expect(formatF32(0)).toBe('0');
    expect(formatF32(NaN)).toBe('null');
  });

  it('names the bad flag', async () => {
    await expect(embedMain([])).rejects.toThrow(/--model is required/);
    await expect(embedMain(['--model', join(root, 'nope')])).rejects.toThrow(/--model: cannot read/);
    await expect(embedMain(['--model', modelDir, '--max-length', '1'])).rejects.toThrow(/--max-length: "1" is not an integer ≥ 2/);
    await expect(embedMain(['--model', modelDir, '--max-length', '65'])).rejects.toThrow(/--max-length: 65 exceeds the model's max_position_embeddings 64/);
  });
});
