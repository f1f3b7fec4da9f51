// dawn.node writes driver diagnostics straight to file descriptor 2 ("Warning: maxDynamic… artificially
// reduced", "Warning: vkCreateInstance failed … at CheckVkSuccessImpl (…)"), bypassing process.stderr,
// so the CLI cannot silence them in-process. The CLI therefore runs itself as a child with stderr piped
// through this filter, which drops Dawn's "Warning: " blocks (set DENSESCALE_DEBUG=1 to keep them).
// The child exits when the parent's IPC channel closes, so `kill -9` of the parent stops the run too.
import { spawn } from 'node:child_process';

const CHILD_ENV = 'DENSESCALE_CLI_CHILD';

export function isFilteredChild(): boolean {
  return process.env[CHILD_ENV] === '1';
}

/** Drops Dawn warning blocks: a line starting "Warning: " and the indented lines that continue it. */
export class DawnNoiseFilter {
  private pending = '';
  private inBlock = false;

  push(chunk: string): string {
    const text = this.pending + chunk;
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    let out = '';
    for (const line of lines) {
      if (line.startsWith('Warning: ')) this.inBlock = true;
      else if (!(this.inBlock && /^\s+\S/.test(line))) this.inBlock = false;
      if (!this.inBlock) out += `${line}\n`;
    }
    // A partial line that cannot be the start of a Dawn block (e.g. a progress bar redrawn with \r)
    // goes out at once instead of waiting for a newline.
    if (this.pending !== '' && !'Warning: '.startsWith(this.pending.slice(0, 9)) && !/^\s/.test(this.pending)) {
      out += this.pending;
      this.pending = '';
      this.inBlock = false;
    }
    return out;
  }

  end(): string {
    const rest = this.inBlock && /^\s/.test(this.pending) ? '' : this.pending;
    this.pending = '';
    return rest;
  }
}

/** Re-runs this CLI as a child with filtered stderr; resolves with the child's exit code. */
export function runFiltered(entry: string, argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, entry, ...argv], {
      stdio: ['inherit', 'inherit', 'pipe', 'ipc'],
      env: { ...process.env, [CHILD_ENV]: '1', DENSESCALE_STDERR_TTY: process.stderr.isTTY ? '1' : '0', DENSESCALE_STDERR_COLUMNS: String(process.stderr.columns ?? '') },
    });
    const filter = new DawnNoiseFilter();
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => process.stderr.write(filter.push(d)));
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, forward(sig));
    child.on('close', (code, signal) => {
      process.stderr.write(filter.end());
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
  });
}

/** In the child: stop when the parent goes away (its IPC channel closes on any death, kill -9 included). */
export function exitWithParent(): void {
  if (process.send !== undefined) {
    process.on('disconnect', () => process.exit(137));
    // The channel must not keep the child alive once its work is done.
    (process.channel as { unref?: () => void } | undefined)?.unref?.();
  }
}
