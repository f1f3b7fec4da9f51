import { fitScalingLaw, fitSummary, type HoldoutOptions } from '../scaling/fit.js';
import { fmt, formatLaw, isLawName, LAW_NAMES, LAW_PARAMS } from '../scaling/laws.js';
import { readRuns } from '../scaling/runs.js';
import { num, parse, UsageError } from './args.js';
import { readInputFile } from './input.js';

export const summary = 'fit a scaling law to runs.jsonl: densescale fit <runs.jsonl> --law model|data|joint|additive [--json]';

export const USAGE = `usage: densescale fit <runs.jsonl> --law model|data|joint|additive [--json] [--bootstrap N] [--seed S]
                      [--holdout K] [--holdout-by params|pairs|compute] [--loss-field PATH]
                      [--where FIELD=VALUE[,FIELD=VALUE]]
--where keeps only matching rows (e.g. --where method=ict: one data law per annotation method). Rows need "params" (N), "pairs" (D) and "loss"; other fields are ignored. --json prints
{"law","params","r2","ci","n"}, the input of "densescale budget --law".`;

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    argv,
    {
      law: { type: 'string' },
      json: { type: 'boolean' },
      bootstrap: { type: 'string' },
      seed: { type: 'string' },
      holdout: { type: 'string' },
      'holdout-by': { type: 'string' },
      'loss-field': { type: 'string' },
      where: { type: 'string' },
    },
    true,
  );
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) throw new UsageError(`expected one runs.jsonl file\n${USAGE}`);
  const law = values.law;
  if (!isLawName(law)) throw new UsageError(`--law must be one of ${LAW_NAMES.join(', ')}${law === undefined ? '' : `, got "${String(law)}"`}\n${USAGE}`);
  const bootstrap = num(values.bootstrap as string | undefined, 'bootstrap', 200, { int: true, min: 0 });
  const seed = num(values.seed as string | undefined, 'seed', 0, { int: true, min: 0 });
  let holdout: HoldoutOptions | undefined;
  if (values.holdout !== undefined) {
    holdout = { largest: num(values.holdout as string, 'holdout', 0, { int: true, min: 1 }) };
    const by = values['holdout-by'];
    if (by !== undefined) {
      if (by !== 'params' && by !== 'pairs' && by !== 'compute') throw new UsageError(`--holdout-by must be params, pairs or compute, got "${String(by)}"`);
      holdout.by = by;
    }
  }
  const lossField = values['loss-field'] as string | undefined;
  const where: Record<string, string> = {};
  for (const clause of ((values.where as string | undefined) ?? '').split(',').filter(Boolean)) {
    const at = clause.indexOf('=');
    if (at <= 0) throw new UsageError(`--where: expected FIELD=VALUE, got "${clause}"`);
    where[clause.slice(0, at)] = clause.slice(at + 1);
  }
  const points = readRuns(readInputFile(file), file, { law, where, ...(lossField === undefined ? {} : { lossField }) });
  const fit = fitScalingLaw(points, holdout === undefined ? { law, bootstrap, seed } : { law, bootstrap, seed, holdout });

  if (values.json) {
    process.stdout.write(`${JSON.stringify(fitSummary(fit))}\n`);
    return;
  }
  const lines = [
    `${law} law fitted on ${fit.n} runs of ${file} (Huber loss, threshold ${fit.huberDelta}, on log residuals)`,
    `  ${formatLaw(fit)}`,
    `  R² = ${fit.r2.toFixed(4)}`,
    bootstrap > 0
      ? `  ${'parameter'.padEnd(10)} ${'value'.padEnd(10)} 95% CI (${bootstrap - fit.bootstrap.failed} bootstrap resamples, seed ${seed})`
      : `  ${'parameter'.padEnd(10)} value`,
    ...LAW_PARAMS[law].map((name) => {
      const ci = fit.ci[name];
      return `  ${name.padEnd(10)} ${fmt(fit.params[name]!).padEnd(10)} ${ci ? `[${fmt(ci[0])}, ${fmt(ci[1])}]` : ''}`.trimEnd();
    }),
  ];
  if (fit.heldOut) {
    lines.push(`  held out ${fit.heldOut.points.length} largest runs: mean |relative error| ${(100 * fit.heldOut.meanRelError).toFixed(2)}%`);
    fit.heldOut.points.forEach((p, i) => {
      const where = [p.params === undefined ? '' : `N=${fmt(p.params)}`, p.pairs === undefined ? '' : `D=${fmt(p.pairs)}`].filter(Boolean).join(' ');
      lines.push(`    ${where}: observed ${fmt(p.loss)}, predicted ${fmt(fit.heldOut!.predicted[i]!)} (${(100 * fit.heldOut!.relErrors[i]!).toFixed(2)}%)`);
    });
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
