// The training progress display on stderr. On a terminal: one line redrawn in place (\r) with a bar,
// the loss, the learning rate, throughput and ETA. Elsewhere (logs, CI, pipes): plain lines, at most one
// per `intervalMs`, plus every evaluation and the last step, so a log file stays short and greppable.
//
// The CLI runs as a child whose stderr is a pipe into the Dawn-noise filter (stderr_filter.ts); the
// parent passes its own terminal's state in DENSESCALE_STDERR_TTY / DENSESCALE_STDERR_COLUMNS.
import type { TrainProgress } from '../train/train.js';

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Whether stderr (or, in the filtered child, the parent's stderr) is a terminal, and its width. */
export function stderrTerminal(): { tty: boolean; columns: number } {
  const env = process.env;
  const tty = env.DENSESCALE_STDERR_TTY !== undefined ? env.DENSESCALE_STDERR_TTY === '1' : process.stderr.isTTY === true;
  const columns = Number(env.DENSESCALE_STDERR_COLUMNS) || process.stderr.columns || 100;
  return { tty, columns };
}

/** 75 s → "1:15", 3725 s → "1:02:05". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--:--';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** 1234 → "1.2k", 2.5e6 → "2.5M". */
export function formatRate(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(1)}M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

/** One status line (without bar): what both modes print. */
export function progressText(p: TrainProgress): string {
  const parts = [
    `loss ${p.loss.toFixed(4)}`,
    `lr ${p.learningRate.toExponential(2)}`,
    `${formatRate(p.pairsPerSecond)} pairs/s`,
    `${formatRate(p.tokensPerSecond)} tok/s`,
    `${formatDuration(p.elapsedMs)} elapsed`,
    `ETA ${formatDuration(p.etaMs)}`,
  ];
  if (p.evaluation) parts.push(`eval ${p.evaluation.score.toFixed(4)} (best ${p.evaluation.best.score.toFixed(4)} at step ${p.evaluation.best.step})`);
  return parts.join(' | ');
}

export class ProgressDisplay {
  private lastPlain = -Infinity;
  private bar = '';

  constructor(
    private readonly out: ProgressOutput,
    private readonly options: { tty: boolean; columns: number; intervalMs?: number; now?: () => number },
  ) {}

  update(p: TrainProgress): void {
    const head = `step ${p.step}/${p.steps}`;
    if (this.options.tty) {
      const pct = p.steps > 0 ? p.step / p.steps : 0;
      const width = 20;
      const filled = Math.round(pct * width);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(pct * 100)).padStart(3)}%`;
      let line = `${head} ${bar} ${progressText({ ...p, evaluation: undefined } as TrainProgress)}`;
      if (line.length > this.options.columns - 1) line = line.slice(0, this.options.columns - 1);
      this.out.write(`\r\x1b[K${line}`);
      this.bar = line;
      // Evaluations stay on screen as lines of their own above the bar.
      if (p.evaluation) this.message(`${head} ${progressText(p)}`);
      return;
    }
    const now = (this.options.now ?? (() => performance.now()))();
    if (p.evaluation === undefined && p.step !== p.steps && now - this.lastPlain < (this.options.intervalMs ?? 10_000)) return;
    this.lastPlain = now;
    this.out.write(`${head} ${progressText(p)}\n`);
  }

  /** A line of its own (a notice) above the bar, which is redrawn below it. */
  message(text: string): void {
    if (this.bar === '') {
      this.out.write(`${text}\n`);
      return;
    }
    this.out.write(`\r\x1b[K${text}\n${this.bar}`);
  }

  /** Ends the bar's line. */
  done(): void {
    if (this.bar !== '') this.out.write('\n');
    this.bar = '';
  }
}
