// embedTexts / embedWindows: rows come back in the caller's order, and a text's embedding is the same
// bits whether it is embedded alone at its own length, padded to the maximum, or in a length-sorted batch
// (the property evaluation relies on to batch, group and chunk freely).
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { embedTexts, embedWindows } from '../../src/eval/embed.js';
import { expectBitEqual } from '../helpers/close.js';
import { fixtureRecords, openFixture } from './fixture.js';

// 600 texts of up to 40 tokens: more than one 8,192-token batch, and texts of many lengths.
const texts = fixtureRecords(8, 600, 1).passages.map((p) => p.text);
const LENGTH = 40;

const { tokenizer, model } = await openFixture(2);

describe('embedTexts', () => {
  it('equals model.embed of all texts padded to the maximum, row for row, and of single texts at their own length', async () => {
    const D = model.embeddingSize;
    const got = await embedTexts(model, tokenizer, texts.length, (j) => texts[j]!, { tower: 'passage', maxLength: LENGTH });
    const b = tokenizer.encodeBatch(texts, { maxLength: LENGTH, padding: 'max_length' });
    const padded = await model.embed('passage', b.ids, b.mask, texts.length, LENGTH);
    expectBitEqual(got, padded, 'sorted, longest-padded batches vs one max-length batch');
    for (const j of [0, 1, 17, 299, 599]) {
      const one = tokenizer.encodeBatch([texts[j]!], { maxLength: LENGTH, padding: 'longest' });
      const alone = await model.embed('passage', one.ids, one.mask, 1, one.length);
      expectBitEqual(got.subarray(j * D, (j + 1) * D), alone, `text ${j} alone at length ${one.length}`);
    }
    // Distinct texts give distinct rows: a scatter bug that copied one row everywhere would fail here.
    expect(new Set(Array.from({ length: 50 }, (_, j) => got[j * D])).size).toBeGreaterThan(40);
  });

  it('streams windows in order, each the same bits as the whole', async () => {
    const D = model.embeddingSize;
    const whole = await embedTexts(model, tokenizer, 100, (j) => texts[j]!, { tower: 'query', maxLength: 16 });
    const seen: number[] = [];
    const progress: number[] = [];
    for await (const w of embedWindows(model, tokenizer, 100, (j) => texts[j]!, { tower: 'query', maxLength: 16, onProgress: (done) => progress.push(done) }, 32)) {
      seen.push(w.first, w.count);
      expectBitEqual(w.embeddings, whole.subarray(w.first * D, (w.first + w.count) * D), `window at ${w.first}`);
    }
    expect(seen).toEqual([0, 32, 32, 32, 64, 32, 96, 4]);
    expect(progress).toEqual([32, 64, 96, 100]);
    expect((await embedTexts(model, tokenizer, 0, () => '', { tower: 'query', maxLength: 16 })).length).toBe(0);
  });

  it('rejects a length that cannot hold [CLS] and [SEP]', async () => {
    await expect(embedTexts(model, tokenizer, 1, () => 'a', { tower: 'query', maxLength: 1 })).rejects.toThrow(ConfigError);
    await expect(embedTexts(model, tokenizer, 1, () => 'a', { tower: 'passage', maxLength: 1 })).rejects.toThrow(/^passageLength: /);
  });
});
