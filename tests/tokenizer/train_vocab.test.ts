// Portable tests of the WordPiece vocabulary trainer on tiny corpora whose merges can be worked out by
// hand (HF WordPieceTrainer rules: BPE over BERT words with "##" on non-initial characters), plus
// determinism: the same input gives the same bytes, whatever the order of the texts.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { trainWordPieceVocab } from '../../src/tokenizer/train_vocab.js';

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const lines = (vocab: string) => vocab.split('\n').slice(0, -1);

const CORPUS = [
  'The quick brown fox jumps over the lazy dog.',
  'A quick brown dog outpaces a quick fox; the lazy dogs sleep.',
  'Dense retrieval encodes queries and passages with one shared encoder.',
  'Scaling laws relate the contrastive entropy to model size and data size.',
  'Passages are retrieved by inner product between query and passage embeddings.',
  'Jumping foxes, sleeping dogs, and retrieving passages: all tokenised alike.',
];

describe('trainWordPieceVocab', () => {
  it('learns the merges a hand count predicts', async () => {
    // Words: "ab" ×3, "abc" ×1 → symbols [a ##b] ×3, [a ##b ##c]; pairs (a,##b) 4, (##b,##c) 1.
    const one = await trainWordPieceVocab(['ab ab ab abc'], { vocabSize: 11, minFrequency: 1 });
    expect(lines(one)).toEqual([...SPECIALS, 'a', 'b', 'c', '##b', '##c', 'ab']);
    // Then (ab, ##c) once → "abc".
    const two = await trainWordPieceVocab(['ab ab ab abc'], { vocabSize: 12, minFrequency: 1 });
    expect(lines(two)).toEqual([...SPECIALS, 'a', 'b', 'c', '##b', '##c', 'ab', 'abc']);
    // minFrequency 2 stops before the pair seen once.
    const rare = await trainWordPieceVocab(['ab ab ab abc'], { vocabSize: 12, minFrequency: 2 });
    expect(lines(rare)).toEqual(lines(one));
  });

  it('breaks count ties by the smaller (left id, right id) pair', async () => {
    // (a,##b) and (c,##d) are both seen once; a has the smaller id.
    const v = await trainWordPieceVocab(['cd ab'], { vocabSize: 13, minFrequency: 1, specialTokens: [] });
    expect(lines(v)).toEqual(['a', 'b', 'c', 'd', '##b', '##d', 'ab', 'cd']);
  });

  it('normalises like BERT: lower-cased and accent-stripped by default, cased on request', async () => {
    const uncased = await trainWordPieceVocab(['AB ab Áb'], { vocabSize: 9, minFrequency: 1 });
    expect(lines(uncased)).toEqual([...SPECIALS, 'a', 'b', '##b', 'ab']);
    const cased = await trainWordPieceVocab(['AB ab'], { vocabSize: 11, minFrequency: 1, lowercase: false });
    expect(lines(cased)).toEqual([...SPECIALS, 'A', 'B', 'a', 'b', '##B', '##b']);
  });

  it('keeps only the limitAlphabet most frequent characters and drops the rest', async () => {
    const v = await trainWordPieceVocab(['aaa bbb c'], { vocabSize: 20, minFrequency: 1, limitAlphabet: 2, specialTokens: ['[UNK]'] });
    expect(lines(v)).toEqual(['[UNK]', 'a', 'b', '##a', '##b', 'aa', 'bb', 'aaa', 'bbb']);
  });

  it('is deterministic and independent of the order of the texts', async () => {
    const a = await trainWordPieceVocab(CORPUS, { vocabSize: 120, minFrequency: 1 });
    const b = await trainWordPieceVocab(CORPUS, { vocabSize: 120, minFrequency: 1 });
    const reversed = await trainWordPieceVocab([...CORPUS].reverse(), { vocabSize: 120, minFrequency: 1 });
    expect(b).toBe(a);
    expect(reversed).toBe(a);
  });

  it('gives a vocabulary that tokenises every word of its corpus without [UNK]', async () => {
    const vocab = await trainWordPieceVocab(CORPUS, { vocabSize: 150, minFrequency: 0 });
    const tokens = lines(vocab);
    expect(tokens.length).toBe(150);
    expect(tokens.slice(0, 5)).toEqual(SPECIALS);
    expect(new Set(tokens).size).toBe(tokens.length);
    const tok = await Tokenizer.fromVocab(vocab);
    const ids = tok.encodeRagged(CORPUS, { addSpecialTokens: false }).ids;
    expect(ids.length).toBeGreaterThan(0);
    expect(Array.from(ids).filter((id) => id === tok.special.unk)).toEqual([]);
    // Frequent words became single tokens.
    expect(tok.tokenize('the quick passages')).toEqual(['the', 'quick', 'passages']);
    tok.free();
  });

  it('rejects bad options with ConfigError naming the option', async () => {
    await expect(trainWordPieceVocab(CORPUS, { vocabSize: 3 })).rejects.toThrow(ConfigError);
    await expect(trainWordPieceVocab(CORPUS, { vocabSize: 3 })).rejects.toThrow(/vocabSize/);
    await expect(trainWordPieceVocab(CORPUS, { vocabSize: 100, minFrequency: -1 })).rejects.toThrow(/minFrequency/);
    await expect(trainWordPieceVocab(CORPUS, { vocabSize: 100, specialTokens: ['[A B]'] })).rejects.toThrow(/specialTokens/);
  });
});
