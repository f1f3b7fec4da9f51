// A realistic report input: a 6 × 5 sweep over N and D drawn from the paper's joint law with 1% noise,
// the three largest runs (by N·D) held out of every fit, the model law fitted on the largest-D column,
// the data law on the largest-N row, and the budget frontier of the joint fit.
import type { ReportInput, RunRow } from '../../src/report/report.js';
import { budgetFrontier } from '../../src/scaling/budget.js';
import { fitScalingLaw } from '../../src/scaling/fit.js';
import { gridRuns, jointLoss, MSMARCO_JOINT } from '../scaling/synthetic.js';

const PRESETS = ['tiny', 'mini', 'small', 'medium', 'base', 'large'];

export function sampleReport(title = 'MS MARCO scaling (synthetic)'): ReportInput {
  const points = gridRuns((n, d) => jointLoss(MSMARCO_JOINT, n, d), 0.01, 4);
  const runs: RunRow[] = points.map((p, i) => ({
    id: `run-${String(i).padStart(2, '0')}`,
    preset: PRESETS[Math.floor(i / 5)]!,
    params: p.params!,
    pairs: p.pairs!,
    loss: p.loss,
    steps: 10_000,
    wallMs: 1000 * (i + 1),
    metrics: { mrr10: 0.1 + i / 100, recall1000: 0.8 + i / 200 },
    method: 'human',
  }));
  const joint = fitScalingLaw(runs, { law: 'joint', bootstrap: 20, seed: 1, holdout: { largest: 3 } });
  const heldOut = runs.filter((r) => joint.heldOut!.points.some((p) => p.params === r.params && p.pairs === r.pairs)).map((r) => r.id);
  // The single-axis laws see the same split: they are fitted without the held-out runs and drawn with them.
  const maxD = Math.max(...runs.map((r) => r.pairs));
  const maxN = Math.max(...runs.map((r) => r.params));
  const modelRuns = runs.filter((r) => r.pairs === maxD);
  const dataRuns = runs.filter((r) => r.params === maxN);
  const fitted = (rows: RunRow[]) => rows.filter((r) => !heldOut.includes(r.id));
  return {
    title,
    runs,
    fits: {
      model: { ...fitScalingLaw(fitted(modelRuns), { law: 'model', bootstrap: 20, seed: 1 }), runIds: modelRuns.map((r) => r.id) },
      data: { ...fitScalingLaw(fitted(dataRuns), { law: 'data', bootstrap: 20, seed: 1 }), runIds: dataRuns.map((r) => r.id) },
      joint,
    },
    heldOut,
    frontier: budgetFrontier(joint, [1e3, 1e4, 1e5, 1e6, 1e7, 1e8]),
    meta: { adapter: 'mesa/software llvmpipe', version: '0.1.0', date: '2024-07-01', seed: 1 },
  };
}
