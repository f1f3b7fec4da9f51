// WordPiece vocabulary training, as HF's WordPieceTrainer does it: BPE merges over the words of the
// corpus (after the same BERT normalisation and pre-tokenisation as encoding), where every character
// after the first of a word carries the "##" continuation prefix, and the merged vocabulary is then used
// as a WordPiece vocabulary (greedy longest match).
//
// Where it runs: pre-tokenisation is the wasm normaliser (one call per ~4 MB of text); the merge loop
// is TypeScript. The loop touches only the words that contain the merged pair, kept in per-pair lists,
// with a lazy max-heap of pair counts (HF's structure); on the SQuAD dev corpus (1.7 MB, ~40k distinct
// words) it learns a 30k vocabulary in about a second here, which does not justify moving it to wasm.
//
// Determinism: ids are assigned in a fixed order (special tokens, the alphabet by code point, the "##"
// alphabet by code point, then merges in the order made) and the heap breaks count ties by the smaller
// (left id, right id) pair — HF's rule, but over ids that here do not depend on hash-map iteration
// order. The same texts and options give the same bytes in every runtime.
import { ConfigError } from '../errors.js';
import { createVocab, freeVocab, loadTokenizerWasm, preTokenize, FLAG_CHINESE, FLAG_CLEAN, FLAG_LOWERCASE, FLAG_STRIP_ACCENTS } from './wasm.js';

export interface TrainVocabOptions {
  /** Size of the vocabulary to learn, special tokens and alphabet included. */
  vocabSize: number;
  /** Lower-case (and strip accents from) the texts first, for an uncased vocabulary. Default true. */
  lowercase?: boolean;
  /** Merge only pairs seen at least this often. Default 2. */
  minFrequency?: number;
  /** Keep only this many of the most frequent characters (ties: lower code point); others are dropped. */
  limitAlphabet?: number;
  /** Tokens placed first, in this order. Default [PAD] [UNK] [CLS] [SEP] [MASK]. */
  specialTokens?: readonly string[];
}

const PREFIX = '##';
const PAIR_KEY = 2 ** 21; // ids stay below 2^21, so a·2^21 + b is an exact number key
const CHUNK_UNITS = 1 << 22; // UTF-16 units of text per wasm call

/** A binary max-heap of (count, pair), ties to the smaller pair key. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  private above(i: number, j: number): boolean {
    return this.counts[i]! > this.counts[j]! || (this.counts[i] === this.counts[j] && this.keys[i]! < this.keys[j]!);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j]!, this.counts[i]!];
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    for (let i = this.keys.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.above(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { count: number; key: number } {
    const top = { count: this.counts[0]!, key: this.keys[0]! };
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (this.keys.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.keys.length && this.above(l, best)) best = l;
        if (r < this.keys.length && this.above(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

/** Word → count over the corpus, after BERT normalisation and pre-tokenisation. */
async function countWords(texts: Iterable<string>, lowercase: boolean): Promise<Map<string, number>> {
  await loadTokenizerWasm();
  const handle = createVocab({
    tokens: [],
    ids: new Int32Array(0),
    prefix: PREFIX,
    specials: [],
    flags: FLAG_CLEAN | FLAG_CHINESE | (lowercase ? FLAG_LOWERCASE | FLAG_STRIP_ACCENTS : 0),
    maxInputCharsPerWord: 100,
    unk: 0,
    cls: 0,
    sep: 0,
    pad: 0,
  });
  const counts = new Map<string, number>();
  const add = (chunk: string[]): void => {
    const words = preTokenize(handle, chunk);
    let from = 0;
    for (let at = words.indexOf(' '); at >= 0; at = words.indexOf(' ', from)) {
      const w = words.slice(from, at);
      counts.set(w, (counts.get(w) ?? 0) + 1);
      from = at + 1;
    }
  };
  try {
    let chunk: string[] = [];
    let units = 0;
    for (const t of texts) {
      chunk.push(t);
      units += t.length;
      if (units >= CHUNK_UNITS) {
        add(chunk);
        chunk = [];
        units = 0;
      }
    }
    if (chunk.length > 0) add(chunk);
  } finally {
    freeVocab(handle);
  }
  return counts;
}

/**
 * Learns a WordPiece vocabulary (vocab.txt content) from texts, like HF's WordPieceTrainer: BERT
 * pre-tokenisation, then BPE merges with "##" continuations until `vocabSize` tokens or no pair reaches
 * `minFrequency`. Deterministic: the same input gives the same bytes in Node and browsers.
 *
 * @example
 * ```ts
 * const vocabText = await trainWordPieceVocab(passages, { vocabSize: 8000 });
 * const tok = await Tokenizer.fromVocab(vocabText);
 * ```
 */
export async function trainWordPieceVocab(texts: Iterable<string>, options: TrainVocabOptions): Promise<string> {
  const { vocabSize, lowercase = true, minFrequency = 2, limitAlphabet } = options;
  const specialTokens = options.specialTokens ?? ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  if (!Number.isInteger(vocabSize) || vocabSize < specialTokens.length || vocabSize >= PAIR_KEY) {
    throw new ConfigError(`${vocabSize} must be an integer in ${specialTokens.length}..${PAIR_KEY - 1}`, 'vocabSize');
  }
  if (!Number.isInteger(minFrequency) || minFrequency < 0) throw new ConfigError(`${minFrequency} must be a non-negative integer`, 'minFrequency');
  if (limitAlphabet !== undefined && (!Number.isInteger(limitAlphabet) || limitAlphabet < 0)) {
    throw new ConfigError(`${limitAlphabet} must be a non-negative integer`, 'limitAlphabet');
  }
  for (const t of specialTokens) if (/\s/u.test(t) || t === '') throw new ConfigError(`"${t}" cannot be a vocab.txt line`, 'specialTokens');

  const wordCounts = await countWords(texts, lowercase);

  // The alphabet: every character, or the limitAlphabet most frequent ones.
  const charCounts = new Map<number, number>();
  for (const [w, n] of wordCounts) for (const ch of w) charCounts.set(ch.codePointAt(0)!, (charCounts.get(ch.codePointAt(0)!) ?? 0) + n);
  let alphabet = [...charCounts.keys()];
  if (limitAlphabet !== undefined && alphabet.length > limitAlphabet) {
    alphabet.sort((a, b) => charCounts.get(b)! - charCounts.get(a)! || a - b);
    alphabet = alphabet.slice(0, limitAlphabet);
  }
  alphabet.sort((a, b) => a - b);

  const tokens: string[] = [];
  const idOf = new Map<string, number>();
  const addToken = (t: string): number => {
    let id = idOf.get(t);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(t);
      idOf.set(t, id);
    }
    return id;
  };
  for (const t of specialTokens) addToken(t);
  const inAlphabet = new Set(alphabet);
  for (const c of alphabet) addToken(String.fromCodePoint(c));
  // "##c" for characters that occur after the start of some word, in code point order.
  const continued = new Set<number>();
  for (const w of wordCounts.keys()) {
    let first = true;
    for (const ch of w) {
      const c = ch.codePointAt(0)!;
      if (!first && inAlphabet.has(c)) continued.add(c);
      if (inAlphabet.has(c)) first = false;
    }
  }
  for (const c of [...continued].sort((a, b) => a - b)) addToken(PREFIX + String.fromCodePoint(c));

  // Words as symbol-id sequences (characters outside the alphabet are dropped, as HF does).
  const words: Int32Array[] = [];
  const lengths: number[] = [];
  const counts: number[] = [];
  for (const [w, n] of wordCounts) {
    const syms: number[] = [];
    for (const ch of w) {
      if (!inAlphabet.has(ch.codePointAt(0)!)) continue;
      syms.push(idOf.get(syms.length === 0 ? ch : PREFIX + ch)!);
    }
    if (syms.length === 0) continue;
    words.push(Int32Array.from(syms));
    lengths.push(syms.length);
    counts.push(n);
  }

  // Pair counts and, per pair, the words it occurs in (may hold stale or repeated entries; merging
  // re-checks each word, and a stamp skips repeats).
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  const notePair = (key: number, delta: number, word: number): void => {
    pairCount.set(key, (pairCount.get(key) ?? 0) + delta);
    if (delta > 0) {
      let list = pairWords.get(key);
      if (list === undefined) pairWords.set(key, (list = []));
      list.push(word);
    }
  };
  for (let w = 0; w < words.length; w++) {
    const s = words[w]!;
    for (let i = 0; i + 1 < lengths[w]!; i++) notePair(s[i]! * PAIR_KEY + s[i + 1]!, counts[w]!, w);
  }
  const heap = new PairHeap();
  for (const [key, n] of pairCount) if (n > 0) heap.push(n, key);

  const stamp = new Int32Array(words.length).fill(-1);
  const delta = new Map<number, number>();
  for (let merge = 0; tokens.length < vocabSize && heap.size > 0; merge++) {
    const top = heap.pop();
    const now = pairCount.get(top.key) ?? 0;
    if (now !== top.count) {
      if (now > 0) heap.push(now, top.key); // stale entry: requeue with the current count
      continue;
    }
    if (top.count < 1 || top.count < minFrequency) break;
    const a = Math.floor(top.key / PAIR_KEY);
    const b = top.key - a * PAIR_KEY;
    const right = tokens[b]!;
    const merged = addToken(tokens[a]! + (right.startsWith(PREFIX) ? right.slice(PREFIX.length) : right));
    delta.clear();
    for (const w of pairWords.get(top.key) ?? []) {
      if (stamp[w] === merge) continue;
      stamp[w] = merge;
      const s = words[w]!;
      const len = lengths[w]!;
      const n = counts[w]!;
      let out = 0;
      let changed = false;
      for (let i = 0; i < len; ) {
        if (i + 1 < len && s[i] === a && s[i + 1] === b) {
          // Pairs around the merge: (prev, a) → (prev, merged), (b, next) → (merged, next).
          if (out > 0) {
            const prev = s[out - 1]!;
            delta.set(prev * PAIR_KEY + a, (delta.get(prev * PAIR_KEY + a) ?? 0) - n);
            delta.set(prev * PAIR_KEY + merged, (delta.get(prev * PAIR_KEY + merged) ?? 0) + n);
          }
          if (i + 2 < len) {
            const next = s[i + 2]!;
            delta.set(b * PAIR_KEY + next, (delta.get(b * PAIR_KEY + next) ?? 0) - n);
            delta.set(merged * PAIR_KEY + next, (delta.get(merged * PAIR_KEY + next) ?? 0) + n);
          }
          delta.set(top.key, (delta.get(top.key) ?? 0) - n);
          s[out++] = merged;
          i += 2;
          changed = true;
        } else {
          s[out++] = s[i]!;
          i++;
        }
      }
      if (!changed) continue;
      lengths[w] = out;
      for (let i = 0; i + 1 < out; i++) {
        if (s[i] !== merged && s[i + 1] !== merged) continue;
        const list = pairWords.get(s[i]! * PAIR_KEY + s[i + 1]!);
        if (list === undefined) pairWords.set(s[i]! * PAIR_KEY + s[i + 1]!, [w]);
        else if (list[list.length - 1] !== w) list.push(w);
      }
    }
    for (const [key, d] of delta) {
      if (d === 0) continue;
      const n = (pairCount.get(key) ?? 0) + d;
      pairCount.set(key, n);
      if (d > 0) heap.push(n, key);
    }
    pairWords.delete(top.key);
  }
  return tokens.join('\n') + '\n';
}
