// Wall time of fitScalingLaw (multi-start L-BFGS + bootstrap) and optimalAllocation on synthetic runs
// from the paper's laws. Pure CPU: rows are tagged with the CPU model, not a WebGPU adapter.
import { cpus } from 'node:os';
import { optimalAllocation } from '../scaling/budget.js';
import { fitScalingLaw, type FitPoint } from '../scaling/fit.js';
import type { LawName } from '../scaling/laws.js';
import { Pcg32 } from '../util/rng.js';
import { median, type BenchContext } from './common.js';

export const summary = 'CPU time of scaling-law fits (per law, with 200 bootstrap resamples) and budget allocation';

const JOINT = { A: 3.6e4, alpha: 0.56, B: 7.1e3, beta: 1.31, delta: 0.03 };

function logSpace(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => lo * (hi / lo) ** (i / (n - 1)));
}

/** A 6 × 5 (N, D) sweep from the paper's joint law with 1.5% log-normal noise. */
function sweep(seed: number): FitPoint[] {
  const rng = new Pcg32(seed);
  const out: FitPoint[] = [];
  for (const n of logSpace(0.5e6, 86e6, 6)) {
    for (const d of logSpace(1e4, 5e5, 5)) {
      const loss = ((JOINT.A / n) ** (JOINT.alpha / JOINT.beta) + JOINT.B / d) ** JOINT.beta + JOINT.delta;
      out.push({ params: n, pairs: d, loss: loss * Math.exp(0.015 * rng.nextNormal()) });
    }
  }
  return out;
}

export async function run(ctx: BenchContext): Promise<void> {
  const tag = { adapter: 'cpu', cpu: cpus()[0]?.model ?? 'unknown', threads: 1, runtime: `node ${process.versions.node}` };
  const iters = ctx.quick ? 3 : 10;
  const points = sweep(1);
  const maxD = Math.max(...points.map((p) => p.pairs!));
  const cases: [LawName, FitPoint[]][] = [
    ['model', points.filter((p) => p.pairs === maxD)],
    ['joint', points],
    ['additive', points],
  ];
  for (const [law, runs] of cases) {
    for (const bootstrap of [0, 200]) {
      fitScalingLaw(runs, { law, bootstrap, seed: 0 }); // warm-up (JIT)
      const ms: number[] = [];
      for (let i = 0; i < iters; i++) {
        const t0 = performance.now();
        fitScalingLaw(runs, { law, bootstrap, seed: i });
        ms.push(performance.now() - t0);
      }
      ctx.emit({ bench: 'scaling_fit', law, runs: runs.length, bootstrap, ms: median(ms), minMs: Math.min(...ms), iters, ...tag });
    }
  }
  const fit = fitScalingLaw(points, { law: 'joint', bootstrap: 0 });
  const ms: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    for (const budget of [1e4, 1e5, 1e6, 1e7, 1e8]) optimalAllocation(fit, { budget });
    ms.push((performance.now() - t0) / 5);
  }
  ctx.emit({ bench: 'scaling_budget', law: 'joint', ms: median(ms), minMs: Math.min(...ms), iters, ...tag });
}
