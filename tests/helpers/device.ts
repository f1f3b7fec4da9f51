// One device per test worker (Node process or browser frame). A missing adapter fails the test with the
// GpuUnavailableError text: a GPU test that silently skips on CI would hide a broken install.
import { createDevice, type Device } from '../../src/gpu/device.js';

const g = globalThis as { __densescaleTestDevice?: Promise<Device>; process?: { env: Record<string, string | undefined> } };

export function testDevice(): Promise<Device> {
  const adapter = g.process?.env.DENSESCALE_ADAPTER;
  g.__densescaleTestDevice ??= createDevice(adapter ? { adapter } : {});
  return g.__densescaleTestDevice;
}
