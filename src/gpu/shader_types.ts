// Shapes of the metadata build/gen_shaders.mjs extracts from each shaders/*.wgsl file.

export type ParamType = 'u32' | 'i32' | 'f32';
export type BindingKind = 'uniform' | 'read' | 'read_write';

export interface ShaderBinding {
  binding: number;
  name: string;
  kind: BindingKind;
}

export interface ShaderEntry {
  name: string;
  /** Literal sizes or override names, as written in @workgroup_size(...). */
  workgroupSize: string[];
  /** @binding numbers this entry point (and the functions it calls) reference. */
  bindings: number[];
}

export interface ShaderSource {
  name: string;
  code: string;
  params: [string, ParamType][];
  overrides: Record<string, number | null>;
  bindings: ShaderBinding[];
  entries: ShaderEntry[];
}
