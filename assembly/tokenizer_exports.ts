// The tokenizer's wasm ABI (re-exported by index.ts). Text comes in as UTF-8 bytes, a whole batch in
// one buffer with Int32 offsets; ids come out in caller-sized Int32 regions. Nothing managed crosses.
// A vocabulary lives in retained memory (retained.ts) and is named by its address, the handle; all
// other memory is scratch that the host's reset() frees after each call.
import { retain, release, isRetained, retainedBytes } from './retained';
import { buildVocab, vocabLookup, MAGIC, H_BLOB_SIZE, H_CLS, H_SEP, H_PAD } from './vocab';
import { beginCall, collectInto, stopAfterIds, normalizeText, wordsLen, wordsOverflow } from './normalize';
import { openSink, sinkCount } from './wordpiece';

const OPT_ADD_SPECIAL: u32 = 1;
const OPT_PAD_LONGEST: u32 = 2;

function checkHandle(handle: usize): void {
  if (!isRetained(handle) || load<u32>(handle) != MAGIC) abort('invalid tokenizer handle (used after free()?)');
}

@inline function offsetAt(offsets: usize, i: i32): i32 {
  return load<i32>(offsets + (<usize>i << 2));
}

function longestText(offsets: usize, count: i32): i32 {
  let m: i32 = 0;
  for (let i: i32 = 0; i < count; i++) m = max(m, offsetAt(offsets, i + 1) - offsetAt(offsets, i));
  return m;
}

/**
 * Builds a vocabulary (see buildVocab for the layout of the arguments) and returns its handle.
 * Scratch memory is invalid afterwards: the host resets.
 */
export function wpVocabCreate(
  bytes: usize, offsets: usize, ids: usize, count: i32,
  prefix: usize, prefixLen: i32,
  specialBytes: usize, specialOffsets: usize, specialIds: usize, specialCount: i32,
  flags: u32, maxChars: i32, unkId: i32, clsId: i32, sepId: i32, padId: i32,
): usize {
  const blob = buildVocab(bytes, offsets, ids, count, prefix, prefixLen, specialBytes, specialOffsets, specialIds, specialCount,
    flags, maxChars, unkId, clsId, sepId, padId);
  return retain(blob, <usize>load<i32>(blob + H_BLOB_SIZE));
}

/** Frees a vocabulary; 0 if the handle was not live. */
export function wpVocabFree(handle: usize): i32 {
  return release(handle) ? 1 : 0;
}

/** The id of the UTF-8 token [ptr, ptr + len), or -1. */
export function wpTokenId(handle: usize, ptr: usize, len: i32): i32 {
  checkHandle(handle);
  return vocabLookup(handle, ptr, len);
}

/** Bytes held by live vocabularies and reusable holes (for leak checks). */
export function wpRetainedBytes(): usize {
  return retainedBytes();
}

// How many ids of each sequence a row keeps (set by truncatePair).
let keepA: i32 = 0;
let keepB: i32 = 0;

/**
 * HF's LongestFirst truncation of a pair to `room` ids (tokenizers/src/utils/truncation.rs): if both fit,
 * nothing is cut; else the shorter one keeps its length when that is at most half the room and the
 * longer one gets the rest; else each gets half, the longer one (the second on a tie) the odd id.
 * `a` and `b` are the lengths as HF measures them: each text tokenised up to the first word boundary at
 * or past maxLength ids.
 */
function truncatePair(a: i32, b: i32, room: i32): void {
  if (a + b <= room) {
    keepA = a;
    keepB = b;
    return;
  }
  let n1 = a;
  let n2 = b;
  const swap = n1 > n2;
  if (swap) {
    n1 = b;
    n2 = a;
  }
  n2 = n1 > room ? n1 : max(n1, room - n1);
  if (n1 + n2 > room) {
    n1 = room / 2;
    n2 = n1 + room % 2;
  }
  if (swap) {
    const t = n1;
    n1 = n2;
    n2 = t;
  }
  keepA = min(a, n1);
  keepB = min(b, n2);
}

/**
 * Encodes `count` texts (and, if pairOffsets != 0, a second text each) into padded rows:
 * [CLS] a [SEP] (b [SEP]) when options has OPT_ADD_SPECIAL, truncated to maxLength (longest-first for
 * pairs) and padded with [PAD] to maxLength, or to the longest row with OPT_PAD_LONGEST. Outputs are
 * count × maxLength Int32 regions (ids, attention mask, token type ids) plus count row lengths; rows are
 * packed with the returned row length T (≤ maxLength).
 */
export function wpEncodeBatch(
  handle: usize, bytes: usize, offsets: usize, pairOffsets: usize, count: i32, maxLength: i32, options: u32,
  outIds: usize, outMask: usize, outTypes: usize, outLengths: usize,
): i32 {
  checkHandle(handle);
  const pairs = pairOffsets != 0;
  const special = (options & OPT_ADD_SPECIAL) != 0;
  const room = maxLength - (special ? (pairs ? 3 : 2) : 0);
  if (room < 0) abort('maxLength leaves no room for the special tokens');
  beginCall(handle, max(longestText(offsets, count), pairs ? longestText(pairOffsets, count) : 0));
  const cls = load<i32>(handle + H_CLS);
  const sep = load<i32>(handle + H_SEP);
  const pad = load<i32>(handle + H_PAD);
  const second = heap.alloc((<usize>room << 2) + 4);
  const stride = <usize>maxLength << 2;
  let longest: i32 = 0;
  for (let r: i32 = 0; r < count; r++) {
    const ids = outIds + <usize>r * stride;
    const mask = outMask + <usize>r * stride;
    const types = outTypes + <usize>r * stride;
    let pos: i32 = special ? 1 : 0;
    if (special) store<i32>(ids, cls);
    openSink(ids + (<usize>pos << 2), room);
    // A single text can stop once it has `room` ids. A pair's truncation compares both lengths, which
    // HF (tokenizers 0.23) measures after tokenising each text only up to the first word boundary at
    // or past maxLength ids.
    stopAfterIds(pairs ? maxLength : room);
    normalizeText(bytes + <usize>offsetAt(offsets, r), offsetAt(offsets, r + 1) - offsetAt(offsets, r));
    const lenA = sinkCount;
    let lenB: i32 = 0;
    if (pairs) {
      openSink(second, room);
      normalizeText(bytes + <usize>offsetAt(pairOffsets, r), offsetAt(pairOffsets, r + 1) - offsetAt(pairOffsets, r));
      lenB = sinkCount;
      truncatePair(lenA, lenB, room);
    } else {
      keepA = min(lenA, room);
      keepB = 0;
    }
    pos += keepA;
    if (special) store<i32>(ids + (<usize>(pos++) << 2), sep);
    const firstB = pos;
    if (pairs) {
      memory.copy(ids + (<usize>pos << 2), second, <usize>keepB << 2);
      pos += keepB;
      if (special) store<i32>(ids + (<usize>(pos++) << 2), sep);
    }
    for (let i: i32 = 0; i < maxLength; i++) {
      const at = <usize>i << 2;
      if (i >= pos) store<i32>(ids + at, pad);
      store<i32>(mask + at, i < pos ? 1 : 0);
      store<i32>(types + at, i >= firstB && i < pos ? 1 : 0);
    }
    store<i32>(outLengths + (<usize>r << 2), pos);
    longest = max(longest, pos);
  }
  const width = (options & OPT_PAD_LONGEST) != 0 ? longest : maxLength;
  if (width < maxLength) {
    // Rows move down to the packed stride; row r's new start never passes its old one.
    const packed = <usize>width << 2;
    for (let r: i32 = 1; r < count; r++) {
      memory.copy(outIds + <usize>r * packed, outIds + <usize>r * stride, packed);
      memory.copy(outMask + <usize>r * packed, outMask + <usize>r * stride, packed);
      memory.copy(outTypes + <usize>r * packed, outTypes + <usize>r * stride, packed);
    }
  }
  return width;
}

/**
 * Encodes `count` texts into one unpadded id list: text r's ids are [outOffsets[r], outOffsets[r+1]).
 * maxLength < 0 means no truncation. Returns the total number of ids; if it exceeds outCap, the ids past
 * outCap were not stored and the host calls again with a region of the returned size.
 */
export function wpEncodeRagged(
  handle: usize, bytes: usize, offsets: usize, count: i32, maxLength: i32, addSpecial: i32,
  outIds: usize, outCap: i32, outOffsets: usize,
): i32 {
  checkHandle(handle);
  const special = addSpecial != 0;
  const room = maxLength < 0 ? i32.MAX_VALUE : maxLength - (special ? 2 : 0);
  if (room < 0) abort('maxLength leaves no room for the special tokens');
  beginCall(handle, longestText(offsets, count));
  const cls = load<i32>(handle + H_CLS);
  const sep = load<i32>(handle + H_SEP);
  let total: i32 = 0;
  store<i32>(outOffsets, 0);
  for (let r: i32 = 0; r < count; r++) {
    if (special) {
      if (total < outCap) store<i32>(outIds + (<usize>total << 2), cls);
      total++;
    }
    openSink(outIds + (<usize>total << 2), max(0, min(room, outCap - total)));
    stopAfterIds(maxLength < 0 ? -1 : room);
    normalizeText(bytes + <usize>offsetAt(offsets, r), offsetAt(offsets, r + 1) - offsetAt(offsets, r));
    total += min(sinkCount, room);
    if (special) {
      if (total < outCap) store<i32>(outIds + (<usize>total << 2), sep);
      total++;
    }
    store<i32>(outOffsets + (<usize>(r + 1) << 2), total);
  }
  return total;
}

/**
 * Normalises and pre-tokenises `count` texts into words (for the vocabulary trainer), written to
 * [outBytes, outBytes + outCap) each followed by a space. Returns the number of bytes written, or -1 if
 * the region was too small (the host grows it and calls again).
 */
export function wpWords(handle: usize, bytes: usize, offsets: usize, count: i32, outBytes: usize, outCap: i32): i32 {
  checkHandle(handle);
  beginCall(handle, longestText(offsets, count));
  collectInto(outBytes, outCap);
  stopAfterIds(-1);
  for (let r: i32 = 0; r < count; r++) {
    normalizeText(bytes + <usize>offsetAt(offsets, r), offsetAt(offsets, r + 1) - offsetAt(offsets, r));
  }
  return wordsOverflow ? -1 : wordsLen;
}
