import { describe, expect, it } from 'vitest';
import { attentionBackward, attentionForward } from '../../src/ref/attention.js';
import { expectClose, TOL } from '../helpers/close.js';
import { runInEveryRuntime } from '../helpers/cross_runtime.js';
import { crossInputs, type AttentionCrossInput } from './attention_entry.js';

describe('cross-runtime determinism', () => {
  it('attention forward and backward are bit-identical on lavapipe, SwiftShader and Chromium', { timeout: 900_000 }, async () => {
    // Logits up to ~50 so that exp_det's whole range matters, with padding and a sequence of one token.
    const input: AttentionCrossInput = { B: 3, T: 37, NH: 2, hd: 32, seed: 7, qkScale: 3 };
    const r = await runInEveryRuntime(new URL('./attention_entry.ts', import.meta.url).pathname, input);
    expect(r.lavapipe.adapter).toMatch(/llvmpipe/);
    expect(r.swiftshader.adapter).toMatch(/swiftshader/i);
    expect(r.chromium.adapter).toMatch(/swiftshader/i);
    for (const name of ['out', 'lse', 'dqkv']) {
      const ref = Buffer.from(r.lavapipe.outputs[name]!);
      for (const rt of ['swiftshader', 'chromium'] as const) {
        expect(Buffer.compare(Buffer.from(r[rt].outputs[name]!), ref), `${name}: ${rt} vs lavapipe`).toBe(0);
      }
    }
    // And the shared result is the right one.
    const { qkv, mask, dout } = crossInputs(input);
    const dims = { B: input.B, T: input.T, C: input.NH * input.hd, NH: input.NH };
    const f = attentionForward(qkv, mask, dims);
    const g = attentionBackward(dout, qkv, mask, dims);
    const bytes = (u8: Uint8Array) => new Float32Array(u8.buffer, u8.byteOffset, u8.byteLength / 4);
    expectClose(bytes(r.lavapipe.outputs.out!), f.out, TOL.dot, 'out', f.outScale.map((s) => s * Math.sqrt(input.T)));
    expectClose(bytes(r.lavapipe.outputs.dqkv!), g.dqkv, TOL.dot, 'dqkv', g.dqkvScale.map((s) => s * Math.sqrt(input.T)));
  });
});
