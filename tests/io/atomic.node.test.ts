import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { appendJsonlAtomic, recoverDir, writeDirAtomic, writeFileAtomic } from '../../src/io/atomic.js';
import { canonicalJson, sha256Hex, stableId } from '../../src/util/hash.js';

describe('atomic writes', () => {
  it('replaces a file and leaves no temporary behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-atomic-'));
    const f = join(dir, 'a.json');
    writeFileAtomic(f, 'one');
    writeFileAtomic(f, 'two');
    expect(readFileSync(f, 'utf8')).toBe('two');
    expect(readdirSync(dir)).toEqual(['a.json']);
  });

  it('a reader never sees a torn file while a writer is killed mid-loop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-atomic-'));
    const f = join(dir, 'big.bin');
    // A child rewrites a 4 MB file of one repeated byte in a loop, printing a line after each completed
    // write; it is SIGKILLed at staggered moments after its first write, mid-way through later ones.
    const child = join(dir, 'writer.mjs');
    buildSync({
      stdin: {
        contents: `import { writeFileAtomic } from './src/io/atomic.ts';
          for (let i = 0; ; i++) { writeFileAtomic(${JSON.stringify(f)}, new Uint8Array(4 << 20).fill(i % 251)); process.stdout.write('w\\n'); }`,
        resolveDir: new URL('../..', import.meta.url).pathname,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: child,
      logLevel: 'error',
    });
    for (const delayMs of [0, 7, 23, 61]) {
      const proc = spawn(process.execPath, [child], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => proc.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, delayMs));
      proc.kill('SIGKILL');
      await new Promise((r) => proc.once('exit', r));
      const b = readFileSync(f);
      expect(b.length, `killed ${delayMs} ms after the first write`).toBe(4 << 20);
      expect(b.every((x) => x === b[0])).toBe(true);
      // A killed writer leaves at most its one unfinished temporary (named by its pid); earlier writers'
      // leftovers stay until a store's stale-temporary cleanup, so count this writer's only.
      expect(readdirSync(dir).filter((n) => n.startsWith(`.big.bin.tmp-${proc.pid}-`)).length).toBeLessThanOrEqual(1);
    }
  });

  it('swaps a directory as a whole and recovers an interrupted swap', () => {
    const base = mkdtempSync(join(tmpdir(), 'ds-atomic-'));
    const d = join(base, 'ckpt');
    writeDirAtomic(d, { 'a.txt': '1', 'b.txt': '1' });
    writeDirAtomic(d, { 'a.txt': '2', 'b.txt': '2' });
    expect(readFileSync(join(d, 'a.txt'), 'utf8') + readFileSync(join(d, 'b.txt'), 'utf8')).toBe('22');
    expect(readdirSync(base)).toEqual(['ckpt']);
    // Simulate a kill between the two renames: only ckpt.old exists.
    renameSync(d, `${d}.old`);
    expect(recoverDir(d)).toBe(d);
    expect(readFileSync(join(d, 'b.txt'), 'utf8')).toBe('2');
    mkdirSync(`${d}.old`);
    expect(recoverDir(d)).toBe(d);
    expect(existsSync(`${d}.old`)).toBe(false);
  });

  it('appends JSON lines, repairing a missing final newline', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'ds-atomic-')), 'runs.jsonl');
    appendJsonlAtomic(f, { a: 1 });
    writeFileSync(f, readFileSync(f, 'utf8').trimEnd());
    appendJsonlAtomic(f, { b: 2 });
    expect(readFileSync(f, 'utf8')).toBe('{"a":1}\n{"b":2}\n');
  });
});

describe('hashing', () => {
  it('matches the SHA-256 test vector and gives key-order independent ids', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: 'x' })).toBe('{"a":"x","b":[1,{"c":2,"d":1}]}');
    expect(await stableId({ x: 1, y: 2 })).toBe(await stableId({ y: 2, x: 1 }));
    expect(await stableId({ x: 1 })).not.toBe(await stableId({ x: 2 }));
  });
});
