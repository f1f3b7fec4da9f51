// A small retrieval set, vocabulary and model for the evaluation tests, all generated from seeds and
// portable (Node, Chromium, and the cross-runtime bundles): passages and queries of random words,
// train/test qrels with graded (2), plain (1) and judged non-relevant (0) entries.
import { afterAll } from 'vitest';
import { RetrievalData } from '../../src/data/retrieval.js';
import type { Device } from '../../src/gpu/device.js';
import { BiEncoder } from '../../src/model/biencoder.js';
import { modelConfig, type BiEncoderConfig } from '../../src/model/config.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { testDevice } from '../helpers/device.js';
import { mulberry32 } from '../helpers/rand.js';

const WORDS = (
  'the a of cat dog bird fish tree river stone house city road light night day sun moon star rain snow ' +
  'wind fire water green blue red old new small large quick slow runs sits flies swims grows falls ' +
  'near under over between gpu kernel matrix vector'
).split(' ');

export const VOCAB_TEXT = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS, '##s', '##ing'].join('\n') + '\n';

export interface FixtureRecords {
  passages: { id: string; text: string; title?: string }[];
  queries: { id: string; text: string }[];
  qrels: Record<string, { queryId: string; passageId: string; score: number }[]>;
}

/**
 * `passages` passages of 3–30 words (some with titles) and `queries` queries of 3–7 words, split
 * train/test by index parity. Each query has one or two relevant passages (grade 1 or 2; queries may
 * share one), the first of which it quotes, and now and then a judged non-relevant one (grade 0).
 */
export function fixtureRecords(seed: number, passages = 40, queries = 24): FixtureRecords {
  const r = mulberry32(seed);
  const sentence = (min: number, max: number) => Array.from({ length: min + Math.floor(r() * (max - min + 1)) }, () => WORDS[Math.floor(r() * WORDS.length)]!).join(' ');
  const ps = Array.from({ length: passages }, (_, i) => ({ id: `p${i}`, text: sentence(3, 30), ...(i % 5 === 0 ? { title: sentence(1, 3) } : {}) }));
  const qs: FixtureRecords['queries'] = [];
  const qrels: FixtureRecords['qrels'] = { train: [], test: [] };
  for (let i = 0; i < queries; i++) {
    const split = i % 2 === 0 ? 'train' : 'test';
    const used = new Set<number>();
    const pick = () => {
      let p: number;
      do p = Math.floor(r() * passages);
      while (used.has(p));
      used.add(p);
      return p;
    };
    // Like SQuAD questions, a query reuses words of its first relevant passage, so a model can find it.
    const first = pick();
    const words = ps[first]!.text.split(' ');
    const start = Math.floor(r() * words.length);
    qs.push({ id: `q${i}`, text: [...words.slice(start, start + 2 + Math.floor(r() * 4)), sentence(1, 2)].join(' ') });
    qrels[split]!.push({ queryId: `q${i}`, passageId: `p${first}`, score: r() < 0.3 ? 2 : 1 });
    if (r() < 0.4) qrels[split]!.push({ queryId: `q${i}`, passageId: `p${pick()}`, score: 1 });
    if (r() < 0.3) qrels[split]!.push({ queryId: `q${i}`, passageId: `p${pick()}`, score: 0 });
  }
  return { passages: ps, queries: qs, qrels };
}

export function fixtureData(seed: number, passages?: number, queries?: number): RetrievalData {
  return RetrievalData.fromRecords(fixtureRecords(seed, passages, queries));
}

export function fixtureTokenizer(): Promise<Tokenizer> {
  return Tokenizer.fromVocab(VOCAB_TEXT, { lowercase: true });
}

export function fixtureConfig(overrides: Partial<BiEncoderConfig> = {}): BiEncoderConfig {
  return modelConfig({ layers: 1, hidden: 16, heads: 2 }, { vocabSize: VOCAB_TEXT.trim().split('\n').length, maxPositions: 64, projection: 8, ...overrides });
}

/** An inference-only model with seeded random weights. */
export function fixtureModel(device: Device, seed: number, overrides: Partial<BiEncoderConfig> = {}): BiEncoder {
  return BiEncoder.create(device, fixtureConfig(overrides), { seed, maxLength: 64 });
}

/**
 * The fixture tokenizer and a fixture model on the test device, for a test file's top level
 * (`const { tokenizer, model } = await openFixture(seed)`): both are freed after the file's tests.
 */
export async function openFixture(seed: number): Promise<{ tokenizer: Tokenizer; model: BiEncoder }> {
  const tokenizer = await fixtureTokenizer();
  const model = fixtureModel(await testDevice(), seed);
  afterAll(() => {
    model.destroy();
    tokenizer.free();
  });
  return { tokenizer, model };
}
