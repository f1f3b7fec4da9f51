// The tfjs-webgpu baseline the benches compare against (matmul, attention, optim, train): one loader, so
// every bench hands tfjs the same dawn navigator.gpu, checks the same adapter and words a failure the
// same way. tfjs is an optional dev dependency, imported by computed specifiers and typed by each caller.
import type { Device } from '../gpu/device.js';
import { platformGpu } from '../platform/platform.js';

export interface LoadedTfjs<Tf> {
  tf: Tf;
  /** How tf.time measures kernels on this device: GPU timestamp queries, or wall clock. */
  timer: 'timestamp' | 'wall';
}

// tfjs-core's gradient registrations ship as ESM files with extension-less relative imports, which Node's
// resolver rejects; this resolve hook retries such imports (inside @tensorflow packages only) with ".js".
const TFJS_RESOLVE_HOOK = `
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('.') && !/\\.[cm]?js$/.test(specifier) && (context.parentURL ?? '').includes('/@tensorflow/')) {
    try { return await next(specifier + '.js', context); } catch { return next(specifier + '/index.js', context); }
  }
  return next(specifier, context);
}`;
let hookRegistered = false;

interface TfCore {
  setBackend(b: string): Promise<boolean>;
  ready(): Promise<void>;
  backend(): { device?: GPUDevice; adapterInfo?: { vendor?: string; architecture?: string } };
}

/**
 * tfjs-webgpu, with its gradients, on the same WebGPU entry point as `device` (the dawn instance keyed by
 * `adapterName`, so the same adapter). The backend registers only if navigator.gpu exists when it is
 * imported, hence the order. Returns the reason as a string when tfjs cannot run, or runs on another
 * adapter than `device`.
 */
export async function loadTfjs<Tf>(device: Device, adapterName: string | undefined): Promise<LoadedTfjs<Tf> | string> {
  try {
    const entry = await platformGpu(adapterName);
    const g = globalThis as { navigator?: { gpu?: GPU } };
    if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu: entry.gpu }, configurable: true });
    else if (g.navigator.gpu === undefined) Object.defineProperty(g.navigator, 'gpu', { value: entry.gpu, configurable: true });
    if (!hookRegistered) {
      const nodeModule = 'node:module';
      const { register } = (await import(/* @vite-ignore */ nodeModule)) as typeof import('node:module');
      register(`data:text/javascript,${encodeURIComponent(TFJS_RESOLVE_HOOK)}`);
      hookRegistered = true;
    }
    const core = '@tensorflow/tfjs-core';
    const tf = (await import(/* @vite-ignore */ core)) as TfCore;
    await import(/* @vite-ignore */ '@tensorflow/tfjs-backend-webgpu');
    await import(/* @vite-ignore */ `${core}/dist/register_all_gradients.js`);
    if (!(await tf.setBackend('webgpu'))) return 'tf.setBackend("webgpu") failed';
    await tf.ready();
    const backend = tf.backend();
    const info = backend.adapterInfo;
    if (info?.vendor !== undefined && (info.vendor !== device.info.vendor || info.architecture !== device.info.architecture)) {
      return `tfjs picked another adapter (${info.vendor}/${info.architecture})`;
    }
    return { tf: tf as unknown as Tf, timer: backend.device?.features.has('timestamp-query') ? 'timestamp' : 'wall' };
  } catch (e) {
    return `tfjs-webgpu unavailable: ${(e as Error).message.split('\n')[0]}`;
  }
}
