// HF tokenizer.json → the settings of a densescale Tokenizer. Only what BERT WordPiece uses is
// accepted: a WordPiece model, a BertNormalizer (or none), a BertPreTokenizer, a BERT-shaped post
// processor ([CLS] A [SEP] / [CLS] A [SEP] B [SEP]) and added tokens matched verbatim in raw text.
// Anything else is refused with a TokenizerError that names the field, rather than silently tokenised
// differently from HF. Truncation and padding in the file are ignored (they are per-call options here).
import { TokenizerError } from '../errors.js';
import type { SpecialIds, TokenizerSpec } from './tokenizer.js';

type Json = Record<string, unknown>;

function fail(field: string, message: string): never {
  throw new TokenizerError(`tokenizer.json: ${field}: ${message}`);
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function objectAt(parent: Json, key: string, path: string): Json {
  const v = parent[key];
  if (!isObject(v)) fail(path, `expected an object, got ${v === null ? 'null' : typeof v}`);
  return v;
}

function boolAt(parent: Json, key: string, path: string, fallback: boolean): boolean {
  const v = parent[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') fail(path, `expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

function stringAt(parent: Json, key: string, path: string, fallback?: string): string {
  const v = parent[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string') fail(path, `expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function typeOf(o: Json, path: string): string {
  return stringAt(o, 'type', `${path}.type`);
}

/** [CLS]/[SEP] ids from a BertProcessing or BERT-shaped TemplateProcessing post processor. */
function clsSep(root: Json): { cls: number; sep: number } {
  const pp = root.post_processor;
  if (!isObject(pp)) fail('post_processor', 'expected BertProcessing or TemplateProcessing ([CLS] $A [SEP])');
  const type = typeOf(pp, 'post_processor');
  if (type === 'BertProcessing') {
    const pairOf = (key: 'cls' | 'sep'): number => {
      const v = pp[key];
      if (!Array.isArray(v) || typeof v[0] !== 'string' || !Number.isInteger(v[1])) fail(`post_processor.${key}`, 'expected ["token", id]');
      return v[1] as number;
    };
    return { cls: pairOf('cls'), sep: pairOf('sep') };
  }
  if (type !== 'TemplateProcessing') fail('post_processor.type', `"${type}" is not BertProcessing or TemplateProcessing`);
  const specials = objectAt(pp, 'special_tokens', 'post_processor.special_tokens');
  const piece = (list: unknown, i: number, path: string): { special?: string; sequence?: string; typeId: number } => {
    const item = Array.isArray(list) ? list[i] : undefined;
    if (!isObject(item)) fail(`${path}[${i}]`, 'missing');
    const inner = (item.SpecialToken ?? item.Sequence) as Json | undefined;
    if (!isObject(inner)) fail(`${path}[${i}]`, 'expected {SpecialToken} or {Sequence}');
    const id = stringAt(inner, 'id', `${path}[${i}].id`);
    const typeId = (inner.type_id ?? 0) as number;
    return 'SpecialToken' in item ? { special: id, typeId } : { sequence: id, typeId };
  };
  const single = pp.single;
  const pair = pp.pair;
  const shape = (list: unknown, path: string, want: string[]): ReturnType<typeof piece>[] => {
    if (!Array.isArray(list) || list.length !== want.length) fail(path, `expected the BERT template ${want.join(' ')}`);
    return want.map((w, i) => {
      const p = piece(list, i, path);
      const expectedType = path.endsWith('pair') && i >= 3 ? 1 : 0;
      if ((w === 'special') !== (p.special !== undefined) || p.typeId !== expectedType) fail(`${path}[${i}]`, `expected the BERT template ${want.join(' ')}`);
      return p;
    });
  };
  const s = shape(single, 'post_processor.single', ['special', '$A', 'special']);
  const p = shape(pair, 'post_processor.pair', ['special', '$A', 'special', '$B', 'special']);
  if (s[0]!.sequence !== undefined || s[1]!.sequence !== 'A' || p[1]!.sequence !== 'A' || p[3]!.sequence !== 'B') {
    fail('post_processor', 'expected the BERT template [CLS] $A [SEP] / [CLS] $A [SEP] $B:1 [SEP]:1');
  }
  if (p[0]!.special !== s[0]!.special || p[2]!.special !== s[2]!.special || p[4]!.special !== s[2]!.special) {
    fail('post_processor.pair', 'must use the same special tokens as post_processor.single');
  }
  const idOf = (name: string): number => {
    const entry = specials[name];
    const ids = isObject(entry) ? entry.ids : undefined;
    if (!Array.isArray(ids) || ids.length !== 1 || !Number.isInteger(ids[0])) fail(`post_processor.special_tokens["${name}"].ids`, 'expected one id');
    return ids[0] as number;
  };
  return { cls: idOf(s[0]!.special!), sep: idOf(s[2]!.special!) };
}

/** Parses and validates tokenizer.json text; throws TokenizerError naming the offending field. */
export function parseTokenizerJson(text: string): TokenizerSpec {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    throw new TokenizerError(`tokenizer.json: not JSON (${(e as Error).message})`);
  }
  if (!isObject(root)) fail('(root)', 'expected an object');
  const model = objectAt(root, 'model', 'model');
  const modelType = typeOf(model, 'model');
  if (modelType !== 'WordPiece') fail('model.type', `"${modelType}" is not supported (densescale implements WordPiece)`);
  const vocab = objectAt(model, 'vocab', 'model.vocab');
  const entries = Object.entries(vocab);
  const tokens: string[] = new Array(entries.length);
  for (const [token, id] of entries) {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= entries.length || tokens[id as number] !== undefined) {
      fail(`model.vocab["${token}"]`, `id ${JSON.stringify(id)}: ids must be 0..${entries.length - 1}, each used once`);
    }
    tokens[id as number] = token;
  }
  const index = new Map(tokens.map((t, i) => [t, i]));
  const idOfToken = (token: string, path: string): number => {
    const id = index.get(token);
    if (id === undefined) fail(path, `"${token}" is not in model.vocab`);
    return id;
  };
  const unk = idOfToken(stringAt(model, 'unk_token', 'model.unk_token'), 'model.unk_token');
  const prefix = stringAt(model, 'continuing_subword_prefix', 'model.continuing_subword_prefix', '##');
  const maxChars = model.max_input_chars_per_word ?? 100;
  if (!Number.isInteger(maxChars)) fail('model.max_input_chars_per_word', `expected an integer, got ${JSON.stringify(maxChars)}`);

  let settings = { lowercase: false, stripAccents: false, handleChineseChars: false, cleanText: false };
  const norm = root.normalizer;
  if (norm !== null && norm !== undefined) {
    if (!isObject(norm)) fail('normalizer', 'expected an object or null');
    const type = typeOf(norm, 'normalizer');
    if (type !== 'BertNormalizer') fail('normalizer.type', `"${type}" is not supported (densescale implements BertNormalizer)`);
    const lowercase = boolAt(norm, 'lowercase', 'normalizer.lowercase', true);
    const strip = norm.strip_accents;
    if (strip !== null && strip !== undefined && typeof strip !== 'boolean') fail('normalizer.strip_accents', `expected true, false or null, got ${JSON.stringify(strip)}`);
    settings = {
      lowercase,
      stripAccents: typeof strip === 'boolean' ? strip : lowercase, // null: follow lowercase, as HF does
      handleChineseChars: boolAt(norm, 'handle_chinese_chars', 'normalizer.handle_chinese_chars', true),
      cleanText: boolAt(norm, 'clean_text', 'normalizer.clean_text', true),
    };
  }
  const pre = root.pre_tokenizer;
  if (!isObject(pre) || typeOf(pre, 'pre_tokenizer') !== 'BertPreTokenizer') {
    fail('pre_tokenizer', `${isObject(pre) ? `"${String(pre.type)}"` : JSON.stringify(pre)} is not supported (densescale implements BertPreTokenizer)`);
  }
  const { cls, sep } = clsSep(root);
  for (const [name, id] of [['cls', cls], ['sep', sep]] as const) {
    if (tokens[id] === undefined) fail(`post_processor (${name})`, `id ${id} is not in model.vocab`);
  }

  const rawMatched: TokenizerSpec['rawMatched'] = [];
  const added = root.added_tokens ?? [];
  if (!Array.isArray(added)) fail('added_tokens', 'expected an array');
  added.forEach((a: unknown, i: number) => {
    const path = `added_tokens[${i}]`;
    if (!isObject(a)) fail(path, 'expected an object');
    const content = stringAt(a, 'content', `${path}.content`);
    const id = a.id;
    if (!Number.isInteger(id) || tokens[id as number] !== content) fail(`${path}.id`, `${JSON.stringify(id)} is not the id of "${content}" in model.vocab`);
    for (const flag of ['single_word', 'lstrip', 'rstrip', 'normalized'] as const) {
      if (boolAt(a, flag, `${path}.${flag}`, false)) fail(`${path}.${flag}`, 'only verbatim added tokens (all of single_word, lstrip, rstrip, normalized false) are supported');
    }
    rawMatched.push({ content, id: id as number, special: boolAt(a, 'special', `${path}.special`, false) });
  });

  const padding = root.padding;
  let pad = index.get('[PAD]');
  if (isObject(padding) && padding.pad_id !== undefined) {
    if (!Number.isInteger(padding.pad_id) || tokens[padding.pad_id as number] === undefined) fail('padding.pad_id', `${JSON.stringify(padding.pad_id)} is not in model.vocab`);
    pad = padding.pad_id as number;
  }
  if (pad === undefined) fail('model.vocab', 'has no [PAD] (and padding.pad_id is not set)');
  const special: SpecialIds = { pad, unk, cls, sep, mask: index.get('[MASK]') ?? -1 };

  let decodeCleanup = true;
  const dec = root.decoder;
  if (isObject(dec)) {
    if (typeOf(dec, 'decoder') !== 'WordPiece') fail('decoder.type', `"${String(dec.type)}" is not supported (densescale decodes WordPiece)`);
    if (stringAt(dec, 'prefix', 'decoder.prefix', prefix) !== prefix) fail('decoder.prefix', 'differs from model.continuing_subword_prefix');
    decodeCleanup = boolAt(dec, 'cleanup', 'decoder.cleanup', true);
  }
  return {
    tokens,
    settings: { ...settings, maxInputCharsPerWord: maxChars as number, continuingSubwordPrefix: prefix },
    special,
    rawMatched,
    decodeCleanup,
  };
}
