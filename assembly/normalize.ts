// BERT normalisation and pre-tokenisation in one streaming pass over UTF-8, in HF tokenizers' order:
//   1. special tokens are matched in the raw text (they split it; each piece is normalised on its own);
//   2. clean_text: drop U+0000, U+FFFD and control characters, whitespace → ' ';
//   3. handle_chinese_chars: CJK ideographs become words of their own;
//   4. strip_accents: NFD (with canonical reordering), then drop Mn;
//   5. lowercase: char::to_lowercase (U+0130 → "i̇");
//   6. BertPreTokenizer: split on whitespace (dropped) and punctuation (kept as one-character words).
// Each character is pushed through these steps as it is decoded, so no normalised copy of the text is
// made. Words collect in a small buffer and go to WordPiece (or, for the vocabulary trainer, to a word
// list) when they end.
//
// ASCII takes a table-driven fast path: one byte-kind load and one byte-map load per byte. Canonical
// reordering only matters for non-starters that strip_accents keeps (combining marks that are not Mn:
// Mc with a combining class, and marks newer than HF's category tables); those wait in `pending`,
// insertion-sorted by combining class, until the next starter flushes them.
import {
  cpRecord, recFlags, recCcc, recLowerDelta,
  FLAG_REMOVE, FLAG_WHITE, FLAG_PUNCT, FLAG_CJK, FLAG_MN, FLAG_DECOMP, FLAG_LOWER_MULTI,
  DECOMP_COUNT, DECOMP_KEYS, DECOMP_OFFSETS, DECOMP_DATA,
  LOWER_MULTI_COUNT, LOWER_MULTI_KEYS, LOWER_MULTI_OFFSETS, LOWER_MULTI_DATA,
} from './unicode';
import {
  H_FLAGS, H_MAX_CHARS, H_BYTE_KIND, H_BYTE_MAP, H_SPECIAL_COUNT, H_SPECIAL_OFF,
  F_LOWERCASE, F_STRIP_ACCENTS, F_CHINESE, F_CLEAN,
  BK_WORD, BK_WHITE, BK_PUNCT, BK_REMOVE, BK_KIND_MASK, BK_SPECIAL_START,
} from './vocab';
import { emitId, emitUnk, wordPiece, useTrie, sinkCount } from './wordpiece';

// Vocabulary settings of the current call.
let blob: usize = 0;
let flags: u32 = 0;
let maxChars: i32 = 100;
let byteKind: usize = 0;
let byteMap: usize = 0;
let lowercase: bool = false;
let stripAccents: bool = false;

// The word being collected: its first maxChars characters in UTF-8, and its full length in characters.
let wordBuf: usize = 0;
let wordLen: i32 = 0;
let wordChars: i32 = 0;

// Non-starters held back for canonical reordering: (code point, combining-class rank) pairs.
let pendBuf: usize = 0;
let pendCap: i32 = 0;
let pendCount: i32 = 0;

// Where finished words go: WordPiece (encoding), or a space-separated word list (vocabulary training;
// a word never contains whitespace, so one TextDecoder call and a split recover the list).
let collectWords: bool = false;
let wordsOut: usize = 0;
let wordsCap: i32 = 0;
export let wordsLen: i32 = 0;
export let wordsOverflow: bool = false;

// Stop at the first word boundary once the sink holds this many ids (-1: never). Once stopped, later
// words are dropped, so nothing past the limit reaches the sink.
let idLimit: i32 = -1;
let stopped: bool = false;

/**
 * Selects the vocabulary for the following sequences and allocates the per-call scratch (word buffer,
 * reordering buffer for texts of up to `maxTextBytes` bytes).
 */
export function beginCall(vocab: usize, maxTextBytes: i32): void {
  blob = vocab;
  flags = load<u32>(blob + H_FLAGS);
  maxChars = load<i32>(blob + H_MAX_CHARS);
  byteKind = blob + H_BYTE_KIND;
  byteMap = blob + H_BYTE_MAP;
  lowercase = (flags & F_LOWERCASE) != 0;
  stripAccents = (flags & F_STRIP_ACCENTS) != 0;
  wordBuf = heap.alloc((<usize>maxChars << 2) + 8);
  // A held-back non-starter is a non-ASCII character (≥ 2 bytes), or one of at most two non-starters of
  // a 4-byte character's decomposition (U+1D160 → U+1D158 U+1D165 U+1D16E), so a text of n bytes holds
  // at most n / 2 of them at once.
  pendCap = stripAccents ? (maxTextBytes >> 1) + 8 : 0;
  pendBuf = heap.alloc((<usize>pendCap << 3) + 8);
  collectWords = false;
  idLimit = -1;
  useTrie(vocab);
}

/** Sends finished words to [out, out + cap) instead of WordPiece, each followed by a space. */
export function collectInto(out: usize, cap: i32): void {
  collectWords = true;
  wordsOut = out;
  wordsCap = cap;
  wordsLen = 0;
  wordsOverflow = false;
}

/** Makes the following sequences stop at the first word boundary with at least `ids` ids (-1: never). */
export function stopAfterIds(ids: i32): void {
  idLimit = ids;
}

/** Checks the id limit after a finished word (or matched special token). */
@inline function wordDone(): void {
  if (idLimit >= 0 && sinkCount >= idLimit) stopped = true;
}

function endWord(): void {
  if (wordChars == 0) return;
  if (stopped) {
    wordLen = 0;
    wordChars = 0;
    return;
  }
  if (collectWords) {
    // Words longer than max_input_chars_per_word can only ever be [UNK]: they teach the trainer nothing.
    if (wordChars <= maxChars) {
      if (wordsLen + wordLen + 1 > wordsCap) wordsOverflow = true;
      else {
        memory.copy(wordsOut + <usize>wordsLen, wordBuf, <usize>wordLen);
        wordsLen += wordLen;
        store<u8>(wordsOut + <usize>(wordsLen++), 0x20);
      }
    }
  } else if (wordChars > maxChars) emitUnk();
  else wordPiece(wordBuf, wordLen);
  wordLen = 0;
  wordChars = 0;
  wordDone();
}

function appendChar(c: u32): void {
  if (wordChars < maxChars) {
    const p = wordBuf + <usize>wordLen;
    if (c < 0x80) {
      store<u8>(p, <u8>c);
      wordLen += 1;
    } else if (c < 0x800) {
      store<u8>(p, <u8>(0xc0 | (c >> 6)));
      store<u8>(p, <u8>(0x80 | (c & 0x3f)), 1);
      wordLen += 2;
    } else if (c < 0x10000) {
      store<u8>(p, <u8>(0xe0 | (c >> 12)));
      store<u8>(p, <u8>(0x80 | ((c >> 6) & 0x3f)), 1);
      store<u8>(p, <u8>(0x80 | (c & 0x3f)), 2);
      wordLen += 3;
    } else {
      store<u8>(p, <u8>(0xf0 | (c >> 18)));
      store<u8>(p, <u8>(0x80 | ((c >> 12) & 0x3f)), 1);
      store<u8>(p, <u8>(0x80 | ((c >> 6) & 0x3f)), 2);
      store<u8>(p, <u8>(0x80 | (c & 0x3f)), 3);
      wordLen += 4;
    }
  }
  wordChars++;
}

/** Step 6 for one normalised character. */
function preTokenizeChar(c: u32): void {
  const f = recFlags(cpRecord(c));
  if ((f & FLAG_WHITE) != 0) endWord();
  else if ((f & FLAG_PUNCT) != 0) {
    endWord();
    appendChar(c);
    endWord();
  } else appendChar(c);
}

/** Step 5, then 6. */
function lowerChar(c: u32): void {
  if (lowercase) {
    const rec = cpRecord(c);
    if ((recFlags(rec) & FLAG_LOWER_MULTI) != 0) {
      const k = findKey(LOWER_MULTI_KEYS, LOWER_MULTI_COUNT, c);
      const a = <i32>load<u16>(LOWER_MULTI_OFFSETS + (<usize>k << 1));
      const b = <i32>load<u16>(LOWER_MULTI_OFFSETS + (<usize>(k + 1) << 1));
      for (let i = a; i < b; i++) preTokenizeChar(load<u32>(LOWER_MULTI_DATA + (<usize>i << 2)));
      return;
    }
    c = <u32>(<i32>c + recLowerDelta(rec));
  }
  preTokenizeChar(c);
}

function flushPending(): void {
  const n = pendCount;
  pendCount = 0;
  for (let i: i32 = 0; i < n; i++) lowerChar(load<u32>(pendBuf + (<usize>i << 3)));
}

/** Step 4 for one character of a canonical decomposition (or an undecomposable character). */
function stripChar(c: u32): void {
  const rec = cpRecord(c);
  const ccc = recCcc(rec);
  if ((recFlags(rec) & FLAG_MN) != 0) {
    // Dropped; a starter still ends the reordering run it would have ended.
    if (ccc == 0) flushPending();
    return;
  }
  if (ccc != 0) {
    if (pendCount == pendCap) abort('canonical reordering buffer overflow');
    let j = pendCount++;
    while (j > 0 && load<u32>(pendBuf + (<usize>(j - 1) << 3), 4) > ccc) {
      store<u64>(pendBuf + (<usize>j << 3), load<u64>(pendBuf + (<usize>(j - 1) << 3)));
      j--;
    }
    store<u32>(pendBuf + (<usize>j << 3), c);
    store<u32>(pendBuf + (<usize>j << 3), ccc, 4);
    return;
  }
  flushPending();
  lowerChar(c);
}

/** Binary search of a sorted u32 key list; the caller knows the key is present. */
function findKey(keys: usize, count: i32, c: u32): i32 {
  let lo: i32 = 0;
  let hi: i32 = count - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (load<u32>(keys + (<usize>mid << 2)) < c) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Steps 4–6 for one character that survived cleaning. */
function normalizeChar(c: u32, f: u32): void {
  if (!stripAccents) {
    lowerChar(c);
    return;
  }
  if ((f & FLAG_DECOMP) == 0) {
    stripChar(c);
    return;
  }
  if (c >= 0xac00 && c <= 0xd7a3) {
    // Hangul syllables decompose arithmetically (Unicode §3.12) into leading, vowel and trailing jamo.
    const s = c - 0xac00;
    stripChar(0x1100 + s / 588);
    stripChar(0x1161 + (s % 588) / 28);
    if (s % 28 != 0) stripChar(0x11a7 + s % 28);
    return;
  }
  const k = findKey(DECOMP_KEYS, DECOMP_COUNT, c);
  const a = <i32>load<u16>(DECOMP_OFFSETS + (<usize>k << 1));
  const b = <i32>load<u16>(DECOMP_OFFSETS + (<usize>(k + 1) << 1));
  for (let i = a; i < b; i++) stripChar(load<u32>(DECOMP_DATA + (<usize>i << 2)));
}

/** Steps 2–6 for one decoded non-ASCII character. */
function inputChar(c: u32): void {
  const f = recFlags(cpRecord(c));
  if ((flags & F_CLEAN) != 0) {
    if ((f & FLAG_REMOVE) != 0) return;
    if ((f & FLAG_WHITE) != 0) {
      flushPending();
      endWord();
      return;
    }
  }
  if ((flags & F_CHINESE) != 0 && (f & FLAG_CJK) != 0) {
    // HF pads the ideograph with spaces: both are starters and word boundaries.
    flushPending();
    endWord();
    normalizeChar(c, f);
    flushPending();
    endWord();
    return;
  }
  normalizeChar(c, f);
}

/** Length of the special token starting at `p` (the longest, as they are stored longest first), or 0. */
function matchSpecial(p: usize, end: usize): i32 {
  const n = load<i32>(blob + H_SPECIAL_COUNT);
  const table = blob + <usize>load<i32>(blob + H_SPECIAL_OFF);
  for (let i: i32 = 0; i < n; i++) {
    const rec = table + <usize>i * 12;
    const len = load<i32>(rec, 4);
    if (len == 0 || p + <usize>len > end) continue;
    if (memory.compare(p, blob + <usize>load<i32>(rec), <usize>len) == 0) {
      flushPending();
      endWord();
      if (!stopped) {
        emitId(load<i32>(rec, 8));
        wordDone();
      }
      return len;
    }
  }
  return 0;
}

/**
 * Normalises and pre-tokenises the UTF-8 text [ptr, ptr + len) and sends each word on (see the file
 * header). The text comes from TextEncoder, so it is valid UTF-8; a sequence cut short by the end of the
 * buffer still never reads past it.
 */
export function normalizeText(ptr: usize, len: i32): void {
  wordLen = 0;
  wordChars = 0;
  pendCount = 0;
  stopped = idLimit == 0;
  const end = ptr + <usize>len;
  let p = ptr;
  while (p < end) {
    const b = <u32>load<u8>(p);
    let kind = <u32>load<u8>(byteKind + <usize>b);
    if (kind == BK_WORD) {
      if (pendCount != 0) flushPending();
      if (wordChars < maxChars) store<u8>(wordBuf + <usize>(wordLen++), load<u8>(byteMap + <usize>b));
      wordChars++;
      p++;
      continue;
    }
    if ((kind & BK_SPECIAL_START) != 0) {
      const n = matchSpecial(p, end);
      if (n > 0) {
        p += <usize>n;
        if (stopped) return;
        continue;
      }
      kind &= BK_KIND_MASK;
      if (kind == BK_WORD) {
        if (pendCount != 0) flushPending();
        if (wordChars < maxChars) store<u8>(wordBuf + <usize>(wordLen++), load<u8>(byteMap + <usize>b));
        wordChars++;
        p++;
        continue;
      }
    }
    if (kind == BK_WHITE) {
      if (pendCount != 0) flushPending();
      endWord();
      p++;
    } else if (kind == BK_PUNCT) {
      if (pendCount != 0) flushPending();
      endWord();
      store<u8>(wordBuf, <u8>b);
      wordLen = 1;
      wordChars = 1;
      endWord();
      p++;
    } else if (kind == BK_REMOVE) {
      p++;
      continue;
    } else {
      let c: u32;
      let n: usize;
      const left = end - p;
      if (b < 0xe0 && left >= 2) {
        c = ((b & 0x1f) << 6) | (<u32>load<u8>(p, 1) & 0x3f);
        n = 2;
      } else if (b >= 0xe0 && b < 0xf0 && left >= 3) {
        c = ((b & 0x0f) << 12) | ((<u32>load<u8>(p, 1) & 0x3f) << 6) | (<u32>load<u8>(p, 2) & 0x3f);
        n = 3;
      } else if (b >= 0xf0 && left >= 4) {
        c = ((b & 0x07) << 18) | ((<u32>load<u8>(p, 1) & 0x3f) << 12) | ((<u32>load<u8>(p, 2) & 0x3f) << 6) | (<u32>load<u8>(p, 3) & 0x3f);
        n = 4;
      } else {
        c = 0xfffd;
        n = 1;
      }
      inputChar(c);
      p += n;
    }
    if (stopped) return;
  }
  flushPending();
  endWord();
}
