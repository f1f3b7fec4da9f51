// Evaluation is bit-identical across runtimes: contrastive entropy (per pair and its mean) and the
// full-corpus top k of two tiny models, computed on dawn.node + lavapipe, dawn.node + SwiftShader and
// headless Chromium. This needs every op of the encoder forward, the contrastive eval kernel and top-k
// to give the same bits on every driver, and the CPU side (sampling, means) to be deterministic.
import { describe, expect, it } from 'vitest';
import { runInEveryRuntime } from '../helpers/cross_runtime.js';
import type { EvalCrossInput } from './eval_entry.js';

describe('cross-runtime determinism of evaluation', { timeout: 300_000 }, () => {
  it('contrastive entropy and full-corpus top-k are bit-identical on lavapipe, SwiftShader and Chromium', async () => {
    const input: EvalCrossInput = {
      dataSeed: 77,
      passages: 60,
      queries: 24,
      models: [
        { name: 'mean', seed: 1, config: {} },
        {
          name: 'cls',
          seed: 2,
          config: { layers: 2, hidden: 32, heads: 2, intermediate: 64, projection: 0, pooling: 'cls', hiddenAct: 'gelu_new', normalize: true, temperature: 0.05, sharedTowers: false },
        },
      ],
      options: { negatives: 16, repeats: 3, seed: 1, k: 20, queryLength: 12, passageLength: 40, corpusWindow: 25 },
    };
    const r = await runInEveryRuntime(new URL('./eval_entry.ts', import.meta.url).pathname, input);
    expect(r.lavapipe.adapter).toMatch(/llvmpipe/);
    expect(r.swiftshader.adapter).toMatch(/swiftshader/i);
    expect(r.chromium.adapter).toMatch(/swiftshader/i);
    const names = Object.keys(r.lavapipe.outputs).sort();
    expect(names).toEqual(['cls.losses', 'cls.metrics', 'cls.topkIndices', 'cls.topkScores', 'mean.losses', 'mean.metrics', 'mean.topkIndices', 'mean.topkScores']);
    for (const rt of ['swiftshader', 'chromium'] as const) {
      const differ = names.filter((n) => Buffer.compare(Buffer.from(r[rt].outputs[n]!), Buffer.from(r.lavapipe.outputs[n]!)) !== 0);
      expect(differ, `${rt} (${r[rt].adapter}) vs lavapipe`).toEqual([]);
    }
    for (const name of ['mean', 'cls']) {
      const m = r.lavapipe.outputs[`${name}.metrics`]!;
      const [nats] = new Float64Array(m.buffer, m.byteOffset, m.byteLength / 8);
      // A plausible entropy for an untrained model: near log(W+1) = 2.83, finite and positive.
      expect(nats, name).toBeGreaterThan(0.5);
      expect(nats, name).toBeLessThan(10);
    }
  });
});
