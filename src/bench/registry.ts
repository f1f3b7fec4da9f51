// Benchmarks by name; each module exports `summary` and `run(ctx)`. Loaded lazily.
import type { BenchContext } from './common.js';

export interface BenchModule {
  summary: string;
  run(ctx: BenchContext): Promise<void>;
}

export const BENCHES: Record<string, () => Promise<BenchModule>> = {
  attention: () => import('./attention.js'),
};
