// Node-only helpers for the CLI tests: a model directory written from a BiEncoder (as training would
// write it) and a BEIR dataset directory written from fixture records.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BiEncoder } from '../../src/model/biencoder.js';
import { toHfConfig } from '../../src/model/hf_config.js';
import { encodeSafetensors } from '../../src/model/safetensors.js';
import type { FixtureRecords } from './fixture.js';

export async function writeModelDir(dir: string, model: BiEncoder, vocabText: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(toHfConfig(model.config), null, 2));
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(await model.exportTensors()));
  writeFileSync(join(dir, 'vocab.txt'), vocabText);
}

export function writeBeirDir(dir: string, records: FixtureRecords): void {
  mkdirSync(join(dir, 'qrels'), { recursive: true });
  const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  writeFileSync(join(dir, 'corpus.jsonl'), jsonl(records.passages.map((p) => ({ _id: p.id, title: p.title ?? '', text: p.text }))));
  writeFileSync(join(dir, 'queries.jsonl'), jsonl(records.queries.map((q) => ({ _id: q.id, text: q.text }))));
  for (const [split, rows] of Object.entries(records.qrels)) {
    writeFileSync(join(dir, 'qrels', `${split}.tsv`), ['query-id\tcorpus-id\tscore', ...rows.map((r) => `${r.queryId}\t${r.passageId}\t${r.score}`)].join('\n') + '\n');
  }
}
