// Shared CLI plumbing: typed flags via node:util parseArgs, and one place that turns densescale's
// typed errors into a message and an exit code (no stack trace for errors the user can act on).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AbortError, DensescaleError } from '../errors.js';

export type Flags = NonNullable<ParseArgsConfig['options']>;

export class UsageError extends DensescaleError {}

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parse(argv: string[], options: Flags, allowPositionals = false): Parsed {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals, strict: true });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Parses a numeric flag, naming the flag when the value is not a number in range. */
export function num(value: string | undefined, flag: string, fallback: number, opts: { int?: boolean; min?: number } = {}): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
    throw new UsageError(`--${flag}: "${value}" is not ${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}`);
  }
  return n;
}

export function exitCodeFor(e: unknown): number {
  if (e instanceof UsageError) return 64;
  if (e instanceof AbortError) return 130;
  if (e instanceof DensescaleError) return e.name === 'GpuUnavailableError' ? 69 : 1;
  return 70;
}
