// densescale bench tokenizer: WordPiece throughput of the wasm tokenizer against HF tokenizers (native
// Rust, one thread) and @huggingface/tokenizers (pure JS), on the same texts in the same process.
//
// Texts: the SQuAD dev passages (or --data FILE: a .jsonl with a "text" field, else one text per line)
// repeated to at least 20 MB of UTF-8 (2 MB with --quick). Each implementation encodes every text with
// [CLS]/[SEP] and no truncation; rounds are interleaved and the median round is reported. Before timing,
// the ids of the first 1,000 texts are compared with HF native ("agrees": the fraction that match).
//
// Single-threaded HF: TOKENIZERS_PARALLELISM=false makes encodeBatch sequential (HF checks it per
// call) and RAYON_NUM_THREADS=1 sizes rayon's pool; both are set before the native module loads, and
// the binding runs each encodeBatch on one libuv worker thread while the main thread waits. Its time
// covers encodeBatch and each encoding's length, not copying the ids into JS (that would add more): a
// conservative figure for the comparison. densescale's covers text → UTF-8 → wasm → Int32Array ids.
//
// Each row: {"bench":"tokenizer","impl","mbps","tokensPerSec","threads":1,"mb", "cpuMbps", "agrees",
// "rounds", "cpu", "node"}. mbps uses wall time; cpuMbps uses the process CPU time of the timed region,
// which is steadier on a shared machine.
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { UsageError } from '../cli/args.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { median, type BenchContext } from './common.js';

export const summary = 'WordPiece throughput: densescale (wasm) vs HF tokenizers native (1 thread) and JS, SQuAD ≥ 20 MB [--data FILE] [--vocab FILE] [--rounds N]';

const DEFAULT_DATA = '../shared/data/squad11-dev-retrieval/corpus.jsonl';
const DEFAULT_VOCAB = '../shared/data/bert-base-uncased-vocab/vocab.txt';
const BATCH = 1024;

interface Impl {
  name: string;
  /** Encodes all texts; returns the number of ids. */
  encodeAll(texts: readonly string[]): Promise<number>;
  /** Ids of one text, for the agreement check. */
  ids(text: string): Promise<number[]>;
}

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const v = args[at + 1];
  if (v === undefined) throw new UsageError(`${name} needs a value`);
  return v;
}

function readTexts(path: string): string[] {
  if (!existsSync(path)) throw new UsageError(`--data: "${path}" does not exist (run from the repository root, or pass --data FILE)`);
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
  return path.endsWith('.jsonl') ? lines.map((l) => String((JSON.parse(l) as { text?: unknown }).text ?? '')) : lines;
}

/** `BERT vocab.txt` → a minimal tokenizer.json for the JS and native HF tokenizers (uncased BERT). */
function bertTokenizerJson(vocabText: string): Record<string, unknown> {
  const tokens = vocabText.split('\n');
  if (tokens[tokens.length - 1] === '') tokens.pop();
  const id = (t: string) => tokens.indexOf(t);
  const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((t) => ({ id: id(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: { type: 'BertProcessing', sep: ['[SEP]', id('[SEP]')], cls: ['[CLS]', id('[CLS]')] },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(tokens.map((t, i) => [t, i])) },
  };
}

async function densescaleImpl(vocabText: string): Promise<Impl> {
  const tok = await Tokenizer.fromVocab(vocabText);
  return {
    name: 'densescale',
    async encodeAll(texts) {
      let n = 0;
      for (let i = 0; i < texts.length; i += BATCH) n += tok.encodeRagged(texts.slice(i, i + BATCH)).ids.length;
      return n;
    },
    async ids(text) {
      return Array.from(tok.encode(text));
    },
  };
}

async function hfNativeImpl(json: string): Promise<Impl | string> {
  process.env.TOKENIZERS_PARALLELISM = 'false';
  process.env.RAYON_NUM_THREADS = '1';
  const name = 'tokenizers';
  let mod: typeof import('tokenizers');
  try {
    mod = (await import(/* @vite-ignore */ name)) as typeof import('tokenizers');
  } catch (e) {
    return `the npm package "tokenizers" is not installed (${(e as Error).message})`;
  }
  const tok = mod.Tokenizer.fromString(json);
  return {
    name: 'hf-tokenizers',
    async encodeAll(texts) {
      let n = 0;
      for (let i = 0; i < texts.length; i += BATCH) for (const e of await tok.encodeBatch(texts.slice(i, i + BATCH))) n += e.getLength();
      return n;
    },
    async ids(text) {
      return (await tok.encode(text)).getIds();
    },
  };
}

async function hfJsImpl(json: Record<string, unknown>): Promise<Impl | string> {
  const name = '@huggingface/tokenizers';
  let mod: typeof import('@huggingface/tokenizers');
  try {
    mod = (await import(/* @vite-ignore */ name)) as typeof import('@huggingface/tokenizers');
  } catch (e) {
    return `the npm package "@huggingface/tokenizers" is not installed (${(e as Error).message})`;
  }
  const tok = new mod.Tokenizer(json, { do_lower_case: true, model_max_length: 1 << 30 });
  return {
    name: 'hf-tokenizers-js',
    async encodeAll(texts) {
      let n = 0;
      for (const t of texts) n += tok.encode(t).ids.length;
      return n;
    },
    async ids(text) {
      return tok.encode(text).ids.map(Number);
    },
  };
}

export async function run(ctx: BenchContext): Promise<void> {
  const dataPath = flag(ctx.args, '--data') ?? DEFAULT_DATA;
  const vocabPath = flag(ctx.args, '--vocab') ?? DEFAULT_VOCAB;
  const rounds = Number(flag(ctx.args, '--rounds') ?? (ctx.quick ? 1 : 3));
  if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError('--rounds must be a positive integer');
  if (!existsSync(vocabPath)) throw new UsageError(`--vocab: "${vocabPath}" does not exist (run from the repository root, or pass --vocab FILE)`);
  const vocabText = readFileSync(vocabPath, 'utf8');
  const base = readTexts(dataPath);
  const encoder = new TextEncoder();
  const baseBytes = base.reduce((s, t) => s + encoder.encode(t).length, 0);
  if (baseBytes === 0) throw new UsageError(`--data: "${dataPath}" has no text`);
  const target = ctx.quick ? 2e6 : 20e6;
  const texts: string[] = [];
  for (let r = 0; r < Math.ceil(target / baseBytes); r++) texts.push(...base);
  const mb = (baseBytes * Math.ceil(target / baseBytes)) / 1e6;

  const json = bertTokenizerJson(vocabText);
  const impls: Impl[] = [await densescaleImpl(vocabText)];
  const skipped: string[] = [];
  for (const made of [await hfNativeImpl(JSON.stringify(json)), await hfJsImpl(json)]) {
    if (typeof made === 'string') skipped.push(made);
    else impls.push(made);
  }
  for (const s of skipped) process.stderr.write(`bench tokenizer: skipping: ${s}\n`);

  // Agreement with HF native on the first texts (the reference), before anything is timed.
  const sample = base.slice(0, 1000);
  const reference = impls.find((i) => i.name === 'hf-tokenizers');
  const agrees = new Map<string, number | null>();
  const refIds = reference ? await Promise.all(sample.map((t) => reference.ids(t))) : null;
  for (const impl of impls) {
    if (refIds === null) {
      agrees.set(impl.name, null);
      continue;
    }
    let same = 0;
    for (let i = 0; i < sample.length; i++) {
      const a = await impl.ids(sample[i]!);
      const b = refIds[i]!;
      if (a.length === b.length && a.every((v, k) => v === b[k])) same++;
    }
    agrees.set(impl.name, same / sample.length);
  }

  const samples = new Map<string, { wall: number[]; cpu: number[]; ids: number }>();
  for (const impl of impls) {
    await impl.encodeAll(base.slice(0, 2000)); // warm-up: JIT, wasm tiers, thread pool
    samples.set(impl.name, { wall: [], cpu: [], ids: 0 });
  }
  for (let r = 0; r < rounds; r++) {
    for (const impl of impls) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const out = await impl.encodeAll(texts);
      const wall = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      const s = samples.get(impl.name)!;
      s.wall.push(wall);
      s.cpu.push((c.user + c.system) / 1e6);
      s.ids = out;
    }
  }
  const cpu = cpus()[0]?.model ?? 'unknown';
  for (const impl of impls) {
    const s = samples.get(impl.name)!;
    const wall = median(s.wall);
    ctx.emit({
      bench: 'tokenizer',
      impl: impl.name,
      mbps: +(mb / wall).toFixed(2),
      tokensPerSec: Math.round(s.ids / wall),
      threads: 1,
      mb: +mb.toFixed(2),
      cpuMbps: +(mb / median(s.cpu)).toFixed(2),
      agrees: agrees.get(impl.name),
      rounds,
      cpu,
      node: process.versions.node,
    });
  }
}
