// Running a CLI main(argv) in-process: what it prints to stdout, with stderr (progress, warnings) kept
// out of the test log.
import { vi } from 'vitest';

/** Runs `run` with process.stdout captured and process.stderr silenced; returns what went to stdout. */
export async function stdoutOf(run: () => Promise<void>): Promise<string> {
  let out = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await run();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return out;
}
