// Benchmarks by name; each module exports `summary` and `run(ctx)`. Loaded lazily.
import type { BenchContext } from './common.js';

export interface BenchModule {
  summary: string;
  run(ctx: BenchContext): Promise<void>;
}

export const BENCHES: Record<string, () => Promise<BenchModule>> = {
  loader: () => import('./loader.js'),
  scaling_fit: () => import('./scaling_fit.js'),
  tokenizer: () => import('./tokenizer.js'),
  nn: () => import('./nn.js'),
  optim: () => import('./optim.js'),
  matmul: () => import('./matmul.js'),
  attention: () => import('./attention.js'),
  eval: () => import('./eval.js'),
  reproduce: () => import('./reproduce.js'),
  train: () => import('./train.js'),
};
