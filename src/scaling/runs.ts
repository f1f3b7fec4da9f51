// Reading runs.jsonl (one JSON object per line, as `sweep` appends them) into fit points. Pure: the caller
// supplies the text, so the same parser serves the CLI (fs) and a browser (fetch).
import { FormatError } from '../errors.js';
import { jsonlObjects } from '../util/jsonl.js';
import { LAW_AXES, type LawName } from './laws.js';
import type { FitPoint } from './fit.js';

export interface ReadRunsOptions {
  /** The law the rows will be fitted with: only its axes (and the loss) are required. */
  law: LawName;
  /** Dotted path of the loss inside each row. Default "loss"; e.g. "metrics.entropy". */
  lossField?: string;
}

/**
 * Parses runs.jsonl text into `{ params, pairs, loss }` points. Blank lines are skipped; other fields
 * are ignored. A line that is not a JSON object, or lacks a positive finite value for a field the law
 * needs, throws FormatError naming the file, the 1-based line and the field.
 *
 * @example
 * const points = readRuns(readFileSync('runs.jsonl', 'utf8'), 'runs.jsonl', { law: 'joint' });
 * fitScalingLaw(points, { law: 'joint' });
 */
export function readRuns(text: string, file: string, options: ReadRunsOptions): FitPoint[] {
  const lossField = options.lossField ?? 'loss';
  const points: FitPoint[] = [];
  for (const { row, line } of jsonlObjects(text, file)) {
    const point: FitPoint = { loss: positiveField(row, lossField, file, line) };
    for (const axis of LAW_AXES[options.law]) point[axis] = positiveField(row, axis, file, line);
    points.push(point);
  }
  if (points.length === 0) throw new FormatError('no runs (the file has no non-blank lines)', file);
  return points;
}

function positiveField(row: object, path: string, file: string, line: number): number {
  let v: unknown = row;
  for (const key of path.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new FormatError(`expected a positive finite number, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`, file, line, path);
  }
  return v;
}
