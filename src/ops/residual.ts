// Launcher for shaders/residual_forward.wgsl.
import { grid1d } from '../gpu/kernel.js';
import type { Recorder } from '../gpu/recorder.js';
import type { Tensor } from '../gpu/tensor.js';
import { checkShapes } from '../util/assert.js';

/** out = a + b over equally shaped tensors. */
export function residualForward(rec: Recorder, out: Tensor, a: Tensor, b: Tensor): void {
  const device = rec.device;
  checkShapes(a.numel === b.numel && a.numel === out.numel, 'residualForward', { out: out.shape, a: a.shape, b: b.shape });
  const k = device.kernel('residual_forward');
  rec.dispatch(k, { n: a.numel }, { out, a, b }, grid1d(a.numel, k.workgroupSize[0], device.gpu.limits.maxComputeWorkgroupsPerDimension));
}
