// The vocabulary of a model trained from scratch: WordPiece learned from the training pairs themselves
// (their queries and distinct positive passages), so nothing of the held-out or test data shapes it.
import type { PairDataset } from '../data/pairs.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { trainWordPieceVocab } from '../tokenizer/train_vocab.js';

export interface TrainingVocabularyOptions {
  /** Size of the vocabulary, special tokens and alphabet included. */
  vocabSize: number;
  /** Lower-case and strip accents (an uncased vocabulary, as the paper's BERTs). Default true. */
  lowercase?: boolean;
}

/**
 * A tokenizer whose WordPiece vocabulary is learned from the dataset's training pairs (queries and
 * distinct positive passages, in dataset order).
 *
 * @example
 * const tokenizer = await learnTrainingVocabulary(dataset, { vocabSize: 8000 });
 * const model = BiEncoder.create(device, modelConfig('mini', { vocabSize: tokenizer.vocabSize }), { seed: 0 });
 */
export async function learnTrainingVocabulary(dataset: PairDataset, options: TrainingVocabularyOptions): Promise<Tokenizer> {
  const lowercase = options.lowercase ?? true;
  const passages = new Set<number>();
  const texts: string[] = [];
  for (let i = 0; i < dataset.size; i++) {
    const { queryIndex, passageIndex } = dataset.pairIndices(i);
    texts.push(dataset.data.queryText(queryIndex));
    if (!passages.has(passageIndex)) {
      passages.add(passageIndex);
      texts.push(dataset.data.passageText(passageIndex));
    }
  }
  return Tokenizer.fromVocab(await trainWordPieceVocab(texts, { vocabSize: options.vocabSize, lowercase }), { lowercase });
}
