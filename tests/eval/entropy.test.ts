// contrastiveEntropy against an f64 computation from the same model's embeddings (embedded another way)
// and independently drawn negatives; the closed form log(W+1) for a model whose embeddings are all
// equal; determinism across repeats, seeds, pair subsets and table sizes; the negatives' pool; errors.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { contrastiveEntropy, planEntropy } from '../../src/eval/entropy.js';
import type { BiEncoder } from '../../src/model/biencoder.js';
import { refSampleDistinct } from '../data/sampling_reference.js';
import { expectBitEqual, expectClose, TOL } from '../helpers/close.js';
import { testDevice } from '../helpers/device.js';
import { fixtureData, fixtureModel, fixtureRecords, openFixture } from './fixture.js';

const SEED = 21;
const records = fixtureRecords(SEED);
const data = fixtureData(SEED);
const LENGTHS = { queryLength: 12, passageLength: 24 };

const { tokenizer, model } = await openFixture(5);

/** Embeds texts padded to `length`, all rows in one model.embed call: not the evaluation's batching. */
async function embedPadded(m: BiEncoder, tower: 'query' | 'passage', texts: string[], length: number): Promise<Float64Array> {
  const b = tokenizer.encodeBatch(texts, { maxLength: length, padding: 'max_length' });
  return Float64Array.from(await m.embed(tower, b.ids, b.mask, texts.length, length));
}

/** The paper's CE per (repeat, pair) in f64, from the records alone and refSampleDistinct's negatives. */
async function referenceLosses(m: BiEncoder, options: { negatives: number; repeats: number; seed: number; temperature?: number }) {
  const D = m.embeddingSize;
  const index = (id: string) => Number(id.slice(1));
  const pairs = records.qrels.test!.filter((r) => r.score > 0).map((r) => [index(r.queryId), index(r.passageId)] as const);
  const positives = new Set(pairs.map(([, p]) => p));
  const pool = records.passages.map((_, i) => i).filter((i) => !positives.has(i));
  const rows = refSampleDistinct(options.repeats * pairs.length, options.negatives, pool.length, options.seed, 54);
  const Q = await embedPadded(m, 'query', records.queries.map((q) => q.text), LENGTHS.queryLength);
  const Pm = await embedPadded(m, 'passage', records.passages.map((p) => (p.title === undefined ? p.text : `${p.title} ${p.text}`)), LENGTHS.passageLength);
  const scale = 1 / (options.temperature ?? 1);
  const losses: number[] = [];
  const magnitude: number[] = [];
  rows.forEach((row, k) => {
    const [q, pos] = pairs[k % pairs.length]!;
    const candidates = [pos, ...row.map((j) => pool[j]!)];
    let mag = 0;
    const s = candidates.map((c) => {
      let dot = 0;
      let abs = 0;
      for (let d = 0; d < D; d++) {
        dot += Q[q * D + d]! * Pm[c * D + d]!;
        abs += Math.abs(Q[q * D + d]! * Pm[c * D + d]!);
      }
      mag = Math.max(mag, abs * scale);
      return dot * scale;
    });
    const max = Math.max(...s);
    losses.push(max + Math.log(s.reduce((a, x) => a + Math.exp(x - max), 0)) - s[0]!);
    magnitude.push(Math.sqrt(D) * mag + 1);
  });
  return { losses, magnitude, pairs: pairs.length };
}

describe('contrastiveEntropy', () => {
  it('matches the f64 definition on the same embeddings, with independently drawn negatives', async () => {
    const options = { split: 'test', negatives: 7, repeats: 3, seed: 5, ...LENGTHS };
    const ce = await contrastiveEntropy(model, tokenizer, data, options);
    const ref = await referenceLosses(model, options);
    expect(ce.pairs).toBe(ref.pairs);
    expect(ce.repeats).toBe(3);
    expect(ce.losses.length).toBe(3 * ref.pairs);
    expectClose(ce.losses, ref.losses, TOL.reduction, 'per-pair CE', ref.magnitude);
    const refMean = ref.losses.reduce((a, b) => a + b, 0) / ref.losses.length;
    expect(Math.abs(ce.nats - refMean)).toBeLessThan(1e-5 * refMean);
    expect(ce.bits).toBe(ce.nats / Math.LN2);
    for (let r = 0; r < 3; r++) {
      const row = ref.losses.slice(r * ref.pairs, (r + 1) * ref.pairs);
      expect(Math.abs(ce.perRepeat[r]! - row.reduce((a, b) => a + b, 0) / ref.pairs)).toBeLessThan(1e-5);
    }
    // A random model still separates pairs: the losses vary, so agreement above is not trivial.
    expect(Math.max(...ref.losses) - Math.min(...ref.losses)).toBeGreaterThan(0.01);
  });

  it('divides scores by the model temperature', async () => {
    const hot = fixtureModel(await testDevice(), 5, { temperature: 0.25 });
    try {
      const options = { negatives: 5, repeats: 1, seed: 2, ...LENGTHS };
      const ce = await contrastiveEntropy(hot, tokenizer, data, options);
      const ref = await referenceLosses(hot, { ...options, temperature: 0.25 });
      expectClose(ce.losses, ref.losses, TOL.reduction, 'per-pair CE at temperature 0.25', ref.magnitude);
    } finally {
      hot.destroy();
    }
  });

  it('gives log(W+1) for every pair when all embeddings are equal, even with huge scores', async () => {
    const flat = fixtureModel(await testDevice(), 9);
    try {
      // Zero projection weights: every embedding is the projection bias, so all W+1 scores are equal.
      const params = await flat.readFlat('params');
      const w = flat.layout.group('proj.w');
      const b = flat.layout.group('proj.b');
      params.fill(0, w.offset, w.offset + w.numel);
      params.fill(40, b.offset, b.offset + b.numel); // scores of 40²·8 = 12800: exp would overflow unshifted
      flat.writeFlat('params', params);
      for (const W of [1, 6, 24]) {
        const ce = await contrastiveEntropy(flat, tokenizer, data, { negatives: W, repeats: 2, seed: 3, ...LENGTHS });
        const want = Math.log(W + 1);
        for (const loss of ce.losses) expect(Math.abs(loss - want), `W=${W}: ${loss} vs log(${W + 1})`).toBeLessThanOrEqual(4e-7 * want);
        expect(Math.abs(ce.nats - want)).toBeLessThanOrEqual(4e-7 * want);
      }
    } finally {
      flat.destroy();
    }
  });

  it('is deterministic: the same seed gives the same bits, repeat r does not depend on R, another seed differs', async () => {
    const base = { negatives: 6, seed: 8, ...LENGTHS };
    const a = await contrastiveEntropy(model, tokenizer, data, { ...base, repeats: 3 });
    const b = await contrastiveEntropy(model, tokenizer, data, { ...base, repeats: 3 });
    expectBitEqual(a.losses, b.losses, 'same seed twice');
    expect(a.nats).toBe(b.nats);
    const one = await contrastiveEntropy(model, tokenizer, data, { ...base, repeats: 1 });
    expectBitEqual(one.losses, a.losses.subarray(0, a.pairs), 'repeat 0 of R=1 vs R=3');
    expect(one.nats).toBe(a.perRepeat[0]);
    expect(new Set(a.perRepeat).size).toBe(3); // fresh negatives per repeat
    const other = await contrastiveEntropy(model, tokenizer, data, { ...base, repeats: 3, seed: 9 });
    expect(other.nats).not.toBe(a.nats);
  });

  it('maxPairs evaluates a seeded subset whose losses are those of the full run', async () => {
    const base = { negatives: 5, repeats: 2, seed: 4, ...LENGTHS };
    const full = await contrastiveEntropy(model, tokenizer, data, base);
    const sub = await contrastiveEntropy(model, tokenizer, data, { ...base, maxPairs: 5 });
    expect(sub.pairs).toBe(5);
    expect(Array.from(sub.pairIndices)).toEqual([...new Set(sub.pairIndices)].sort((x, y) => x - y));
    const picked = new Float32Array(2 * 5);
    for (let r = 0; r < 2; r++) sub.pairIndices.forEach((i, p) => (picked[r * 5 + p] = full.losses[r * full.pairs + i]!));
    expectBitEqual(sub.losses, picked, 'subset losses vs the full run');
    const all = await contrastiveEntropy(model, tokenizer, data, { ...base, maxPairs: 10_000 });
    expect(all.nats).toBe(full.nats);
  });

  it('gives the same bits when the passage table is split into many small groups', async () => {
    const base = { negatives: 6, repeats: 3, seed: 12, ...LENGTHS };
    const whole = await contrastiveEntropy(model, tokenizer, data, base);
    const split = await contrastiveEntropy(model, tokenizer, data, { ...base, tableRows: 7 + 3 });
    expectBitEqual(split.losses, whole.losses, 'tableRows 10 vs one table');
    await expect(contrastiveEntropy(model, tokenizer, data, { ...base, tableRows: 6 })).rejects.toThrow(/needs 7 passages/);
  });

  it('draws W distinct negatives per row, never a positive of the split', () => {
    const plan = planEntropy(model, data, { negatives: 20, repeats: 4, seed: 1, ...LENGTHS });
    const positives = new Set(data.positives('test').passage);
    expect(positives.size).toBeGreaterThan(0);
    const rows = plan.negativeIndex.length / 20;
    expect(rows).toBe(4 * data.positives('test').query.length);
    for (let row = 0; row < rows; row++) {
      const negs = Array.from(plan.negativeIndex.subarray(row * 20, (row + 1) * 20));
      expect(new Set(negs).size).toBe(20);
      for (const n of negs) expect(positives.has(n), `row ${row} has test positive ${n}`).toBe(false);
    }
    // Only the evaluated split's positives are excluded: the pool is every other passage.
    const drawn = new Set(plan.negativeIndex);
    expect(drawn.size).toBe(data.passageCount - positives.size);
  });

  it('names the bad option', async () => {
    const pool = data.passageCount - new Set(data.positives('test').passage).size;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ negatives: pool + 1 }, /negatives/],
      [{ negatives: 0 }, /negatives/],
      [{ repeats: 0 }, /repeats/],
      [{ split: 'dev' }, /split/],
      [{ passageLength: 65 }, /passageLength: 65 exceeds the model's maxPositions 64/],
      [{ queryLength: 1 }, /queryLength/],
      [{ maxPairs: 0 }, /maxPairs/],
    ];
    for (const [options, message] of cases) {
      const error: unknown = await contrastiveEntropy(model, tokenizer, data, { ...LENGTHS, negatives: 5, ...options }).then(() => null, (e: unknown) => e);
      expect(error, JSON.stringify(options)).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
    }
  });
});
