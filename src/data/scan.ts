// TS side of assembly/data_scan.ts: cuts a byte stream into blocks of whole lines, has wasm split them
// into fields (TSV) or decode the wanted keys (JSONL), and hands each line to a callback as a reusable
// cursor whose field views point into wasm memory (valid only during the callback).
import { wasm, type WasmExports } from '../wasm/module.js';
import { fileBytes, type DataSource } from './source.js';

/** Lines are handed to wasm in blocks of about this many bytes. */
const BLOCK_BYTES = 1 << 22;
/** Records per scan call; the record area is small and reused. */
const RECORDS_PER_CALL = 1 << 14;
const RECORD_HEADER_WORDS = 4;

// Status codes of assembly/data_scan.ts.
export const LINE_OK = 0;
export const LINE_BLANK = 1;
export const LINE_BAD_UTF8 = 2;
const JSON_MESSAGES: Record<number, string> = {
  3: 'not a JSON object',
  4: 'JSON syntax error',
  5: 'invalid escape sequence in a JSON string',
  6: 'unescaped control character in a JSON string',
  7: 'unterminated JSON (the line ends inside a string, object or array)',
  8: 'the value must be a string or a number',
  9: 'unexpected text after the JSON object',
};

/** A description of a failed line's status, for FormatError messages. */
export function statusMessage(status: number, column: number): string {
  if (status === LINE_BAD_UTF8) return `invalid UTF-8 at byte ${column + 1} of the line`;
  return `${JSON_MESSAGES[status] ?? `scan status ${status}`} at byte ${column + 1} of the line`;
}

interface DataExports extends WasmExports {
  scanTsv(inPtr: number, inLen: number, whitespace: number, maxFields: number, outPtr: number, maxRecords: number): number;
  scanJsonl(inPtr: number, inLen: number, keysPtr: number, keyCount: number, outPtr: number, maxRecords: number, bytesPtr: number): number;
  scanConsumed(): number;
}

/** One scanned line. Fields are views into wasm memory, valid only inside the callback. */
export class LineCursor {
  /** 1-based line number in the (decompressed) file. */
  line = 0;
  status = 0;
  /** Byte offset in the line of the problem, for a status other than OK/BLANK. */
  errorColumn = 0;
  /** Index of the field holding the problem, or -1. */
  errorField = -1;
  /** TSV: number of fields on the line (may exceed the recorded ones). JSONL: the number of keys. */
  fieldCount = 0;
  memory: Uint8Array = new Uint8Array(0);
  private words: Int32Array = new Int32Array(0);
  private base = 0;

  /** @internal */
  point(memory: Uint8Array, words: Int32Array, base: number, line: number): void {
    this.memory = memory;
    this.words = words;
    this.base = base;
    this.line = line;
    this.status = words[base]!;
    this.errorColumn = words[base + 1]!;
    this.errorField = words[base + 2]!;
    this.fieldCount = words[base + 3]!;
  }

  /** Start address of field k in `memory`, or -1 if absent. */
  start(k: number): number {
    return this.words[this.base + RECORD_HEADER_WORDS + 2 * k]!;
  }

  end(k: number): number {
    return this.words[this.base + RECORD_HEADER_WORDS + 2 * k + 1]!;
  }

  has(k: number): boolean {
    return this.start(k) >= 0;
  }

  /** Field k's bytes (a view). */
  bytes(k: number): Uint8Array {
    return this.memory.subarray(this.start(k), this.end(k));
  }

  text(k: number): string {
    return DECODER.decode(this.bytes(k));
  }
}

const DECODER = new TextDecoder();

/** Collects stream chunks and releases whole-line blocks of ≥ BLOCK_BYTES (the tail carries over). */
class LineBlocks {
  private pending = new Uint8Array(BLOCK_BYTES * 2);
  private used = 0;
  private first = true;

  constructor(private readonly onBlock: (block: Uint8Array) => void) {}

  push(chunk: Uint8Array): void {
    if (this.first && chunk.length > 0) {
      this.first = false;
      // A UTF-8 byte order mark is not part of the first field.
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    if (this.used + chunk.length > this.pending.length) {
      const next = new Uint8Array(Math.max(this.pending.length * 2, this.used + chunk.length));
      next.set(this.pending.subarray(0, this.used));
      this.pending = next;
    }
    this.pending.set(chunk, this.used);
    this.used += chunk.length;
    if (this.used < BLOCK_BYTES) return;
    const lastNewline = this.pending.lastIndexOf(0x0a, this.used - 1);
    if (lastNewline < 0) return; // one very long line so far: keep collecting
    this.onBlock(this.pending.subarray(0, lastNewline + 1));
    this.pending.copyWithin(0, lastNewline + 1, this.used);
    this.used -= lastNewline + 1;
  }

  end(): void {
    if (this.used > 0) this.onBlock(this.pending.subarray(0, this.used));
    this.used = 0;
  }
}

export type ScanFormat = { kind: 'tsv'; whitespace: boolean; maxFields: number } | { kind: 'jsonl'; keys: readonly string[] };

export interface ScanStats {
  lines: number;
  bytes: number;
}

/**
 * Streams `path` from `source` through the scanner, calling `onLine` for every line (blank ones too,
 * with status LINE_BLANK). Synchronous per block: nothing else can touch the wasm scratch memory while
 * a block is scanned, and it is reset after each block.
 */
export async function scanFile(source: DataSource, path: string, format: ScanFormat, onLine: (line: LineCursor) => void): Promise<ScanStats> {
  const w = wasm() as DataExports;
  const cursor = new LineCursor();
  const keyBytes = format.kind === 'jsonl' ? new TextEncoder().encode(format.keys.map((k) => `${k}\0`).join('')) : new Uint8Array(0);
  const fields = format.kind === 'jsonl' ? format.keys.length : format.maxFields;
  const stride = RECORD_HEADER_WORDS + 2 * fields;
  const stats: ScanStats = { lines: 0, bytes: 0 };

  const scanBlock = (block: Uint8Array): void => {
    stats.bytes += block.length;
    try {
      const inPtr = w.alloc(block.length);
      const outPtr = w.alloc(RECORDS_PER_CALL * stride * 4);
      const keysPtr = w.alloc(keyBytes.length);
      const decodedPtr = format.kind === 'jsonl' ? w.alloc(block.length) : 0;
      new Uint8Array(w.memory.buffer, inPtr, block.length).set(block);
      new Uint8Array(w.memory.buffer, keysPtr, keyBytes.length).set(keyBytes);
      let done = 0;
      while (done < block.length) {
        const records =
          format.kind === 'jsonl'
            ? w.scanJsonl(inPtr + done, block.length - done, keysPtr, fields, outPtr, RECORDS_PER_CALL, decodedPtr)
            : w.scanTsv(inPtr + done, block.length - done, format.whitespace ? 1 : 0, fields, outPtr, RECORDS_PER_CALL);
        done += w.scanConsumed();
        const memory = new Uint8Array(w.memory.buffer);
        const words = new Int32Array(w.memory.buffer, outPtr, records * stride);
        for (let r = 0; r < records; r++) {
          cursor.point(memory, words, r * stride, ++stats.lines);
          onLine(cursor);
        }
      }
    } finally {
      w.reset();
    }
  };

  const blocks = new LineBlocks(scanBlock);
  for await (const chunk of fileBytes(source, path)) blocks.push(chunk);
  blocks.end();
  return stats;
}
