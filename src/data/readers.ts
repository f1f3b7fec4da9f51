// One reader per file kind: BEIR corpus/queries JSONL, MS MARCO / T2Ranking TSV (collection, queries) and
// qrels in any of the usual column layouts. Each streams its file through the wasm scanner into a
// RetrievalDataBuilder and reports problems through an ErrorSink (throw, or skip and count).
import type { RetrievalDataBuilder } from './retrieval.js';
import type { ErrorSink, FileReport } from './report.js';
import { LINE_BAD_UTF8, LINE_BLANK, LINE_OK, scanFile, statusMessage, type LineCursor } from './scan.js';
import type { DataSource } from './source.js';

/** A first-column name that marks a TSV header line (lower-cased). Ids that happen to equal one are not expected. */
const HEADER_ID_NAMES = new Set([
  'id', '_id', 'pid', 'qid', 'did', 'docid', 'doc_id', 'doc-id', 'passage_id', 'passage-id', 'passageid',
  'query_id', 'query-id', 'queryid', 'corpus_id', 'corpus-id', 'topic', 'topic_id', 'topicid',
]);
/** Header names of the text column, in preference order (T2Ranking files may carry extra columns). */
const TEXT_COLUMN_NAMES = ['text', 'passage', 'para', 'paragraph', 'contents', 'content', 'body', 'query', 'qry', 'question'];
const MAX_TSV_FIELDS = 8;

const BEIR_CORPUS_KEYS = ['_id', 'title', 'text'] as const;
const BEIR_QUERY_KEYS = ['_id', 'text'] as const;

function fileName(source: DataSource, path: string): string {
  return `${source.name}/${path}`;
}

/** Shared handling of blank and unscannable lines; true if the line carries a record to read. */
function usable(line: LineCursor, sink: ErrorSink, file: string, fieldNames: readonly string[]): boolean {
  if (line.status === LINE_BLANK) {
    sink.report.blankLines++;
    return false;
  }
  if (line.status === LINE_OK) return true;
  const field = line.errorField >= 0 ? (fieldNames[line.errorField] ?? `column ${line.errorField + 1}`) : undefined;
  sink.raise(line.status === LINE_BAD_UTF8 ? 'invalidUtf8' : 'malformed', statusMessage(line.status, line.errorColumn), file, line.line, field);
  return false;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function finishFile(report: FileReport, contentLines: number, sink: ErrorSink, file: string): void {
  sink.report.files.push(report);
  if (contentLines === 0) sink.raise('emptyFile', 'the file has no records', file);
}

/** BEIR corpus.jsonl: {"_id", "title"?, "text"} per line; the title is kept apart from the text. */
export async function readBeirCorpus(b: RetrievalDataBuilder, source: DataSource, path: string, sink: ErrorSink): Promise<void> {
  const file = fileName(source, path);
  const report: FileReport = { path, format: 'beir-corpus', lines: 0, records: 0, bytes: 0, header: false };
  let content = 0;
  const stats = await scanFile(source, path, { kind: 'jsonl', keys: BEIR_CORPUS_KEYS }, (line) => {
    if (line.status !== LINE_BLANK) content++;
    if (!usable(line, sink, file, BEIR_CORPUS_KEYS)) return;
    if (!line.has(0)) return sink.raise('missingField', 'no "_id"', file, line.line, '_id');
    if (!line.has(2)) return sink.raise('missingField', 'no "text"', file, line.line, 'text');
    if (line.end(0) === line.start(0)) return sink.raise('malformed', 'empty id', file, line.line, '_id');
    if (b.passageIds.intern(line.memory, line.start(0), line.end(0)) < 0) {
      return sink.raise('duplicateId', `passage id "${line.text(0)}" appears twice`, file, line.line, '_id');
    }
    b.addPassageText(line.has(1) ? line.bytes(1) : null, line.bytes(2));
    report.records++;
  });
  report.lines = stats.lines;
  report.bytes = stats.bytes;
  finishFile(report, content, sink, file);
}

/**
 * Adds a query unless its id is taken. An id already loaded from an earlier file with the same text is
 * merged (MS MARCO's queries.dev.small.tsv repeats queries.dev.tsv); anything else is a duplicate.
 */
function addQuery(b: RetrievalDataBuilder, firstOfFile: number, line: LineCursor, idField: number, textField: number, sink: ErrorSink, file: string, idName: string): boolean {
  const index = b.queryIds.intern(line.memory, line.start(idField), line.end(idField));
  if (index >= 0) {
    const text = line.bytes(textField);
    b.queryTexts.append(text, 0, text.length);
    return true;
  }
  const existing = -index - 1;
  if (existing < firstOfFile && sameBytes(b.queryTexts.bytes(existing), line.bytes(textField))) {
    sink.report.sharedQueries++;
    return false;
  }
  sink.raise('duplicateId', `query id "${line.text(idField)}" appears twice${existing < firstOfFile ? ' with different texts' : ''}`, file, line.line, idName);
  return false;
}

/** BEIR queries.jsonl: {"_id", "text", "metadata"?} per line; metadata is skipped. */
export async function readBeirQueries(b: RetrievalDataBuilder, source: DataSource, path: string, sink: ErrorSink): Promise<void> {
  const file = fileName(source, path);
  const report: FileReport = { path, format: 'beir-queries', lines: 0, records: 0, bytes: 0, header: false };
  const firstOfFile = b.queryIds.count;
  let content = 0;
  const stats = await scanFile(source, path, { kind: 'jsonl', keys: BEIR_QUERY_KEYS }, (line) => {
    if (line.status !== LINE_BLANK) content++;
    if (!usable(line, sink, file, BEIR_QUERY_KEYS)) return;
    if (!line.has(0)) return sink.raise('missingField', 'no "_id"', file, line.line, '_id');
    if (!line.has(1)) return sink.raise('missingField', 'no "text"', file, line.line, 'text');
    if (line.end(0) === line.start(0)) return sink.raise('malformed', 'empty id', file, line.line, '_id');
    if (addQuery(b, firstOfFile, line, 0, 1, sink, file, '_id')) report.records++;
  });
  report.lines = stats.lines;
  report.bytes = stats.bytes;
  finishFile(report, content, sink, file);
}

/**
 * A TSV of `id<TAB>text` lines: MS MARCO collection.tsv / queries.<split>.tsv, T2Ranking likewise. A first
 * line whose first column is a known id name (pid, qid, id, …) is a header; with a header, the text
 * column is the one named text/passage/para/query/… (else the second). Extra columns are ignored and
 * counted. MS MARCO texts contain no tabs and no escapes, so fields are taken verbatim.
 */
export async function readTsvTexts(
  b: RetrievalDataBuilder,
  kind: 'passage' | 'query',
  source: DataSource,
  path: string,
  sink: ErrorSink,
): Promise<void> {
  const file = fileName(source, path);
  const report: FileReport = { path, format: kind === 'passage' ? 'tsv-collection' : 'tsv-queries', lines: 0, records: 0, bytes: 0, header: false };
  const firstOfFile = b.queryIds.count;
  let names = [kind === 'passage' ? 'pid' : 'qid', 'text'];
  let textColumn = 1;
  let content = 0;
  const stats = await scanFile(source, path, { kind: 'tsv', whitespace: false, maxFields: MAX_TSV_FIELDS }, (line) => {
    if (line.status !== LINE_BLANK && content++ === 0 && line.status === LINE_OK && HEADER_ID_NAMES.has(line.text(0).toLowerCase())) {
      report.header = true;
      const recorded = Math.min(line.fieldCount, MAX_TSV_FIELDS);
      names = Array.from({ length: recorded }, (_, k) => line.text(k));
      const lower = names.map((n) => n.toLowerCase());
      const named = TEXT_COLUMN_NAMES.map((n) => lower.indexOf(n)).find((k) => k > 0);
      textColumn = named ?? 1;
      return;
    }
    if (!usable(line, sink, file, names)) return;
    if (line.fieldCount <= textColumn) {
      return sink.raise('malformed', `expected at least ${textColumn + 1} tab-separated columns (id, text), found ${line.fieldCount}`, file, line.line);
    }
    if (line.end(0) === line.start(0)) return sink.raise('malformed', 'empty id', file, line.line, names[0]);
    if (line.fieldCount > 2) sink.report.extraColumnLines++;
    if (kind === 'query') {
      if (addQuery(b, firstOfFile, line, 0, textColumn, sink, file, names[0]!)) report.records++;
      return;
    }
    if (b.passageIds.intern(line.memory, line.start(0), line.end(0)) < 0) {
      return sink.raise('duplicateId', `passage id "${line.text(0)}" appears twice`, file, line.line, names[0]);
    }
    b.addPassageText(null, line.bytes(textColumn));
    report.records++;
  });
  report.lines = stats.lines;
  report.bytes = stats.bytes;
  finishFile(report, content - (report.header ? 1 : 0), sink, file);
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Column roles by column count: BEIR (query-id corpus-id score), TREC (qid iter pid rel), or pairs (qid pid). */
const QREL_LAYOUTS: Record<number, { query: number; passage: number; score: number; names: string[] }> = {
  2: { query: 0, passage: 1, score: -1, names: ['qid', 'pid'] },
  3: { query: 0, passage: 1, score: 2, names: ['query-id', 'corpus-id', 'score'] },
  4: { query: 0, passage: 2, score: 3, names: ['qid', 'iteration', 'pid', 'relevance'] },
};

/**
 * A qrels file: columns split on tabs or spaces (TREC files use spaces), 2, 3 or 4 columns (see
 * QREL_LAYOUTS; 2 columns mean score 1). The first line is a header when it cannot be a judgement: a
 * non-numeric score, or neither id known. Queries and passages must be loaded first.
 */
export async function readQrels(b: RetrievalDataBuilder, split: string, source: DataSource, path: string, sink: ErrorSink): Promise<void> {
  const file = fileName(source, path);
  const report: FileReport = { path, format: 'qrels', split, lines: 0, records: 0, bytes: 0, header: false };
  b.ensureSplit(split);
  const passages = b.passageIds.count;
  const seen = new Set<number>();
  let layout: (typeof QREL_LAYOUTS)[number] | undefined;
  let headerNames: string[] | null = null;
  let names: string[] = ['qid', 'pid'];
  let content = 0;
  const stats = await scanFile(source, path, { kind: 'tsv', whitespace: true, maxFields: 4 }, (line) => {
    const first = line.status !== LINE_BLANK && content++ === 0;
    if (!usable(line, sink, file, names)) return;
    if (layout === undefined) {
      // The first judgement fixes the layout; a header line may differ (e.g. "qid pid" over 4 columns).
      const l = QREL_LAYOUTS[line.fieldCount];
      if (l === undefined) {
        return sink.raise('malformed', `expected 2, 3 or 4 columns (qid pid [score] or qid iter pid rel), found ${line.fieldCount}`, file, line.line);
      }
      layout = l;
      names = headerNames?.length === line.fieldCount ? headerNames : l.names;
    }
    if (line.fieldCount !== layout.names.length) {
      return sink.raise('malformed', `expected ${layout.names.length} columns like the first line, found ${line.fieldCount}`, file, line.line);
    }
    const q = b.queryIds.find(line.memory, line.start(layout.query), line.end(layout.query));
    const p = b.passageIds.find(line.memory, line.start(layout.passage), line.end(layout.passage));
    const scoreText = layout.score >= 0 ? line.text(layout.score) : '1';
    const numeric = NUMBER.test(scoreText);
    if (first && (!numeric || (q < 0 && p < 0))) {
      report.header = true;
      headerNames = Array.from({ length: line.fieldCount }, (_, k) => line.text(k));
      names = headerNames;
      layout = undefined;
      return;
    }
    if (!numeric) return sink.raise('malformed', `score "${scoreText}" is not a number`, file, line.line, names[layout.score]);
    if (q < 0) return sink.raise('unknownQuery', `query id "${line.text(layout.query)}" is not among the loaded queries`, file, line.line, names[layout.query]);
    if (p < 0) return sink.raise('unknownPassage', `passage id "${line.text(layout.passage)}" is not in the corpus`, file, line.line, names[layout.passage]);
    const key = q * passages + p;
    if (seen.has(key)) {
      return sink.raise('duplicateQrel', `(${line.text(layout.query)}, ${line.text(layout.passage)}) is judged twice`, file, line.line);
    }
    seen.add(key);
    const score = Number(scoreText);
    if (!(score > 0)) sink.report.nonPositiveQrels++;
    b.addQrel(split, q, p, score);
    report.records++;
  });
  report.lines = stats.lines;
  report.bytes = stats.bytes;
  finishFile(report, content - (report.header ? 1 : 0), sink, file);
}
