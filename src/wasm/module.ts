// The one AssemblyScript module, instantiated once per process from the embedded base64 bytes, so Node
// and browsers load it the same way. Exports take (ptr, len) and return counts; the host owns the
// scratch memory through alloc()/reset().
import { DensescaleError } from '../errors.js';
import { WASM_BASE64 } from '../gen/densescale_wasm.js';

export interface WasmExports {
  memory: WebAssembly.Memory;
  alloc(size: number): number;
  reset(): void;
  utf8Validate(ptr: number, len: number): number;
  [name: string]: unknown;
}

let instance: WasmExports | null = null;
let loading: Promise<WasmExports> | null = null;

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Thrown when the wasm module traps (an AssemblyScript abort or an out-of-bounds access). */
export class WasmTrap extends DensescaleError {}

/**
 * Instantiates the module once. Asynchronous because browsers refuse synchronous compilation of larger
 * modules on the main thread; everything after it is synchronous through wasm().
 */
export function loadWasm(): Promise<WasmExports> {
  loading ??= (async () => {
    const imports = {
      env: {
        abort(msgPtr: number, filePtr: number, line: number, col: number): never {
          throw new WasmTrap(`wasm abort at ${readAsString(filePtr)}:${line}:${col}: ${readAsString(msgPtr)}`);
        },
      },
    };
    const { instance: inst } = await WebAssembly.instantiate(decodeBase64(WASM_BASE64) as BufferSource, imports);
    instance = inst.exports as unknown as WasmExports;
    return instance;
  })();
  return loading;
}

/** The instantiated module; call (and await) loadWasm() once first. */
export function wasm(): WasmExports {
  if (instance === null) throw new DensescaleError('the wasm module is not loaded yet: await loadWasm() first');
  return instance;
}

/** Reads an AssemblyScript string (UTF-16, length in the header 4 bytes before) for abort messages. */
function readAsString(ptr: number): string {
  if (!ptr || instance === null) return '';
  const mem = new Uint8Array(instance.memory.buffer);
  const len = new Uint32Array(mem.buffer, ptr - 4, 1)[0]! >>> 1;
  return String.fromCharCode(...new Uint16Array(mem.buffer, ptr, len));
}

/** Copies bytes into wasm scratch memory; returns the pointer. Valid until the next reset(). */
export function copyIn(bytes: Uint8Array): number {
  const w = wasm();
  const ptr = w.alloc(bytes.length);
  new Uint8Array(w.memory.buffer, ptr, bytes.length).set(bytes);
  return ptr;
}

/** -1 if `bytes` are valid UTF-8, else the offset of the first invalid sequence (WHATWG rules). */
export function utf8InvalidOffset(bytes: Uint8Array): number {
  const w = wasm();
  try {
    return w.utf8Validate(copyIn(bytes), bytes.length);
  } finally {
    w.reset();
  }
}
