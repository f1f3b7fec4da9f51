// Runtime detection in one place. Node reaches WebGPU through the npm `webgpu` package (dawn.node);
// a browser through navigator.gpu. Nothing else in src/ asks which runtime it is in.
import { GpuUnavailableError } from '../errors.js';

export type Runtime = 'node' | 'browser';

export function runtime(): Runtime {
  const g = globalThis as { process?: { versions?: { node?: string } }; window?: unknown };
  return g.process?.versions?.node !== undefined && g.window === undefined ? 'node' : 'browser';
}

export interface GpuEntry {
  gpu: GPU;
  runtime: Runtime;
  /** Versions worth printing next to results: node and dawn in Node, the user agent in a browser. */
  versions: Record<string, string>;
}

const INSTALL_HINT =
  'WebGPU needs a GPU driver with Vulkan, Metal or D3D12 support. On a machine without a GPU (Debian 12): ' +
  'install Mesa 25 lavapipe from bookworm-backports: ' +
  '`echo "deb http://deb.debian.org/debian bookworm-backports main" > /etc/apt/sources.list.d/bpo.list && ' +
  'apt-get update && apt-get install -y -t bookworm-backports mesa-vulkan-drivers && apt-get install -y libvulkan1` ' +
  '(or run `bash build/setup.sh`). Debian 12\'s own Mesa 22.3 is too old. On a desktop, install your GPU vendor\'s driver.';

export function gpuUnavailable(detail: string): GpuUnavailableError {
  return new GpuUnavailableError(`No WebGPU adapter: ${detail}. ${INSTALL_HINT}`);
}

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

// dawn.node aborts the process if the create() instance is garbage-collected while a device from it is in
// use (RUNTIME.md §2.5), and vitest turns module top levels into closures, so instances live on globalThis.
const instances: Map<string, GPU> = ((globalThis as { __densescaleDawn?: Map<string, GPU> }).__densescaleDawn ??=
  new Map());

async function nodeGpu(dawnOptions: string[]): Promise<GpuEntry> {
  const moduleName = 'webgpu';
  let mod: DawnModule;
  try {
    mod = (await import(/* @vite-ignore */ moduleName)) as DawnModule;
  } catch (e) {
    throw gpuUnavailable(`the npm package "webgpu" (dawn.node) could not be loaded (${(e as Error).message})`);
  }
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  const key = dawnOptions.join('\n');
  let gpu = instances.get(key);
  if (gpu === undefined) {
    gpu = mod.create(dawnOptions);
    instances.set(key, gpu);
  }
  const g = globalThis as { process?: { versions: Record<string, string> } };
  return { gpu, runtime: 'node', versions: { node: g.process?.versions.node ?? '', webgpu: 'dawn.node (npm webgpu)' } };
}

/**
 * Returns the platform's GPU entry point. `adapterName` (Node) selects a Vulkan device by a case-sensitive
 * substring of its name (Dawn's `adapter=` option), e.g. "llvmpipe" or "SwiftShader".
 */
export async function platformGpu(adapterName?: string): Promise<GpuEntry> {
  if (runtime() === 'node') {
    return nodeGpu(adapterName ? [`adapter=${adapterName}`] : []);
  }
  const nav = (globalThis as { navigator?: { gpu?: GPU; userAgent?: string } }).navigator;
  if (!nav?.gpu) {
    throw gpuUnavailable(
      'navigator.gpu is missing (the page must be served over https or http://localhost, in a browser with WebGPU; ' +
        'headless Chromium needs --enable-unsafe-webgpu)',
    );
  }
  return { gpu: nav.gpu, runtime: 'browser', versions: { userAgent: nav.userAgent ?? '' } };
}
