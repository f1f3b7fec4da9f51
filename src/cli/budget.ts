import { FormatError } from '../errors.js';
import { optimalAllocation, PAPER_COSTS } from '../scaling/budget.js';
import { checkLaw, fmt, formatLaw } from '../scaling/laws.js';
import { num, parse, UsageError } from './args.js';
import { readInputFile } from './input.js';

export const summary = 'compute-optimal N and D for a dollar budget: densescale budget --law <fit.json> --budget <usd> [--json]';

export const USAGE = `usage: densescale budget --law <fit.json> --budget <usd> [--no-inference] [--z-data USD] [--z-train USD] [--z-infer USD] [--json]
fit.json is the output of "densescale fit --law joint|additive --json". Costs default to the paper's §6:
--z-data ${PAPER_COSTS.zData} per pair, --z-train ${PAPER_COSTS.zTrain} and --z-infer ${PAPER_COSTS.zInfer} per parameter.`;

export async function main(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    law: { type: 'string' },
    budget: { type: 'string' },
    'no-inference': { type: 'boolean' },
    'z-data': { type: 'string' },
    'z-train': { type: 'string' },
    'z-infer': { type: 'string' },
    json: { type: 'boolean' },
  });
  const file = values.law as string | undefined;
  if (file === undefined || values.budget === undefined) throw new UsageError(`--law and --budget are required\n${USAGE}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readInputFile(file));
  } catch (e) {
    if (e instanceof SyntaxError) throw new FormatError(`not valid JSON (${e.message})`, file);
    throw e;
  }
  const law = checkLaw(parsed, file);
  const allocation = optimalAllocation(law, {
    budget: num(values.budget as string, 'budget', 0),
    zData: num(values['z-data'] as string | undefined, 'z-data', PAPER_COSTS.zData),
    zTrain: num(values['z-train'] as string | undefined, 'z-train', PAPER_COSTS.zTrain),
    zInfer: num(values['z-infer'] as string | undefined, 'z-infer', PAPER_COSTS.zInfer),
    inference: values['no-inference'] !== true,
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(allocation)}\n`);
    return;
  }
  const usd = (v: number) => `$${v >= 1 ? Math.round(v).toLocaleString('en-US') : fmt(v)}`;
  const { cost } = allocation;
  const lines = [
    `budget ${usd(allocation.budget)}, ${allocation.inference ? 'inference cost included' : 'training and data only (no inference cost)'}`,
    `  law: ${formatLaw(law)}`,
    `  N* = ${fmt(allocation.N)} parameters, D* = ${fmt(allocation.D)} pairs, predicted loss ${fmt(allocation.predictedLoss)}`,
    `  cost: data ${usd(cost.data)} + training ${usd(cost.train)}${allocation.inference ? ` + inference ${usd(cost.infer)}` : ''} = ${usd(cost.total)}`,
  ];
  if (allocation.atBound) lines.push(`  note: the optimum is at the ${allocation.atBound === 'params-min' ? 'lower' : 'upper'} bound of N`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
