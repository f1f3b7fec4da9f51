// Portable golden tests (Node and Chromium) of the wasm WordPiece tokenizer on a small inline vocabulary.
// Expected outputs are derived by hand from BERT's rules (BasicTokenizer + greedy longest-match
// WordPiece, HF's truncation and decoder); the parity test (parity.node.test.ts) checks the same code
// against HF tokenizers on real data.
import { describe, expect, it } from 'vitest';
import { ConfigError, TokenizerError } from '../../src/errors.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { encodePadded, retainedBytes } from '../../src/tokenizer/wasm.js';
import { wasm } from '../../src/wasm/module.js';

const VOCAB = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', // 0-4
  'the', 'quick', 'brown', 'fox', 'jump', '##s', '##ed', 'over', 'lazy', 'dog', // 5-14
  'un', '##aff', '##able', '.', ',', '!', '?', "'", 'a', '##a', // 15-24
  '北', '京', '##京', 'cafe', 'Café', 'hello', 'world', 'Cafe', 't', 'isn', // 25-34
];
const VOCAB_TEXT = VOCAB.join('\n') + '\n';
const id = (t: string): number => VOCAB.indexOf(t);
const ids = (tokens: string): number[] => tokens.split(' ').map(id);

describe('Tokenizer (inline vocabulary)', () => {
  it('splits on whitespace and punctuation, lower-cases, and uses ## continuations', async () => {
    const tok = await Tokenizer.fromVocab(VOCAB_TEXT);
    expect(tok.vocabSize).toBe(VOCAB.length);
    expect(tok.special).toEqual({ pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });
    expect(tok.tokenize('The quick brown fox jumps over the lazy dog.')).toEqual(
      'the quick brown fox jump ##s over the lazy dog .'.split(' '),
    );
    expect(tok.tokenize('unaffable')).toEqual(['un', '##aff', '##able']);
    expect(tok.tokenize('Hello,World!')).toEqual(['hello', ',', 'world', '!']);
    expect(tok.tokenize('  \t\n ')).toEqual([]);
    tok.free();
  });

  it('makes a whole word [UNK] when any part of it has no piece', async () => {
    const tok = await Tokenizer.fromVocab(VOCAB_TEXT);
    // "jump" matches, then "z" has no "##z": the word is one [UNK], not "jump [UNK]".
    expect(tok.tokenize('jumpz the')).toEqual(['[UNK]', 'the']);
    expect(tok.tokenize('zebra')).toEqual(['[UNK]']);
    tok.free();
  });

  it('turns words longer than maxInputCharsPerWord (code points, after normalisation) into [UNK]', async () => {
    const tok = await Tokenizer.fromVocab(VOCAB_TEXT);
    expect(tok.tokenize('a'.repeat(100))).toEqual(['a', ...Array(99).fill('##a')]);
    expect(tok.tokenize('a'.repeat(101) + ' the')).toEqual(['[UNK]', 'the']);
    const short = await Tokenizer.fromVocab(VOCAB_TEXT, { maxInputCharsPerWord: 3 });
    expect(short.tokenize('aaa aaaa')).toEqual(['a', '##a', '##a', '[UNK]']);
    // "Àaa" is 4 code points before accent stripping (A + U+0300 after NFD) but 3 after.
    expect(short.tokenize('A\u0300aa')).toEqual(['a', '##a', '##a']);
    tok.free();
    short.free();
  });

  it('separates CJK ideographs, unless handleChineseChars is off', async () => {
    const tok = await Tokenizer.fromVocab(VOCAB_TEXT);
    expect(tok.tokenize('北京')).toEqual(['北', '京']);
    const joined = await Tokenizer.fromVocab(VOCAB_TEXT, { handleChineseChars: false });
    expect(joined.tokenize('北京')).toEqual(['北', '##京']);
    tok.free();
    joined.free();
  });

  it('strips accents when uncased, keeps them when cased, and strips on request', async () => {
    const uncased = await Tokenizer.fromVocab(VOCAB_TEXT);
    const cased = await Tokenizer.fromVocab(VOCAB_TEXT, { lowercase: false });
    const casedStripped = await Tokenizer.fromVocab(VOCAB_TEXT, { lowercase: false, stripAccents: true });
    expect(uncased.tokenize('Café CAFÉ cafe\u0301')).toEqual(['cafe', 'cafe', 'cafe']);
    expect(cased.tokenize('Café')).toEqual(['Café']);
    expect(cased.tokenize('Cafe\u0301')).toEqual(['[UNK]']); // not composed: NFD only runs with stripAccents
    expect(casedStripped.tokenize('Café')).toEqual(['Cafe']);
    expect(cased.lowercase).toBe(false);
    expect(cased.settings.stripAccents).toBe(false);
    expect(uncased.settings.stripAccents).toBe(true);
    for (const t of [uncased, cased, casedStripped]) t.free();
  });

  it('drops control and zero-width format characters and treats Unicode spaces as spaces', async () => {
    const tok = await Tokenizer.fromVocab(VOCAB_TEXT);
    expect(tok.tokenize('hel\u0000lo wor\u200bld\u00adthe')).toEqual(['hello', '[UNK]']);
    expect(tok.tokenize('hello\u00a0world\u3000the\u2028dog')).toEqual(['hello', 'world', 'the', 'dog']);
    expect(tok.tokenize('the\ufffd dog')).toEqual(['the', 'dog']);
    tok.free();
  });

  it('recognises special tokens written in the text, verbatim and case-sensitively', async () => {
    const tok = await Tokenizer.fromVocab(VOCAB_TEXT);
    expect(Array.from(tok.encode('hello[SEP]world [MASK].', { addSpecialTokens: false }))).toEqual(ids('hello [SEP] world [MASK] .'));
    expect(tok.tokenize('[sep]')).toEqual(['[UNK]', '[UNK]', '[UNK]']); // "[", "sep", "]" have no pieces here
    tok.free();
  });

  it('encodes one text with [CLS]/[SEP] and truncates it to maxLength', async () => {
    const tok = await Tokenizer.fromVocab(VOCAB_TEXT);
    expect(Array.from(tok.encode('hello world'))).toEqual(ids('[CLS] hello world [SEP]'));
    expect(Array.from(tok.encode('hello world', { addSpecialTokens: false }))).toEqual(ids('hello world'));
    expect(Array.from(tok.encode('the quick brown fox', { maxLength: 4 }))).toEqual(ids('[CLS] the quick [SEP]'));
    expect(Array.from(tok.encode('the quick brown fox', { maxLength: 2 }))).toEqual(ids('[CLS] [SEP]'));
    expect(Array.from(tok.encode(''))).toEqual(ids('[CLS] [SEP]'));
    tok.free();
  });

  it('pads a batch to maxLength or to its longest row, with mask and type ids', async () => {
    const tok = await Tokenizer.fromVocab(VOCAB_TEXT);
    const fixed = tok.encodeBatch(['hello', 'the quick brown fox'], { maxLength: 8 });
    expect(fixed.batch).toBe(2);
    expect(fixed.length).toBe(8);
    expect(Array.from(fixed.ids)).toEqual([...ids('[CLS] hello [SEP]'), 0, 0, 0, 0, 0, ...ids('[CLS] the quick brown fox [SEP]'), 0, 0]);
    expect(Array.from(fixed.mask)).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0]);
    expect(Array.from(fixed.typeIds)).toEqual(new Array(16).fill(0));
    expect(Array.from(fixed.lengths)).toEqual([3, 6]);
    const longest = tok.encodeBatch(['hello', 'the quick brown fox'], { maxLength: 8, padding: 'longest' });
    expect(longest.length).toBe(6);
    expect(Array.from(longest.ids)).toEqual([...ids('[CLS] hello [SEP]'), 0, 0, 0, ...ids('[CLS] the quick brown fox [SEP]')]);
    expect(Array.from(longest.mask)).toEqual([1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    const bare = tok.encodeBatch(['hello world'], { maxLength: 3, addSpecialTokens: false });
    expect(Array.from(bare.ids)).toEqual([...ids('hello world'), 0]);
    tok.free();
  });

  it('encodes pairs as [CLS] a [SEP] b [SEP] and truncates them longest-first like HF', async () => {
    const tok = await Tokenizer.fromVocab(VOCAB_TEXT);
    const six = 'the quick brown fox jumps'; // 6 pieces: the quick brown fox jump ##s
    const run = (a: string, b: string, maxLength: number) => {
      const r = tok.encodeBatch([a], { maxLength, pairs: [b], padding: 'longest' });
      return { ids: Array.from(r.ids), types: Array.from(r.typeIds) };
    };
    // Fits: nothing is cut.
    expect(run('hello', 'world', 16)).toEqual({ ids: ids('[CLS] hello [SEP] world [SEP]'), types: [0, 0, 0, 1, 1] });
    // Room 5 = 8 - 3; the shorter (2) fits in it with the rest (3) for the longer.
    expect(run(six, 'hello world', 8)).toEqual({ ids: ids('[CLS] the quick brown [SEP] hello world [SEP]'), types: [0, 0, 0, 0, 0, 1, 1, 1] });
    // Both longer than half the room: 2 and 3, the odd one to the second of a tie.
    expect(run(six, six, 8).ids).toEqual(ids('[CLS] the quick [SEP] the quick brown [SEP]'));
    // Room 3: the shorter keeps 1, the longer gets 2.
    expect(run('dog', six, 6).ids).toEqual(ids('[CLS] dog [SEP] the quick [SEP]'));
    // The longer is first: it gets the odd id.
    expect(run(six + ' over', six, 8).ids).toEqual(ids('[CLS] the quick brown [SEP] the quick [SEP]'));
    // HF (tokenizers 0.23) compares lengths after tokenising each text only up to the first word
    // boundary at or past maxLength ids: 10 one-piece words count as 8, three 3-piece words as 9, so
    // the second is "longer" although it has fewer pieces.
    expect(run('a a a a a a a a a a', 'unaffable unaffable unaffable', 8).ids).toEqual(ids('[CLS] a a [SEP] un ##aff ##able [SEP]'));
    // ... and 10 one-piece words against 8 one-piece words is a tie (8 and 8): the second gets the odd id.
    expect(run('a a a a a a a a a a', 'the the the the the the the the', 8).ids).toEqual(ids('[CLS] a a [SEP] the the the [SEP]'));
    tok.free();
  });

  it('decodes like the HF WordPiece decoder (## glued on, cleanup, optional special tokens)', async () => {
    const tok = await Tokenizer.fromVocab(VOCAB_TEXT);
    const enc = tok.encode("Hello, world! isn't it?");
    // Cleanup runs per piece, so " '" followed by " t" stays spaced (" ' " never occurs in one piece).
    expect(tok.decode(enc)).toBe("[CLS] hello, world! isn ' t [UNK]? [SEP]");
    expect(tok.decode(enc, { skipSpecialTokens: true })).toBe("hello, world! isn ' t?"); // [UNK] is special too
    expect(tok.decode(ids('un ##aff ##able'))).toBe('unaffable');
    expect(tok.decode(ids('##aff'))).toBe('##aff'); // a leading continuation keeps its prefix, as in HF
    expect(() => tok.decode([VOCAB.length])).toThrow(TokenizerError);
    tok.free();
  });

  it('round-trips its vocabulary and settings', async () => {
    const tok = await Tokenizer.fromVocab(VOCAB_TEXT, { lowercase: false });
    expect(tok.vocabText()).toBe(VOCAB_TEXT);
    const again = await Tokenizer.fromVocab(tok.vocabText(), tok.settings);
    expect(Array.from(again.encode('Café fox'))).toEqual(Array.from(tok.encode('Café fox')));
    // vocab.txt lines are trimmed at the end (HF trim_end), \r\n works.
    const crlf = await Tokenizer.fromVocab(VOCAB.join(' \r\n'));
    expect(crlf.vocabSize).toBe(VOCAB.length);
    expect(crlf.tokenize('the dog')).toEqual(['the', 'dog']);
    for (const t of [tok, again, crlf]) t.free();
  });

  it('loads an HF tokenizer.json with the same behaviour as the vocab.txt it holds', async () => {
    const json = tokenizerJson({});
    const fromJson = await Tokenizer.fromTokenizerJson(JSON.stringify(json));
    const fromVocab = await Tokenizer.fromVocab(VOCAB_TEXT);
    const text = 'The quick brown fox jumps over the lazy dog. Café 北京 [SEP] unaffable';
    expect(Array.from(fromJson.encode(text))).toEqual(Array.from(fromVocab.encode(text)));
    expect(fromJson.special).toEqual(fromVocab.special);
    const cased = await Tokenizer.fromTokenizerJson(JSON.stringify(tokenizerJson({ normalizer: { type: 'BertNormalizer', lowercase: false, strip_accents: null, clean_text: true, handle_chinese_chars: false } })));
    expect(cased.tokenize('Café 北京')).toEqual(['Café', '北', '##京']);
    for (const t of [fromJson, fromVocab, cased]) t.free();
  });

  it('keeps several vocabularies alive side by side, and free() returns their memory', async () => {
    const base = retainedBytes();
    const a = await Tokenizer.fromVocab(VOCAB_TEXT);
    const b = await Tokenizer.fromVocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'dog', 'the'].join('\n'));
    const c = await Tokenizer.fromVocab(VOCAB_TEXT, { lowercase: false });
    for (let round = 0; round < 3; round++) {
      expect(a.tokenize('The DOG')).toEqual(['the', 'dog']);
      expect(Array.from(b.encode('the dog'))).toEqual([2, 5, 4, 3]);
      expect(c.tokenize('The DOG')).toEqual(['[UNK]', '[UNK]']);
    }
    a.free();
    expect(Array.from(b.encode('the dog'))).toEqual([2, 5, 4, 3]);
    expect(() => a.encode('the')).toThrow(TokenizerError);
    b.free();
    c.free();
    expect(retainedBytes()).toBe(base);
    for (let i = 0; i < 20; i++) (await Tokenizer.fromVocab(VOCAB_TEXT)).free();
    expect(retainedBytes()).toBe(base);
  });

  it('does not grow wasm memory across repeated batch calls', async () => {
    const tok = await Tokenizer.fromVocab(VOCAB_TEXT);
    const texts = Array.from({ length: 64 }, (_, i) => `the quick brown fox ${'jumps '.repeat(i % 7)} over the lazy dog`);
    tok.encodeBatch(texts, { maxLength: 32 });
    const bytes = wasm().memory.buffer.byteLength;
    for (let i = 0; i < 200; i++) tok.encodeBatch(texts, { maxLength: 32 });
    expect(wasm().memory.buffer.byteLength).toBe(bytes);
    tok.free();
  });
});

describe('Tokenizer errors', () => {
  it('rejects a vocabulary without the BERT special tokens, naming them', async () => {
    await expect(Tokenizer.fromVocab('[PAD]\n[CLS]\nthe\n')).rejects.toThrow(/\[UNK\], \[SEP\]/);
    await expect(Tokenizer.fromVocab('[PAD]\n[CLS]\nthe\n')).rejects.toBeInstanceOf(TokenizerError);
    await expect(Tokenizer.fromVocab(VOCAB.filter((t) => t !== '[PAD]').join('\n'))).rejects.toThrow(/\[PAD\]/);
  });

  it('rejects tokenizer.json files it cannot honour, naming the field', async () => {
    const bad = async (json: unknown, field: RegExp) => {
      const p = Tokenizer.fromTokenizerJson(typeof json === 'string' ? json : JSON.stringify(json));
      await expect(p).rejects.toBeInstanceOf(TokenizerError);
      await expect(p).rejects.toThrow(field);
    };
    await bad('{"model": ', /not JSON/);
    await bad(tokenizerJson({ model: { type: 'BPE', vocab: {}, merges: [] } }), /model\.type.*BPE/);
    await bad(tokenizerJson({ normalizer: { type: 'Sequence', normalizers: [] } }), /normalizer\.type/);
    await bad(tokenizerJson({ pre_tokenizer: { type: 'Whitespace' } }), /pre_tokenizer/);
    await bad(tokenizerJson({ model: { ...tokenizerJson({}).model, unk_token: '<unk>' } }), /model\.unk_token/);
    await bad(tokenizerJson({ model: { ...tokenizerJson({}).model, vocab: { '[PAD]': 0, '[UNK]': 5 } } }), /model\.vocab/);
    await bad(tokenizerJson({ added_tokens: [{ id: 3, content: '[SEP]', special: true, normalized: true }] }), /added_tokens\[0\]\.normalized/);
    await bad(tokenizerJson({ normalizer: { type: 'BertNormalizer', lowercase: 'yes' } }), /normalizer\.lowercase/);
    await bad(tokenizerJson({ post_processor: { type: 'RobertaProcessing' } }), /post_processor\.type/);
  });

  it('rejects bad options with ConfigError naming the option', async () => {
    const tok = await Tokenizer.fromVocab(VOCAB_TEXT);
    expect(() => tok.encodeBatch(['a'], { maxLength: 1 })).toThrow(ConfigError);
    expect(() => tok.encodeBatch(['a'], { maxLength: 2, pairs: ['b'] })).toThrow(/maxLength/);
    expect(() => tok.encodeBatch(['a', 'b'], { maxLength: 8, pairs: ['c'] })).toThrow(/pairs/);
    expect(() => tok.encodeBatch(['a'], { maxLength: 8.5 })).toThrow(/maxLength/);
    await expect(Tokenizer.fromVocab(VOCAB_TEXT, { maxInputCharsPerWord: -1 })).rejects.toThrow(/maxInputCharsPerWord/);
    tok.free();
  });

  it('reports a wasm trap as TokenizerError with the abort message', async () => {
    await Tokenizer.fromVocab(VOCAB_TEXT).then((t) => t.free());
    expect(() => encodePadded(12345, ['x'], undefined, 8, true, false)).toThrow(TokenizerError);
    expect(() => encodePadded(12345, ['x'], undefined, 8, true, false)).toThrow(/invalid tokenizer handle/);
  });
});

/** A tokenizer.json for VOCAB in the shape transformers writes for BERT, with `overrides` merged in. */
function tokenizerJson(overrides: Record<string, unknown>): Record<string, unknown> & { model: Record<string, unknown> } {
  const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((t) => ({ id: id(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(VOCAB.map((t, i) => [t, i])),
    },
    ...overrides,
  } as Record<string, unknown> & { model: Record<string, unknown> };
}
