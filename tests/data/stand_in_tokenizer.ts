// A tiny stand-in for the WordPiece Tokenizer (built in parallel on another branch): whitespace words
// hashed into a 1,000-id vocabulary, [CLS] … [SEP], padded to maxLength. It implements the
// TextEncoderLike interface that batching consumes, nothing more.
import type { TextEncoderLike } from '../../src/data/pairs.js';

const PAD = 0;
const CLS = 1;
const SEP = 2;

function wordId(word: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
  return 5 + ((h >>> 0) % 1000);
}

export const standInTokenizer: TextEncoderLike = {
  encodeBatch(texts, { maxLength }) {
    const ids = new Int32Array(texts.length * maxLength).fill(PAD);
    const mask = new Int32Array(texts.length * maxLength);
    texts.forEach((text, row) => {
      const words = text.toLowerCase().split(/\s+/).filter((w) => w.length > 0).slice(0, maxLength - 2);
      const tokens = [CLS, ...words.map(wordId), SEP];
      tokens.forEach((t, k) => {
        ids[row * maxLength + k] = t;
        mask[row * maxLength + k] = 1;
      });
    });
    return { ids, mask, batch: texts.length, length: maxLength };
  },
};
