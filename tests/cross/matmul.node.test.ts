import { describe, expect, it } from 'vitest';
import { MATMUL_SPLIT_ROWS } from '../../src/ops/matmul.js';
import { matmulForwardF32 } from '../../src/ref/matmul.js';
import { runInEveryRuntime } from '../helpers/cross_runtime.js';
import { randomF32 } from '../helpers/rand.js';
import type { MatmulCrossInput } from './matmul_entry.js';

// Three runtimes, each compiling the kernels from scratch: far above vitest's 5 s default on a busy machine.
describe('cross-runtime determinism', { timeout: 180_000 }, () => {
  it('matmul_forward and split-K dweight are bit-identical on lavapipe, SwiftShader and Chromium, and equal sequential f32 sums', async () => {
    // 37×29×23: K % 4 ≠ 0 (scalar entry point) and partial tiles on both axes; 24×20×36: the vec4 entry
    // point. Each also through the transposed weight (the wide kernel).
    const input: MatmulCrossInput = {
      shapes: [
        { M: 37, N: 29, K: 23, seed: 7 },
        { M: 24, N: 20, K: 36, seed: 8 },
      ],
      // dweight split-K: three chunks, the last partial.
      splitK: [{ M: 2 * MATMUL_SPLIT_ROWS + 37, N: 12, K: 20, seed: 9 }],
    };
    const r = await runInEveryRuntime(new URL('./matmul_entry.ts', import.meta.url).pathname, input);
    expect(r.lavapipe.adapter).toMatch(/llvmpipe/);
    expect(r.swiftshader.adapter).toMatch(/swiftshader/i);
    expect(r.chromium.adapter).toMatch(/swiftshader/i);
    for (const { M, N, K, seed } of input.shapes) {
      // Neither driver contracts a·b + c into an FMA (RUNTIME.md §4), so each output is exactly the
      // sequential f32 sum over k = 0..K−1 followed by the bias.
      const expected = matmulForwardF32(randomF32(M * K, seed, 3), randomF32(N * K, seed + 1, 0.5), randomF32(N, seed + 2), { M, N, K });
      const expectedBytes = Buffer.from(expected.buffer);
      for (const [rt, out] of Object.entries(r)) {
        for (const way of ['direct', 'transposed']) {
          const got = out.outputs[`${M}x${N}x${K} ${way}`]!;
          expect(Buffer.compare(Buffer.from(got), expectedBytes), `${rt} (${out.adapter}) ${M}x${N}x${K} ${way}`).toBe(0);
        }
      }
    }
    for (const { M, N, K, seed } of input.splitK!) {
      // Each chunk of MATMUL_SPLIT_ROWS rows summed in f32 from its first row, the partials in chunk order.
      const f = Math.fround;
      const dout = randomF32(M * N, seed);
      const inp = randomF32(M * K, seed + 1);
      const expected = new Float32Array(N * K);
      for (let n = 0; n < N; n++) {
        for (let k = 0; k < K; k++) {
          let total = 0;
          for (let m0 = 0; m0 < M; m0 += MATMUL_SPLIT_ROWS) {
            let part = 0;
            for (let m = m0; m < Math.min(M, m0 + MATMUL_SPLIT_ROWS); m++) part = f(part + f(dout[m * N + n]! * inp[m * K + k]!));
            total = f(total + part);
          }
          expected[n * K + k] = total;
        }
      }
      for (const [rt, out] of Object.entries(r)) {
        const got = out.outputs[`${M}x${N}x${K} dweight split-K`]!;
        expect(Buffer.compare(Buffer.from(got), Buffer.from(expected.buffer)), `${rt} (${out.adapter}) ${M}x${N}x${K} dweight split-K`).toBe(0);
      }
    }
  });
});
