// `densescale sweep --config` end to end on the micro task written as a BEIR directory: rows appended to
// runs.jsonl, a rerun that skips every finished run, --plan, config errors named by field; and the file
// checkpoint store (atomic directory per run) round trip.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main as sweepMain } from '../../src/cli/sweep.js';
import { fileCheckpointStore, readRows } from '../../src/cli/sweep_io.js';
import { ConfigError } from '../../src/errors.js';
import type { RunState } from '../../src/sweep/run.js';
import { microRecords, microTask } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'densescale-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function capture(run: () => Promise<void>): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
  try {
    await run();
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  return { out, err };
}

function writeTask(): void {
  const records = microRecords();
  mkdirSync(join(dir, 'data', 'qrels'), { recursive: true });
  const jsonl = (rows: object[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
  writeFileSync(join(dir, 'data', 'corpus.jsonl'), jsonl(records.passages.map((p) => ({ _id: p.id, text: p.text }))));
  writeFileSync(join(dir, 'data', 'queries.jsonl'), jsonl(records.queries.map((q) => ({ _id: q.id, text: q.text }))));
  for (const [split, rows] of Object.entries(records.qrels)) {
    writeFileSync(join(dir, 'data', 'qrels', `${split}.tsv`), `query-id\tcorpus-id\tscore\n${rows.map((r) => `${r.queryId}\t${r.passageId}\t1`).join('\n')}\n`);
  }
  writeFileSync(join(dir, 'llm.jsonl'), jsonl(records.qrels.train.slice(0, 50).map((r, i) => ({ query: `generated question ${i}`, passage_id: r.passageId }))));
}

const CONFIG = {
  name: 'cli micro',
  data: { source: 'dir', path: 'data' },
  tokenizer: { vocab: 'vocab.txt' },
  methods: { llm: { file: 'llm.jsonl' } },
  shapes: { micro: { layers: 1, hidden: 8, heads: 1 } },
  grid: { preset: ['micro'], pairs: [20, 40], method: ['human', 'llm'] },
  model: { maxPositions: 16, projection: 0, pooler: false },
  train: { steps: 4, batchSize: 4, negatives: 2, queryLength: 8, passageLength: 16, learningRate: 1e-2 },
  eval: { negatives: 8, repeats: 1, queryLength: 8, passageLength: 16, pool: 30 },
};

describe('densescale sweep', () => {
  it('appends a row per run, skips finished runs on a rerun, and plans without training', async () => {
    writeTask();
    writeFileSync(join(dir, 'vocab.txt'), (await microTask()).vocab);
    const configPath = join(dir, 'sweep.json');
    writeFileSync(configPath, JSON.stringify(CONFIG));
    const out = join(dir, 'out');
    const first = await capture(() => sweepMain(['--config', configPath, '--out', out]));
    expect(first.out).toContain('4 runs finished, 0 already done');
    const rows = readRows(join(out, 'runs.jsonl'));
    expect(rows.map((r) => `${r.method}/${r.pairs}`).sort()).toEqual(['human/20', 'human/40', 'llm/20', 'llm/40']);
    expect(new Set(rows.map((r) => r.id)).size).toBe(4);
    expect(rows.every((r) => Number.isFinite(r.loss) && r.params === 8 * 8 * 12 + 13 * 8)).toBe(true);
    expect(first.err).toMatch(/\[4\/4\] 4 runs done/);
    // Finished runs leave no checkpoint behind.
    expect(existsSync(join(out, 'checkpoints')) ? readdirSync(join(out, 'checkpoints')) : []).toEqual([]);

    const second = await capture(() => sweepMain(['--config', configPath, '--out', out]));
    expect(second.out).toContain('0 runs finished, 4 already done');
    expect(readRows(join(out, 'runs.jsonl'))).toEqual(rows);

    const plan = await capture(() => sweepMain(['--config', configPath, '--out', out, '--plan']));
    const lines = plan.out.trim().split('\n');
    expect(lines[0]).toBe('id\tpreset\tpairs\tmethod\tseed\tparams\tdone');
    expect(lines.slice(1).map((l) => l.split('\t')[6])).toEqual(['yes', 'yes', 'yes', 'yes']);
  });

  it('names the bad field of a config before loading anything', async () => {
    const bad = (patch: Record<string, unknown>, message: RegExp) => {
      const path = join(dir, 'bad.json');
      writeFileSync(path, JSON.stringify({ ...CONFIG, ...patch }));
      return expect(sweepMain(['--config', path, '--out', join(dir, 'bad-out')])).rejects.toThrow(message);
    };
    await bad({ grid: { preset: ['micro', 'cpu-1', 'x'], pairs: [20] } }, /grid\.preset\[2\]: unknown preset "x"/);
    await bad({ methods: { llm: { file: 'missing.jsonl' } } }, /methods\.llm\.file: cannot read/);
    await bad({ data: { source: 'web' } }, /data\.source: expected "wordnet" or "dir"/);
    await bad({ tokenizer: { train: { vocabSize: 3 } } }, /tokenizer\.train\.vocabSize/);
    await expect(sweepMain(['--config', join(dir, 'bad.json'), '--out', join(dir, 'bad-out')])).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('fileCheckpointStore', () => {
  it('round-trips a run state through an atomic directory and clears it', async () => {
    const store = fileCheckpointStore(join(dir, 'ckpt', 'abc'));
    expect(await store.load()).toBeNull();
    const state: RunState = {
      step: 30,
      params: Float32Array.from([1, -2.5, 3e-8]),
      m: Float32Array.from([0.1, 0.2, 0.3]),
      v: Float32Array.from([1e-9, 0, 4]),
      best: { step: 20, loss: 1.25, params: Float32Array.from([0.5, 0.25, -1]) },
      validation: [{ step: 10, loss: 1.5 }, { step: 20, loss: 1.25 }, { step: 30, loss: 1.3 }],
      trainLoss: [{ step: 10, loss: 2 }],
      trainMs: 1234.5,
      stoppedEarly: true,
    };
    await store.save(state);
    expect(await store.load()).toEqual(state);
    await store.save({ ...state, step: 40, best: null, stoppedEarly: undefined });
    const later = (await store.load())!;
    expect([later.step, later.best, later.stoppedEarly]).toEqual([40, null, undefined]);
    await store.clear();
    expect(await store.load()).toBeNull();
  });

  it('rejects a directory that is not a run checkpoint', async () => {
    const path = join(dir, 'ckpt', 'foreign');
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'state.json'), '{"magic":"something-else"}');
    await expect(fileCheckpointStore(path).load()).rejects.toThrow(/not a version 1 run checkpoint/);
  });
});
