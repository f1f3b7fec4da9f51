// Byte scanning for the dataset readers (src/data/scan.ts is the TS side): line splitting, TSV fields and
// a minimal JSON object reader that decodes only the keys asked for. The host sends blocks of complete
// lines; every line becomes one fixed-stride record of i32 words, so the host can number lines without
// counting newlines itself:
//
//   [status, errorColumn, errorField, fieldCount, start0, end0, start1, end1, ...]
//
// start/end are absolute wasm addresses of the field bytes (TSV: slices of the input; JSON: decoded
// UTF-8 written to the host's output region). A JSON key that is absent has start = end = -1.
import { utf8Validate } from './utf8';

export const RECORD_HEADER_WORDS: i32 = 4;

// Status codes; src/data/scan.ts turns them into messages. Keep the two lists in step.
export const STATUS_OK: i32 = 0;
export const STATUS_BLANK: i32 = 1; // only spaces/tabs: no record, counted by the host
export const STATUS_UTF8: i32 = 2;
export const STATUS_JSON_NOT_OBJECT: i32 = 3;
export const STATUS_JSON_SYNTAX: i32 = 4;
export const STATUS_JSON_BAD_ESCAPE: i32 = 5;
export const STATUS_JSON_CONTROL_CHAR: i32 = 6;
export const STATUS_JSON_UNTERMINATED: i32 = 7;
export const STATUS_JSON_VALUE_TYPE: i32 = 8; // a requested key holds an object, array, bool or null
export const STATUS_JSON_TRAILING: i32 = 9; // bytes after the closing brace

// At most this many requested JSON keys (BEIR needs 3: _id, title, text).
const MAX_KEYS: i32 = 8;
// Raw (undecoded) value span of each requested key on the current line, to name the field that holds a
// bad UTF-8 byte.
const RAW_SPANS: usize = memory.data(MAX_KEYS * 8);

let consumed: i32 = 0;
// Set by the JSON helpers on failure: the status and the line column where it happened.
let failStatus: i32 = 0;
let failAt: usize = 0;
// Write cursor into the host's decoded-bytes region.
let cursor: usize = 0;

/** Bytes of the input that the last scan call turned into records (complete lines only). */
export function scanConsumed(): i32 {
  return consumed;
}

@inline function isBlankByte(c: u32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0d;
}

@inline function lineEnd(ptr: usize, pos: i32, len: i32): i32 {
  let i = pos;
  while (i < len && load<u8>(ptr + <usize>i) != 0x0a) i++;
  return i;
}

function isBlankLine(start: usize, end: usize): bool {
  for (let p = start; p < end; p++) if (!isBlankByte(<u32>load<u8>(p))) return false;
  return true;
}

function writeHeader(rec: usize, status: i32, column: i32, field: i32, fieldCount: i32): void {
  store<i32>(rec, status);
  store<i32>(rec + 4, column);
  store<i32>(rec + 8, field);
  store<i32>(rec + 12, fieldCount);
}

/**
 * Splits lines into fields. `whitespace` = 0: fields are separated by single tabs (text may contain
 * spaces; empty fields are kept). `whitespace` = 1: fields are runs of non-blank bytes (qrels, where TREC
 * files use spaces). A trailing '\r' is dropped. Returns the number of records written; scanConsumed()
 * says how many input bytes they cover.
 */
export function scanTsv(inPtr: usize, inLen: i32, whitespace: i32, maxFields: i32, outPtr: usize, maxRecords: i32): i32 {
  const stride = <usize>(RECORD_HEADER_WORDS + 2 * maxFields) * 4;
  let pos: i32 = 0;
  let n: i32 = 0;
  while (pos < inLen && n < maxRecords) {
    const eol = lineEnd(inPtr, pos, inLen);
    let end = eol;
    if (end > pos && load<u8>(inPtr + <usize>(end - 1)) == 0x0d) end--;
    tsvLine(inPtr + <usize>pos, inPtr + <usize>end, whitespace != 0, maxFields, outPtr + <usize>n * stride);
    n++;
    pos = eol < inLen ? eol + 1 : eol;
  }
  consumed = pos;
  return n;
}

function tsvLine(start: usize, end: usize, whitespace: bool, maxFields: i32, rec: usize): void {
  for (let k: i32 = 0; k < maxFields; k++) {
    store<i32>(rec + 16 + <usize>k * 8, -1);
    store<i32>(rec + 20 + <usize>k * 8, -1);
  }
  if (isBlankLine(start, end)) {
    writeHeader(rec, STATUS_BLANK, 0, -1, 0);
    return;
  }
  let fields: i32 = 0;
  if (whitespace) {
    let p = start;
    while (p < end) {
      while (p < end && isBlankByte(<u32>load<u8>(p))) p++;
      if (p >= end) break;
      const s = p;
      while (p < end && !isBlankByte(<u32>load<u8>(p))) p++;
      if (fields < maxFields) setField(rec, fields, s, p);
      fields++;
    }
  } else {
    let s = start;
    for (let p = start; ; p++) {
      if (p == end || load<u8>(p) == 0x09) {
        if (fields < maxFields) setField(rec, fields, s, p);
        fields++;
        if (p == end) break;
        s = p + 1;
      }
    }
  }
  const bad = utf8Validate(start, <i32>(end - start));
  if (bad >= 0) {
    writeHeader(rec, STATUS_UTF8, bad, fieldAt(rec, min(fields, maxFields), start + <usize>bad), fields);
    return;
  }
  writeHeader(rec, STATUS_OK, 0, -1, fields);
}

@inline function setField(rec: usize, k: i32, s: usize, e: usize): void {
  store<i32>(rec + 16 + <usize>k * 8, <i32>s);
  store<i32>(rec + 20 + <usize>k * 8, <i32>e);
}

/** Index of the recorded field whose span holds `at` (a separator counts for no field), else -1. */
function fieldAt(rec: usize, fields: i32, at: usize): i32 {
  for (let k: i32 = 0; k < fields; k++) {
    const s = <usize>load<i32>(rec + 16 + <usize>k * 8);
    const e = <usize>load<i32>(rec + 20 + <usize>k * 8);
    if (at >= s && at < e) return k;
  }
  return -1;
}

/**
 * Reads one JSON object per line and decodes the values of the requested keys into the region at
 * `bytesPtr` (the host sizes it to the input length: decoding never grows a string). `keysPtr` holds
 * `keyCount` keys, each NUL-terminated. String values are unescaped to UTF-8 (\uXXXX surrogate pairs
 * combined; a lone surrogate becomes U+FFFD, as JSON.parse followed by TextEncoder does); a number value
 * is kept as its literal text (some corpora use numeric ids). Values of other keys are skipped by
 * bracket matching, not validated in depth. Duplicate keys: the last one wins, as in JSON.parse.
 */
export function scanJsonl(
  inPtr: usize,
  inLen: i32,
  keysPtr: usize,
  keyCount: i32,
  outPtr: usize,
  maxRecords: i32,
  bytesPtr: usize,
): i32 {
  if (keyCount > MAX_KEYS) abort('scanJsonl: too many keys');
  const stride = <usize>(RECORD_HEADER_WORDS + 2 * keyCount) * 4;
  cursor = bytesPtr;
  let pos: i32 = 0;
  let n: i32 = 0;
  while (pos < inLen && n < maxRecords) {
    const eol = lineEnd(inPtr, pos, inLen);
    let end = eol;
    if (end > pos && load<u8>(inPtr + <usize>(end - 1)) == 0x0d) end--;
    jsonLine(inPtr + <usize>pos, inPtr + <usize>end, keysPtr, keyCount, outPtr + <usize>n * stride);
    n++;
    pos = eol < inLen ? eol + 1 : eol;
  }
  consumed = pos;
  return n;
}

function jsonLine(start: usize, end: usize, keysPtr: usize, keyCount: i32, rec: usize): void {
  for (let k: i32 = 0; k < keyCount; k++) {
    setField(rec, k, <usize>-1, <usize>-1);
    store<i32>(RAW_SPANS + <usize>k * 8, -1);
    store<i32>(RAW_SPANS + <usize>k * 8 + 4, -1);
  }
  if (isBlankLine(start, end)) {
    writeHeader(rec, STATUS_BLANK, 0, -1, 0);
    return;
  }
  const lineCursor = cursor;
  const field = jsonObject(start, end, keysPtr, keyCount, rec);
  if (field != -2) {
    cursor = lineCursor; // nothing from a rejected line is kept
    writeHeader(rec, failStatus, <i32>(failAt - start), field, keyCount);
    return;
  }
  const bad = utf8Validate(start, <i32>(end - start));
  if (bad >= 0) {
    cursor = lineCursor;
    const at = start + <usize>bad;
    let badField: i32 = -1;
    for (let k: i32 = 0; k < keyCount; k++) {
      const s = <usize>load<i32>(RAW_SPANS + <usize>k * 8);
      const e = <usize>load<i32>(RAW_SPANS + <usize>k * 8 + 4);
      if (s != <usize>-1 && at >= s && at < e) badField = k;
    }
    writeHeader(rec, STATUS_UTF8, bad, badField, keyCount);
    return;
  }
  writeHeader(rec, STATUS_OK, 0, -1, keyCount);
}

@inline function fail(status: i32, at: usize): void {
  failStatus = status;
  failAt = at;
}

/** fail() for the position-returning helpers, whose failure value is position 0. */
@inline function failed(status: i32, at: usize): usize {
  failStatus = status;
  failAt = at;
  return 0;
}

function skipWs(p: usize, end: usize): usize {
  while (p < end) {
    const c = <u32>load<u8>(p);
    if (c != 0x20 && c != 0x09 && c != 0x0d && c != 0x0a) break;
    p++;
  }
  return p;
}

/**
 * Parses the object on [start, end). Returns -2 on success; on failure sets failStatus/failAt and
 * returns the index of the requested key being read (or -1 when the failure is outside one).
 */
function jsonObject(start: usize, end: usize, keysPtr: usize, keyCount: i32, rec: usize): i32 {
  let p = skipWs(start, end);
  if (p >= end || load<u8>(p) != 0x7b) {
    fail(STATUS_JSON_NOT_OBJECT, p);
    return -1;
  }
  p = skipWs(p + 1, end);
  if (p < end && load<u8>(p) == 0x7d) return finishObject(p + 1, end);
  while (true) {
    if (p >= end || load<u8>(p) != 0x22) {
      fail(p >= end ? STATUS_JSON_UNTERMINATED : STATUS_JSON_SYNTAX, p);
      return -1;
    }
    // Keys are decoded into the output region, compared, then the cursor rewinds over them.
    const keyStart = cursor;
    const afterKey = decodeString(p, end);
    if (afterKey == 0) return -1;
    const key = matchKey(keysPtr, keyCount, keyStart, cursor);
    cursor = keyStart;
    p = skipWs(afterKey, end);
    if (p >= end || load<u8>(p) != 0x3a) {
      fail(p >= end ? STATUS_JSON_UNTERMINATED : STATUS_JSON_SYNTAX, p);
      return key;
    }
    p = skipWs(p + 1, end);
    if (p >= end) {
      fail(STATUS_JSON_UNTERMINATED, p);
      return key;
    }
    const valueStart = p;
    if (key >= 0) {
      const c = <u32>load<u8>(p);
      const s = cursor;
      if (c == 0x22) {
        p = decodeString(p, end);
        if (p == 0) return key;
      } else if (c == 0x2d || (c >= 0x30 && c <= 0x39)) {
        p = skipNumber(p, end);
        memory.copy(cursor, valueStart, p - valueStart);
        cursor += p - valueStart;
      } else {
        fail(STATUS_JSON_VALUE_TYPE, p);
        return key;
      }
      setField(rec, key, s, cursor);
      store<i32>(RAW_SPANS + <usize>key * 8, <i32>valueStart);
      store<i32>(RAW_SPANS + <usize>key * 8 + 4, <i32>p);
    } else {
      p = skipValue(p, end);
      if (p == 0) return -1;
    }
    p = skipWs(p, end);
    if (p >= end) {
      fail(STATUS_JSON_UNTERMINATED, p);
      return -1;
    }
    const c = load<u8>(p);
    if (c == 0x7d) return finishObject(p + 1, end);
    if (c != 0x2c) {
      fail(STATUS_JSON_SYNTAX, p);
      return -1;
    }
    p = skipWs(p + 1, end);
  }
  return unreachable();
}

function finishObject(p: usize, end: usize): i32 {
  p = skipWs(p, end);
  if (p != end) {
    fail(STATUS_JSON_TRAILING, p);
    return -1;
  }
  return -2;
}

/** Index of the requested key equal to bytes [s, e), else -1. */
function matchKey(keysPtr: usize, keyCount: i32, s: usize, e: usize): i32 {
  let k = keysPtr;
  for (let i: i32 = 0; i < keyCount; i++) {
    let a = s;
    let b = k;
    while (a < e && load<u8>(b) != 0 && load<u8>(a) == load<u8>(b)) {
      a++;
      b++;
    }
    if (a == e && load<u8>(b) == 0) return i;
    while (load<u8>(k) != 0) k++;
    k++;
  }
  return -1;
}

@inline function hexValue(c: u32): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>(c - 0x30);
  if (c >= 0x61 && c <= 0x66) return <i32>(c - 0x61 + 10);
  if (c >= 0x41 && c <= 0x46) return <i32>(c - 0x41 + 10);
  return -1;
}

/** The 4 hex digits after "\u" at p (p points at 'u'), or -1. */
function hex4(p: usize, end: usize): i32 {
  if (p + 5 > end) return -1;
  let v: i32 = 0;
  for (let i: usize = 1; i <= 4; i++) {
    const h = hexValue(<u32>load<u8>(p + i));
    if (h < 0) return -1;
    v = (v << 4) | h;
  }
  return v;
}

function putCodePoint(cp: u32): void {
  if (cp < 0x80) {
    store<u8>(cursor++, <u8>cp);
  } else if (cp < 0x800) {
    store<u8>(cursor++, <u8>(0xc0 | (cp >> 6)));
    store<u8>(cursor++, <u8>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    store<u8>(cursor++, <u8>(0xe0 | (cp >> 12)));
    store<u8>(cursor++, <u8>(0x80 | ((cp >> 6) & 0x3f)));
    store<u8>(cursor++, <u8>(0x80 | (cp & 0x3f)));
  } else {
    store<u8>(cursor++, <u8>(0xf0 | (cp >> 18)));
    store<u8>(cursor++, <u8>(0x80 | ((cp >> 12) & 0x3f)));
    store<u8>(cursor++, <u8>(0x80 | ((cp >> 6) & 0x3f)));
    store<u8>(cursor++, <u8>(0x80 | (cp & 0x3f)));
  }
}

/**
 * Decodes the JSON string starting at the quote at p into the output region. Returns the position after
 * the closing quote, or 0 on failure (failStatus/failAt set).
 */
function decodeString(p: usize, end: usize): usize {
  p++;
  while (p < end) {
    const c = <u32>load<u8>(p);
    if (c == 0x22) return p + 1;
    if (c < 0x20) return failed(STATUS_JSON_CONTROL_CHAR, p);
    if (c != 0x5c) {
      store<u8>(cursor++, <u8>c);
      p++;
      continue;
    }
    if (p + 1 >= end) return failed(STATUS_JSON_UNTERMINATED, p);
    const e = <u32>load<u8>(p + 1);
    let out: i32 = -1;
    if (e == 0x22 || e == 0x5c || e == 0x2f) out = <i32>e;
    else if (e == 0x62) out = 0x08;
    else if (e == 0x66) out = 0x0c;
    else if (e == 0x6e) out = 0x0a;
    else if (e == 0x72) out = 0x0d;
    else if (e == 0x74) out = 0x09;
    if (out >= 0) {
      store<u8>(cursor++, <u8>out);
      p += 2;
      continue;
    }
    if (e != 0x75) return failed(STATUS_JSON_BAD_ESCAPE, p);
    const unit = hex4(p + 1, end);
    if (unit < 0) return failed(STATUS_JSON_BAD_ESCAPE, p);
    p += 6;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      // A high surrogate pairs only with an immediately following \uDC00-\uDFFF escape.
      if (p + 1 < end && load<u8>(p) == 0x5c && load<u8>(p + 1) == 0x75) {
        const low = hex4(p + 1, end);
        if (low >= 0xdc00 && low <= 0xdfff) {
          putCodePoint(0x10000 + ((<u32>(unit - 0xd800)) << 10) + <u32>(low - 0xdc00));
          p += 6;
          continue;
        }
      }
      putCodePoint(0xfffd);
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      putCodePoint(0xfffd);
    } else {
      putCodePoint(<u32>unit);
    }
  }
  return failed(STATUS_JSON_UNTERMINATED, p);
}

/** Skips a string without decoding; returns the position after it or 0. */
function skipString(p: usize, end: usize): usize {
  p++;
  while (p < end) {
    const c = <u32>load<u8>(p);
    if (c == 0x22) return p + 1;
    if (c < 0x20) return failed(STATUS_JSON_CONTROL_CHAR, p);
    p += c == 0x5c ? 2 : 1;
  }
  return failed(STATUS_JSON_UNTERMINATED, end);
}

function skipNumber(p: usize, end: usize): usize {
  while (p < end) {
    const c = <u32>load<u8>(p);
    if (!((c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x2b || c == 0x2e || c == 0x65 || c == 0x45)) break;
    p++;
  }
  return p;
}

function skipLiteral(p: usize, end: usize, word: string): usize {
  const n = <usize>word.length;
  if (p + n > end) return failed(STATUS_JSON_SYNTAX, p);
  for (let i: usize = 0; i < n; i++) {
    if (<u32>load<u8>(p + i) != <u32>word.charCodeAt(<i32>i)) return failed(STATUS_JSON_SYNTAX, p);
  }
  return p + n;
}

/** Skips any JSON value (objects and arrays by bracket depth, strings aware of escapes); 0 on failure. */
function skipValue(p: usize, end: usize): usize {
  const c = <u32>load<u8>(p);
  if (c == 0x22) return skipString(p, end);
  if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return skipNumber(p, end);
  if (c == 0x74) return skipLiteral(p, end, 'true');
  if (c == 0x66) return skipLiteral(p, end, 'false');
  if (c == 0x6e) return skipLiteral(p, end, 'null');
  if (c != 0x7b && c != 0x5b) return failed(STATUS_JSON_SYNTAX, p);
  let depth: i32 = 0;
  while (p < end) {
    const b = <u32>load<u8>(p);
    if (b == 0x22) {
      p = skipString(p, end);
      if (p == 0) return 0;
      continue;
    }
    if (b == 0x7b || b == 0x5b) depth++;
    else if (b == 0x7d || b == 0x5d) {
      depth--;
      if (depth == 0) return p + 1;
    }
    p++;
  }
  return failed(STATUS_JSON_UNTERMINATED, end);
}
