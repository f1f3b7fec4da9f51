// A micro retrieval task for sweep tests: 120 passages of two or three sentences over a small vocabulary,
// 90 training and 20 test queries whose words come from their positive, a tokenizer trained on it, and a
// sweep config whose runs take a fraction of a second each.
import { RetrievalData } from '../../src/data/retrieval.js';
import type { SweepConfig } from '../../src/sweep/config.js';
import { validateSweepConfig } from '../../src/sweep/config.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { trainWordPieceVocab } from '../../src/tokenizer/train_vocab.js';
import { loadWasm } from '../../src/wasm/module.js';
import { mulberry32 } from '../helpers/rand.js';

const WORDS = 'red green blue cat dog bird tree river stone house cloud fire water light dark small large fast slow old new warm cold'.split(' ');

export interface MicroRecords {
  passages: { id: string; text: string }[];
  queries: { id: string; text: string }[];
  qrels: Record<'train' | 'test', { queryId: string; passageId: string }[]>;
}

export function microRecords(): MicroRecords {
  const r = mulberry32(17);
  const pick = () => WORDS[Math.floor(r() * WORDS.length)]!;
  const sentence = (n: number) => Array.from({ length: n }, pick).join(' ');
  const passages = Array.from({ length: 120 }, (_, i) => ({ id: `p${i}`, text: `${sentence(4)}; ${sentence(5)}. ${i % 3 === 0 ? `${sentence(3)}.` : ''}`.trim() }));
  const queries = Array.from({ length: 110 }, (_, i) => {
    const words = passages[i]!.text.replace(/[;.]/g, '').split(' ');
    return { id: `q${i}`, text: `${words[1]} ${words[3]} ${words[5]}` };
  });
  const test = Array.from({ length: 20 }, (_, i) => ({ queryId: `q${i}`, passageId: `p${i}` }));
  const train = Array.from({ length: 90 }, (_, i) => ({ queryId: `q${20 + i}`, passageId: `p${20 + i}` }));
  return { passages, queries, qrels: { train, test } };
}

export async function microTask(): Promise<{ data: RetrievalData; tokenizer: Tokenizer; vocab: string }> {
  await loadWasm();
  const records = microRecords();
  const data = RetrievalData.fromRecords(records);
  const vocab = await trainWordPieceVocab([...records.passages.map((p) => p.text), ...records.queries.map((q) => q.text)], { vocabSize: 80 });
  return { data, tokenizer: await Tokenizer.fromVocab(vocab), vocab };
}

/** Two presets × two sizes of human pairs, plus ICT at one size; 6 steps each. */
export function microConfig(overrides: Record<string, unknown> = {}): SweepConfig {
  return validateSweepConfig(
    {
      name: 'micro',
      grid: [
        { preset: ['cpu-1', 'cpu-2'], pairs: [40] },
        { preset: ['cpu-1'], pairs: [20, 40], method: ['human', 'ict'] },
      ],
      model: { maxPositions: 16, projection: 0, pooler: false },
      train: { steps: 6, batchSize: 4, negatives: 4, queryLength: 8, passageLength: 16, learningRate: 5e-3, warmup: 1, validation: { pairs: 10, every: 3, negatives: 4, pool: 12 } },
      eval: { negatives: 8, repeats: 2, seed: 1, queryLength: 8, passageLength: 16, pool: 40 },
      ...overrides,
    },
    { methods: ['human', 'ict', 'crop'] },
  );
}
