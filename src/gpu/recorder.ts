// One command encoder, one submit. Ops record dispatches into a Recorder; submit() writes every
// dispatch's Params in one queue.writeBuffer per arena chunk and submits once. Because a training step
// issues the same dispatches in the same order every time, the Params slots and therefore the cached
// bind groups repeat exactly, and a steady-state step creates no GPU objects at all.
import { ConfigError, LimitError } from '../errors.js';
import type { Device } from './device.js';
import type { Kernel } from './kernel.js';
import { packParams, paramsByteSize, type ParamValues } from './params.js';
import { Tensor } from './tensor.js';

export type BindingSource = Tensor | GPUBufferBinding;

interface PendingRead {
  staging: GPUBuffer;
  byteSize: number;
  resolve: (bytes: ArrayBuffer) => void;
  reject: (e: unknown) => void;
}

/**
 * WebGPU forbids a buffer bound both read-only and writable in one dispatch, even over disjoint ranges
 * (DESIGN.md §2.4). Dawn only reports it when the command buffer finishes, far from the cause, so the
 * launcher that made the mistake is named here instead.
 */
function checkAliasing(kernel: Kernel, entries: GPUBindGroupEntry[]): void {
  const writable = new Map<GPUBuffer, string>();
  for (const b of kernel.bindings) {
    const e = entries.find((x) => x.binding === b.binding);
    if (b.kind === 'read_write' && e) writable.set((e.resource as GPUBufferBinding).buffer, b.name);
  }
  for (const b of kernel.bindings) {
    if (b.kind !== 'read') continue;
    const buf = (entries.find((x) => x.binding === b.binding)?.resource as GPUBufferBinding | undefined)?.buffer;
    const w = buf === undefined ? undefined : writable.get(buf);
    if (w !== undefined) {
      throw new ConfigError(
        `${kernel.entry}: input "${b.name}" and output "${w}" share buffer "${buf!.label}"; WebGPU forbids read and read_write views of one buffer in one dispatch`,
      );
    }
  }
}

/** GPU time of one dispatch, from a recorder created with `{ profile: true }`. */
export interface ProfileEntry {
  entry: string;
  label: string;
  ms: number;
}

/** Most dispatches one profiled submit can time (two timestamps each; WebGPU caps a query set at 4096). */
export const MAX_PROFILED_DISPATCHES = 2048;

export class Recorder {
  private readonly encoder: GPUCommandEncoder;
  private pass: GPUComputePassEncoder | null = null;
  private passCount = 0;
  private slot = 0;
  private reads: PendingRead[] = [];
  private scopes: Promise<GPUError | null>[] = [];
  private open = true;
  private readonly querySet: GPUQuerySet | null;
  private readonly profileSet: GPUQuerySet | null;
  private readonly profiled: { entry: string; label: string }[] = [];
  /** Set by submit() on a profiling recorder: per-dispatch GPU times, in recording order. */
  profile: Promise<ProfileEntry[]> | null = null;

  constructor(
    readonly device: Device,
    readonly label: string,
    timed: boolean,
    profile = false,
  ) {
    this.encoder = device.gpu.createCommandEncoder({ label });
    this.querySet = timed && !profile ? device.timestampQuerySet() : null;
    this.profileSet = profile ? device.gpu.createQuerySet({ label: `${label}.profile`, type: 'timestamp', count: 2 * MAX_PROFILED_DISPATCHES }) : null;
  }

  private computePass(): GPUComputePassEncoder {
    if (this.pass === null) {
      const desc: GPUComputePassDescriptor = { label: `${this.label}.pass${this.passCount}` };
      if (this.querySet !== null) {
        // Begin only on the first pass, end on every pass: the last write wins, so the pair spans them all.
        desc.timestampWrites =
          this.passCount === 0
            ? { querySet: this.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 }
            : { querySet: this.querySet, endOfPassWriteIndex: 1 };
      }
      this.pass = this.encoder.beginComputePass(desc);
      this.passCount++;
    }
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  private assertOpen(): void {
    if (!this.open) throw new ConfigError(`recorder ${this.label} was already submitted`);
  }

  /**
   * Records one dispatch of `kernel` with its Params and named bindings. `workgroups` is the dispatch
   * grid (use grid1d for 1-D kernels).
   */
  dispatch(kernel: Kernel, params: ParamValues, bindings: Readonly<Record<string, BindingSource>>, workgroups: readonly number[]): void {
    this.assertOpen();
    const dev = this.device;
    const entries: GPUBindGroupEntry[] = [];
    const keyParts: (string | number)[] = [kernel.id];
    for (const b of kernel.bindings) {
      if (b.kind === 'uniform') {
        const size = paramsByteSize(kernel.params);
        const { buffer, offset, view } = dev.paramSlot(this.slot++, size);
        packParams(kernel.entry, kernel.params, params, view, offset);
        entries.push({ binding: b.binding, resource: { buffer, offset, size } });
        keyParts.push(`u${this.slot - 1}`);
        continue;
      }
      const src = bindings[b.name];
      if (src === undefined) {
        throw new ConfigError(`${kernel.entry}: binding "${b.name}" was not given (needs: ${kernel.bindings.filter((x) => x.kind !== 'uniform').map((x) => x.name).join(', ')})`);
      }
      const res = src instanceof Tensor ? src.binding() : src;
      const size = res.size ?? res.buffer.size - (res.offset ?? 0);
      if (size > dev.gpu.limits.maxStorageBufferBindingSize) {
        throw dev.limitError(`${kernel.entry} binding ${b.name}`, size, 'maxStorageBufferBindingSize', dev.gpu.limits.maxStorageBufferBindingSize);
      }
      entries.push({ binding: b.binding, resource: res });
      keyParts.push(`${dev.bufferId(res.buffer)}:${res.offset ?? 0}:${size}`);
    }
    for (const name of Object.keys(bindings)) {
      if (!kernel.bindings.some((b) => b.name === name)) throw new ConfigError(`${kernel.entry}: unexpected binding "${name}"`);
    }
    checkAliasing(kernel, entries);
    const bindGroup = dev.bindGroup(keyParts.join('|'), kernel, entries, this.scopes);
    let pass: GPUComputePassEncoder;
    if (this.profileSet !== null) {
      // Profiling: one pass per dispatch, timestamped at both ends.
      const i = this.profiled.length;
      if (i >= MAX_PROFILED_DISPATCHES) throw new LimitError(`a profiled submit times at most ${MAX_PROFILED_DISPATCHES} dispatches`, 'profile');
      this.endPass();
      this.profiled.push({ entry: kernel.entry, label: this.label });
      pass = this.encoder.beginComputePass({ label: `${this.label}.${kernel.entry}`, timestampWrites: { querySet: this.profileSet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
      this.pass = pass;
    } else {
      pass = this.computePass();
    }
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, bindGroup);
    const [x = 1, y = 1, z = 1] = workgroups;
    const max = dev.gpu.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max || z > max) {
      throw new LimitError(`${kernel.entry}: dispatch (${x},${y},${z}) exceeds maxComputeWorkgroupsPerDimension ${max}`, 'maxComputeWorkgroupsPerDimension', Math.max(x, y, z), max);
    }
    if (x > 0 && y > 0 && z > 0) pass.dispatchWorkgroups(x, y, z);
  }

  /** Copies `src` into `dst` (same byte size) as part of this submit. */
  copy(src: Tensor, dst: Tensor): void {
    this.assertOpen();
    if (src.byteSize !== dst.byteSize) throw new ConfigError(`copy ${src.label} → ${dst.label}: ${src.byteSize} vs ${dst.byteSize} bytes`);
    this.endPass();
    this.encoder.copyBufferToBuffer(src.buffer, src.offset, dst.buffer, dst.offset, src.byteSize);
  }

  /** Zero-fills a tensor as part of this submit. */
  clear(t: Tensor): void {
    this.assertOpen();
    this.endPass();
    this.encoder.clearBuffer(t.buffer, t.offset, t.byteSize);
  }

  /** Schedules a readback of `t` after the work recorded so far; resolves once submitted work finished. */
  read(t: Tensor): Promise<ArrayBuffer> {
    this.assertOpen();
    this.endPass();
    const staging = this.device.stagingBuffer(t.byteSize);
    this.encoder.copyBufferToBuffer(t.buffer, t.offset, staging, 0, t.byteSize);
    return new Promise((resolve, reject) => this.reads.push({ staging, byteSize: t.byteSize, resolve, reject }));
  }

  /** Resolves the profile timestamps into a readback that completes after submit. */
  private resolveProfile(set: GPUQuerySet): Promise<ArrayBuffer> {
    const n = 2 * this.profiled.length;
    const resolve = this.device.buffer(`${this.label}.profile.resolve`, n * 8, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC);
    this.encoder.resolveQuerySet(set, 0, n, resolve, 0);
    const staging = this.device.stagingBuffer(n * 8);
    this.encoder.copyBufferToBuffer(resolve, 0, staging, 0, n * 8);
    return new Promise((res, rej) =>
      this.reads.push({
        staging,
        byteSize: n * 8,
        resolve: (b) => {
          this.device.release(resolve);
          res(b);
        },
        reject: rej,
      }),
    );
  }

  /**
   * Ends recording and submits. Returns the GPU time of the recorded passes in milliseconds when the
   * recorder was created with `timed` and the adapter has timestamp-query, else undefined; in debug mode
   * it first awaits validation and out-of-memory error scopes.
   */
  async submit(): Promise<number | undefined> {
    this.assertOpen();
    this.open = false;
    this.endPass();
    const dev = this.device;
    let resolveBuf: GPUBuffer | null = null;
    if (this.querySet !== null && this.passCount > 0) {
      resolveBuf = dev.timestampResolveBuffer();
      this.encoder.resolveQuerySet(this.querySet, 0, 2, resolveBuf, 0);
    }
    let timeStaging: GPUBuffer | null = null;
    if (resolveBuf !== null) {
      timeStaging = dev.stagingBuffer(16);
      this.encoder.copyBufferToBuffer(resolveBuf, 0, timeStaging, 0, 16);
    }
    const profileRead = this.profileSet !== null && this.profiled.length > 0 ? this.resolveProfile(this.profileSet) : null;
    dev.flushParams(this.slot);
    if (dev.debug) {
      dev.gpu.pushErrorScope('out-of-memory');
      dev.gpu.pushErrorScope('validation');
    }
    dev.gpu.queue.submit([this.encoder.finish()]);
    if (dev.debug) {
      this.scopes.push(dev.gpu.popErrorScope(), dev.gpu.popErrorScope());
    }
    dev.endRecorder(this);
    const reads = this.reads;
    this.reads = [];
    for (const r of reads) {
      r.staging.mapAsync(GPUMapMode.READ, 0, r.byteSize).then(
        () => {
          const copy = r.staging.getMappedRange(0, r.byteSize).slice(0);
          r.staging.unmap();
          dev.releaseStaging(r.staging);
          r.resolve(copy);
        },
        (e: unknown) => r.reject(dev.lostOr(e)),
      );
    }
    if (profileRead !== null) {
      const entries = this.profiled;
      const set = this.profileSet!;
      this.profile = profileRead.then((bytes) => {
        set.destroy();
        const ts = new BigUint64Array(bytes);
        return entries.map((e, i) => ({ ...e, ms: Number(ts[2 * i + 1]! - ts[2 * i]!) / 1e6 }));
      });
    } else {
      this.profileSet?.destroy();
    }
    if (this.scopes.length > 0) {
      const errors = (await Promise.all(this.scopes)).filter((e): e is GPUError => e !== null);
      if (errors[0] !== undefined) throw dev.translateError(errors[0], this.label);
    }
    dev.check();
    if (timeStaging === null) return undefined;
    await timeStaging.mapAsync(GPUMapMode.READ, 0, 16);
    const ts = new BigUint64Array(timeStaging.getMappedRange(0, 16).slice(0));
    timeStaging.unmap();
    dev.releaseStaging(timeStaging);
    const [t0 = 0n, t1 = 0n] = ts;
    return Number(t1 - t0) / 1e6;
  }
}
