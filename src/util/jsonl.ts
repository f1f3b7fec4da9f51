// JSON Lines text (annotation pairs, runs.jsonl) as objects, each with its 1-based line number so the
// caller's own checks can name the line too. Pure: the caller reads the file.
import { FormatError } from '../errors.js';

export interface JsonlRow {
  row: Record<string, unknown>;
  /** 1-based line number in the text. */
  line: number;
}

/**
 * The non-blank lines of `text`, each parsed as a JSON object, lazily: a line that is not valid JSON, or
 * not an object, throws FormatError naming `file` and the line when the iteration reaches it, so a
 * caller's own checks on earlier lines fire first and the first bad line is the one reported.
 */
export function* jsonlObjects(text: string, file: string): Generator<JsonlRow> {
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const trimmed = lines[index]!.trim();
    if (trimmed === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(trimmed);
    } catch (e) {
      throw new FormatError(`not valid JSON (${(e as Error).message})`, file, line);
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new FormatError('expected a JSON object', file, line);
    yield { row: row as Record<string, unknown>, line };
  }
}
