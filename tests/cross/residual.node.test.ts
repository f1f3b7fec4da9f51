import { describe, expect, it } from 'vitest';
import { residualForward as residualRef } from '../../src/ref/residual.js';
import { runInEveryRuntime } from '../helpers/cross_runtime.js';
import { randomF32 } from '../helpers/rand.js';

describe('cross-runtime determinism', () => {
  it('residual_forward is bit-identical on lavapipe, SwiftShader and Chromium, and equals f32 rounding of the exact sum', async () => {
    const input = { n: 10_007, seed: 42 };
    const r = await runInEveryRuntime(new URL('./residual_entry.ts', import.meta.url).pathname, input);
    expect(r.lavapipe.adapter).toMatch(/llvmpipe/);
    expect(r.swiftshader.adapter).toMatch(/swiftshader/i);
    expect(r.chromium.adapter).toMatch(/swiftshader/i);
    const expected = new Float32Array(residualRef(randomF32(input.n, input.seed, 1e3), randomF32(input.n, input.seed + 1, 1e-3)));
    const expectedBytes = new Uint8Array(expected.buffer);
    for (const [rt, out] of Object.entries(r)) {
      expect(Buffer.compare(Buffer.from(out.outputs.residual!), Buffer.from(expectedBytes)), `${rt} (${out.adapter})`).toBe(0);
    }
  });
});
