// Splitting a range of a flat buffer into pieces that each fit one storage binding. A flat params or
// grads buffer may be larger than maxStorageBufferBindingSize (128 MiB on lavapipe); kernels then run
// once per piece, each piece bound as its own sub-range.
import { ConfigError } from '../errors.js';
import type { Device } from '../gpu/device.js';

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Elements per binding-offset step: pieces must start at multiples of this (256 B = 64 f32 usually).
 *
 * @example
 * alignElements(device); // 64 where minStorageBufferOffsetAlignment is 256
 */
export function alignElements(device: Device): number {
  return Math.max(1, device.gpu.limits.minStorageBufferOffsetAlignment / 4);
}

/**
 * The largest piece (in elements) that fits one storage binding and is a multiple of `multiple` and of
 * the binding-offset alignment, or `requested` (checked against the same rules) when given.
 *
 * @example
 * pieceElements(device, 'adamwUpdate', 64); // 33554432 on lavapipe (128 MiB bindings)
 */
export function pieceElements(device: Device, what: string, multiple: number, requested?: number): number {
  const align = alignElements(device);
  const step = (multiple / gcd(multiple, align)) * align;
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested <= 0 || requested % step !== 0) {
      throw new ConfigError(`must be a positive multiple of ${step} elements (binding alignment ${align}, block ${multiple}); got ${requested}`, `${what}.chunkElements`);
    }
    if (requested * 4 > device.gpu.limits.maxStorageBufferBindingSize) {
      throw new ConfigError(`${requested} elements exceed maxStorageBufferBindingSize (${device.gpu.limits.maxStorageBufferBindingSize} bytes)`, `${what}.chunkElements`);
    }
    return requested;
  }
  return Math.floor(device.gpu.limits.maxStorageBufferBindingSize / 4 / step) * step;
}

/**
 * [offset, length) pieces covering [0, n) in order, each at most `piece` elements.
 *
 * @example
 * pieces(10, 4); // [{ offset: 0, length: 4 }, { offset: 4, length: 4 }, { offset: 8, length: 2 }]
 */
export function pieces(n: number, piece: number): { offset: number; length: number }[] {
  const out: { offset: number; length: number }[] = [];
  for (let offset = 0; offset < n; offset += piece) out.push({ offset, length: Math.min(piece, n - offset) });
  return out;
}
