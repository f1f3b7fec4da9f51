// densescale bench loader: how fast and how compactly loadRetrievalData() reads an MS MARCO-sized TSV.
// It writes a generated collection (default 1 GB, MS MARCO's shape: sequential pids, ~330-byte passages,
// a query and a qrel for every 16th passage) to os.tmpdir(), loads it with nodeSource, and deletes it.
// Peak RSS comes from the kernel's high-water mark (getrusage), which the streamed generation barely
// moves. --baseline also runs the obvious JS loader (readline + Map<string, string>) in a child process,
// so both peaks are measured the same way.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { num, parse } from '../cli/args.js';
import { loadRetrievalData } from '../data/load.js';
import { nodeSource } from '../data/node.js';
import type { BenchContext } from './common.js';

export const summary = 'load a generated MS MARCO-style TSV (--size-mb, default 1024; --gzip; --baseline): MB/s, peak RSS, bytes per passage';

const MB = 1e6;
const QUERY_EVERY = 16;

/** Deterministic filler text: pieces of a small vocabulary, so generation costs little next to loading. */
function makePieces(): Buffer[] {
  const words = (
    'the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you were ' +
    'retrieval dense passage query model scaling law data training contrastive entropy encoder vector search corpus ' +
    'manhattan project communication scientific minds success café naïve 北京'
  ).split(' ');
  let state = 12345;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;
  return Array.from({ length: 4096 }, () => Buffer.from(Array.from({ length: 7 + Math.floor(next() * 11) }, () => words[Math.floor(next() * words.length)]).join(' ') + ' '));
}

async function writeLines(path: string, gzip: boolean, produce: (push: (...parts: (string | Buffer)[]) => void) => boolean): Promise<void> {
  const file = createWriteStream(path);
  let deflate: import('fflate').Gzip | null = null;
  if (gzip) {
    const { Gzip } = await import('fflate');
    deflate = new Gzip({ level: 1 }, (chunk) => file.write(chunk));
  }
  const CHUNK = 4 << 20;
  let buffer = Buffer.allocUnsafe(CHUNK + 65536);
  let used = 0;
  const push = (...parts: (string | Buffer)[]) => {
    for (const p of parts) used += typeof p === 'string' ? buffer.write(p, used) : p.copy(buffer, used);
  };
  for (let more = true; more; ) {
    while (used < CHUNK && (more = produce(push)));
    const out = buffer.subarray(0, used);
    if (deflate !== null) deflate.push(out, !more);
    else file.write(out);
    if (file.writableNeedDrain) await once(file, 'drain');
    buffer = Buffer.allocUnsafe(CHUNK + 65536);
    used = 0;
  }
  file.end();
  await once(file, 'finish');
}

/** Writes collection.tsv (≈ sizeMb), queries.train.tsv and qrels.train.tsv; returns the passage count. */
async function generate(dir: string, sizeMb: number, gzip: boolean): Promise<number> {
  const pieces = makePieces();
  const suffix = gzip ? '.gz' : '';
  let written = 0;
  let pid = 0;
  let r = 7;
  const target = sizeMb * MB;
  await writeLines(join(dir, `collection.tsv${suffix}`), gzip, (push) => {
    if (written >= target) return false;
    r = (Math.imul(r, 1664525) + 1013904223) >>> 0;
    const a = pieces[r & 4095]!;
    const b = pieces[(r >>> 12) & 4095]!;
    const c = pieces[(r >>> 20) & 4095]!;
    const d = pieces[(r >>> 8) & 4095]!;
    const e = pieces[(r >>> 4) & 4095]!;
    const id = `${pid++}\t`;
    push(id, a, b, c, d, e, '\n');
    written += id.length + a.length + b.length + c.length + d.length + e.length + 1;
    return true;
  });
  const passages = pid;
  let q = 0;
  await writeLines(join(dir, `queries.train.tsv${suffix}`), gzip, (push) => {
    if (q * QUERY_EVERY >= passages) return false;
    push(`${1_000_000_000 + q}\t`, pieces[q & 4095]!, '?\n');
    q++;
    return true;
  });
  let k = 0;
  await writeLines(join(dir, `qrels.train.tsv${suffix}`), gzip, (push) => {
    if (k * QUERY_EVERY >= passages) return false;
    push(`${1_000_000_000 + k}\t0\t${k * QUERY_EVERY}\t1\n`);
    k++;
    return true;
  });
  return passages;
}

const BASELINE = `
const fs = require('node:fs'); const readline = require('node:readline');
(async () => {
  const t0 = performance.now();
  const passages = new Map();
  const rl = readline.createInterface({ input: fs.createReadStream(process.argv[1], { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  for await (const line of rl) { const tab = line.indexOf('\\t'); passages.set(line.slice(0, tab), line.slice(tab + 1)); }
  const seconds = (performance.now() - t0) / 1000;
  globalThis.gc?.();
  const m = process.memoryUsage();
  process.stdout.write(JSON.stringify({ seconds, passages: passages.size, peakRssMb: process.resourceUsage().maxRSS / 1024, heapUsedMb: m.heapUsed / 1048576 }));
})();`;

export async function run(ctx: BenchContext): Promise<void> {
  const { values } = parse(ctx.args, { 'size-mb': { type: 'string' }, gzip: { type: 'boolean' }, baseline: { type: 'boolean' } });
  const sizeMb = num(values['size-mb'] as string | undefined, 'size-mb', ctx.quick ? 64 : 1024, { min: 1 });
  const gzip = values.gzip === true;
  const dir = mkdtempSync(join(tmpdir(), 'densescale-loader-'));
  try {
    const passages = await generate(dir, sizeMb, gzip);
    const collection = join(dir, `collection.tsv${gzip ? '.gz' : ''}`);
    const fileMb = statSync(collection).size / MB;
    const before = process.memoryUsage();
    const t0 = performance.now();
    const data = await loadRetrievalData(nodeSource(dir));
    const seconds = (performance.now() - t0) / 1000;
    (globalThis as { gc?: () => void }).gc?.();
    const after = process.memoryUsage();
    const readMb = data.report.files.reduce((n, f) => n + f.bytes, 0) / MB;
    ctx.emit({
      bench: 'loader',
      impl: 'densescale',
      format: gzip ? 'msmarco-tsv.gz' : 'msmarco-tsv',
      mb: Math.round(readMb),
      fileMb: Math.round(fileMb),
      passages,
      seconds: +seconds.toFixed(2),
      mbps: +(readMb / seconds).toFixed(1),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      heapUsedMb: Math.round(after.heapUsed / 1048576),
      arrayBuffersMb: Math.round(after.arrayBuffers / 1048576),
      // What the dataset holds per passage: its text, its offsets and id, and the queries/qrels amortised.
      bytesPerPassage: +(data.memoryBytes() / passages).toFixed(1),
      textBytesPerPassage: +(data.passageTextBytes / passages).toFixed(1),
      // Measured growth of the process (V8 heap + array buffers) per passage.
      measuredBytesPerPassage: +((after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / passages).toFixed(1),
      node: process.versions.node,
    });
    if (values.baseline === true && !gzip) {
      const child = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=16384', '-e', BASELINE, collection], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (child.status !== 0) throw new Error(`baseline loader failed: ${child.stderr}`);
      const b = JSON.parse(child.stdout) as { seconds: number; passages: number; peakRssMb: number; heapUsedMb: number };
      ctx.emit({
        bench: 'loader',
        impl: 'node-readline-map',
        format: 'msmarco-tsv',
        mb: Math.round(fileMb),
        passages: b.passages,
        seconds: +b.seconds.toFixed(2),
        mbps: +(fileMb / b.seconds).toFixed(1),
        peakRssMb: Math.round(b.peakRssMb),
        heapUsedMb: Math.round(b.heapUsedMb),
        measuredBytesPerPassage: +((b.heapUsedMb * 1048576) / b.passages).toFixed(1),
        node: process.versions.node,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
