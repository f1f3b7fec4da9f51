// safetensors (https://github.com/huggingface/safetensors, format spec in its README): an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets: [begin, end]},
// "__metadata__": {string: string}}, then the raw little-endian tensor bytes. F32 is written; F32, F16
// and BF16 are read (HF checkpoints of the compact BERTs come in either) and widened to f32.
import { FormatError } from '../errors.js';

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

const MAX_HEADER = 100 * 1024 * 1024;

export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new FormatError(`tensor ${t.name}: shape [${t.shape}] has ${n} elements, data has ${t.data.length}`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + n * 4] };
    offset += n * 4;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces to 8 bytes so the tensor data is aligned (the format allows it).
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

export interface DecodedSafetensors {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
  /** Integer and boolean tensors, not decoded: buffers such as the `embeddings.position_ids` older HF BERT files carry. */
  skipped: string[];
}

/** Bytes per element of the integer and boolean dtypes of the safetensors spec. */
const NON_FLOAT_WIDTH: Record<string, number> = { BOOL: 1, U8: 1, I8: 1, I16: 2, U16: 2, I32: 4, U32: 4, I64: 8, U64: 8 };

/** Parses a safetensors file; every inconsistency is a FormatError naming the file and the tensor. */
export function decodeSafetensors(bytes: Uint8Array, file = 'model.safetensors'): DecodedSafetensors {
  if (bytes.length < 8) throw new FormatError(`${bytes.length} bytes is too short for a safetensors header`, file);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(dv.getBigUint64(0, true));
  if (headerLen > MAX_HEADER || 8 + headerLen > bytes.length) throw new FormatError(`header length ${headerLen} exceeds the file (${bytes.length} bytes)`, file, undefined, 'header');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen))) as Record<string, unknown>;
  } catch (e) {
    throw new FormatError(`header is not valid UTF-8 JSON (${(e as Error).message})`, file, undefined, 'header');
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  const skipped: string[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = value as Record<string, string>;
      continue;
    }
    const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const shape = v.shape;
    const offsets = v.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new FormatError(`tensor ${name}: bad shape ${JSON.stringify(shape)}`, file, undefined, `${name}.shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2) throw new FormatError(`tensor ${name}: bad data_offsets`, file, undefined, `${name}.data_offsets`);
    const [begin, end] = offsets as [number, number];
    const n = (shape as number[]).reduce((a, b) => a * b, 1);
    const skip = NON_FLOAT_WIDTH[String(v.dtype)];
    const width = v.dtype === 'F32' ? 4 : v.dtype === 'F16' || v.dtype === 'BF16' ? 2 : (skip ?? 0);
    if (width === 0) throw new FormatError(`tensor ${name}: dtype ${String(v.dtype)} is not supported (F32, F16, BF16)`, file, undefined, `${name}.dtype`);
    if (!(begin >= 0 && end <= dataLen && end - begin === n * width)) {
      throw new FormatError(`tensor ${name}: data_offsets [${begin}, ${end}] do not hold ${n} ${v.dtype} values within ${dataLen} data bytes`, file, undefined, `${name}.data_offsets`);
    }
    if (skip !== undefined) {
      skipped.push(name);
      continue;
    }
    const data = new Float32Array(n);
    const src = new DataView(bytes.buffer, bytes.byteOffset + dataStart + begin, end - begin);
    if (width === 4) for (let i = 0; i < n; i++) data[i] = src.getFloat32(i * 4, true);
    else if (v.dtype === 'F16') for (let i = 0; i < n; i++) data[i] = halfToFloat(src.getUint16(i * 2, true));
    else for (let i = 0; i < n; i++) data[i] = new Float32Array(new Uint32Array([src.getUint16(i * 2, true) << 16]).buffer)[0]!;
    tensors.set(name, { name, shape: shape as number[], data });
  }
  return { tensors, metadata, skipped };
}
