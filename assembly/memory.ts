// Host-managed scratch memory. The stub runtime is a bump allocator: the host calls `alloc` for its
// input and output regions, runs one batch call, then `reset` frees everything at once. Nothing managed
// (strings, arrays) crosses the boundary, so the stub's lack of a collector costs nothing.
import { reserveRetained } from './retained';

export function alloc(size: usize): usize {
  return heap.alloc(size);
}

export function reset(): void {
  heap.reset();
  reserveRetained(); // long-lived blocks (tokenizer vocabularies) sit below the scratch: see retained.ts
}
