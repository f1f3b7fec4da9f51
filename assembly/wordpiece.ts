// Greedy longest-match-first WordPiece over one pre-tokenised word, and the id sink it writes to.
//
// HF's WordPiece tries the whole remaining word, then shorter and shorter prefixes (a hash lookup per
// length); walking the double-array trie from the piece start finds the same longest prefix in one pass
// over its bytes. Token bytes are whole UTF-8 characters, so a match that starts on a character boundary
// also ends on one. If some position matches nothing, the whole word becomes [UNK], as in HF.
import { H_CONT_ROOT, H_DAT_OFF, H_UNK } from './vocab';

const SLOT: usize = 16; // see vocab.ts

// The id sink of the sequence being encoded: ids beyond `sinkCap` are counted but not stored, so a
// caller can truncate after knowing the full length (HF's longest-first pair truncation needs it).
let sinkPtr: usize = 0;
let sinkCap: i32 = 0;
export let sinkCount: i32 = 0;

let dat: usize = 0;
let contRoot: i32 = -1;
let unkId: i32 = 0;

/** Selects the vocabulary whose trie the following words are matched against. */
export function useTrie(blob: usize): void {
  dat = blob + <usize>load<i32>(blob + H_DAT_OFF);
  contRoot = load<i32>(blob + H_CONT_ROOT);
  unkId = load<i32>(blob + H_UNK);
}

/** Directs ids to [ptr, ptr + 4·cap) and restarts the count. */
export function openSink(ptr: usize, cap: i32): void {
  sinkPtr = ptr;
  sinkCap = cap;
  sinkCount = 0;
}

@inline export function emitId(id: i32): void {
  if (sinkCount < sinkCap) store<i32>(sinkPtr + (<usize>sinkCount << 2), id);
  sinkCount++;
}

export function emitUnk(): void {
  emitId(unkId);
}

/** Emits the pieces of the word in bytes [word, word + len) (normalised UTF-8, len > 0). */
export function wordPiece(word: usize, len: i32): void {
  const firstId = sinkCount;
  let start: i32 = 0;
  while (start < len) {
    let s: i32 = start == 0 ? 0 : contRoot;
    if (s < 0) break;
    let best: i32 = -1;
    let bestEnd: i32 = start;
    for (let p = start; p < len; ) {
      const t = load<i32>(dat + <usize>s * SLOT) + <i32>load<u8>(word + <usize>p);
      if (load<i32>(dat + <usize>t * SLOT, 4) != s) break;
      s = t;
      p++;
      const v = load<i32>(dat + <usize>s * SLOT, 8);
      if (v >= 0) {
        best = v;
        bestEnd = p;
      }
    }
    if (best < 0) break;
    emitId(best);
    start = bestEnd;
  }
  if (start < len) {
    sinkCount = firstId;
    emitId(unkId);
  }
}
