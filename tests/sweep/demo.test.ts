// The demo's plan (≥ 5 model sizes and ≥ 5 data sizes on every scale, a joint grid of every width at
// several D, random negatives in every batch, grids that validate, CPU adapters get the CPU grid) and its
// fits: on rows drawn from a known joint law, fitDemo recovers the laws and predicts the held-out largest
// run; too few runs is a clear error.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { demoGrid, demoPlan, demoScale, fitDemo, lawSweepPlan, type DemoScale } from '../../src/sweep/demo.js';
import { planRuns } from '../../src/sweep/plan.js';
import type { SweepRow } from '../../src/sweep/run.js';
import { jointLoss } from '../scaling/synthetic.js';

const CONTEXT = { dataset: 'wordnet', tokenizer: 'wp', vocabSize: 8192 };

describe('demoPlan', () => {
  for (const scale of ['quick', 'cpu', 'gpu'] as DemoScale[]) {
    it(`${scale}: at least 5 model and 5 data sizes, a joint grid of every width at every joint D, every run one pass at the same steps and passages per step with random negatives`, async () => {
      const plan = demoPlan(scale);
      const runs = await planRuns(plan.config, CONTEXT);
      const find = (preset: string, pairs: number) => runs.find((r) => r.spec.preset === preset && r.spec.pairs === pairs);
      const model = plan.modelSweep.presets.map((p) => find(p, plan.modelSweep.pairs));
      expect(model.length).toBeGreaterThanOrEqual(5);
      expect(model.every((r) => r !== undefined)).toBe(true);
      const sizes = model.map((r) => r!.params);
      expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
      expect(new Set(sizes).size).toBe(sizes.length);
      expect(new Set(plan.dataSweep.pairs).size).toBeGreaterThanOrEqual(5);
      expect(plan.dataSweep.pairs.every((d) => find(plan.dataSweep.preset, d) !== undefined)).toBe(true);
      expect(Math.max(...plan.dataSweep.pairs)).toBe(plan.modelSweep.pairs);
      expect(plan.modelSweep.presets).toContain(plan.dataSweep.preset);
      // The joint grid: every width at ≥ 2 data sizes (the largest among them), so the held-out run (the
      // widest model at the largest D) is predicted from its own width's smaller runs and the narrower
      // models' runs at its D, not extrapolated along one arm of an L.
      const joint = plan.jointSweep!;
      expect(joint.presets).toEqual(plan.modelSweep.presets);
      expect(joint.pairs.length).toBeGreaterThanOrEqual(2);
      expect(joint.pairs).toContain(plan.modelSweep.pairs);
      expect(joint.pairs.every((d) => plan.dataSweep.pairs.includes(d))).toBe(true);
      for (const p of joint.presets) for (const d of joint.pairs) expect(find(p, d), `${p} D=${d}`).toBeDefined();
      expect(runs.length).toBe(plan.dataSweep.pairs.length + (joint.presets.length - 1) * joint.pairs.length);
      const columns = plan.config.train.batchSize + plan.config.train.negatives;
      for (const r of runs) {
        // 0.25/H at every batch (a constant peak rate beat Adam's square-root rule at every smaller batch).
        const lr = 0.25 / r.spec.model.hidden;
        expect(Math.abs(r.spec.train.learningRate / lr - 1)).toBeLessThan(5e-3); // 3 significant digits
        expect(r.spec.pairs).toBe(r.spec.train.steps * r.spec.train.batchSize);
        expect(r.spec.train.steps).toBe(plan.config.train.steps);
        expect(r.spec.train.batchSize + r.spec.train.negatives).toBe(columns);
        expect(r.spec.train.negatives).toBeGreaterThan(0);
      }
      // WordNet has 43,708 training pairs.
      expect(Math.max(...runs.map((r) => r.spec.pairs))).toBeLessThanOrEqual(43_708 - (plan.config.train.validation?.pairs ?? 0));
    });
  }

  it('refuses grids whose sweeps do not fit together', () => {
    const g = demoGrid('cpu');
    expect(() => lawSweepPlan({ ...g, columns: g.batchSize }, 'cpu', 'x')).toThrow(/leaves no random negative/);
    expect(() => lawSweepPlan({ ...g, jointBatches: [10, 64] }, 'cpu', 'x')).toThrow(/joint grid's batch 10/);
    expect(() => lawSweepPlan({ ...g, jointBatches: [16, 32] }, 'cpu', 'x')).toThrow(/lacks the model sweep's batch 64/);
    expect(() => lawSweepPlan({ ...g, batchSize: 32 }, 'cpu', 'x')).toThrow(ConfigError);
    expect(() => lawSweepPlan({ ...g, dataWidth: 20 }, 'cpu', 'x')).toThrow(/data width 20/);
    // The batch power scales the rate of smaller batches: 0.5 is Adam's square-root rule.
    const sqrt = lawSweepPlan({ ...g, learningRateBatchPower: 0.5 }, 'cpu', 'x').config.grid.find((e) => e.train?.batchSize === 16)!;
    expect(sqrt.train!.learningRate).toBeCloseTo((0.25 / 16) * Math.sqrt(16 / 64), 5);
  });

  it('gives CPU adapters the CPU grid and GPUs the GPU grid', () => {
    expect(demoScale({ isFallbackAdapter: true, vendor: 'mesa', architecture: 'software' }, false)).toBe('cpu');
    expect(demoScale({ isFallbackAdapter: false, vendor: 'mesa', architecture: 'software' }, false)).toBe('cpu');
    expect(demoScale({ isFallbackAdapter: false, vendor: 'google', architecture: 'swiftshader' }, false)).toBe('cpu');
    expect(demoScale({ isFallbackAdapter: false, vendor: 'nvidia', architecture: 'hopper' }, false)).toBe('gpu');
    expect(demoScale({ isFallbackAdapter: false, vendor: 'nvidia', architecture: 'hopper' }, true)).toBe('quick');
  });
});

describe('fitDemo', () => {
  const LAW = { A: 2e3, alpha: 0.45, B: 300, beta: 0.8, delta: 1.2 };

  async function rowsFromLaw(): Promise<{ rows: SweepRow[]; plan: ReturnType<typeof demoPlan> }> {
    const plan = demoPlan('cpu');
    const runs = await planRuns(plan.config, CONTEXT);
    const rows = runs.map((r) => ({ id: r.id, preset: r.spec.preset, method: 'human', seed: 0, params: r.params, pairs: r.spec.pairs, loss: jointLoss(LAW, r.params, r.spec.pairs) }) as SweepRow);
    // Rows of another sweep in the same file are ignored.
    rows.push({ ...rows[0]!, id: 'other', method: 'ict', loss: 99 });
    return { rows, plan };
  }

  it('recovers a known joint law and predicts the held-out largest run', async () => {
    const { rows, plan } = await rowsFromLaw();
    const fits = fitDemo(rows, plan, { bootstrap: 0 });
    expect(fits.model.r2).toBeGreaterThan(0.999);
    expect(fits.data.r2).toBeGreaterThan(0.999);
    expect(fits.joint.r2).toBeGreaterThan(0.999);
    for (const k of ['A', 'alpha', 'B', 'beta', 'delta'] as const) expect(fits.joint.params[k]! / LAW[k]).toBeCloseTo(1, 2);
    const largest = [...rows.filter((r) => r.method === 'human')].sort((a, b) => b.params * b.pairs - a.params * a.pairs)[0]!;
    expect(largest.preset).toBe(plan.modelSweep.presets.at(-1));
    expect(largest.pairs).toBe(plan.modelSweep.pairs);
    expect(fits.heldOut).toEqual([largest.id]);
    expect(fits.joint.heldOut!.points[0]).toMatchObject({ params: largest.params, pairs: largest.pairs });
    expect(Math.abs(fits.joint.heldOut!.relErrors[0]!)).toBeLessThan(1e-3);
    expect(fits.modelRuns).toHaveLength(plan.modelSweep.presets.length);
    expect(fits.dataRuns).toHaveLength(plan.dataSweep.pairs.length);
    expect(fits.jointRuns).toHaveLength(rows.length - 1);
    expect(fits.jointRuns).not.toContain('other');
  });

  it('says which runs are missing', async () => {
    const { rows, plan } = await rowsFromLaw();
    expect(() => fitDemo(rows.slice(0, 3), plan)).toThrow(ConfigError);
    expect(() => fitDemo(rows.slice(0, 3), plan)).toThrow(/0 model-sweep and 3 data-sweep runs found/);
  });
});
