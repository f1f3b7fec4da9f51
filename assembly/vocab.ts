// A WordPiece vocabulary as one position-independent blob in retained memory (see retained.ts): a
// header with the normaliser settings, two 256-entry byte tables for the ASCII fast path, a double-array
// trie over the tokens' UTF-8 bytes, and the special tokens matched in raw text.
//
// Double-array trie (Aoe 1989): slot t is a child of slot s on byte c iff t == base[s] + c and
// check[t] == s; value[t] is the token id ending there or -1. One transition is two loads and a compare,
// which is what makes greedy longest-match WordPiece linear in practice. Continuation pieces ("##foo")
// are ordinary entries: matching a continuation starts at the slot reached by the prefix ("##"), so one
// trie serves both. Every base is ≤ the last used slot and the array extends 256 slots beyond it, so
// base[s] + c never leaves the array and the hot loop needs no bounds check.

// Header (byte offsets into the blob; all i32).
export const H_MAGIC: usize = 0;
export const H_FLAGS: usize = 4;
export const H_MAX_CHARS: usize = 8;
export const H_UNK: usize = 12;
export const H_CONT_ROOT: usize = 16;
export const H_DAT_SIZE: usize = 20;
export const H_DAT_OFF: usize = 24;
export const H_SPECIAL_COUNT: usize = 28;
export const H_SPECIAL_OFF: usize = 32;
export const H_BLOB_SIZE: usize = 36;
export const H_CLS: usize = 40;
export const H_SEP: usize = 44;
export const H_PAD: usize = 48;
export const H_BYTE_KIND: usize = 64; // u8[256]: BK_* below, | BK_SPECIAL_START
export const H_BYTE_MAP: usize = 320; // u8[256]: the byte after lower-casing (ASCII), identity otherwise
const HEADER_SIZE: usize = 576;

export const MAGIC: u32 = 0x31565057; // "WPV1"

// Normaliser flags (BertNormalizer options).
export const F_LOWERCASE: u32 = 1;
export const F_STRIP_ACCENTS: u32 = 2;
export const F_CHINESE: u32 = 4;
export const F_CLEAN: u32 = 8;

// Byte kinds for the ASCII fast path.
export const BK_WORD: u32 = 0;
export const BK_WHITE: u32 = 1;
export const BK_PUNCT: u32 = 2;
export const BK_REMOVE: u32 = 3;
export const BK_NON_ASCII: u32 = 4;
export const BK_KIND_MASK: u32 = 7;
export const BK_SPECIAL_START: u32 = 8; // the byte starts some special token: try matching there

const SLOT: usize = 16; // base, check, value, padding: a slot never straddles a cache line
const FREE: i32 = -1;

function isAsciiPunct(c: u32): bool {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
}

/** Rust's char::is_whitespace restricted to ASCII: \t \n \v \f \r and space. */
function isAsciiWhite(c: u32): bool {
  return c == 32 || (c >= 9 && c <= 13);
}

// The build-time trie: first-child / next-sibling lists, then laid out as a double array.
let tFirst: usize = 0;
let tNext: usize = 0;
let tValue: usize = 0;
let tLabel: usize = 0;
let tCount: i32 = 0;

function trieChild(node: i32, label: u32): i32 {
  let c = load<i32>(tFirst + (<usize>node << 2));
  while (c >= 0) {
    if (<u32>load<u8>(tLabel + <usize>c) == label) return c;
    c = load<i32>(tNext + (<usize>c << 2));
  }
  const n = tCount++;
  store<i32>(tFirst + (<usize>n << 2), -1);
  store<i32>(tValue + (<usize>n << 2), -1);
  store<u8>(tLabel + <usize>n, <u8>label);
  store<i32>(tNext + (<usize>n << 2), load<i32>(tFirst + (<usize>node << 2)));
  store<i32>(tFirst + (<usize>node << 2), n);
  return n;
}

// The double array under construction, grown by reallocation in scratch when first fit runs past it.
// Free slots form a doubly linked list (freeNext/freePrev) with slot 0, the root, as its sentinel, so
// first fit visits only free slots: without it the search rescans the dense, used prefix for every
// node and building a 30k vocabulary is quadratic.
let dBase: usize = 0;
let dCheck: usize = 0;
let dValue: usize = 0;
let freeNext: usize = 0;
let freePrev: usize = 0;
let dCap: i32 = 0;

@inline function geti(a: usize, i: i32): i32 {
  return load<i32>(a + (<usize>i << 2));
}

@inline function seti(a: usize, i: i32, v: i32): void {
  store<i32>(a + (<usize>i << 2), v);
}

function datGrow(minCap: i32): void {
  let cap = dCap * 2;
  if (cap < minCap) cap = minCap;
  const arrays = heap.alloc(<usize>cap * 20);
  const nb = arrays;
  const nc = nb + (<usize>cap << 2);
  const nv = nc + (<usize>cap << 2);
  const nn = nv + (<usize>cap << 2);
  const np = nn + (<usize>cap << 2);
  if (dCap > 0) {
    memory.copy(nb, dBase, <usize>dCap << 2);
    memory.copy(nc, dCheck, <usize>dCap << 2);
    memory.copy(nv, dValue, <usize>dCap << 2);
    memory.copy(nn, freeNext, <usize>dCap << 2);
    memory.copy(np, freePrev, <usize>dCap << 2);
  } else {
    // Slot 0 (the root) is used; as the list sentinel it starts out linked to itself.
    seti(nn, 0, 0);
    seti(np, 0, 0);
  }
  const first = dCap > 0 ? dCap : 1;
  if (dCap == 0) {
    seti(nb, 0, 0);
    seti(nc, 0, -2); // the root: used, and no slot's parent
    seti(nv, 0, -1);
  }
  // Append the new slots to the tail of the free list.
  let tail = geti(np, 0);
  for (let i = first; i < cap; i++) {
    seti(nb, i, 0);
    seti(nc, i, FREE);
    seti(nv, i, -1);
    seti(nn, tail, i);
    seti(np, i, tail);
    tail = i;
  }
  seti(nn, tail, 0);
  seti(np, 0, tail);
  dBase = nb;
  dCheck = nc;
  dValue = nv;
  freeNext = nn;
  freePrev = np;
  dCap = cap;
}

@inline function slotFree(t: i32): bool {
  if (t >= dCap) datGrow(t + 257);
  return geti(dCheck, t) == FREE;
}

/** Marks slot t used by a child of `parent` and unlinks it from the free list. */
function occupy(t: i32, parent: i32): void {
  seti(dCheck, t, parent);
  const n = geti(freeNext, t);
  const p = geti(freePrev, t);
  seti(freeNext, p, n);
  seti(freePrev, n, p);
}

/**
 * Builds a vocabulary blob and moves it to retained memory; returns its address (the handle).
 * tokens: `count` UTF-8 strings, token i = bytes [offsets[i], offsets[i+1]) of `bytes`, with id ids[i]
 * (a later duplicate overwrites an earlier one, as HF's HashMap insert does). specials: the same layout,
 * matched in raw text before normalisation. Invalidates scratch memory (see retain()).
 */
export function buildVocab(
  bytes: usize, offsets: usize, ids: usize, count: i32,
  prefix: usize, prefixLen: i32,
  specialBytes: usize, specialOffsets: usize, specialIds: usize, specialCount: i32,
  flags: u32, maxChars: i32, unkId: i32, clsId: i32, sepId: i32, padId: i32,
): usize {
  const totalBytes = load<i32>(offsets + (<usize>count << 2)) - load<i32>(offsets);
  const maxNodes = totalBytes + 1;
  tFirst = heap.alloc(<usize>maxNodes << 2);
  tNext = heap.alloc(<usize>maxNodes << 2);
  tValue = heap.alloc(<usize>maxNodes << 2);
  tLabel = heap.alloc(<usize>maxNodes);
  tCount = 1;
  store<i32>(tFirst, -1);
  store<i32>(tValue, -1);
  for (let i: i32 = 0; i < count; i++) {
    const a = load<i32>(offsets + (<usize>i << 2));
    const b = load<i32>(offsets + (<usize>(i + 1) << 2));
    let node: i32 = 0;
    for (let k = a; k < b; k++) node = trieChild(node, <u32>load<u8>(bytes + <usize>k));
    store<i32>(tValue + (<usize>node << 2), load<i32>(ids + (<usize>i << 2)));
  }

  // Lay the trie out breadth-first; each node's children go to the first base that fits (first fit
  // over the free slots keeps the array ~dense).
  dCap = 0;
  datGrow(tCount + 512);
  const slotOf = heap.alloc(<usize>tCount << 2);
  const queue = heap.alloc(<usize>tCount << 2);
  store<i32>(slotOf, 0);
  seti(dValue, 0, load<i32>(tValue));
  store<i32>(queue, 0);
  let head: i32 = 0;
  let tail: i32 = 1;
  let lastUsed: i32 = 0;
  while (head < tail) {
    const node = load<i32>(queue + (<usize>(head++) << 2));
    const first = load<i32>(tFirst + (<usize>node << 2));
    if (first < 0) continue; // a leaf keeps base 0: base + c lands on a slot whose parent is not this one
    let minLabel: i32 = 256;
    for (let c = first; c >= 0; c = load<i32>(tNext + (<usize>c << 2))) {
      const l = <i32>load<u8>(tLabel + <usize>c);
      if (l < minLabel) minLabel = l;
    }
    let base: i32 = 0;
    for (let p = geti(freeNext, 0); ; p = geti(freeNext, p)) {
      if (p == 0) {
        // Every free slot failed: extend the array and continue with the new ones.
        const old = dCap;
        datGrow(dCap + 257);
        p = old;
      }
      base = p - minLabel;
      if (base < 1) continue;
      let fits = true;
      for (let c = first; c >= 0; c = load<i32>(tNext + (<usize>c << 2))) {
        if (!slotFree(base + <i32>load<u8>(tLabel + <usize>c))) {
          fits = false;
          break;
        }
      }
      if (fits) break;
    }
    const s = load<i32>(slotOf + (<usize>node << 2));
    seti(dBase, s, base);
    for (let c = first; c >= 0; c = load<i32>(tNext + (<usize>c << 2))) {
      const t = base + <i32>load<u8>(tLabel + <usize>c);
      occupy(t, s);
      seti(dValue, t, load<i32>(tValue + (<usize>c << 2)));
      store<i32>(slotOf + (<usize>c << 2), t);
      store<i32>(queue + (<usize>(tail++) << 2), c);
      if (t > lastUsed) lastUsed = t;
    }
  }
  const datSize = lastUsed + 257;
  if (datSize > dCap) datGrow(datSize);

  // Specials: a table of (offset, length, id) then the bytes, longest first so that the first match is
  // the longest one (HF matches added tokens leftmost-longest).
  let specialBytesTotal: i32 = 0;
  if (specialCount > 0) specialBytesTotal = load<i32>(specialOffsets + (<usize>specialCount << 2)) - load<i32>(specialOffsets);
  const datOff = HEADER_SIZE;
  const specialOff = datOff + <usize>datSize * SLOT;
  const blobSize = specialOff + <usize>specialCount * 12 + <usize>specialBytesTotal;
  const blob = heap.alloc(blobSize);
  memory.fill(blob, 0, HEADER_SIZE);
  store<u32>(blob + H_MAGIC, MAGIC);
  store<u32>(blob + H_FLAGS, flags);
  store<i32>(blob + H_MAX_CHARS, maxChars);
  store<i32>(blob + H_UNK, unkId);
  store<i32>(blob + H_DAT_SIZE, datSize);
  store<i32>(blob + H_DAT_OFF, <i32>datOff);
  store<i32>(blob + H_SPECIAL_COUNT, specialCount);
  store<i32>(blob + H_SPECIAL_OFF, <i32>specialOff);
  store<i32>(blob + H_BLOB_SIZE, <i32>blobSize);
  store<i32>(blob + H_CLS, clsId);
  store<i32>(blob + H_SEP, sepId);
  store<i32>(blob + H_PAD, padId);
  for (let i: i32 = 0; i < datSize; i++) {
    const dst = blob + datOff + <usize>i * SLOT;
    store<i32>(dst, load<i32>(dBase + (<usize>i << 2)));
    store<i32>(dst, load<i32>(dCheck + (<usize>i << 2)), 4);
    store<i32>(dst, load<i32>(dValue + (<usize>i << 2)), 8);
  }
  // The continuation root: the slot reached by the prefix bytes (-1 if no token has the prefix).
  let cont: i32 = 0;
  for (let k: i32 = 0; k < prefixLen && cont >= 0; k++) cont = datStep(blob, cont, <u32>load<u8>(prefix + <usize>k));
  store<i32>(blob + H_CONT_ROOT, cont);

  for (let c: u32 = 0; c < 256; c++) {
    let kind: u32 = BK_WORD;
    let mapped: u32 = c;
    if (c >= 0x80) kind = BK_NON_ASCII;
    else if ((flags & F_CLEAN) != 0 && (c == 0 || (c < 32 && c != 9 && c != 10 && c != 13) || c == 127)) kind = BK_REMOVE;
    else if (isAsciiWhite(c)) kind = BK_WHITE;
    else if (isAsciiPunct(c)) kind = BK_PUNCT;
    if ((flags & F_LOWERCASE) != 0 && c >= 65 && c <= 90) mapped = c + 32;
    store<u8>(blob + H_BYTE_KIND + <usize>c, <u8>kind);
    store<u8>(blob + H_BYTE_MAP + <usize>c, <u8>mapped);
  }
  let at = specialOff + <usize>specialCount * 12;
  let placed: i32 = 0;
  // Selection by decreasing length; ties keep input order. Specials are few (tens at most).
  const done = heap.alloc(<usize>max(specialCount, 1));
  memory.fill(done, 0, <usize>max(specialCount, 1));
  while (placed < specialCount) {
    let pick: i32 = -1;
    let pickLen: i32 = -1;
    for (let i: i32 = 0; i < specialCount; i++) {
      if (load<u8>(done + <usize>i) != 0) continue;
      const len = load<i32>(specialOffsets + (<usize>(i + 1) << 2)) - load<i32>(specialOffsets + (<usize>i << 2));
      if (len > pickLen) {
        pick = i;
        pickLen = len;
      }
    }
    store<u8>(done + <usize>pick, 1);
    const src = specialBytes + <usize>load<i32>(specialOffsets + (<usize>pick << 2));
    const rec = blob + specialOff + <usize>placed * 12;
    store<i32>(rec, <i32>at);
    store<i32>(rec, pickLen, 4);
    store<i32>(rec, load<i32>(specialIds + (<usize>pick << 2)), 8);
    memory.copy(blob + at, src, <usize>pickLen);
    if (pickLen > 0) {
      const b0 = <usize>load<u8>(src);
      store<u8>(blob + H_BYTE_KIND + b0, load<u8>(blob + H_BYTE_KIND + b0) | <u8>BK_SPECIAL_START);
    }
    at += <usize>pickLen;
    placed++;
  }
  return blob;
}

/** One trie transition from `slot` on byte `c`: the child slot, or -1. */
@inline export function datStep(blob: usize, slot: i32, c: u32): i32 {
  const dat = blob + <usize>load<i32>(blob + H_DAT_OFF);
  const t = load<i32>(dat + <usize>slot * SLOT) + <i32>c;
  return load<i32>(dat + <usize>t * SLOT, 4) == slot ? t : -1;
}

/** The token id of a UTF-8 string, or -1. */
export function vocabLookup(blob: usize, ptr: usize, len: i32): i32 {
  let s: i32 = 0;
  for (let k: i32 = 0; k < len && s >= 0; k++) s = datStep(blob, s, <u32>load<u8>(ptr + <usize>k));
  if (s < 0) return -1;
  const dat = blob + <usize>load<i32>(blob + H_DAT_OFF);
  return load<i32>(dat + <usize>s * SLOT, 8);
}
