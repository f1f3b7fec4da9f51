// Long-lived memory (vocabularies) that survives the per-batch reset().
//
// The stub runtime is a bump allocator whose reset() rewinds to the start of the heap. Retained blocks
// therefore live at the very start of the heap, as one stub block that reset() re-reserves right after
// rewinding (reserveRetained), so every scratch allocation lands above them. A block is created by
// moving a position-independent blob built in scratch memory down into that region (retain); freeing
// marks it dead, trailing dead blocks shrink the region, and a dead hole in the middle is reused by the
// next blob that fits (first fit). Holes are never merged or split: the table stays tiny and the number
// of live vocabularies in one process is small.

const MAX_BLOCKS: i32 = 256;
// Per block: start (absolute address), capacity in bytes, live flag.
const BLOCKS: usize = memory.data(MAX_BLOCKS * 12);
let blockCount: i32 = 0;
let regionBase: usize = 0; // address of the first retained byte; fixed once known
let regionSize: usize = 0; // bytes reserved, a multiple of 16

/** Re-reserves the retained region; memory.reset() calls this right after rewinding the heap. */
export function reserveRetained(): void {
  if (regionSize == 0) return;
  const p = heap.alloc(regionSize);
  // The stub hands out the heap start after a reset; anything else means the runtime changed under us.
  if (p != regionBase) abort('retained region moved: the wasm runtime is not the stub bump allocator');
}

/**
 * Moves `size` bytes at `src` (scratch) into retained memory and returns the new address. Invalidates
 * every scratch allocation: call it last in a wasm call, and reset() before the next.
 */
export function retain(src: usize, size: usize): usize {
  const need = (size + 15) & ~(<usize>15);
  for (let i: i32 = 0; i < blockCount; i++) {
    const rec = BLOCKS + <usize>i * 12;
    if (load<u32>(rec, 8) == 0 && <usize>load<u32>(rec, 4) >= need) {
      const dst = <usize>load<u32>(rec);
      memory.copy(dst, src, size);
      store<u32>(rec, 1, 8);
      return dst;
    }
  }
  if (blockCount == MAX_BLOCKS) abort('too many live tokenizers (256): free() the ones no longer used');
  heap.reset();
  const base = heap.alloc(regionSize + need);
  if (regionSize == 0) regionBase = base;
  else if (base != regionBase) abort('retained region moved: the wasm runtime is not the stub bump allocator');
  // The blob sits in scratch above the old region end, so this copy moves it down (memmove semantics).
  const dst = regionBase + regionSize;
  memory.copy(dst, src, size);
  const rec = BLOCKS + <usize>blockCount * 12;
  store<u32>(rec, <u32>dst);
  store<u32>(rec, <u32>need, 4);
  store<u32>(rec, 1, 8);
  blockCount++;
  regionSize += need;
  return dst;
}

/** True if `ptr` is the start of a live retained block. */
export function isRetained(ptr: usize): bool {
  for (let i: i32 = 0; i < blockCount; i++) {
    const rec = BLOCKS + <usize>i * 12;
    if (<usize>load<u32>(rec) == ptr) return load<u32>(rec, 8) != 0;
  }
  return false;
}

/** Frees a retained block; returns false if `ptr` is not a live block (double free, foreign pointer). */
export function release(ptr: usize): bool {
  let found = false;
  for (let i: i32 = 0; i < blockCount; i++) {
    const rec = BLOCKS + <usize>i * 12;
    if (<usize>load<u32>(rec) == ptr && load<u32>(rec, 8) != 0) {
      store<u32>(rec, 0, 8);
      found = true;
      break;
    }
  }
  while (blockCount > 0 && load<u32>(BLOCKS + <usize>(blockCount - 1) * 12, 8) == 0) {
    blockCount--;
    regionSize -= <usize>load<u32>(BLOCKS + <usize>blockCount * 12, 4);
  }
  return found;
}

/** Bytes currently reserved for retained blocks (live and dead holes); for leak tests. */
export function retainedBytes(): usize {
  return regionSize;
}
