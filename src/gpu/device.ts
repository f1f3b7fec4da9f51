// createDevice(): adapter → device with the adapter's real limits and useful optional features,
// typed errors for loss and uncaptured errors, and ownership of every GPU object densescale creates.
import { DensescaleError, DeviceLostError, GpuUnavailableError, LimitError, ShaderError } from '../errors.js';
import { platformGpu, gpuUnavailable, runtime, type Runtime } from '../platform/platform.js';
import { numel, type Shape } from '../util/assert.js';
import { roundUp } from '../util/math.js';
import { SHADERS } from '../gen/shaders.js';
import { compileKernel, overridesKey, shaderFor, type Kernel, type Overrides } from './kernel.js';
import { Recorder } from './recorder.js';
import { Tensor, type DType } from './tensor.js';

export interface DeviceOptions {
  /**
   * Pick an adapter by name: in Node a case-sensitive substring of the Vulkan/Metal/D3D device name
   * (e.g. "llvmpipe", "SwiftShader", "NVIDIA"); in a browser a substring of the adapter's
   * vendor/architecture/device/description.
   */
  adapter?: string;
  powerPreference?: GPUPowerPreference;
  /** Wrap every submit (and bind-group creation) in validation and out-of-memory error scopes. */
  debug?: boolean;
}

/** What the adapter is and what it allows; a plain object, safe to JSON.stringify. */
export interface DeviceInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: string[];
  limits: Record<string, number>;
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
  runtime: Runtime;
  versions: Record<string, string>;
}

const OPTIONAL_FEATURES: GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'] as GPUFeatureName[];
const ARENA_CHUNK = 64 * 1024;

function plainLimits(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  // Limits are prototype getters, so Object.keys() sees nothing; walk the prototype chain instead.
  for (let o: object | null = limits; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o)) {
      const v = (limits as unknown as Record<string, unknown>)[k];
      if (typeof v === 'number' && !(k in out)) out[k] = v;
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

function adapterMatches(info: GPUAdapterInfo, name: string): boolean {
  return [info.vendor, info.architecture, info.device, info.description].some((s) => s?.includes(name));
}

/**
 * Opens a WebGPU device: dawn.node in Node, navigator.gpu in a browser.
 *
 * @example
 * const device = await createDevice();            // or createDevice({ adapter: 'llvmpipe' })
 * console.log(device.info.vendor, device.info.limits.maxStorageBufferBindingSize);
 * device.destroy();
 */
export async function createDevice(options: DeviceOptions = {}): Promise<Device> {
  // In Node, Dawn selects the adapter by name itself; a browser offers one adapter, checked below.
  const entry = await platformGpu(runtime() === 'node' ? options.adapter : undefined);
  let adapter: GPUAdapter | null;
  try {
    adapter = await entry.gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : undefined);
  } catch (e) {
    throw gpuUnavailable(`requestAdapter failed${options.adapter ? ` for adapter "${options.adapter}"` : ''}: ${(e as Error).message.split('\n').slice(0, 6).join(' ')}`);
  }
  if (adapter === null) throw gpuUnavailable('requestAdapter() returned null (no usable Vulkan/Metal/D3D12 driver)');
  if (options.adapter && entry.runtime === 'browser' && !adapterMatches(adapter.info, options.adapter)) {
    throw new GpuUnavailableError(
      `No WebGPU adapter named "${options.adapter}": the browser offered ${adapter.info.vendor}/${adapter.info.architecture} ${adapter.info.description}`,
    );
  }
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  const adapterLimits = plainLimits(adapter.limits);
  for (const [k, v] of Object.entries(adapterLimits)) {
    // Deprecated/informational entries are not requestable; the ones below are what kernels and models use.
    if (k.startsWith('max') || k.startsWith('min')) requiredLimits[k] = v;
  }
  let gpuDevice: GPUDevice;
  try {
    gpuDevice = await adapter.requestDevice({ label: 'densescale', requiredFeatures, requiredLimits });
  } catch {
    // Some implementations reject limits they list; fall back to the ones that matter for compute.
    const keep = [
      'maxStorageBufferBindingSize',
      'maxBufferSize',
      'maxComputeInvocationsPerWorkgroup',
      'maxComputeWorkgroupSizeX',
      'maxComputeWorkgroupSizeY',
      'maxComputeWorkgroupSizeZ',
      'maxComputeWorkgroupStorageSize',
      'maxComputeWorkgroupsPerDimension',
      'maxStorageBuffersPerShaderStage',
    ];
    const subset = Object.fromEntries(keep.filter((k) => k in adapterLimits).map((k) => [k, adapterLimits[k] as number]));
    gpuDevice = await adapter.requestDevice({ label: 'densescale', requiredFeatures, requiredLimits: subset });
  }
  const ai = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean; subgroupMinSize?: number; subgroupMaxSize?: number };
  const legacyFallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const info: DeviceInfo = {
    vendor: ai.vendor ?? '',
    architecture: ai.architecture ?? '',
    device: ai.device ?? '',
    description: ai.description ?? '',
    isFallbackAdapter: Boolean(ai.isFallbackAdapter ?? legacyFallback ?? false),
    features: [...gpuDevice.features].map(String).sort(),
    limits: plainLimits(gpuDevice.limits),
    runtime: entry.runtime,
    versions: entry.versions,
  };
  if (ai.subgroupMinSize !== undefined) info.subgroupMinSize = ai.subgroupMinSize;
  if (ai.subgroupMaxSize !== undefined) info.subgroupMaxSize = ai.subgroupMaxSize;
  return new Device(gpuDevice, info, options.debug ?? false);
}

/**
 * An open WebGPU device and everything densescale allocated on it. Call destroy() when done.
 */
export class Device {
  private destroyed = false;
  private lost: DeviceLostError | null = null;
  private readonly pending: GPUError[] = [];
  private readonly buffers = new Set<GPUBuffer>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 1;
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly kernels = new Map<string, Kernel>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly keysByBuffer = new Map<number, Set<string>>();
  private readonly arena: { buffer: GPUBuffer; cpu: ArrayBuffer; view: DataView }[] = [];
  private readonly stagingPool = new Map<number, GPUBuffer[]>();
  private querySet: GPUQuerySet | null = null;
  private queryResolve: GPUBuffer | null = null;
  private active: Recorder | null = null;
  private readonly paramStride: number;

  constructor(
    readonly gpu: GPUDevice,
    readonly info: DeviceInfo,
    readonly debug: boolean,
  ) {
    this.paramStride = Math.max(256, gpu.limits.minUniformBufferOffsetAlignment);
    gpu.lost.then((l) => {
      if (!this.destroyed) this.lost = new DeviceLostError(`WebGPU device lost (${l.reason}): ${l.message}`);
    });
    gpu.onuncapturederror = (ev) => {
      this.pending.push(ev.error);
    };
  }

  /** Throws the first error the device reported since the last check (loss, validation, out of memory). */
  check(): void {
    if (this.destroyed) throw new DeviceLostError('the device was destroyed');
    if (this.lost) throw this.lost;
    const e = this.pending.shift();
    if (e !== undefined) {
      this.pending.length = 0;
      throw this.translateError(e, 'device');
    }
  }

  /** @internal */
  translateError(e: GPUError, where: string): DensescaleError {
    const msg = `${where}: ${e.message}`;
    if (e.constructor.name === 'GPUOutOfMemoryError' || /out of memory/i.test(e.message)) {
      return new LimitError(`${msg}. The device ran out of memory: lower the batch size, sequence length or model size.`, 'memory');
    }
    const shader = /\[(?:ShaderModule|ComputePipeline) "([^"]+)"\]/.exec(e.message)?.[1];
    return new ShaderError(msg, shader);
  }

  /** @internal */
  lostOr(e: unknown): unknown {
    return this.lost ?? e;
  }

  /** Counts of what this device holds; tests use it to catch leaks and cache misses. */
  stats(): { buffers: number; kernels: number; bindGroups: number; paramChunks: number } {
    return { buffers: this.buffers.size, kernels: this.kernels.size, bindGroups: this.bindGroups.size, paramChunks: this.arena.length };
  }

  /**
   * Allocates a labelled buffer, checking maxBufferSize first. A flat buffer may exceed one storage
   * binding (lavapipe: 128 MiB) as long as each bound range stays under it; Recorder.dispatch checks those.
   */
  buffer(label: string, byteSize: number, usage: GPUBufferUsageFlags): GPUBuffer {
    this.check();
    const size = roundUp(Math.max(4, byteSize), 4);
    if (size > this.gpu.limits.maxBufferSize) throw this.limitError(label, size, 'maxBufferSize', this.gpu.limits.maxBufferSize);
    const buf = this.gpu.createBuffer({ label, size, usage });
    this.buffers.add(buf);
    return buf;
  }

  /** @internal A LimitError that says which limit, how much was asked, and what to lower. */
  limitError(label: string, size: number, limit: string, allowed: number): LimitError {
    return new LimitError(
      `${label}: ${size} bytes exceeds the device's ${limit} (${allowed} bytes on ${this.info.description || `${this.info.vendor} ${this.info.architecture}`}); ` +
        'lower the batch size, sequence length, hidden size or vocabulary size, or split the tensor',
      limit,
      size,
      allowed,
    );
  }

  /** Allocates a tensor in its own buffer (storage, copy in and out), optionally initialised; it must fit one binding. */
  tensor(label: string, shape: Shape, dtype: DType = 'f32', data?: ArrayBufferView): Tensor {
    const bytes = numel(shape) * 4;
    const maxBinding = this.gpu.limits.maxStorageBufferBindingSize;
    if (bytes > maxBinding) throw this.limitError(label, bytes, 'maxStorageBufferBindingSize', maxBinding);
    const buf = this.buffer(label, bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
    const t = new Tensor(buf, 0, shape, label, dtype);
    if (data !== undefined) this.write(t, data);
    return t;
  }

  private placeholderTensor: Tensor | null = null;

  /**
   * A zeroed 16-byte storage tensor for bindings an entry point declares but a dispatch never reads
   * (e.g. the vec4 views of a kernel running its scalar path): every binding must be filled, and vec4
   * arrays need at least 16 bytes.
   */
  placeholder(): Tensor {
    this.placeholderTensor ??= this.tensor('placeholder', [4]);
    return this.placeholderTensor;
  }

  /** Frees a buffer (or a tensor's whole buffer) and forgets every bind group that used it. */
  release(target: GPUBuffer | Tensor): void {
    const buf = target instanceof Tensor ? target.buffer : target;
    const id = this.ids.get(buf);
    if (id !== undefined) {
      for (const k of this.keysByBuffer.get(id) ?? []) this.bindGroups.delete(k);
      this.keysByBuffer.delete(id);
    }
    this.buffers.delete(buf);
    buf.destroy();
  }

  write(t: Tensor, data: ArrayBufferView): void {
    if (data.byteLength !== t.byteSize) {
      throw new LimitError(`write ${t.label}: ${data.byteLength} bytes given for a tensor of ${t.byteSize} bytes ${JSON.stringify(t.shape)}`);
    }
    this.gpu.queue.writeBuffer(t.buffer, t.offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Reads a tensor back (its own submit). Prefer Recorder.read inside a step. */
  async read(t: Tensor): Promise<Float32Array | Int32Array | Uint32Array> {
    const rec = this.recorder(`read.${t.label}`);
    const p = rec.read(t);
    await rec.submit();
    const bytes = await p;
    return t.dtype === 'f32' ? new Float32Array(bytes) : t.dtype === 'i32' ? new Int32Array(bytes) : new Uint32Array(bytes);
  }

  /** Waits until all submitted work has finished, then reports any pending device error. */
  async sync(): Promise<void> {
    await this.gpu.queue.onSubmittedWorkDone();
    this.check();
  }

  /** The cached kernel for an entry point and override values. */
  kernel(entry: string, overrides: Overrides = {}): Kernel {
    const key = overridesKey(entry, overrides);
    let k = this.kernels.get(key);
    if (k === undefined) {
      const source = shaderFor(entry);
      let module = this.modules.get(source.name);
      if (module === undefined) {
        module = this.gpu.createShaderModule({ label: source.name, code: source.code });
        this.modules.set(source.name, module);
      }
      k = compileKernel(this.gpu, this.kernels.size + 1, entry, overrides, module);
      this.kernels.set(key, k);
    }
    return k;
  }

  /**
   * Compiles shader modules and reports compiler diagnostics as ShaderError with line and column.
   * `names` are file stems; all shaders when omitted.
   */
  async compileShaders(names: string[] = Object.keys(SHADERS)): Promise<void> {
    for (const name of names) {
      const source = SHADERS[name];
      if (source === undefined) throw new ShaderError(`unknown shader ${name}`, name);
      let module = this.modules.get(name);
      if (module === undefined) {
        module = this.gpu.createShaderModule({ label: name, code: source.code });
        this.modules.set(name, module);
      }
      const info = await module.getCompilationInfo();
      const first = info.messages.find((m) => m.type === 'error') ?? info.messages[0];
      if (first !== undefined) {
        throw new ShaderError(`shaders/${name}.wgsl:${first.lineNum}:${first.linePos}: ${first.type}: ${first.message}`, name, first.lineNum, first.linePos);
      }
    }
  }

  /**
   * Starts recording one submit. Only one recorder may be open at a time. `timed`: submit() returns the
   * GPU time of the whole submit; `profile`: one pass per dispatch, and after submit() `rec.profile`
   * resolves to each dispatch's GPU time (both need timestamp-query; ignored without it).
   */
  recorder(label: string, options: { timed?: boolean; profile?: boolean } = {}): Recorder {
    this.check();
    if (this.active !== null) throw new DensescaleError(`recorder "${label}" opened while "${this.active.label}" is still recording`);
    const hasTimestamps = this.info.features.includes('timestamp-query');
    this.active = new Recorder(this, label, options.timed === true && hasTimestamps, options.profile === true && hasTimestamps);
    return this.active;
  }

  /** @internal */
  endRecorder(r: Recorder): void {
    if (this.active === r) this.active = null;
  }

  /** @internal Stable small id of a buffer, for bind-group cache keys. */
  bufferId(buf: GPUBuffer): number {
    let id = this.ids.get(buf);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(buf, id);
    }
    return id;
  }

  /** @internal */
  bindGroup(key: string, kernel: Kernel, entries: GPUBindGroupEntry[], scopes: Promise<GPUError | null>[]): GPUBindGroup {
    let bg = this.bindGroups.get(key);
    if (bg === undefined) {
      if (this.debug) this.gpu.pushErrorScope('validation');
      bg = this.gpu.createBindGroup({ label: `${kernel.entry}.bind`, layout: kernel.layout, entries });
      if (this.debug) scopes.push(this.gpu.popErrorScope());
      this.bindGroups.set(key, bg);
      for (const e of entries) {
        const id = this.bufferId((e.resource as GPUBufferBinding).buffer);
        let keys = this.keysByBuffer.get(id);
        if (keys === undefined) this.keysByBuffer.set(id, (keys = new Set()));
        keys.add(key);
      }
    }
    return bg;
  }

  /** @internal The uniform slot for the n-th dispatch of a recorder. */
  paramSlot(n: number, size: number): { buffer: GPUBuffer; offset: number; view: DataView } {
    const perChunk = ARENA_CHUNK / this.paramStride;
    const chunk = Math.floor(n / perChunk);
    while (this.arena.length <= chunk) {
      const cpu = new ArrayBuffer(ARENA_CHUNK);
      const buffer = this.buffer(`params.arena${this.arena.length}`, ARENA_CHUNK, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
      this.arena.push({ buffer, cpu, view: new DataView(cpu) });
    }
    const c = this.arena[chunk]!;
    const offset = (n % perChunk) * this.paramStride;
    if (offset + size > ARENA_CHUNK) throw new LimitError(`Params of ${size} bytes do not fit an arena slot`);
    return { buffer: c.buffer, offset, view: c.view };
  }

  /** @internal Uploads the Params of the first `slots` dispatches. */
  flushParams(slots: number): void {
    const perChunk = ARENA_CHUNK / this.paramStride;
    for (let c = 0; c * perChunk < slots; c++) {
      const a = this.arena[c]!;
      const used = Math.min(perChunk, slots - c * perChunk) * this.paramStride;
      this.gpu.queue.writeBuffer(a.buffer, 0, a.cpu, 0, used);
    }
  }

  /** @internal */
  stagingBuffer(byteSize: number): GPUBuffer {
    const size = roundUp(Math.max(16, byteSize), 16);
    const pool = this.stagingPool.get(size);
    return pool?.pop() ?? this.buffer(`staging.${size}`, size, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  }

  /** @internal */
  releaseStaging(buf: GPUBuffer): void {
    let pool = this.stagingPool.get(buf.size);
    if (pool === undefined) this.stagingPool.set(buf.size, (pool = []));
    pool.push(buf);
  }

  /** @internal */
  timestampQuerySet(): GPUQuerySet {
    this.querySet ??= this.gpu.createQuerySet({ label: 'timer.queries', type: 'timestamp', count: 2 });
    return this.querySet;
  }

  /** @internal */
  timestampResolveBuffer(): GPUBuffer {
    this.queryResolve ??= this.buffer('timer.resolve', 16, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC);
    return this.queryResolve;
  }

  /** Frees every buffer and the device. The device cannot be used afterwards. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const b of this.buffers) b.destroy();
    this.buffers.clear();
    this.bindGroups.clear();
    this.keysByBuffer.clear();
    this.kernels.clear();
    this.modules.clear();
    this.querySet?.destroy();
    this.gpu.destroy();
  }
}
