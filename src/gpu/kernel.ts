// Compiled kernels: one pipeline per (entry point, overrides), with an exact bind-group layout built
// from the bindings that entry point really uses, so launchers bind tensors by WGSL name.
import { ConfigError, LimitError, ShaderError } from '../errors.js';
import { ceilDiv } from '../util/math.js';
import { ENTRY_FILES, SHADERS } from '../gen/shaders.js';
import type { ParamType, ShaderBinding, ShaderSource } from './shader_types.js';

export type Overrides = Readonly<Record<string, number>>;

export class Kernel {
  /** Unique per pipeline; part of bind-group cache keys. */
  readonly id: number;
  readonly params: readonly (readonly [string, ParamType])[];
  /** Bindings this entry uses, uniform first; the launcher supplies every non-uniform one by name. */
  readonly bindings: readonly ShaderBinding[];
  readonly workgroupSize: readonly [number, number, number];

  constructor(
    id: number,
    readonly entry: string,
    readonly source: ShaderSource,
    readonly overrides: Overrides,
    readonly pipeline: GPUComputePipeline,
    readonly layout: GPUBindGroupLayout,
    bindings: ShaderBinding[],
    workgroupSize: [number, number, number],
  ) {
    this.id = id;
    this.params = source.params;
    this.bindings = bindings;
    this.workgroupSize = workgroupSize;
  }

  get invocationsPerWorkgroup(): number {
    return this.workgroupSize[0] * this.workgroupSize[1] * this.workgroupSize[2];
  }
}

export function shaderFor(entry: string): ShaderSource {
  const file = ENTRY_FILES[entry];
  const source = file === undefined ? undefined : SHADERS[file];
  if (source === undefined) throw new ShaderError(`unknown kernel entry point "${entry}"`, entry);
  return source;
}

export function overridesKey(entry: string, overrides: Overrides): string {
  return `${entry}{${Object.keys(overrides)
    .sort()
    .map((k) => `${k}=${overrides[k]}`)
    .join(',')}}`;
}

/** Resolves @workgroup_size(...) terms (literals or override names) to numbers. */
export function resolveWorkgroupSize(source: ShaderSource, terms: readonly string[], overrides: Overrides): [number, number, number] {
  const value = (t: string): number => {
    const lit = Number(t.replace(/u$/, ''));
    if (Number.isFinite(lit)) return lit;
    const v = overrides[t] ?? source.overrides[t];
    if (v === undefined || v === null) throw new ConfigError(`${source.name}: workgroup size term "${t}" has no value`);
    return v;
  };
  return [value(terms[0] ?? '1'), value(terms[1] ?? '1'), value(terms[2] ?? '1')];
}

/** Builds the pipeline; limits are checked here so a bad override fails with a LimitError, not a driver message. */
export function compileKernel(device: GPUDevice, id: number, entry: string, overrides: Overrides, module: GPUShaderModule): Kernel {
  const source = shaderFor(entry);
  const info = source.entries.find((e) => e.name === entry);
  if (info === undefined) throw new ShaderError(`${source.name}: no entry point ${entry}`, source.name);
  for (const k of Object.keys(overrides)) {
    if (!(k in source.overrides)) throw new ConfigError(`${entry}: unknown override ${k} (has: ${Object.keys(source.overrides).join(', ') || 'none'})`);
  }
  const wg = resolveWorkgroupSize(source, info.workgroupSize, overrides);
  const invocations = wg[0] * wg[1] * wg[2];
  if (invocations > device.limits.maxComputeInvocationsPerWorkgroup) {
    throw new LimitError(
      `${entry}: workgroup ${wg.join('x')} = ${invocations} invocations exceeds maxComputeInvocationsPerWorkgroup ` +
        `${device.limits.maxComputeInvocationsPerWorkgroup}; use smaller tile overrides`,
      'maxComputeInvocationsPerWorkgroup',
      invocations,
      device.limits.maxComputeInvocationsPerWorkgroup,
    );
  }
  const bindings = source.bindings.filter((b) => info.bindings.includes(b.binding));
  const layout = device.createBindGroupLayout({
    label: `${entry}.layout`,
    entries: bindings.map((b) => ({
      binding: b.binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: b.kind === 'uniform' ? 'uniform' : b.kind === 'read' ? 'read-only-storage' : 'storage' },
    })),
  });
  const pipeline = device.createComputePipeline({
    label: overridesKey(entry, overrides),
    layout: device.createPipelineLayout({ label: `${entry}.pipeline_layout`, bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: entry, constants: { ...overrides } },
  });
  return new Kernel(id, entry, source, overrides, pipeline, layout, bindings, wg);
}

/**
 * Workgroup counts for a 1-D kernel over `n` items: more than maxComputeWorkgroupsPerDimension (65535)
 * workgroups fold into (x, y); the kernel linearises `gid.x + gid.y * nwg.x * WG`.
 */
export function grid1d(n: number, workgroupSize: number, maxPerDim = 65535): [number, number, number] {
  const groups = Math.max(1, ceilDiv(n, workgroupSize));
  if (groups <= maxPerDim) return [groups, 1, 1];
  const y = ceilDiv(groups, maxPerDim);
  if (y > maxPerDim) {
    throw new LimitError(`dispatch of ${n} items needs ${groups} workgroups, more than ${maxPerDim}² `, 'maxComputeWorkgroupsPerDimension', groups, maxPerDim * maxPerDim);
  }
  return [ceilDiv(groups, y), y, 1];
}
