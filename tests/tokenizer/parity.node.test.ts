// Parity with the reference: HF `tokenizers` (the Rust crate behind BertTokenizerFast, npm native
// binding 0.23.2). Token ids must be identical on every line of real corpora, on fixtures with expected
// ids made by transformers, and on 100,000+ random strings built to hit the hard cases (accents,
// combining marks, CJK, emoji, controls, zero-width and unassigned code points, special tokens); the
// normaliser + pre-tokeniser must give the same words for every code point; pairs, truncation, padding
// and decoding must match encodeBatch/decode with the same settings.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Tokenizer as HfTokenizer, WordPiece, bertNormalizer, bertPreTokenizer, bertProcessing, wordPieceDecoder,
  type Encoding,
} from 'tokenizers';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { createVocab, freeVocab, preTokenize, FLAG_CHINESE, FLAG_CLEAN, FLAG_LOWERCASE, FLAG_STRIP_ACCENTS } from '../../src/tokenizer/wasm.js';
import { mulberry32 } from '../helpers/rand.js';

const DATA = resolve(import.meta.dirname, '../../../shared/data');
const UNCASED_VOCAB = `${DATA}/bert-base-uncased-vocab/vocab.txt`;
const CHINESE_VOCAB = `${DATA}/bert-base-chinese-vocab/vocab.txt`;
const MINILM_JSON = `${DATA}/tokenizer-json-all-MiniLM-L6-v2/tokenizer.json`;
const BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

const readText = (path: string) => readFileSync(path, 'utf8');
const jsonl = (path: string): Record<string, unknown>[] => readText(path).trim().split('\n').map((l) => JSON.parse(l));
const fmt = (n: number) => n.toLocaleString('en-US');
const SLOW = 120_000; // ms per test; the whole file runs in well under a minute on an idle 2-core machine

const squadCorpus = jsonl(`${DATA}/squad11-dev-retrieval/corpus.jsonl`);
const squadTexts = [...squadCorpus.map((d) => d.text as string), ...squadCorpus.map((d) => d.title as string)];
const squadQueries = jsonl(`${DATA}/squad11-dev-retrieval/queries.jsonl`).map((q) => q.text as string);
const cmrcCorpus = jsonl(`${DATA}/cmrc2018/corpus.jsonl`);
const cmrcQueries = jsonl(`${DATA}/cmrc2018/queries.jsonl`).map((q) => q.text as string);
const cmrcTexts = [...cmrcCorpus.map((d) => d.text as string), ...cmrcCorpus.map((d) => d.title as string), ...cmrcQueries];
const cranfieldTexts = [...jsonl(`${DATA}/cranfield/corpus.jsonl`).flatMap((d) => [d.title as string, d.text as string]), ...jsonl(`${DATA}/cranfield/queries.jsonl`).map((q) => q.text as string)];
const squadFixture = JSON.parse(readText(`${DATA}/wordpiece-fixtures-squad-questions/question_tokens.json`)) as { original: string }[];
const squadFixtureIds = JSON.parse(readText(`${DATA}/wordpiece-fixtures-squad-questions/tokenized_questions.json`)) as number[][];
const bgeInputs = readText(`${DATA}/wordpiece-fixtures-llamacpp-bge/ggml-vocab-bert-bge.gguf.inp`).split('\n__ggml_vocab_test__\n').slice(0, -1);
const bgeIds = readText(`${DATA}/wordpiece-fixtures-llamacpp-bge/ggml-vocab-bert-bge.gguf.out`).split('\n').slice(0, bgeInputs.length).map((l) => l.trim() === '' ? [] : l.trim().split(/\s+/).map(Number));

interface BertSettings {
  lowercase: boolean;
  stripAccents: boolean;
  handleChineseChars: boolean;
  cleanText: boolean;
}
const UNCASED: BertSettings = { lowercase: true, stripAccents: true, handleChineseChars: true, cleanText: true };
const CASED: BertSettings = { lowercase: false, stripAccents: false, handleChineseChars: true, cleanText: true };

/** The HF reference for a vocab.txt, assembled as BertWordPieceTokenizer does. */
async function hfFromVocab(path: string, s: BertSettings): Promise<HfTokenizer> {
  const tokens = readText(path).split('\n');
  const t = new HfTokenizer(await WordPiece.fromFile(path, { unkToken: '[UNK]' }));
  t.setNormalizer(bertNormalizer(s));
  t.setPreTokenizer(bertPreTokenizer());
  t.setPostProcessor(bertProcessing(['[SEP]', tokens.indexOf('[SEP]')], ['[CLS]', tokens.indexOf('[CLS]')]));
  t.setDecoder(wordPieceDecoder('##', true));
  t.addSpecialTokens(BERT_SPECIALS);
  return t;
}

/** The HF reference from a tokenizer.json text, without the file's truncation and padding. */
function hfFromJson(json: string): HfTokenizer {
  const t = HfTokenizer.fromString(json);
  t.disableTruncation();
  t.disablePadding();
  return t;
}

/** MiniLM's tokenizer.json with a different BertNormalizer. */
function minilmWith(s: BertSettings): string {
  const j = JSON.parse(readText(MINILM_JSON));
  j.normalizer = { type: 'BertNormalizer', clean_text: s.cleanText, handle_chinese_chars: s.handleChineseChars, strip_accents: s.stripAccents, lowercase: s.lowercase };
  return JSON.stringify(j);
}

async function hfEncode(ref: HfTokenizer, inputs: string[], addSpecialTokens = true): Promise<Encoding[]> {
  const out: Encoding[] = [];
  for (let i = 0; i < inputs.length; i += 4096) out.push(...(await ref.encodeBatch(inputs.slice(i, i + 4096), { addSpecialTokens })));
  return out;
}

function describeMismatch(text: string, ours: ArrayLike<number>, theirs: ArrayLike<number>): string {
  return `${JSON.stringify(text.length > 200 ? text.slice(0, 200) + '…' : text)}\n  ours: ${Array.from(ours).join(' ')}\n  HF:   ${Array.from(theirs).join(' ')}`;
}

/** Asserts that our ids equal HF's for every text; the failure lists the first mismatches. */
async function expectSameIds(ours: Tokenizer, ref: HfTokenizer, texts: string[], addSpecialTokens = true): Promise<void> {
  const mine = ours.encodeRagged(texts, { addSpecialTokens });
  const theirs = await hfEncode(ref, texts, addSpecialTokens);
  const bad: string[] = [];
  for (let i = 0; i < texts.length; i++) {
    const a = mine.ids.subarray(mine.offsets[i]!, mine.offsets[i + 1]!);
    const b = theirs[i]!.getIds();
    if (a.length !== b.length || a.some((v, k) => v !== b[k])) bad.push(describeMismatch(texts[i]!, a, b));
  }
  expect(bad.length, `${bad.length} of ${texts.length} texts differ; first:\n${bad.slice(0, 5).join('\n')}`).toBe(0);
}

// ---- random strings ----

const span = (a: number, b: number): [number, number] => [a, b];
const POOLS: Record<string, [number, number][]> = {
  latin: [span(0xc0, 0x24f), span(0x1e00, 0x1eff)],
  marks: [span(0x300, 0x36f), span(0x483, 0x489), span(0x591, 0x5bd), span(0x610, 0x61a), span(0x900, 0x903), span(0x93a, 0x94f), span(0xe31, 0xe3a), span(0x1ab0, 0x1aff), span(0x1dc0, 0x1dff), span(0x20d0, 0x20f0), span(0xfe20, 0xfe2f), span(0x1d165, 0x1d172), span(0x16ff0, 0x16ff1), span(0x1e944, 0x1e94a), span(0x302a, 0x302f), span(0x0f71, 0x0f84)],
  cjk: [span(0x4e00, 0x9fff), span(0x3400, 0x4dbf), span(0x20000, 0x2a6df), span(0x2a700, 0x2b81f), span(0x2b820, 0x2b91f), span(0x2b920, 0x2ceaf), span(0x2ceb0, 0x2ebef), span(0xf900, 0xfaff), span(0x2f800, 0x2fa1f), span(0x3000, 0x303f), span(0xff00, 0xffef), span(0x3040, 0x30ff)],
  hangul: [span(0xac00, 0xd7a3), span(0x1100, 0x11ff), span(0x3130, 0x318f)],
  emoji: [span(0x1f300, 0x1faff), span(0x2600, 0x27bf), span(0x1f1e6, 0x1f1ff), span(0x1f3fb, 0x1f3ff)],
  format: [span(0x200b, 0x200f), span(0x202a, 0x202e), span(0x2060, 0x2064), span(0xfeff, 0xfeff), span(0xad, 0xad), span(0x61c, 0x61c), span(0x180e, 0x180e), span(0xe0001, 0xe0001), span(0xe0020, 0xe007f), span(0xfe00, 0xfe0f), span(0x890, 0x891), span(0x13430, 0x1343f)],
  control: [span(0x0, 0x1f), span(0x7f, 0x9f)],
  space: [span(0x9, 0xd), span(0x20, 0x20), span(0x85, 0x85), span(0xa0, 0xa0), span(0x1680, 0x1680), span(0x2000, 0x200a), span(0x2028, 0x2029), span(0x202f, 0x202f), span(0x205f, 0x205f), span(0x3000, 0x3000), span(0x1c, 0x1f)],
  punct: [span(0x21, 0x2f), span(0x3a, 0x40), span(0x5b, 0x60), span(0x7b, 0x7e), span(0xa1, 0xbf), span(0x2010, 0x2027), span(0x2030, 0x205e), span(0x2e00, 0x2e5d), span(0x3001, 0x3003), span(0x55a, 0x55f), span(0x589, 0x58a), span(0x60c, 0x60d), span(0x166d, 0x166e), span(0x1b4e, 0x1b7f), span(0x10d6e, 0x10d6e), span(0x11944, 0x11946)],
  private: [span(0xe000, 0xf8ff), span(0xf0000, 0xf00ff), span(0xfdd0, 0xfdef), span(0xfffe, 0xffff), span(0xfff9, 0xfffd)],
  decomposing: [span(0x1f00, 0x1fff), span(0x2126, 0x212b), span(0x1d15e, 0x1d164), span(0x2adc, 0x2adc), span(0xfb1d, 0xfb4e), span(0x340, 0x344), span(0x0f73, 0x0f81), span(0x11938, 0x11938), span(0x16d68, 0x16d6a), span(0x105c9, 0x105c9), span(0x2000, 0x2001)],
  anything: [span(0, 0xd7ff), span(0xe000, 0x10ffff)],
};
const SPECIAL_STRINGS = ['İ', 'ẞ', 'ß', 'ﬁ', 'ǅ', 'Σ', 'ΑΣ', 'ς', 'ᾂ', 'ΐ', '[SEP]', '[CLS]', '[MASK]', '[PAD]', '[UNK]', '[sep]', '[SEP', 'x[SEP]y', '\ud800', '\udfff', '\ud83d', 'I\u0307', 'a\u0308\u0323', 'a\u0323\u0308', '\u1d16d\u1d165', 'é'.repeat(100), 'é'.repeat(101), 'a'.repeat(99), 'a'.repeat(100), 'a'.repeat(101), 'İ'.repeat(60)];

function makeRandomStrings(count: number, seed: number, words: string[]): string[] {
  const r = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const fromPool = (pool: [number, number][]): string => {
    const [a, b] = pick(pool);
    const cp = a + Math.floor(r() * (b - a + 1));
    return cp >= 0xd800 && cp <= 0xdfff ? '\ufffd' : String.fromCodePoint(cp);
  };
  const kinds = Object.keys(POOLS);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const parts: string[] = [];
    const n = 1 + Math.floor(r() * 16);
    for (let k = 0; k < n; k++) {
      const u = r();
      let part: string;
      if (u < 0.3) {
        part = pick(words);
        const c = r();
        if (c < 0.2) part = part.toUpperCase();
        else if (c < 0.4) part = part.charAt(0).toUpperCase() + part.slice(1);
      } else if (u < 0.37) part = pick(SPECIAL_STRINGS);
      else {
        const pool = POOLS[pick(kinds)]!;
        part = '';
        for (let m = 1 + Math.floor(r() * 4); m > 0; m--) part += fromPool(pool);
      }
      parts.push(part);
    }
    out.push(parts.join(r() < 0.5 ? ' ' : ''));
  }
  return out;
}

const uncasedVocabText = readText(UNCASED_VOCAB);
const vocabWords = uncasedVocabText.split('\n').filter((t) => /^[a-z]{2,}$/.test(t));
const RANDOM_COUNT = 100_000;
const randomStrings = makeRandomStrings(RANDOM_COUNT, 2024, vocabWords);
const randomSmall = randomStrings.slice(0, 6_000);

describe('parity with HF tokenizers (native) on real text', () => {
  it(`SQuAD corpus (${fmt(squadCorpus.length)} passages + titles) and ${fmt(squadQueries.length)} queries, tokenizer.json (all-MiniLM-L6-v2): ids equal`, async () => {
    const json = readText(MINILM_JSON);
    const ours = await Tokenizer.fromTokenizerJson(json);
    await expectSameIds(ours, hfFromJson(json), [...squadTexts, ...squadQueries]);
    ours.free();
  }, SLOW);

  it(`CMRC 2018 (${fmt(cmrcTexts.length)} passages, titles, queries), bert-base-chinese cased as HF ships it; its ${fmt(cmrcQueries.length)} queries uncased too: ids equal`, async () => {
    const vocab = readText(CHINESE_VOCAB);
    for (const [s, texts] of [[CASED, cmrcTexts], [UNCASED, cmrcQueries]] as const) {
      const ours = await Tokenizer.fromVocab(vocab, s);
      await expectSameIds(ours, await hfFromVocab(CHINESE_VOCAB, s), texts);
      ours.free();
    }
  }, SLOW);

  it(`Cranfield (${fmt(cranfieldTexts.length)} titles, texts, queries), bert-base-uncased vocab.txt: ids equal`, async () => {
    const ours = await Tokenizer.fromVocab(uncasedVocabText);
    await expectSameIds(ours, await hfFromVocab(UNCASED_VOCAB, UNCASED), cranfieldTexts);
    ours.free();
  }, SLOW);

  it(`fixtures: ${fmt(squadFixture.length)} SQuAD questions (transformers BertTokenizer) and ${bgeInputs.length} llama.cpp bge edge cases (BertTokenizerFast): ids equal the expected ids`, async () => {
    const ours = await Tokenizer.fromVocab(uncasedVocabText);
    const check = (texts: string[], expected: number[][]) => {
      const got = ours.encodeRagged(texts, { addSpecialTokens: false });
      const bad = texts.flatMap((t, i) => {
        const a = got.ids.subarray(got.offsets[i]!, got.offsets[i + 1]!);
        const b = expected[i]!;
        return a.length === b.length && a.every((v, k) => v === b[k]) ? [] : [describeMismatch(t, a, b)];
      });
      expect(bad.length, `${bad.length} of ${texts.length} differ; first:\n${bad.slice(0, 5).join('\n')}`).toBe(0);
    };
    check(squadFixture.map((q) => q.original), squadFixtureIds);
    check(bgeInputs, bgeIds);
    ours.free();
  }, SLOW);
});

describe('parity with HF tokenizers (native) on random strings', () => {
  it(`${fmt(RANDOM_COUNT)} random strings (ASCII, accents, combining marks, CJK, Hangul, emoji, controls, zero-width, unassigned, specials), bert-base-uncased: ids equal`, async () => {
    const ours = await Tokenizer.fromVocab(uncasedVocabText);
    await expectSameIds(ours, await hfFromVocab(UNCASED_VOCAB, UNCASED), randomStrings);
    ours.free();
  }, SLOW);

  it(`${fmt(randomSmall.length)} random strings under each other BertNormalizer setting (cased, lowercase without accent stripping, no clean_text/CJK handling), via tokenizer.json: ids equal`, async () => {
    const settings: BertSettings[] = [
      CASED,
      { lowercase: true, stripAccents: false, handleChineseChars: true, cleanText: true },
      { lowercase: false, stripAccents: true, handleChineseChars: false, cleanText: false },
      { lowercase: true, stripAccents: true, handleChineseChars: false, cleanText: false },
    ];
    for (const s of settings) {
      const json = minilmWith(s);
      const ours = await Tokenizer.fromTokenizerJson(json);
      await expectSameIds(ours, hfFromJson(json), randomSmall);
      ours.free();
    }
  }, SLOW);

  it('every code point (U+0000..U+10FFFF but surrogates) gives the same normalised words as BertNormalizer + BertPreTokenizer, in two settings that use every table', async () => {
    // Uncased uses removal, whitespace, CJK, decomposition, reordering, Mn, punctuation and case; the
    // second keeps controls (no clean_text) and lower-cases without NFD (U+0130 → i + U+0307).
    const settings: BertSettings[] = [UNCASED, { lowercase: true, stripAccents: false, handleChineseChars: false, cleanText: false }];
    // Each code point sits between letters ("a?b"), 1024 per string, so removal, splitting, decomposition,
    // reordering with its neighbours and case mapping all show up in the words.
    // The second setting is checked where its code paths differ from the first (lower-casing without
    // NFD, kept controls): planes 0-2 and the tag/variation-selector block; the first covers everything.
    const chunksOf = (keep: (cp: number) => boolean): string[] => {
      const chunks: string[] = [];
      let chunk = '';
      let inChunk = 0;
      for (let cp = 0; cp <= 0x10ffff; cp++) {
        if ((cp >= 0xd800 && cp <= 0xdfff) || !keep(cp)) continue;
        chunk += `a${String.fromCodePoint(cp)}b `;
        if (++inChunk === 1024) {
          chunks.push(chunk);
          chunk = '';
          inChunk = 0;
        }
      }
      return [...chunks, chunk];
    };
    const everyCodePoint = chunksOf(() => true);
    const lowerPlanes = chunksOf((cp) => cp < 0x30000 || (cp >= 0xe0000 && cp < 0xe1000));
    for (const [k, s] of settings.entries()) {
      const chunks = k === 0 ? everyCodePoint : lowerPlanes;
      const handle = createVocab({
        tokens: [], ids: new Int32Array(0), prefix: '##', specials: [],
        flags: (s.lowercase ? FLAG_LOWERCASE : 0) | (s.stripAccents ? FLAG_STRIP_ACCENTS : 0) | (s.handleChineseChars ? FLAG_CHINESE : 0) | (s.cleanText ? FLAG_CLEAN : 0),
        maxInputCharsPerWord: 1000, unk: 0, cls: 0, sep: 0, pad: 0,
      });
      const normalizer = bertNormalizer(s);
      const pre = bertPreTokenizer();
      const bad: string[] = [];
      for (const c of chunks) {
        const ours = preTokenize(handle, [c]);
        const theirs = pre.preTokenizeString(normalizer.normalizeString(c)).map(([w]) => w + ' ').join('');
        if (ours !== theirs) bad.push(`${JSON.stringify(c.slice(0, 40))}…: ours ${JSON.stringify(ours.slice(0, 80))} HF ${JSON.stringify(theirs.slice(0, 80))}`);
      }
      freeVocab(handle);
      expect(bad.length, `${JSON.stringify(s)}: ${bad.length} of ${chunks.length} chunks differ; first:\n${bad.slice(0, 3).join('\n')}`).toBe(0);
    }
  }, SLOW);
});

describe('parity with HF encodeBatch: pairs, truncation, padding; and decode', () => {
  const queries = squadQueries.slice(0, 1200);
  const passages = queries.map((_, i) => squadTexts[(i * 7) % squadCorpus.length]!);

  it('pairs and singles under LongestFirst truncation, max_length and longest padding, maxLength 3..200: ids, type ids and masks equal', async () => {
    const ours = await Tokenizer.fromVocab(uncasedVocabText);
    const ref = await hfFromVocab(UNCASED_VOCAB, UNCASED);
    const r = mulberry32(99);
    const GROUPS = 18;
    let rows = 0;
    for (let g = 0; g < GROUPS; g++) {
      const maxLength = g < 6 ? 3 + g : 3 + Math.floor(r() * 198);
      const longest = g % 2 === 1;
      const withPairs = g % 3 !== 2;
      const from = (g * 50) % queries.length;
      // Mix in random strings (empty results, long words, specials) on both sides.
      const a = [...queries.slice(from, from + 50), ...randomStrings.slice(g * 20, g * 20 + 20), ''];
      const b = [...passages.slice(from, from + 50), ...randomStrings.slice(5000 + g * 20, 5000 + g * 20 + 20), 'x'];
      ref.setTruncation(maxLength, { strategy: 'LongestFirst' as never });
      let theirs: Encoding[];
      if (withPairs) {
        // The binding's encodeBatch takes single texts only; encode() takes a pair. Batch-longest padding
        // is then HF's own Encoding.pad to the longest row.
        if (longest) ref.disablePadding();
        else ref.setPadding({ maxLength });
        theirs = await Promise.all(a.map((t, i) => ref.encode(t, b[i]!)));
        if (longest) {
          const width = Math.max(...theirs.map((e) => e.getLength()));
          for (const e of theirs) e.pad(width, { padId: 0, padTypeId: 0, padToken: '[PAD]' });
        }
      } else {
        ref.setPadding(longest ? {} : { maxLength });
        theirs = await ref.encodeBatch(a);
      }
      const mine = ours.encodeBatch(a, { maxLength, pairs: withPairs ? b : undefined, padding: longest ? 'longest' : 'max_length' });
      for (let i = 0; i < a.length; i++) {
        const row = (x: Int32Array) => Array.from(x.subarray(i * mine.length, (i + 1) * mine.length));
        const what = `maxLength ${maxLength}, ${longest ? 'longest' : 'max_length'}, ${withPairs ? 'pair' : 'single'} ${JSON.stringify(a[i]!.slice(0, 60))}`;
        expect(row(mine.ids), what).toEqual(theirs[i]!.getIds());
        expect(row(mine.typeIds), what).toEqual(theirs[i]!.getTypeIds());
        expect(row(mine.mask), what).toEqual(theirs[i]!.getAttentionMask());
        rows++;
      }
    }
    expect(rows).toBe(GROUPS * 71);
    ours.free();
  }, SLOW);

  it('decode equals HF decode (WordPiece decoder, cleanup) with and without special tokens', async () => {
    const ours = await Tokenizer.fromVocab(uncasedVocabText);
    const ref = await hfFromVocab(UNCASED_VOCAB, UNCASED);
    const texts = [...queries.slice(0, 1000), ...randomStrings.slice(0, 1000), "I don't know , do not ask . It 's fine ! ' quoted '"];
    const enc = ours.encodeRagged(texts);
    const idLists = texts.map((_, i) => Array.from(enc.ids.subarray(enc.offsets[i]!, enc.offsets[i + 1]!)));
    for (const skip of [false, true]) {
      const theirs = await ref.decodeBatch(idLists, skip);
      idLists.forEach((ids, i) => expect(ours.decode(ids, { skipSpecialTokens: skip }), JSON.stringify(texts[i])).toBe(theirs[i]));
    }
    ours.free();
  }, SLOW);
});
