// PCG32 (O'Neill 2014, XSH-RR), Fisher–Yates and distinct sampling: the seeded orders of the data
// pipeline. The generator is the same as src/util/rng.ts Pcg32 (a seed and stream give the same u32s in
// wasm and in TS), and so is the bounded draw, so an order computed here can be recomputed in plain TS.
// Seeds and streams arrive as (lo, hi) u32 halves: the host has no 64-bit integers without BigInt.

const PCG_MULTIPLIER: u64 = 6364136223846793005;

let state: u64 = 0;
let increment: u64 = 0;

@inline function nextU32(): u32 {
  const old = state;
  state = old * PCG_MULTIPLIER + increment;
  const xorshifted = <u32>(((old >> 18) ^ old) >> 27);
  const rot = <u32>(old >> 59);
  return rotr<u32>(xorshifted, rot);
}

/** Same seeding as Pcg32's constructor: inc = 2·stream+1; step; state += seed; step. */
function seedPcg(seedLo: u32, seedHi: u32, streamLo: u32, streamHi: u32): void {
  const seed = ((<u64>seedHi) << 32) | <u64>seedLo;
  const stream = ((<u64>streamHi) << 32) | <u64>streamLo;
  increment = (stream << 1) | 1;
  state = 0;
  nextU32();
  state += seed;
  nextU32();
}

/** Uniform in [0, bound) for 0 < bound < 2^32, rejecting the low (2^32 - bound) % bound values. */
@inline function nextBelow(bound: u32): u32 {
  const threshold = (<u32>0 - bound) % bound;
  let r = nextU32();
  while (r < threshold) r = nextU32();
  return r % bound;
}

/** Writes the first `count` u32 outputs of the stream (for parity tests against the TS generator). */
export function pcgStream(outPtr: usize, count: i32, seedLo: u32, seedHi: u32, streamLo: u32, streamHi: u32): void {
  seedPcg(seedLo, seedHi, streamLo, streamHi);
  for (let i: i32 = 0; i < count; i++) store<u32>(outPtr + (<usize>i << 2), nextU32());
}

/**
 * Writes a uniformly random permutation of 0..n-1: the identity, then Fisher–Yates from the top
 * (for i = n-1 down to 1: swap a[i] with a[nextBelow(i+1)]).
 */
export function pcgPermutation(outPtr: usize, n: i32, seedLo: u32, seedHi: u32, streamLo: u32, streamHi: u32): void {
  seedPcg(seedLo, seedHi, streamLo, streamHi);
  for (let i: i32 = 0; i < n; i++) store<i32>(outPtr + (<usize>i << 2), i);
  for (let i: i32 = n - 1; i > 0; i--) {
    const j = <i32>nextBelow(<u32>(i + 1));
    const pi = outPtr + (<usize>i << 2);
    const pj = outPtr + (<usize>j << 2);
    const t = load<i32>(pi);
    store<i32>(pi, load<i32>(pj));
    store<i32>(pj, t);
  }
}

/** Seeds the generator that pcgSampleDistinct continues (so the host can sample in bounded slices). */
export function pcgSeed(seedLo: u32, seedHi: u32, streamLo: u32, streamHi: u32): void {
  seedPcg(seedLo, seedHi, streamLo, streamHi);
}

/**
 * Fills `rows` rows of `count` distinct values in [0, n), continuing the stream of the last pcgSeed, row
 * after row, by Floyd's algorithm (for j = n-count .. n-1: t = nextBelow(j+1); take t, or j if t was
 * taken): exactly `count` draws per row, whatever n. Values are written in the order they are taken.
 * `tablePtr` is scratch of 8·tableSize bytes (tableSize a power of two ≥ 2·count) for an open-addressing
 * set of (value, row+1) entries, so rows need no clearing.
 */
export function pcgSampleDistinct(outPtr: usize, rows: i32, count: i32, n: i32, tablePtr: usize, tableSize: i32): void {
  memory.fill(tablePtr, 0, <usize>tableSize * 8);
  const mask = <u32>(tableSize - 1);
  let out = outPtr;
  for (let r: i32 = 0; r < rows; r++) {
    const stamp = r + 1;
    for (let j: i32 = n - count; j < n; j++) {
      let v = <i32>nextBelow(<u32>(j + 1));
      if (!insertIfAbsent(tablePtr, mask, stamp, v)) {
        v = j; // never taken yet: every earlier value is below j
        insertIfAbsent(tablePtr, mask, stamp, v);
      }
      store<i32>(out, v);
      out += 4;
    }
  }
}

/** Adds v to the set of row `stamp`; false if it was already there. */
function insertIfAbsent(table: usize, mask: u32, stamp: i32, v: i32): bool {
  let h = (<u32>v * 0x9e3779b1) & mask;
  // The table is at most half full, so an empty slot (a stamp from an earlier row) ends every probe.
  while (load<i32>(table + (<usize>h << 3) + 4) == stamp) {
    if (load<i32>(table + (<usize>h << 3)) == v) return false;
    h = (h + 1) & mask;
  }
  store<i32>(table + (<usize>h << 3), v);
  store<i32>(table + (<usize>h << 3) + 4, stamp);
  return true;
}
