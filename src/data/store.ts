// Compact storage for millions of short texts: each text is kept once, as UTF-8, in large byte chunks,
// and decoded to a JS string only when a batch asks for it. A JS string per passage would cost 2 bytes
// per character plus ~20 bytes of header, and a Map from id to index ~60 bytes per entry on top; MS MARCO
// (8.8M passages, ~3 GB of UTF-8) would not fit a default V8 heap. Here the overhead per entry is
// 8 bytes of offsets for a text and, for an id, 4 bytes of offset + ~8-16 bytes of hash table.

const MAX_CHUNK_BYTES = 32 << 20;
const MIN_CHUNK_BYTES = 64 << 10;

/** Grows a typed array to at least `needed` elements (doubling), keeping the first `used`. */
function grown<T extends Uint32Array | Int32Array | Float32Array>(a: T, used: number, needed: number): T {
  if (needed <= a.length) return a;
  const next = new (a.constructor as new (n: number) => T)(Math.max(needed, a.length * 2, 16));
  next.set(a.subarray(0, used));
  return next;
}

/** Append-only list of byte strings in chunks of up to 32 MiB; an entry never straddles chunks. */
export class TextStore {
  private readonly chunks: Uint8Array[] = [];
  /** Index of the first entry of each chunk (ascending), to find an entry's chunk by binary search. */
  private chunkFirstEntry: number[] = [];
  private starts = new Uint32Array(0);
  private ends = new Uint32Array(0);
  private current: Uint8Array = new Uint8Array(0);
  private used = 0;
  private totalBytes = 0;
  count = 0;

  private room(bytes: number): void {
    if (this.chunks.length > 0 && this.used + bytes <= this.current.length) return;
    // A full chunk is kept as it is: its unused tail is shorter than one entry, and trimming it would
    // copy (and page in) every byte a second time. Chunks grow with the data (small datasets stay
    // small) up to the cap; a longer entry gets its own.
    const size = Math.max(bytes, Math.min(MAX_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, this.totalBytes)));
    this.current = new Uint8Array(size);
    this.used = 0;
    this.chunks.push(this.current);
    this.chunkFirstEntry.push(this.count);
  }

  private push(start: number, end: number): number {
    this.starts = grown(this.starts, this.count, this.count + 1);
    this.ends = grown(this.ends, this.count, this.count + 1);
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.totalBytes += end - start;
    return this.count++;
  }

  /** Appends bytes [start, end) of `src`; returns the new entry's index. */
  append(src: Uint8Array, start: number, end: number): number {
    const n = end - start;
    this.room(n);
    const at = this.used;
    this.current.set(src.subarray(start, end), at);
    this.used += n;
    return this.push(at, at + n);
  }

  /** Appends `a`, one `separator` byte, then `b` as one entry (a BEIR title and its text). */
  appendJoined(a: Uint8Array, separator: number, b: Uint8Array): number {
    const n = a.length + 1 + b.length;
    this.room(n);
    const at = this.used;
    this.current.set(a, at);
    this.current[at + a.length] = separator;
    this.current.set(b, at + a.length + 1);
    this.used += n;
    return this.push(at, at + n);
  }

  private chunkOf(i: number): Uint8Array {
    const firsts = this.chunkFirstEntry;
    let lo = 0;
    let hi = firsts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (firsts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return this.chunks[lo]!;
  }

  /** Entry i's bytes (a view: valid as long as the store). */
  bytes(i: number): Uint8Array {
    if (!(i >= 0 && i < this.count)) throw new RangeError(`TextStore: entry ${i} out of range [0, ${this.count})`);
    return this.chunkOf(i).subarray(this.starts[i]!, this.ends[i]!);
  }

  byteLength(i: number): number {
    return this.ends[i]! - this.starts[i]!;
  }

  /**
   * Releases the offsets' spare capacity once loading is done. The last chunk keeps its tail: those
   * pages were never written, so they are not resident, and trimming would copy the whole chunk.
   */
  finish(): void {
    this.starts = this.starts.slice(0, this.count);
    this.ends = this.ends.slice(0, this.count);
  }

  /** Bytes allocated: text chunks (capacity, including the unwritten tail of the last) plus offsets. */
  memoryBytes(): number {
    let n = this.starts.byteLength + this.ends.byteLength + this.chunkFirstEntry.length * 8;
    for (const c of this.chunks) n += c.byteLength;
    return n;
  }

  /** Total text bytes stored. */
  get textBytes(): number {
    return this.totalBytes;
  }
}

/** FNV-1a over bytes [start, end). */
function hashBytes(src: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ src[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * Interned ids: byte strings → dense indices 0..n-1 in insertion order, by open addressing (load ≤ 0.5)
 * over one contiguous byte array. Lookups take bytes straight from the scanner's memory, no string.
 */
export class IdTable {
  private bytes = new Uint8Array(1 << 12);
  private offsets = new Uint32Array(1 << 10); // entry i is bytes[offsets[i], offsets[i+1])
  private slots = new Int32Array(1 << 10).fill(-1);
  count = 0;

  private equals(i: number, src: Uint8Array, start: number, end: number): boolean {
    const s = this.offsets[i]!;
    const n = this.offsets[i + 1]! - s;
    if (n !== end - start) return false;
    for (let k = 0; k < n; k++) if (this.bytes[s + k] !== src[start + k]) return false;
    return true;
  }

  private slotOf(src: Uint8Array, start: number, end: number): number {
    const mask = this.slots.length - 1;
    let h = hashBytes(src, start, end) & mask;
    for (;;) {
      const e = this.slots[h]!;
      if (e < 0 || this.equals(e, src, start, end)) return h;
      h = (h + 1) & mask;
    }
  }

  /** Index of the id bytes [start, end) of `src`, or -1. */
  find(src: Uint8Array, start: number, end: number): number {
    return this.slots[this.slotOf(src, start, end)]!;
  }

  /** Index of a string id, or -1. */
  findString(id: string): number {
    const b = new TextEncoder().encode(id);
    return this.find(b, 0, b.length);
  }

  /** Adds the id and returns its new index, or returns -(existing index) - 1 if it is already present. */
  intern(src: Uint8Array, start: number, end: number): number {
    const slot = this.slotOf(src, start, end);
    const existing = this.slots[slot]!;
    if (existing >= 0) return -existing - 1;
    const n = end - start;
    const at = this.offsets[this.count]!;
    if (at + n > this.bytes.length) {
      const next = new Uint8Array(Math.max(at + n, this.bytes.length * 2));
      next.set(this.bytes.subarray(0, at));
      this.bytes = next;
    }
    this.bytes.set(src.subarray(start, end), at);
    this.offsets = grown(this.offsets, this.count + 1, this.count + 2);
    this.offsets[this.count + 1] = at + n;
    this.slots[slot] = this.count;
    this.count++;
    if (this.count * 2 > this.slots.length) this.rehash();
    return this.count - 1;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let i = 0; i < this.count; i++) {
      let h = hashBytes(this.bytes, this.offsets[i]!, this.offsets[i + 1]!) & mask;
      while (slots[h]! >= 0) h = (h + 1) & mask;
      slots[h] = i;
    }
    this.slots = slots;
  }

  /** Id i's bytes (a view). */
  idBytes(i: number): Uint8Array {
    if (!(i >= 0 && i < this.count)) throw new RangeError(`IdTable: index ${i} out of range [0, ${this.count})`);
    return this.bytes.subarray(this.offsets[i]!, this.offsets[i + 1]!);
  }

  finish(): void {
    this.bytes = this.bytes.slice(0, this.offsets[this.count]!);
    this.offsets = this.offsets.slice(0, this.count + 1);
  }

  memoryBytes(): number {
    return this.bytes.byteLength + this.offsets.byteLength + this.slots.byteLength;
  }
}

const UTF8_ENCODER = new TextEncoder();

/** Encodes strings into one reused buffer: a TextEncoder.encode() per string costs an allocation each. */
export class Utf8Scratch {
  private buffer = new Uint8Array(1024);
  length = 0;

  /** (buffer, 0, length) of the encoded string; valid until the next call. */
  encode(text: string): [Uint8Array, number, number] {
    if (text.length * 3 > this.buffer.length) this.buffer = new Uint8Array(text.length * 3);
    this.length = UTF8_ENCODER.encodeInto(text, this.buffer).written;
    return [this.buffer, 0, this.length];
  }
}
