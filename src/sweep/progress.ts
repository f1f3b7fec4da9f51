// ETA of a sweep. A run's cost is steps × (seconds per step of its preset) plus its evaluations. Seconds
// per step are measured as runs progress: a preset already seen uses its own rate; an unseen one is
// extrapolated from the measured presets by a least-squares fit of rate = a + b·N (a is the per-step
// overhead that dominates tiny models on a CPU adapter, b the part that grows with the model), or scaled
// by N from the single measured preset. Evaluation is folded into the rate (it is a fixed fraction of a
// run's work for a given config). Until something is measured there is no ETA.

/** Where a sweep stands; passed to onProgress after every training step and every finished run. */
export interface SweepProgress {
  /** Runs in the plan, runs finished before this call (skipped), and runs finished by it. */
  total: number;
  skipped: number;
  done: number;
  /** The run in progress, if any. */
  current?: { id: string; preset: string; pairs: number; method: string; seed: number; step: number; steps: number; loss?: number; validation?: number };
  elapsedMs: number;
  /** Estimated time to finish the remaining runs, or undefined before any measurement. */
  etaMs?: number;
}

interface Measured {
  params: number;
  msPerStep: number;
}

/** Learns per-step costs from finished (and running) runs and predicts the rest. */
export class EtaModel {
  private readonly rates = new Map<string, Measured>();

  /** Records that `steps` steps of a run of `preset` (N = params) took `ms`, evaluation included. */
  observe(preset: string, params: number, steps: number, ms: number): void {
    if (steps > 0 && ms > 0) this.rates.set(preset, { params, msPerStep: ms / steps });
  }

  /** Estimated ms per step of a preset, or undefined with nothing measured. */
  msPerStep(preset: string, params: number): number | undefined {
    const own = this.rates.get(preset);
    if (own !== undefined) return own.msPerStep;
    const all = [...this.rates.values()];
    if (all.length === 0) return undefined;
    if (all.length === 1) return all[0]!.msPerStep * Math.max(1, params / all[0]!.params);
    const n = all.length;
    const mx = all.reduce((s, m) => s + m.params, 0) / n;
    const my = all.reduce((s, m) => s + m.msPerStep, 0) / n;
    let sxy = 0;
    let sxx = 0;
    for (const m of all) {
      sxy += (m.params - mx) * (m.msPerStep - my);
      sxx += (m.params - mx) ** 2;
    }
    const slope = sxx > 0 ? Math.max(0, sxy / sxx) : 0;
    const floor = Math.min(...all.map((m) => m.msPerStep));
    return Math.max(floor * 0.5, my + slope * (params - mx));
  }

  /** Estimated ms for the given remaining work, or undefined when some preset cannot be estimated. */
  remainingMs(work: readonly { preset: string; params: number; steps: number }[]): number | undefined {
    let total = 0;
    for (const w of work) {
      const rate = this.msPerStep(w.preset, w.params);
      if (rate === undefined) return undefined;
      total += rate * w.steps;
    }
    return total;
  }
}

/**
 * A one-line summary of a progress event, for terminals and logs.
 *
 * @example
 * formatProgress(p);   // '[3/9] cpu-3 D=4000 human seed 0 · step 120/200 · loss 2.91 · ETA 4m12s'
 */
export function formatProgress(p: SweepProgress): string {
  const parts = [`[${p.skipped + p.done + (p.current ? 1 : 0)}/${p.total}]`];
  const c = p.current;
  if (c) {
    parts.push(`${c.preset} D=${c.pairs} ${c.method} seed ${c.seed} · step ${c.step}/${c.steps}`);
    if (c.loss !== undefined) parts.push(`· loss ${c.loss.toFixed(3)}`);
    if (c.validation !== undefined) parts.push(`· val ${c.validation.toFixed(3)}`);
  } else {
    parts.push(`${p.done} run${p.done === 1 ? '' : 's'} done${p.skipped > 0 ? `, ${p.skipped} already finished` : ''}`);
  }
  parts.push(`· elapsed ${formatDuration(p.elapsedMs)}`);
  if (p.etaMs !== undefined) parts.push(`· ETA ${formatDuration(p.etaMs)}`);
  return parts.join(' ');
}

/**
 * 95 → '1m35s', 3725 s → '1h02m', under a minute → '42s'.
 *
 * @example
 * formatDuration(95_000);   // '1m35s'
 */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
