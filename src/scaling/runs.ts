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
  /**
   * Keep only rows whose field (dotted path) equals the value as text, e.g. { method: 'ict', preset: 'cpu-2' }:
   * one law per annotation method or model from a sweep's single runs.jsonl.
   */
  where?: Readonly<Record<string, string>>;
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
  const where = Object.entries(options.where ?? {});
  for (const { row, line } of jsonlObjects(text, file)) {
    if (!where.every(([path, value]) => String(field(row, path)) === value)) continue;
    const point: FitPoint = { loss: positiveField(row, lossField, file, line) };
    for (const axis of LAW_AXES[options.law]) point[axis] = positiveField(row, axis, file, line);
    points.push(point);
  }
  if (points.length === 0) {
    throw new FormatError(where.length === 0 ? 'no runs (the file has no non-blank lines)' : `no runs with ${where.map(([k, v]) => `${k}=${v}`).join(', ')}`, file);
  }
  return points;
}

function field(row: object, path: string): unknown {
  let v: unknown = row;
  for (const key of path.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

function positiveField(row: object, path: string, file: string, line: number): number {
  const v = field(row, path);
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new FormatError(`expected a positive finite number, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`, file, line, path);
  }
  return v;
}
