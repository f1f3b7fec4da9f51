// What a load saw: per-file counts and every problem, by kind. With onError: 'throw' the first problem
// is a FormatError naming file, line and field; with 'skip' the bad record is left out and counted here,
// so nothing is dropped without a trace.
import { FormatError } from '../errors.js';

/** The kinds of bad input a reader detects. */
export type DataErrorKind =
  | 'malformed' // JSON syntax, wrong TSV column count, non-numeric score, empty id
  | 'invalidUtf8'
  | 'missingField' // a JSON line without _id or text
  | 'duplicateId' // a passage or query id seen twice (queries: twice in one file, or with different texts)
  | 'unknownQuery' // a qrel naming a query that was not loaded
  | 'unknownPassage' // a qrel naming a passage that is not in the corpus
  | 'duplicateQrel' // the same (query, passage) twice in one split
  | 'emptyFile'; // a file with no records

export const DATA_ERROR_KINDS: readonly DataErrorKind[] = [
  'malformed',
  'invalidUtf8',
  'missingField',
  'duplicateId',
  'unknownQuery',
  'unknownPassage',
  'duplicateQrel',
  'emptyFile',
];

/** What to do with a bad record: throw a FormatError (default) or skip it and count it in the report. */
export type ErrorPolicy = 'throw' | 'skip';

export interface FileReport {
  /** Path relative to the source root. */
  path: string;
  format: 'beir-corpus' | 'beir-queries' | 'tsv-collection' | 'tsv-queries' | 'qrels';
  /** The qrels split, for qrels files. */
  split?: string;
  /** Lines read (header and blank lines included). */
  lines: number;
  /** Records kept. */
  records: number;
  /** Decompressed bytes read. */
  bytes: number;
  /** Whether the first line was taken as a header. */
  header: boolean;
}

export interface LoadReport {
  files: FileReport[];
  /** Records left out under onError: 'skip', by kind (all zero under 'throw'). */
  skipped: Record<DataErrorKind, number>;
  /** The first skipped problems (up to 20), each with file, line and field. */
  examples: DataFormatError[];
  /** Whitespace-only lines, which carry no record. */
  blankLines: number;
  /** Judgements with score ≤ 0 (Cranfield's "not relevant"): kept in qrels(), never used as positives. */
  nonPositiveQrels: number;
  /** TSV text lines with columns besides id and text (T2Ranking-style extras); those columns are ignored. */
  extraColumnLines: number;
  /** Query ids found again in a later query file with the same text (MS MARCO dev ⊃ dev.small): merged. */
  sharedQueries: number;
}

export function emptyReport(): LoadReport {
  return {
    files: [],
    skipped: Object.fromEntries(DATA_ERROR_KINDS.map((k) => [k, 0])) as Record<DataErrorKind, number>,
    examples: [],
    blankLines: 0,
    nonPositiveQrels: 0,
    extraColumnLines: 0,
    sharedQueries: 0,
  };
}

const MAX_EXAMPLES = 20;

/** Applies the error policy: throws the FormatError, or counts it and lets the caller skip the record. */
export class ErrorSink {
  constructor(
    readonly policy: ErrorPolicy,
    readonly report: LoadReport,
  ) {}

  raise(kind: DataErrorKind, message: string, file: string, line?: number, field?: string): void {
    const error = new DataFormatError(kind, message, file, line, field);
    if (this.policy === 'throw') throw error;
    this.report.skipped[kind]++;
    if (this.report.examples.length < MAX_EXAMPLES) this.report.examples.push(error);
  }
}

/**
 * The FormatError the data readers throw; `kind` says which check failed.
 *
 * @example
 * try { await loadRetrievalData(source); } catch (e) {
 *   if (e instanceof DataFormatError && e.kind === 'unknownPassage') console.log(e.file, e.line, e.field);
 * }
 */
export class DataFormatError extends FormatError {
  constructor(
    readonly kind: DataErrorKind,
    message: string,
    file: string,
    line?: number,
    field?: string,
  ) {
    super(message, file, line, field);
  }
}
