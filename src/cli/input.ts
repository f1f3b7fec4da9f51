// Reading an input file named on the command line: a missing or unreadable file is the user's to fix,
// so it becomes a UsageError with the path, not an internal error with a stack trace.
import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';

export function readInputFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read "${path}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
