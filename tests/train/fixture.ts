// A small in-memory retrieval set (topic words shared by each query and its passage, so there is
// something to learn), its tokenizer and a tiny model config: what the training tests run on.
import { PairDataset } from '../../src/data/pairs.js';
import { RetrievalData } from '../../src/data/retrieval.js';
import { modelConfig, type BiEncoderConfig } from '../../src/model/config.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { trainWordPieceVocab } from '../../src/tokenizer/train_vocab.js';
import { loadWasm } from '../../src/wasm/module.js';
import { mulberry32 } from '../helpers/rand.js';

const WORDS = 'river stone cloud maple ember harbor violet copper meadow falcon lantern orchard glacier canyon willow thunder marble saffron beacon quartz'.split(' ');

export interface Fixture {
  data: RetrievalData;
  tokenizer: Tokenizer;
  dataset: PairDataset;
  config: BiEncoderConfig;
  /** Records, for writing the set out as a BEIR folder. */
  records: { passages: { id: string; text: string }[]; queries: { id: string; text: string }[]; qrels: Record<string, { queryId: string; passageId: string }[]> };
}

/** 48 passages, 40 train and 8 test queries; query i shares two topic words with passage i. */
export function fixtureRecords(): Fixture['records'] {
  const r = mulberry32(5);
  const pick = () => WORDS[Math.floor(r() * WORDS.length)]!;
  const passages = Array.from({ length: 48 }, (_, i) => ({ id: `p${i}`, text: `${WORDS[i % 20]} ${WORDS[(i * 7 + 3) % 20]} ${pick()} ${pick()} ${pick()} ${pick()} ${pick()}` }));
  const queries = Array.from({ length: 48 }, (_, i) => ({ id: `q${i}`, text: `${WORDS[i % 20]} ${WORDS[(i * 7 + 3) % 20]} ${pick()}` }));
  const pairs = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => ({ queryId: `q${from + k}`, passageId: `p${from + k}` }));
  return { passages, queries, qrels: { train: pairs(0, 40), test: pairs(40, 48) } };
}

export const SHAPE = { batchSize: 4, negatives: 3, queryLength: 6, passageLength: 10 };

export async function fixture(): Promise<Fixture> {
  await loadWasm();
  const records = fixtureRecords();
  const data = RetrievalData.fromRecords(records);
  const texts = [...records.passages.map((p) => p.text), ...records.queries.map((q) => q.text)];
  const tokenizer = await Tokenizer.fromVocab(await trainWordPieceVocab(texts, { vocabSize: 120 }));
  const dataset = PairDataset.fromRetrievalData(data, { split: 'train' });
  const config = modelConfig({ layers: 1, hidden: 16, heads: 2 }, { vocabSize: tokenizer.vocabSize, maxPositions: 16, projection: 8 });
  return { data, tokenizer, dataset, config, records };
}
