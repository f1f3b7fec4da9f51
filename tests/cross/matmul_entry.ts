// Portable module for the cross-runtime test: seeded inputs, matmul_forward on a non-aligned shape (scalar
// entry point) and an aligned one (vec4 entry point), each directly and through the transposed weight
// (workspace), raw output bytes; optionally dweight through split-K (matmulBackwardWeight, splitK: true).
import type { Device } from '../../src/gpu/device.js';
import { matmulBackwardWeight, matmulForward, matmulWorkspaceSize } from '../../src/ops/matmul.js';
import { randomF32 } from '../helpers/rand.js';

export interface MatmulCrossInput {
  shapes: { M: number; N: number; K: number; seed: number }[];
  /** dweight = doutᵀ·inp with split-K forced: dout randomF32(M·N, seed), inp randomF32(M·K, seed + 1). */
  splitK?: { M: number; N: number; K: number; seed: number }[];
}

export async function run(device: Device, input: MatmulCrossInput): Promise<Record<string, Uint8Array>> {
  const outputs: Record<string, Uint8Array> = {};
  for (const { M, N, K, seed } of input.shapes) {
    const inp = device.tensor('inp', [M, K], 'f32', randomF32(M * K, seed, 3));
    const weight = device.tensor('weight', [N, K], 'f32', randomF32(N * K, seed + 1, 0.5));
    const bias = device.tensor('bias', [N], 'f32', randomF32(N, seed + 2));
    const out = device.tensor('out', [M, N]);
    const workspace = device.tensor('workspace', [matmulWorkspaceSize({ M, N, K })]);
    for (const way of ['direct', 'transposed']) {
      const rec = device.recorder('matmul.cross');
      matmulForward(rec, out, inp, weight, bias, { workspace: way === 'transposed' ? workspace : null, transposeWeight: way === 'transposed' });
      await rec.submit();
      const got = await device.read(out);
      outputs[`${M}x${N}x${K} ${way}`] = new Uint8Array(got.buffer);
    }
    for (const t of [inp, weight, bias, out, workspace]) device.release(t);
  }
  for (const { M, N, K, seed } of input.splitK ?? []) {
    const dout = device.tensor('dout', [M, N], 'f32', randomF32(M * N, seed));
    const inp = device.tensor('inp', [M, K], 'f32', randomF32(M * K, seed + 1));
    const dweight = device.tensor('dweight', [N, K]);
    const workspace = device.tensor('workspace', [matmulWorkspaceSize({ M, N, K })]);
    const rec = device.recorder('matmul.cross.splitk');
    matmulBackwardWeight(rec, dweight, dout, inp, { splitK: true, workspace });
    await rec.submit();
    outputs[`${M}x${N}x${K} dweight split-K`] = new Uint8Array((await device.read(dweight)).buffer);
    for (const t of [dout, inp, dweight, workspace]) device.release(t);
  }
  return outputs;
}
