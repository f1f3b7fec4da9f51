// Annotation plug-ins: the properties each method promises (ICT's query is a sentence of its passage
// and is cut out of the positive; crops are contiguous word runs of the passage within the ratio bounds;
// file pairs parse with typed errors), the Annotation layout (corpus first, derived positives and test
// positives kept out of the negative pool), and determinism. Sentence splitting is checked against an
// independent split written here from the rule in src/annotate/text.ts.
import { describe, expect, it } from 'vitest';
import { annotationFromPairs, DERIVED_SPLIT, type AnnotateContext } from '../../src/annotate/annotation.js';
import { cropMethod, cropPair } from '../../src/annotate/crop.js';
import { fileMethod, parsePairsJsonl } from '../../src/annotate/file.js';
import { human } from '../../src/annotate/human.js';
import { ict, ictPair } from '../../src/annotate/ict.js';
import { ANNOTATION_METHODS } from '../../src/annotate/methods.js';
import { removeSpan, sentenceSpans, wordSpans } from '../../src/annotate/text.js';
import { PairDataset } from '../../src/data/pairs.js';
import { RetrievalData } from '../../src/data/retrieval.js';
import { ConfigError, FormatError } from '../../src/errors.js';
import { Pcg32 } from '../../src/util/rng.js';
import { loadWasm } from '../../src/wasm/module.js';
import { mulberry32 } from '../helpers/rand.js';

await loadWasm();

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'kappa', 'sigma', 'omega', 'rho', 'tau', 'phi', 'x1', '42'];
const PUNCT = ['.', ';', ':', '!', '?'];

/** A passage of 1–5 sentences of 1–8 words, separated by single spaces after their punctuation. */
function randomPassage(r: () => number): { text: string; sentences: string[] } {
  const n = 1 + Math.floor(r() * 5);
  const sentences = Array.from({ length: n }, (_, i) => {
    const words = Array.from({ length: 1 + Math.floor(r() * 8) }, () => WORDS[Math.floor(r() * WORDS.length)]!);
    return `${words.join(' ')}${i < n - 1 || r() < 0.5 ? PUNCT[Math.floor(r() * PUNCT.length)]! : ''}`;
  });
  return { text: sentences.join(' '), sentences };
}

/** Alphanumeric words, as a sorted multiset. */
const wordBag = (s: string) => (s.match(/[\p{L}\p{N}]+/gu) ?? []).sort();

function corpus(): { data: RetrievalData; context: AnnotateContext } {
  const r = mulberry32(5);
  const passages = Array.from({ length: 60 }, (_, i) => ({ id: `p${i}`, text: randomPassage(r).text }));
  const queries = Array.from({ length: 50 }, (_, i) => ({ id: `q${i}`, text: `query ${i}` }));
  const test = Array.from({ length: 10 }, (_, i) => ({ queryId: `q${i}`, passageId: `p${i}` }));
  // Passages p10..p49 are training positives, some of them twice (two queries share a passage).
  const train = Array.from({ length: 40 }, (_, i) => ({ queryId: `q${10 + i}`, passageId: `p${10 + (i % 35)}` }));
  const data = RetrievalData.fromRecords({ passages, queries, qrels: { train, test } });
  return { data, context: { data, split: 'train', heldOutSplits: ['test'], seed: 3 } };
}

describe('sentence and word segmentation', () => {
  it('splits at . ! ? ; : before a space and at CJK full stops, keeping the punctuation', () => {
    const cut = (t: string) => sentenceSpans(t).map(([s, e]) => t.slice(s, e));
    expect(cut('dog, domestic dog: a canine; barks at night')).toEqual(['dog, domestic dog:', 'a canine;', 'barks at night']);
    expect(cut('It is 3.5 m long. Really?  Yes!')).toEqual(['It is 3.5 m long.', 'Really?', 'Yes!']);
    expect(cut('北京是首都。上海很大！')).toEqual(['北京是首都。', '上海很大！']);
    expect(cut('one sentence')).toEqual(['one sentence']);
    expect(cut('  ; . ')).toEqual([]);
  });

  it('matches an independent splitter on random passages', () => {
    const r = mulberry32(1);
    for (let i = 0; i < 300; i++) {
      const { text, sentences } = randomPassage(r);
      expect(sentenceSpans(text).map(([s, e]) => text.slice(s, e))).toEqual(sentences);
    }
  });

  it('makes every CJK ideograph a word and other words whitespace-delimited', () => {
    const t = 'a 大狗 ran, fast';
    expect(wordSpans(t).map(([s, e]) => t.slice(s, e))).toEqual(['a', '大', '狗', 'ran,', 'fast']);
  });

  it('removeSpan joins the two sides and drops dangling separators', () => {
    expect(removeSpan('dog: a canine; barks', [5, 14])).toBe('dog: barks');
    expect(removeSpan('dog: a canine; barks', [15, 20])).toBe('dog: a canine');
    expect(removeSpan('北京是首都。上海很大！', [0, 6])).toBe('上海很大！');
  });
});

describe('ict', () => {
  it("the query is one of the passage's sentences and the positive is the passage without it", () => {
    const r = mulberry32(2);
    const rng = new Pcg32(9);
    let pairs = 0;
    for (let i = 0; i < 400; i++) {
      const { text, sentences } = randomPassage(r);
      const pair = ictPair(text, rng);
      if (sentences.length < 2) {
        expect(pair).toBeNull();
        continue;
      }
      pairs++;
      expect(pair).not.toBeNull();
      const k = sentences.findIndex((s) => s.replace(/[.!?;:]+$/, '') === pair!.query);
      expect(k, `query "${pair!.query}" is not a sentence of "${text}"`).toBeGreaterThanOrEqual(0);
      const rest = sentences.filter((_, j) => j !== k).join(' ').replace(/[\s,;:]+$/, '');
      expect(pair!.passage).toBe(rest);
      expect(wordBag(`${pair!.query} ${pair!.passage}`)).toEqual(wordBag(text));
    }
    expect(pairs).toBeGreaterThan(200);
  });

  it('draws the sentence uniformly', () => {
    const text = 'one a. two b. three c. four d.';
    const rng = new Pcg32(4);
    const counts = new Map<string, number>();
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const q = ictPair(text, rng)!.query;
      counts.set(q, (counts.get(q) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['four d', 'one a', 'three c', 'two b']);
    // Chi-square with 3 degrees of freedom: 16.27 is its 0.999 quantile.
    const chi2 = [...counts.values()].reduce((s, c) => s + (c - n / 4) ** 2 / (n / 4), 0);
    expect(chi2).toBeLessThan(16.27);
  });

  it('annotates the training positives in order, skips one-sentence passages, and is seeded', async () => {
    const { data, context } = corpus();
    const a = await ict.annotate(context);
    const b = await ict.annotate(context);
    const c = await ict.annotate({ ...context, seed: 4 });
    const sources = Array.from(data.positives('train').passage, (p) => data.passageText(p)).filter((t) => sentenceSpans(t).length >= 2);
    expect(a.pairs).toBe(sources.length);
    const texts = (x: typeof a) => Array.from(x.data.positives(x.split).query, (q, i) => [x.data.queryText(q), x.data.passageText(x.data.positives(x.split).passage[i]!)]);
    expect(texts(a)).toEqual(texts(b));
    expect(texts(a)).not.toEqual(texts(c));
    texts(a).forEach(([query, positive], i) => expect(wordBag(`${query} ${positive}`)).toEqual(wordBag(sources[i]!)));
  });
});

describe('crop', () => {
  it('query and positive are contiguous word runs of the passage with lengths within the ratios', () => {
    const r = mulberry32(3);
    const rng = new Pcg32(1);
    for (let i = 0; i < 300; i++) {
      const words = Array.from({ length: 1 + Math.floor(r() * 60) }, () => WORDS[Math.floor(r() * WORDS.length)]!);
      const text = words.join(' ');
      const pair = cropPair(text, rng, { minRatio: 0.1, maxRatio: 0.5 })!;
      for (const span of [pair.query, pair.passage]) {
        const got = span.split(' ');
        const lo = Math.max(1, Math.floor(0.1 * words.length));
        const hi = Math.max(1, Math.floor(0.5 * words.length));
        expect(got.length).toBeGreaterThanOrEqual(lo);
        expect(got.length).toBeLessThanOrEqual(hi);
        const at = words.findIndex((_, s) => got.every((w, j) => words[s + j] === w));
        expect(at, `"${span}" is not a run of "${text}"`).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('places spans uniformly: every start position of a fixed-length span occurs', () => {
    const text = Array.from({ length: 10 }, (_, i) => `w${i}`).join(' ');
    const rng = new Pcg32(8);
    const starts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const { query } = cropPair(text, rng, { minRatio: 0.3, maxRatio: 0.3 })!;
      expect(query.split(' ')).toHaveLength(3);
      starts.set(query.split(' ')[0]!, (starts.get(query.split(' ')[0]!) ?? 0) + 1);
    }
    // 8 possible starts (w0..w7) for 3 of 10 words; chi-square with 7 dof, 0.999 quantile 24.32.
    expect(starts.size).toBe(8);
    const chi2 = [...starts.values()].reduce((s, c) => s + (c - 250) ** 2 / 250, 0);
    expect(chi2).toBeLessThan(24.32);
  });

  it('crops Chinese text without spaces character by character', () => {
    const text = '北京是中华人民共和国的首都也是全国政治文化中心';
    const pair = cropPair(text, new Pcg32(0))!;
    expect(text.includes(pair.query) && text.includes(pair.passage)).toBe(true);
  });

  it('rejects bad ratios and is seeded', async () => {
    expect(() => cropMethod({ minRatio: 0.6, maxRatio: 0.5 })).toThrow(ConfigError);
    const { context } = corpus();
    const a = await ANNOTATION_METHODS.crop!.annotate(context);
    const b = await ANNOTATION_METHODS.crop!.annotate(context);
    expect(a.data.queryText(a.data.positives('train').query[7]!)).toBe(b.data.queryText(b.data.positives('train').query[7]!));
    expect(a.pairs).toBe(40);
  });
});

describe('file', () => {
  const { data, context } = corpus();

  it('reads corpus-id and text pairs in file order, ignoring other keys and blank lines', async () => {
    const text = '{"query":"what is alpha","passage_id":"p20","model":"llm"}\n\n{"query":"beta?","passage":"beta is a letter"}\n';
    const a = await fileMethod(text, 'q.jsonl', 'llm').annotate(context);
    const { query, passage } = a.data.positives(a.split);
    expect(Array.from(query, (q) => a.data.queryText(q))).toEqual(['what is alpha', 'beta?']);
    expect(a.data.passageId(passage[0]!)).toBe('p20');
    expect(a.data.passageText(passage[0]!)).toBe(data.passageText(data.passageIndex('p20')));
    expect(a.data.passageText(passage[1]!)).toBe('beta is a letter');
    expect(a.method).toBe('llm');
  });

  it('names the file, line and field of every bad line', () => {
    const bad = (text: string, match: RegExp) => expect(() => parsePairsJsonl(text, 'q.jsonl', context)).toThrow(match);
    bad('{"query":"a","passage_id":"p20"}\n{"query":"b"', /q\.jsonl, line 2: not valid JSON/);
    bad('[1]', /line 1: expected a JSON object/);
    bad('{"passage_id":"p20"}', /line 1, field "query"/);
    bad('{"query":"a"}', /exactly one of "passage_id" and "passage"/);
    bad('{"query":"a","passage_id":"p20","passage":"x"}', /exactly one/);
    bad('{"query":"a","passage_id":"nope"}', /line 1, field "passage_id": no passage "nope"/);
    bad('{"query":"a","passage_id":"p3"}', /field "passage_id": passage "p3" is a positive of a held-out split/);
    bad('\n\n', /no pairs/);
    try {
      parsePairsJsonl('{"query":"a","passage":""}', 'q.jsonl', context);
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      expect((e as FormatError).field).toBe('passage');
      expect((e as FormatError).line).toBe(1);
    }
  });
});

describe('annotation layout', () => {
  it('keeps the corpus in place and draws negatives from the corpus minus test positives', async () => {
    const { data, context } = corpus();
    const a = annotationFromPairs(context, 'gen', [
      { query: 'q one', passageIndex: 30 },
      { query: 'q two', passage: 'a derived text' },
      { query: 'q three', passage: 'another derived text' },
    ]);
    for (let i = 0; i < data.passageCount; i++) {
      expect(a.data.passageId(i)).toBe(data.passageId(i));
      expect(a.data.passageText(i)).toBe(data.passageText(i));
    }
    expect(a.data.passageCount).toBe(data.passageCount + 2);
    expect(a.heldOutSplits).toEqual(['test', DERIVED_SPLIT]);
    const ds = PairDataset.fromRetrievalData(a.data, { split: a.split, heldOutSplits: a.heldOutSplits });
    const pool = new Set(ds.negativePool());
    const expected = [...Array(data.passageCount).keys()].filter((p) => p >= 10);
    expect([...pool].sort((x, y) => x - y)).toEqual(expected);
    const b = ds.batchIndices(0, { batchSize: 3, negatives: 5, seed: 0 });
    expect(b.passageIndices.slice(3).every((p) => pool.has(p))).toBe(true);
  });

  it('rejects training on held-out positives and empty annotations', () => {
    const { context } = corpus();
    expect(() => annotationFromPairs(context, 'gen', [{ query: 'q', passageIndex: 2 }])).toThrow(/positive of a held-out split/);
    expect(() => annotationFromPairs(context, 'gen', [])).toThrow(/no training pairs/);
  });

  it('human annotation is the training split itself', async () => {
    const { data, context } = corpus();
    const a = await human.annotate(context);
    expect(a.data).toBe(data);
    expect(a.pairs).toBe(40);
    expect(a.heldOutSplits).toEqual(['test']);
    expect(() => human.annotate({ ...context, heldOutSplits: ['train'] })).toThrow(ConfigError);
  });
});
