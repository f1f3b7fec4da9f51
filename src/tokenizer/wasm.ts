// Marshalling between JS strings and the tokenizer's wasm exports (assembly/tokenizer_exports.ts).
//
// Every call follows one pattern: allocate the input and output regions in wasm scratch memory, write
// the texts straight into it with TextEncoder.encodeInto (no intermediate copy), make one wasm call,
// copy the results out, reset(). Views on wasm memory are made only after the last allocation of a
// call, because growing the memory detaches older views. Traps become TokenizerError with the message.
import { TokenizerError } from '../errors.js';
import { loadWasm, wasm, WasmTrap, type WasmExports } from '../wasm/module.js';

interface TokenizerExports extends WasmExports {
  wpVocabCreate(
    bytes: number, offsets: number, ids: number, count: number,
    prefix: number, prefixLen: number,
    specialBytes: number, specialOffsets: number, specialIds: number, specialCount: number,
    flags: number, maxChars: number, unkId: number, clsId: number, sepId: number, padId: number,
  ): number;
  wpVocabFree(handle: number): number;
  wpTokenId(handle: number, ptr: number, len: number): number;
  wpRetainedBytes(): number;
  wpEncodeBatch(
    handle: number, bytes: number, offsets: number, pairOffsets: number, count: number, maxLength: number, options: number,
    outIds: number, outMask: number, outTypes: number, outLengths: number,
  ): number;
  wpEncodeRagged(
    handle: number, bytes: number, offsets: number, count: number, maxLength: number, addSpecial: number,
    outIds: number, outCap: number, outOffsets: number,
  ): number;
  wpWords(handle: number, bytes: number, offsets: number, count: number, outBytes: number, outCap: number): number;
}

/** Normaliser flags, as assembly/vocab.ts defines them. */
export const FLAG_LOWERCASE = 1;
export const FLAG_STRIP_ACCENTS = 2;
export const FLAG_CHINESE = 4;
export const FLAG_CLEAN = 8;

const OPT_ADD_SPECIAL = 1;
const OPT_PAD_LONGEST = 2;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function loadTokenizerWasm(): Promise<void> {
  await loadWasm();
}

function exportsOf(): TokenizerExports {
  return wasm() as TokenizerExports;
}

/** Runs `body` with the wasm exports, turning traps into TokenizerError and always resetting scratch. */
function call<T>(what: string, body: (w: TokenizerExports) => T): T {
  const w = exportsOf();
  try {
    return body(w);
  } catch (e) {
    if (e instanceof TokenizerError) throw e;
    if (e instanceof WasmTrap || e instanceof WebAssembly.RuntimeError) {
      throw new TokenizerError(`${what}: ${(e as Error).message}`, { cause: e });
    }
    throw e;
  } finally {
    w.reset();
  }
}

/**
 * Copies n Int32 values out of wasm memory. TypedArray.prototype.set takes V8's memmove path; slice() on
 * a view of WebAssembly.Memory measured several times slower here.
 */
function copyOut(buf: ArrayBuffer, ptr: number, n: number): Int32Array {
  const out = new Int32Array(n);
  out.set(new Int32Array(buf, ptr, n));
  return out;
}

interface Placed {
  bytes: number;
  offsets: number;
  /** Byte length of the longest text. */
  longest: number;
}

/**
 * Reserves room for `texts` (UTF-8 needs at most 3 bytes per UTF-16 unit, lone surrogates included) and
 * returns a function that writes them once every allocation of the call is done.
 */
function reserveTexts(w: TokenizerExports, texts: readonly string[]): { place(): Placed } {
  let units = 0;
  for (const t of texts) units += t.length;
  const bytes = w.alloc(units * 3 + 1);
  const offsets = w.alloc((texts.length + 1) * 4);
  return {
    place(): Placed {
      const mem = new Uint8Array(w.memory.buffer);
      const offs = new Int32Array(w.memory.buffer, offsets, texts.length + 1);
      let at = 0;
      let longest = 0;
      offs[0] = 0;
      for (let i = 0; i < texts.length; i++) {
        const n = encoder.encodeInto(texts[i]!, mem.subarray(bytes + at, bytes + units * 3 + 1)).written;
        at += n;
        if (n > longest) longest = n;
        offs[i + 1] = at;
      }
      return { bytes, offsets, longest };
    },
  };
}

export interface VocabSpec {
  /** Token strings and their ids (same length). */
  tokens: readonly string[];
  ids: Int32Array;
  prefix: string;
  /** Tokens matched in raw text before normalisation, with their ids. */
  specials: readonly { content: string; id: number }[];
  flags: number;
  maxInputCharsPerWord: number;
  unk: number;
  cls: number;
  sep: number;
  pad: number;
}

/** Builds a vocabulary in wasm; returns its handle. */
export function createVocab(spec: VocabSpec): number {
  const prefix = encoder.encode(spec.prefix);
  return call('loading the vocabulary', (w) => {
    const tok = reserveTexts(w, spec.tokens);
    const ids = w.alloc(spec.ids.length * 4 + 4);
    const spc = reserveTexts(w, spec.specials.map((x) => x.content));
    const spcIds = w.alloc(spec.specials.length * 4 + 4);
    const pre = w.alloc(prefix.length + 1);
    const t = tok.place();
    const s = spc.place();
    new Int32Array(w.memory.buffer, ids, spec.ids.length).set(spec.ids);
    new Int32Array(w.memory.buffer, spcIds, spec.specials.length).set(spec.specials.map((x) => x.id));
    new Uint8Array(w.memory.buffer, pre, prefix.length).set(prefix);
    return w.wpVocabCreate(
      t.bytes, t.offsets, ids, spec.tokens.length, pre, prefix.length,
      s.bytes, s.offsets, spcIds, spec.specials.length,
      spec.flags, spec.maxInputCharsPerWord, spec.unk, spec.cls, spec.sep, spec.pad,
    );
  });
}

export function freeVocab(handle: number): boolean {
  return call('free', (w) => w.wpVocabFree(handle) === 1);
}

/** Bytes of wasm memory held by live vocabularies (and reusable holes). */
export function retainedBytes(): number {
  return exportsOf().wpRetainedBytes();
}

export interface PaddedBatch {
  ids: Int32Array;
  mask: Int32Array;
  typeIds: Int32Array;
  lengths: Int32Array;
  batch: number;
  length: number;
}

export function encodePadded(
  handle: number, texts: readonly string[], pairs: readonly string[] | undefined,
  maxLength: number, addSpecialTokens: boolean, padLongest: boolean,
): PaddedBatch {
  const n = texts.length;
  return call('encodeBatch', (w) => {
    const a = reserveTexts(w, pairs ? [...texts, ...pairs] : texts);
    const pairOffsets = pairs ? w.alloc((n + 1) * 4) : 0;
    const cells = n * maxLength;
    const ids = w.alloc(cells * 4 + 4);
    const mask = w.alloc(cells * 4 + 4);
    const types = w.alloc(cells * 4 + 4);
    const lengths = w.alloc(n * 4 + 4);
    const placed = a.place();
    if (pairs) {
      // The pair texts follow the first texts in the same byte buffer: their offsets are a suffix.
      const all = new Int32Array(w.memory.buffer, placed.offsets, 2 * n + 1);
      new Int32Array(w.memory.buffer, pairOffsets, n + 1).set(all.subarray(n, 2 * n + 1));
    }
    const options = (addSpecialTokens ? OPT_ADD_SPECIAL : 0) | (padLongest ? OPT_PAD_LONGEST : 0);
    const width = w.wpEncodeBatch(handle, placed.bytes, placed.offsets, pairOffsets, n, maxLength, options, ids, mask, types, lengths);
    const buf = w.memory.buffer;
    return {
      ids: copyOut(buf, ids, n * width),
      mask: copyOut(buf, mask, n * width),
      typeIds: copyOut(buf, types, n * width),
      lengths: copyOut(buf, lengths, n),
      batch: n,
      length: width,
    };
  });
}

export interface RaggedBatch {
  /** All ids, text after text. */
  ids: Int32Array;
  /** Text i's ids are ids[offsets[i]] .. ids[offsets[i+1] - 1]. */
  offsets: Int32Array;
}

/** Encodes without padding; maxLength < 0: no truncation. */
export function encodeRagged(handle: number, texts: readonly string[], maxLength: number, addSpecialTokens: boolean): RaggedBatch {
  let units = 0;
  for (const t of texts) units += t.length;
  // Most texts give fewer ids than UTF-16 units; one retry with the exact size covers the rest.
  let cap = units + 2 * texts.length + 16;
  for (;;) {
    const r = call('encode', (w) => {
      const a = reserveTexts(w, texts);
      const out = w.alloc(cap * 4);
      const offsets = w.alloc((texts.length + 1) * 4);
      const placed = a.place();
      const total = w.wpEncodeRagged(handle, placed.bytes, placed.offsets, texts.length, maxLength, addSpecialTokens ? 1 : 0, out, cap, offsets);
      if (total > cap) return total;
      const buf = w.memory.buffer;
      return { ids: copyOut(buf, out, total), offsets: copyOut(buf, offsets, texts.length + 1) };
    });
    if (typeof r !== 'number') return r;
    cap = r;
  }
}

/**
 * The normalised, pre-tokenised words of `texts` (BERT rules of the vocabulary `handle`), all in one
 * space-separated string (words never contain whitespace). Words longer than the vocabulary's
 * max_input_chars_per_word are left out: WordPiece can only make them [UNK].
 */
export function preTokenize(handle: number, texts: readonly string[]): string {
  let units = 0;
  for (const t of texts) units += t.length;
  let cap = units * 3 + 16; // NFD can exceed this (a Hangul syllable: 3 bytes → 9), hence the retry
  for (;;) {
    const r = call('preTokenize', (w) => {
      const a = reserveTexts(w, texts);
      const out = w.alloc(cap);
      const placed = a.place();
      const len = w.wpWords(handle, placed.bytes, placed.offsets, texts.length, out, cap);
      return len < 0 ? null : decoder.decode(new Uint8Array(w.memory.buffer, out, len));
    });
    if (r !== null) return r;
    cap *= 2;
  }
}

/** The id of `token`, or -1. */
export function tokenId(handle: number, token: string): number {
  const b = encoder.encode(token);
  return call('tokenId', (w) => {
    const p = w.alloc(b.length + 1);
    new Uint8Array(w.memory.buffer, p, b.length).set(b);
    return w.wpTokenId(handle, p, b.length);
  });
}
