// loadRetrievalData(): recognises the directory layout and runs the readers in dependency order
// (corpus, queries, then qrels, which must resolve against both).
import { ConfigError, FormatError } from '../errors.js';
import { loadWasm } from '../wasm/module.js';
import { readBeirCorpus, readBeirQueries, readQrels, readTsvTexts } from './readers.js';
import { emptyReport, ErrorSink, type ErrorPolicy } from './report.js';
import { RetrievalDataBuilder, type RetrievalData } from './retrieval.js';
import type { DataSource } from './source.js';

export interface LoadOptions {
  /** Splits to load (their qrels and, in the TSV layout, their query files). Default: every split found. */
  split?: string | readonly string[];
  /** 'throw' (default): the first bad record throws a FormatError. 'skip': leave it out and count it in data.report. */
  onError?: ErrorPolicy;
}

/** Finds `name` or `name.gz` among directory entries (the plain file wins). */
function pick(entries: readonly string[], name: string): string | undefined {
  return entries.includes(name) ? name : entries.includes(`${name}.gz`) ? `${name}.gz` : undefined;
}

function chooseSplits(found: readonly string[], wanted: LoadOptions['split'], where: string): string[] {
  if (wanted === undefined) return [...found];
  const list = typeof wanted === 'string' ? [wanted] : [...wanted];
  for (const s of list) {
    if (!found.includes(s)) throw new ConfigError(`no qrels for split "${s}" in ${where} (found: ${found.join(', ') || 'none'})`, 'split');
  }
  return list;
}

/**
 * Loads a retrieval dataset from a directory, detecting its layout:
 * - BEIR: `corpus.jsonl`, `queries.jsonl`, `qrels/<split>.tsv`;
 * - MS MARCO / T2Ranking TSV: `collection.tsv`, `queries.<split>.tsv`, `qrels.<split>.tsv` (T2Ranking's
 *   `qrels.retrieval.<split>.tsv` is preferred over its graded re-ranking `qrels.<split>.tsv`).
 * Any file may be gzipped (`.gz`). Files stream through the wasm scanner; texts are kept once as UTF-8.
 *
 * @example
 * import { nodeSource } from './data/node.js';   // Node only; in a browser, any DataSource
 * const data = await loadRetrievalData(nodeSource('/data/msmarco'), { split: 'train', onError: 'skip' });
 * console.log(data.passageCount, data.positives('train').query.length, data.report.skipped);
 */
export async function loadRetrievalData(source: DataSource, options: LoadOptions = {}): Promise<RetrievalData> {
  await loadWasm();
  const sink = new ErrorSink(options.onError ?? 'throw', emptyReport());
  const b = new RetrievalDataBuilder();
  const root = await source.list('');

  const corpusJsonl = pick(root, 'corpus.jsonl');
  if (corpusJsonl !== undefined) {
    const queries = pick(root, 'queries.jsonl');
    if (queries === undefined) throw new FormatError('BEIR layout: corpus.jsonl found but no queries.jsonl', source.name);
    const qrelFiles = root.includes('qrels/') ? await source.list('qrels') : [];
    const bySplit = new Map<string, string>();
    for (const name of qrelFiles) {
      const m = /^(.+)\.tsv(\.gz)?$/.exec(name);
      if (m !== null && !(bySplit.has(m[1]!) && m[2] !== undefined)) bySplit.set(m[1]!, `qrels/${name}`);
    }
    const splits = chooseSplits([...bySplit.keys()], options.split, `${source.name}/qrels`);
    await readBeirCorpus(b, source, corpusJsonl, sink);
    await readBeirQueries(b, source, queries, sink);
    for (const split of splits) await readQrels(b, split, source, bySplit.get(split)!, sink);
    return b.build(sink.report);
  }

  const collection = pick(root, 'collection.tsv');
  if (collection !== undefined) {
    const bySplit = new Map<string, { path: string; retrieval: boolean }>();
    for (const name of root) {
      const m = /^qrels\.(retrieval\.)?(.+)\.tsv(\.gz)?$/.exec(name);
      if (m === null) continue;
      const split = m[2]!;
      const retrieval = m[1] !== undefined;
      const prior = bySplit.get(split);
      // Prefer the retrieval qrels, then the uncompressed file.
      if (prior === undefined || (retrieval && !prior.retrieval) || (retrieval === prior.retrieval && m[3] === undefined)) {
        bySplit.set(split, { path: name, retrieval });
      }
    }
    const splits = chooseSplits([...bySplit.keys()], options.split, source.name);
    const queryFiles = splits.map((split) => {
      const q = pick(root, `queries.${split}.tsv`);
      if (q === undefined) throw new FormatError(`qrels for split "${split}" but no queries.${split}.tsv`, source.name);
      return q;
    });
    await readTsvTexts(b, 'passage', source, collection, sink);
    for (const q of queryFiles) await readTsvTexts(b, 'query', source, q, sink);
    for (const split of splits) await readQrels(b, split, source, bySplit.get(split)!.path, sink);
    return b.build(sink.report);
  }

  throw new FormatError(`no corpus.jsonl (BEIR) or collection.tsv (MS MARCO/T2Ranking) at the root (found: ${root.join(', ') || 'nothing'})`, source.name);
}
