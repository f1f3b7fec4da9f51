// How the row-reduction kernels (layernorm, l2norm) map rows onto a device. Both mappings add the same
// numbers in the same order, so the choice changes speed, never results.
import type { Device } from '../gpu/device.js';

/**
 * 'workgroup': each row gets a workgroup of 64 invocations that share the reduction through workgroup
 * memory (coalesced loads; what GPUs want). 'invocation': each row gets one invocation that computes the
 * same 64 lane sums one after another (no barriers; what CPU adapters such as lavapipe and SwiftShader
 * want, where a barrier costs microseconds). Results are bit-identical either way.
 */
export type RowMapping = 'workgroup' | 'invocation';

/**
 * The mapping a launcher uses when none is requested: 'invocation' on CPU (fallback) adapters,
 * 'workgroup' elsewhere.
 *
 * @example
 * const mapping = defaultRowMapping(device); // 'invocation' on lavapipe
 */
export function defaultRowMapping(device: Device): RowMapping {
  return device.info.isFallbackAdapter ? 'invocation' : 'workgroup';
}
