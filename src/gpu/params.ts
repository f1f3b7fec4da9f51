// Packs a `struct Params` uniform from the field order the generator extracted. Fields are 4-byte
// scalars only, so the WGSL layout is simply consecutive 4-byte slots.
import { ConfigError } from '../errors.js';
import type { ParamType } from './shader_types.js';

export type ParamValues = Readonly<Record<string, number>>;

/** Size in bytes of the Params binding: uniform buffers want a multiple of 16. */
export function paramsByteSize(fields: readonly (readonly [string, ParamType])[]): number {
  return Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
}

export function packParams(
  shader: string,
  fields: readonly (readonly [string, ParamType])[],
  values: ParamValues,
  view: DataView,
  byteOffset: number,
): void {
  for (const key of Object.keys(values)) {
    if (!fields.some(([name]) => name === key)) {
      throw new ConfigError(`${shader}: Params has no field "${key}" (fields: ${fields.map(([n]) => n).join(', ')})`);
    }
  }
  fields.forEach(([name, type], i) => {
    const v = values[name];
    if (v === undefined) throw new ConfigError(`${shader}: Params field "${name}" was not given`);
    const at = byteOffset + i * 4;
    if (type === 'f32') {
      view.setFloat32(at, v, true);
    } else if (type === 'u32') {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new ConfigError(`${shader}: Params.${name} = ${v} is not a u32`);
      view.setUint32(at, v, true);
    } else {
      if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new ConfigError(`${shader}: Params.${name} = ${v} is not an i32`);
      view.setInt32(at, v, true);
    }
  });
}
