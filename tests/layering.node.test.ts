// Enforces who may import whom inside src/ (DESIGN.md §3.2, as amended in docs/ARCHITECTURE.md): the
// layering that keeps kernels testable without models, fitting usable without a GPU, and the library
// portable to browsers (Node built-ins only in Node-only modules).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '..', 'src');

const ALLOWED: Record<string, string[]> = {
  errors: [],
  util: ['errors'],
  platform: ['util', 'errors'],
  gen: ['gpu'],
  gpu: ['platform', 'util', 'errors', 'gen'],
  wasm: ['util', 'errors', 'gen'],
  ref: ['util'],
  ops: ['gpu', 'util', 'errors'],
  tokenizer: ['wasm', 'platform', 'util', 'errors'],
  data: ['tokenizer', 'wasm', 'platform', 'util', 'errors'],
  model: ['ops', 'gpu', 'util', 'errors', 'tokenizer'],
  train: ['model', 'data', 'tokenizer', 'ops', 'gpu', 'util', 'errors', 'eval'],
  eval: ['model', 'data', 'tokenizer', 'ops', 'gpu', 'util', 'errors'],
  scaling: ['util', 'errors'],
  report: ['scaling', 'util', 'errors'],
  // Annotation methods turn a corpus into training pairs: text and data only, no GPU.
  annotate: ['data', 'tokenizer', 'util', 'errors'],
  sweep: ['train', 'eval', 'model', 'data', 'tokenizer', 'annotate', 'scaling', 'gpu', 'util', 'errors'],
  io: ['util', 'errors'],
  // Benchmarks are CLI subcommands (densescale bench <name>) and parse their flags with cli/args.
  bench: ['gpu', 'ops', 'ref', 'model', 'train', 'eval', 'data', 'tokenizer', 'wasm', 'platform', 'scaling', 'sweep', 'util', 'errors', 'io', 'cli'],
  cli: ['*'],
  // densescale/node: the Node-only front door (files, the embedded WordNet, model folders).
  node: ['data', 'train', 'io'],
};
// Modules that may use Node built-ins; everything else must run in a browser.
const NODE_ONLY = /^(io|cli|bench)\/|_node\.ts$|(^|\/)node\.ts$/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [
    ...src.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/gm),
    ...src.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
    ...src.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
}

const moduleOf = (file: string) => relative(SRC, file).split('/')[0]!.replace(/\.ts$/, '');

describe('layering', () => {
  const all = files(SRC).filter((f) => !f.includes('/gen/'));

  it('every module is in the table', () => {
    const unknown = [...new Set(all.map(moduleOf))].filter((m) => !(m in ALLOWED) && m !== 'index');
    expect(unknown, 'add new src/ folders to ALLOWED with a reason').toEqual([]);
  });

  it('the front door index.ts reaches no Node-only module, so it bundles for browsers', () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of imports(file)) {
        if (!spec.startsWith('.')) continue;
        visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      }
    };
    visit(join(SRC, 'index.ts'));
    const nodeOnly = [...seen].map((f) => relative(SRC, f)).filter((f) => NODE_ONLY.test(f) || f === 'node.ts');
    expect(nodeOnly).toEqual([]);
  });

  it('imports follow the allowed edges; nothing imports index.ts', () => {
    const bad: string[] = [];
    for (const f of all) {
      const from = moduleOf(f);
      for (const spec of imports(f)) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(f), spec.replace(/\.js$/, '.ts'));
        const to = moduleOf(target);
        if (to === 'index') bad.push(`${relative(SRC, f)} imports index.ts`);
        else if (to !== from && from !== 'index' && !ALLOWED[from]!.includes('*') && !ALLOWED[from]!.includes(to)) bad.push(`${relative(SRC, f)} → ${spec} (${from} → ${to})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('only Node-only modules import Node built-ins', () => {
    const bad = all.filter((f) => !NODE_ONLY.test(relative(SRC, f))).flatMap((f) => imports(f).filter((s) => s.startsWith('node:')).map((s) => `${relative(SRC, f)} imports ${s}`));
    expect(bad).toEqual([]);
  });
});
