// Benchmark plumbing shared by every `densescale bench <name>`: one JSON line per measurement, tagged
// with the adapter, and GPU timing that prefers timestamp queries over wall clock. Numbers from a CPU
// adapter (lavapipe) are never compared with numbers from a GPU: the adapter tag keeps them apart.
import type { Device } from '../gpu/device.js';
import type { Recorder } from '../gpu/recorder.js';

export interface AdapterTag {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

export interface BenchContext {
  /** Opens (once) and returns the device; benches that need no GPU never call it. */
  device(): Promise<Device>;
  /** Prints one measurement: a JSON line with --json, a readable line otherwise. */
  emit(row: Record<string, unknown>): void;
  /** Fewer sizes and repetitions (for smoke runs). */
  quick: boolean;
  /** Extra arguments after the bench name, for bench-specific flags. */
  args: string[];
  /** The --adapter the device was opened with: a second WebGPU user (tfjs) must reach the same dawn instance. */
  adapter?: string;
}

/** The value after `name` in a bench's extra arguments, if the flag is there. */
export function flagValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export function adapterTag(device: Device): AdapterTag {
  const { vendor, architecture, device: dev, description, isFallbackAdapter } = device.info;
  return { vendor, architecture, device: dev, description, isFallbackAdapter };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface GpuTiming {
  ms: number;
  minMs: number;
  samples: number;
  source: 'timestamp' | 'wall';
}

/**
 * Times `record` (which records dispatches into a recorder) as one submit: `warmup` untimed runs, then
 * the median of `iters` timed runs. Uses timestamp queries where the adapter has them, else wall clock
 * from submit to onSubmittedWorkDone.
 */
export async function timeGpu(device: Device, record: (rec: Recorder) => void, { warmup = 3, iters = 10 } = {}): Promise<GpuTiming> {
  const useTimestamps = device.info.features.includes('timestamp-query');
  for (let i = 0; i < warmup; i++) {
    const rec = device.recorder('bench.warmup');
    record(rec);
    await rec.submit();
    await device.sync();
  }
  const samples: number[] = [];
  for (let i = 0; i < iters; i++) {
    const rec = device.recorder('bench.timed', { timed: useTimestamps });
    record(rec);
    const t0 = performance.now();
    const gpuMs = await rec.submit();
    await device.sync();
    const wall = performance.now() - t0;
    samples.push(gpuMs !== undefined && gpuMs > 0 ? gpuMs : wall);
  }
  return { ms: median(samples), minMs: Math.min(...samples), samples: samples.length, source: useTimestamps ? 'timestamp' : 'wall' };
}
