// Portable module for the cross-runtime test: seeded inputs, the residual kernel, raw output bytes.
import type { Device } from '../../src/gpu/device.js';
import { residualForward } from '../../src/ops/residual.js';
import { randomF32 } from '../helpers/rand.js';

export async function run(device: Device, input: { n: number; seed: number }): Promise<Record<string, Uint8Array>> {
  const a = device.tensor('a', [input.n], 'f32', randomF32(input.n, input.seed, 1e3));
  const b = device.tensor('b', [input.n], 'f32', randomF32(input.n, input.seed + 1, 1e-3));
  const out = device.tensor('out', [input.n]);
  const rec = device.recorder('residual');
  residualForward(rec, out, a, b);
  await rec.submit();
  const got = await device.read(out);
  return { residual: new Uint8Array(got.buffer) };
}
