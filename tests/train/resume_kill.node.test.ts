// Resume after kill -9, for real: `densescale train` runs as a child process (the CLI bundled from the
// sources, with its stderr-filtering parent, as users run it) and is SIGKILLed — its whole process group,
// so the worker dies mid-instruction — at several moments: during start-up, at random times, and while
// a checkpoint directory is being written. Each time the same command is started again. The run must end
// with files byte-identical to an uninterrupted run's: the exported model, and the checkpoint's weights,
// AdamW moments and best-so-far weights.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../helpers/rand.js';
import { fixtureRecords } from './fixture.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'densescale-resume-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function writeBeir(dir: string): void {
  const r = fixtureRecords();
  mkdirSync(join(dir, 'qrels'), { recursive: true });
  writeFileSync(join(dir, 'corpus.jsonl'), r.passages.map((p) => JSON.stringify({ _id: p.id, title: '', text: p.text })).join('\n') + '\n');
  writeFileSync(join(dir, 'queries.jsonl'), r.queries.map((q) => JSON.stringify({ _id: q.id, text: q.text })).join('\n') + '\n');
  for (const [split, list] of Object.entries(r.qrels)) {
    writeFileSync(join(dir, 'qrels', `${split}.tsv`), `query-id\tcorpus-id\tscore\n${list.map((x) => `${x.queryId}\t${x.passageId}\t1`).join('\n')}\n`);
  }
}

async function bundleCli(): Promise<string> {
  const outfile = join(ROOT, 'dist', 'train-test', 'cli.mjs');
  await build({ entryPoints: [join(ROOT, 'src', 'cli', 'main.ts')], bundle: true, format: 'esm', platform: 'node', external: ['webgpu'], outfile, logLevel: 'error' });
  return outfile;
}

const STEPS = 60;
const args = (data: string, out: string) => [
  'train', '--data', data, '--model', 'cpu-1', '--out', out, '--steps', String(STEPS), '--batch', '4', '--negatives', '4',
  '--query-length', '8', '--passage-length', '12', '--vocab-size', '100', '--lr', '3e-3', '--warmup', '3', '--seed', '7',
  '--checkpoint-every', '2', '--eval-every', '8', '--eval-pairs', '6', '--eval-negatives', '8', '--log-every', '1', '--json',
];

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** A checkpoint write was in progress (its temporary directory existed) when the kill landed. */
  killedMidWrite: boolean;
}

/** After `ms` milliseconds; or when this process begins its `write`-th checkpoint write, `delay` ms later (default 0: inside the write). */
type KillPoint = { ms: number } | { write: number; delay?: number };

/** Runs the CLI and SIGKILLs its process group at `killWhen` (never, if null). */
function runCli(cli: string, argv: string[], out: string, killWhen: KillPoint | null): Promise<Outcome> {
  mkdirSync(out, { recursive: true });
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [cli, ...argv], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let killed = false;
    let killedMidWrite = false;
    const kill = () => {
      if (killed || child.exitCode !== null) return;
      killed = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      killedMidWrite = readdirSync(out).some((n) => n.startsWith('.checkpoint.tmp-'));
    };
    let writes = 0;
    let timer: NodeJS.Timeout | null = killWhen !== null && 'ms' in killWhen ? setTimeout(kill, killWhen.ms) : null;
    const watcher = killWhen !== null && 'write' in killWhen
      ? watch(out, (_event, name) => {
          if (!(name?.startsWith('.checkpoint.tmp-') && readdirSync(out).includes(name) && ++writes === killWhen.write)) return;
          if (killWhen.delay) timer = setTimeout(kill, killWhen.delay);
          else kill();
        })
      : null;
    child.on('error', rej);
    child.on('close', (code, signal) => {
      watcher?.close();
      if (timer !== null) clearTimeout(timer);
      res({ code, signal, stdout, stderr, killedMidWrite });
    });
  });
}

function files(dir: string): Record<string, Buffer> {
  return Object.fromEntries(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n))]));
}

interface Setup {
  cli: string;
  data: string;
  reference: { model: Record<string, Buffer>; checkpoint: Record<string, Buffer> };
}

let setup: Promise<Setup> | null = null;

/** The bundled CLI, the data folder and the files of an uninterrupted run, made once. */
function prepare(): Promise<Setup> {
  setup ??= (async () => {
    const data = join(work, 'data');
    writeBeir(data);
    const cli = await bundleCli();
    const straightOut = join(work, 'straight');
    const straight = await runCli(cli, args(data, straightOut), straightOut, null);
    expect(straight.code, straight.stderr).toBe(0);
    expect(JSON.parse(straight.stdout)).toMatchObject({ steps: STEPS, resumedFrom: null, bestStep: expect.any(Number) });
    return { cli, data, reference: { model: files(join(straightOut, 'model')), checkpoint: files(join(straightOut, 'checkpoint')) } };
  })();
  return setup;
}

function expectSameAsReference(out: string, reference: Setup['reference']): void {
  const got = { model: files(join(out, 'model')), checkpoint: files(join(out, 'checkpoint')) };
  expect(Object.keys(got.model).sort()).toEqual(Object.keys(reference.model).sort());
  for (const name of ['model.safetensors', 'config.json', 'vocab.txt']) expect(got.model[name]!.equals(reference.model[name]!), `model/${name}`).toBe(true);
  for (const name of ['model.safetensors', 'optimizer.safetensors', 'best.safetensors']) expect(got.checkpoint[name]!.equals(reference.checkpoint[name]!), `checkpoint/${name}`).toBe(true);
}

describe('densescale train resumes after kill -9', () => {
  it('ends bit-identical to an uninterrupted run', async () => {
    const { cli, data, reference } = await prepare();

    const out = join(work, 'killed');
    const r = mulberry32(Number(process.env.DENSESCALE_TEST_SEED ?? 20240));
    // During start-up, inside checkpoint writes, and at random moments between them. Each process gets
    // at most three checkpoints in (6 steps) before its kill, so every kill lands before the run is over.
    const plan: KillPoint[] = [
      { ms: 200 + Math.floor(r() * 600) },
      { write: 1 + Math.floor(r() * 2) },
      { write: 1, delay: Math.floor(r() * 300) },
      { write: 2 + Math.floor(r() * 2) },
      { write: 1, delay: Math.floor(r() * 300) },
      { write: 2 },
    ];
    const log: string[] = [];
    let midWrite = 0;
    for (const when of plan) {
      const o = await runCli(cli, args(data, out), out, when);
      log.push(`${JSON.stringify(when)} → ${o.signal ?? `exit ${o.code}`}${o.killedMidWrite ? ' (mid-write)' : ''}`);
      if (o.signal === null) {
        expect(o.code, o.stderr).toBe(0); // finished before the kill: fine, nothing left to resume
        break;
      }
      // Only a kill aimed at a write counts: there the temporary directory is this process's own.
      if ('write' in when && !when.delay && o.killedMidWrite) midWrite++;
    }
    const last = await runCli(cli, args(data, out), out, null);
    log.push(`final → exit ${last.code}`);
    console.log(`resume after kill -9: ${log.join('; ')}`);
    expect(last.code, last.stderr).toBe(0);
    const result = JSON.parse(last.stdout) as { steps: number; resumedFrom: number | null };
    expect(result.steps).toBe(STEPS);
    expect(result.resumedFrom, 'the last start resumed from a checkpoint').toBeGreaterThan(0);
    expect(midWrite, `kills that landed inside a checkpoint write (${log.join('; ')})`).toBeGreaterThan(0);

    expectSameAsReference(out, reference);
    // No half-written directory is left behind.
    expect(readdirSync(out).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('Ctrl-C (SIGINT to the process group, as a terminal sends it) stops after a step with a checkpoint; rerunning finishes the same run', async () => {
    const { cli, data, reference } = await prepare();
    const out = join(work, 'interrupted');
    mkdirSync(out, { recursive: true });
    const child = spawn(process.execPath, [cli, ...args(data, out)], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Interrupt once the first checkpoint exists, i.e. mid-run.
    const watcher = watch(out, (_e, name) => {
      if (name === 'checkpoint' && readdirSync(out).includes('checkpoint')) {
        watcher.close();
        process.kill(-child.pid!, 'SIGINT');
      }
    });
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    watcher.close();
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/stopping after the current step/);
    expect(stderr).toMatch(/AbortError: training stopped after step (\d+) of 60; the checkpoint resumes it: rerun the same command to continue/);
    const stoppedAt = Number(/stopped after step (\d+)/.exec(stderr)![1]);
    expect(stoppedAt).toBeLessThan(STEPS);
    const again = await runCli(cli, args(data, out), out, null);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ steps: STEPS, resumedFrom: stoppedAt });
    expectSameAsReference(out, reference);
  });
});
