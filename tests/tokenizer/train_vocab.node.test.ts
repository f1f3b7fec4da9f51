// The vocabulary trainer against HF's WordPieceTrainer on the SQuAD dev corpus: at the same vocabulary
// size (30,000 learned tokens, min frequency 0, HF's defaults for Tokenizer.train), our vocabulary must
// encode the corpus in at most 1.05× HF's tokens per word. Each side is measured with its own tokenizer
// (HF's trained model for HF's vocabulary), over the same BERT words.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { Tokenizer as HfTokenizer, WordPiece, bertNormalizer, bertPreTokenizer } from 'tokenizers';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { trainWordPieceVocab } from '../../src/tokenizer/train_vocab.js';

const DATA = resolve(import.meta.dirname, '../../../shared/data');
const texts = readFileSync(`${DATA}/squad11-dev-retrieval/corpus.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l).text as string);
const HF_VOCAB = 30_000; // WordPieceTrainer's default vocab_size, which Tokenizer.train uses
const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

it(`learns a vocabulary as compact as HF WordPieceTrainer on SQuAD (${texts.length.toLocaleString('en-US')} passages): tokens per word ≤ 1.05× HF's`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'densescale-train-'));
  try {
    const file = join(dir, 'corpus.txt');
    writeFileSync(file, texts.join('\n'));
    const ref = new HfTokenizer(WordPiece.empty() as never);
    ref.setNormalizer(bertNormalizer({ lowercase: true }));
    ref.setPreTokenizer(bertPreTokenizer());
    ref.train([file]);
    expect(ref.getVocabSize()).toBe(HF_VOCAB);

    let words = 0;
    const normalizer = bertNormalizer({ lowercase: true });
    const pre = bertPreTokenizer();
    for (const t of texts) words += pre.preTokenizeString(normalizer.normalizeString(t)).length;
    let hfTokens = 0;
    for (const e of await ref.encodeBatch(texts, { addSpecialTokens: false })) hfTokens += e.getLength();

    const ours = await trainWordPieceVocab(texts, { vocabSize: HF_VOCAB + SPECIALS.length, minFrequency: 0, specialTokens: SPECIALS });
    const tok = await Tokenizer.fromVocab(ours);
    expect(tok.vocabSize).toBe(HF_VOCAB + SPECIALS.length);
    const ourTokens = tok.encodeRagged(texts, { addSpecialTokens: false }).ids.length;
    tok.free();

    const hfPerWord = hfTokens / words;
    const ourPerWord = ourTokens / words;
    console.log(`tokens per word on ${words} SQuAD words: densescale ${ourPerWord.toFixed(5)} (${ourTokens} tokens), HF WordPieceTrainer ${hfPerWord.toFixed(5)} (${hfTokens} tokens), ratio ${(ourPerWord / hfPerWord).toFixed(5)}`);
    expect(ourPerWord).toBeLessThanOrEqual(1.05 * hfPerWord);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
