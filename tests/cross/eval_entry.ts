// Portable module for the cross-runtime test of evaluation: a seeded tiny model, an in-memory retrieval
// set and an inline vocabulary; returns the per-pair losses, the contrastive entropy and the top-k
// results as bytes. Every output must be bit-identical in every runtime.
import type { Device } from '../../src/gpu/device.js';
import { evaluate } from '../../src/eval/evaluate.js';
import type { BiEncoderConfig } from '../../src/model/config.js';
import { fixtureData, fixtureModel, fixtureTokenizer } from '../eval/fixture.js';

export interface EvalCrossInput {
  dataSeed: number;
  passages: number;
  queries: number;
  models: { name: string; seed: number; config: Partial<BiEncoderConfig> }[];
  options: { negatives: number; repeats: number; seed: number; k: number; queryLength: number; passageLength: number; corpusWindow: number };
}

const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export async function run(device: Device, input: EvalCrossInput): Promise<Record<string, Uint8Array>> {
  const data = fixtureData(input.dataSeed, input.passages, input.queries);
  const tokenizer = await fixtureTokenizer();
  const out: Record<string, Uint8Array> = {};
  try {
    for (const m of input.models) {
      const model = fixtureModel(device, m.seed, m.config);
      try {
        const r = await evaluate(model, tokenizer, data, { split: 'test', ...input.options });
        out[`${m.name}.losses`] = bytes(r.entropy.losses);
        const metrics = [r.contrastiveEntropy, ...r.entropy.perRepeat, r['mrr@10'], r['ndcg@10'], r['recall@10'], r['recall@100'], r['recall@1000']];
        out[`${m.name}.metrics`] = bytes(Float64Array.from(metrics));
        out[`${m.name}.topkIndices`] = bytes(r.retrieval.indices);
        out[`${m.name}.topkScores`] = bytes(r.retrieval.scores);
      } finally {
        model.destroy();
      }
    }
  } finally {
    tokenizer.free();
  }
  return out;
}
