// Learning-rate schedule: linear warmup from 0 to the peak over `warmup` steps, then linear decay to 0
// at `total` steps (HF get_linear_schedule_with_warmup). The paper uses no warmup and linear decay.
import { ConfigError } from '../errors.js';

export function learningRate(step: number, peak: number, warmup: number, total: number): number {
  if (!(total > 0) || warmup < 0 || warmup > total) throw new ConfigError(`warmup ${warmup} must be within [0, total steps ${total}]`, 'warmup');
  if (step < warmup) return (peak * step) / warmup;
  return (peak * Math.max(0, total - step)) / Math.max(1, total - warmup);
}
