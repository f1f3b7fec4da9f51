// shaders/*.wgsl → src/gen/shaders.ts
//
// Every WGSL file is valid WGSL as written (no templates). This script extracts what the TS side needs
// to launch a kernel without repeating it by hand: entry points, the bindings each entry point really
// uses (so bind-group layouts are exact), the Params uniform field order, and override names with their
// defaults. It also enforces the conventions of DESIGN.md §3.3, so a broken convention fails the build
// rather than a test three layers up.
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shaderDir = join(root, 'shaders');
const outFile = join(root, 'src', 'gen', 'shaders.ts');

// Forward kernels that have no backward file, each with the reason.
const FORWARD_ONLY = new Map([
  ['residual_forward', 'its backward is the identity: the launcher reuses the gradient buffer'],
  ['contrastive_eval_forward', 'evaluation only'],
  ['topk_forward', 'retrieval only'],
  ['elementwise_forward', 'foundation probe kernel, no gradient needed'],
]);

class ConventionError extends Error {}

function fail(file, msg) {
  throw new ConventionError(`shaders/${file}: ${msg}`);
}

/** Strips comments but keeps line structure, so reported positions still match the file. */
function stripComments(src) {
  return src.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/\/\/[^\n]*/g, '');
}

/** Returns the brace-balanced body that starts at the first '{' at or after `from`. */
function braceBody(src, from) {
  const open = src.indexOf('{', from);
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    if (src[i] === '{') depth++;
    else if (src[i] === '}' && --depth === 0) return src.slice(open + 1, i);
  }
  return src.slice(open + 1);
}

function parseShader(file, text) {
  const code = stripComments(text);
  const stem = basename(file, '.wgsl');

  const header = text.split('\n').slice(0, 3);
  if (!header[0]?.startsWith(`// ${stem}`)) fail(file, `the first line must be a header comment starting "// ${stem}"`);
  if (!/reference:|no reference/.test(text.split('\n').slice(0, 20).join('\n'))) {
    fail(file, 'the header must name its CPU reference ("reference: src/ref/<op>.ts <fn>")');
  }

  // Params uniform: 4-byte scalars only (no vec3 padding traps).
  const params = [];
  const ps = /struct\s+Params\s*\{([^}]*)\}/.exec(code);
  if (ps) {
    for (const field of ps[1].split(',').map((s) => s.trim()).filter(Boolean)) {
      const m = /^(\w+)\s*:\s*(\w+)$/.exec(field);
      if (!m) fail(file, `Params field "${field}" is not "name: type"`);
      if (!['u32', 'i32', 'f32'].includes(m[2])) fail(file, `Params field ${m[1]} has type ${m[2]}; only u32, i32 and f32 are allowed`);
      params.push([m[1], m[2]]);
    }
  }

  const overrides = {};
  for (const m of code.matchAll(/override\s+(\w+)\s*:\s*(\w+)\s*(?:=\s*([^;]+))?;/g)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(m[1])) fail(file, `override ${m[1]} must be UPPER_SNAKE`);
    overrides[m[1]] = m[3] === undefined ? null : Number(m[3].replace(/u$|f$/, ''));
  }

  const bindings = [];
  for (const m of code.matchAll(/@group\((\d+)\)\s*@binding\((\d+)\)\s*var(?:<([^>]+)>)?\s+(\w+)\s*:/g)) {
    if (m[1] !== '0') fail(file, `binding ${m[4]} is in group ${m[1]}; everything lives in @group(0)`);
    const space = (m[3] ?? '').replace(/\s/g, '');
    let kind;
    if (space === 'uniform') kind = 'uniform';
    else if (space === 'storage' || space === 'storage,read') kind = 'read';
    else if (space === 'storage,read_write') kind = 'read_write';
    else fail(file, `binding ${m[4]} has unsupported address space <${m[3]}>`);
    bindings.push({ binding: Number(m[2]), name: m[4], kind });
  }
  bindings.sort((a, b) => a.binding - b.binding);
  if (ps && (bindings[0]?.name !== 'p' || bindings[0].binding !== 0 || bindings[0].kind !== 'uniform')) {
    fail(file, '@binding(0) must be "var<uniform> p: Params"');
  }
  let seenRead = false;
  for (const b of bindings.slice(ps ? 1 : 0)) {
    if (b.kind === 'read') seenRead = true;
    else if (b.kind === 'read_write' && seenRead) fail(file, `binding ${b.name}: outputs (read_write) come before inputs (read)`);
  }

  // Functions and what they reference, to find the bindings each entry point uses.
  const fns = new Map();
  for (const m of code.matchAll(/\bfn\s+(\w+)\s*\(/g)) fns.set(m[1], braceBody(code, m.index));
  const idents = (body) => new Set(body.match(/\b[A-Za-z_]\w*\b/g) ?? []);
  const entries = [];
  for (const m of code.matchAll(/@compute\s*@workgroup_size\(([^)]*)\)\s*fn\s+(\w+)/g)) {
    const name = m[2];
    if (name !== stem && !name.startsWith(`${stem}_`)) fail(file, `entry point ${name} must be named ${stem} or ${stem}_<phase>`);
    const used = new Set();
    const seen = new Set();
    const visit = (fn) => {
      if (seen.has(fn)) return;
      seen.add(fn);
      for (const id of idents(fns.get(fn) ?? '')) {
        used.add(id);
        if (fns.has(id)) visit(id);
      }
    };
    visit(name);
    entries.push({
      name,
      workgroupSize: m[1].split(',').map((s) => s.trim()),
      bindings: bindings.filter((b) => used.has(b.name)).map((b) => b.binding),
    });
  }
  if (entries.length === 0) fail(file, 'no @compute entry point');
  return { stem, code: text, params, overrides, bindings, entries };
}

export function generate() {
  const files = readdirSync(shaderDir).filter((f) => f.endsWith('.wgsl')).sort();
  const shaders = files.map((f) => parseShader(f, readFileSync(join(shaderDir, f), 'utf8')));
  const stems = new Set(shaders.map((s) => s.stem));
  for (const s of shaders) {
    if (s.stem.endsWith('_forward') && !FORWARD_ONLY.has(s.stem)) {
      const back = s.stem.replace(/_forward$/, '_backward');
      if (!stems.has(back)) fail(`${s.stem}.wgsl`, `trainable op has no ${back}.wgsl (or list it in FORWARD_ONLY with a reason)`);
    }
  }
  // WGSL has no includes, so helpers such as the deterministic exp are copied into each file that needs
  // them. A helper defined in several files must be the same text everywhere, or one copy has drifted.
  const helperText = new Map();
  for (const s of shaders) {
    const code = stripComments(s.code);
    for (const m of code.matchAll(/\bfn\s+(\w+)\s*\(/g)) {
      if (s.entries.some((e) => e.name === m[1])) continue;
      const text = code.slice(m.index, code.indexOf('{', m.index)) + braceBody(code, m.index);
      const norm = text.replace(/\s+/g, ' ').trim();
      const prev = helperText.get(m[1]);
      if (prev && prev.norm !== norm) fail(`${s.stem}.wgsl`, `helper fn ${m[1]} differs from its copy in ${prev.file}.wgsl; keep copies identical`);
      if (!prev) helperText.set(m[1], { norm, file: s.stem });
    }
  }
  const entryOwners = new Map();
  for (const s of shaders) {
    for (const e of s.entries) {
      if (entryOwners.has(e.name)) fail(`${s.stem}.wgsl`, `entry point ${e.name} also defined in ${entryOwners.get(e.name)}.wgsl`);
      entryOwners.set(e.name, s.stem);
    }
  }

  const lines = [
    '// GENERATED by build/gen_shaders.mjs from shaders/*.wgsl. Do not edit.',
    "import type { ShaderSource } from '../gpu/shader_types.js';",
    '',
    'export const SHADERS: Readonly<Record<string, ShaderSource>> = {',
  ];
  for (const s of shaders) {
    lines.push(`  ${JSON.stringify(s.stem)}: {`);
    lines.push(`    name: ${JSON.stringify(s.stem)},`);
    lines.push(`    code: ${JSON.stringify(s.code)},`);
    lines.push(`    params: ${JSON.stringify(s.params)},`);
    lines.push(`    overrides: ${JSON.stringify(s.overrides)},`);
    lines.push(`    bindings: ${JSON.stringify(s.bindings)},`);
    lines.push(`    entries: ${JSON.stringify(s.entries)},`);
    lines.push('  },');
  }
  lines.push('};', '');
  lines.push('/** Entry point name → file stem. */');
  lines.push(`export const ENTRY_FILES: Readonly<Record<string, string>> = ${JSON.stringify(Object.fromEntries(entryOwners), null, 2)};`, '');
  mkdirSync(dirname(outFile), { recursive: true });
  const text = lines.join('\n');
  let old = '';
  try {
    old = readFileSync(outFile, 'utf8');
  } catch {
    // first generation
  }
  if (old !== text) writeFileSync(outFile, text);
  return { files: shaders.length, entries: entryOwners.size };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const r = generate();
    console.log(`gen_shaders: ${r.files} shaders, ${r.entries} entry points → src/gen/shaders.ts`);
  } catch (e) {
    if (e instanceof ConventionError) {
      console.error(`gen_shaders: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
}
