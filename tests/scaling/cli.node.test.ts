// The fit and budget commands end to end through their main(argv), on files in a temp directory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main as budgetMain } from '../../src/cli/budget.js';
import { main as fitMain } from '../../src/cli/fit.js';
import { UsageError } from '../../src/cli/args.js';
import { FormatError } from '../../src/errors.js';
import { optimalAllocation } from '../../src/scaling/budget.js';
import { fitScalingLaw, fitSummary } from '../../src/scaling/fit.js';
import { readRuns } from '../../src/scaling/runs.js';
import { gridRuns, jointLoss, MSMARCO_JOINT } from './synthetic.js';
import { stdoutOf } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'densescale-fit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runs = gridRuns((n, d) => jointLoss(MSMARCO_JOINT, n, d), 0.01, 3);
const runsFile = join(dir, 'runs.jsonl');
// Rows as a sweep writes them: extra fields, a nested metric, a blank line at the end.
writeFileSync(
  runsFile,
  `${runs.map((p, i) => JSON.stringify({ id: `r${i}`, preset: 'mini', params: p.params, pairs: p.pairs, loss: p.loss, metrics: { entropy: p.loss * 2 } })).join('\n')}\n\n`,
);

describe('readRuns', () => {
  it('reads params, pairs and loss, ignoring other fields and blank lines', () => {
    const text = '{"params": 1e6, "pairs": 2e4, "loss": 0.3, "id": "a"}\n\n{"params": 2e6, "pairs": 4e4, "loss": 0.2, "metrics": {"ce": 0.5}}\n';
    expect(readRuns(text, 'x.jsonl', { law: 'joint' })).toEqual([
      { params: 1e6, pairs: 2e4, loss: 0.3 },
      { params: 2e6, pairs: 4e4, loss: 0.2 },
    ]);
    expect(readRuns('{"params": 1e6, "loss": 0.3}', 'x.jsonl', { law: 'model' })).toEqual([{ params: 1e6, loss: 0.3 }]);
    expect(readRuns('{"pairs": 5, "metrics": {"ce": 0.5}}', 'x.jsonl', { law: 'data', lossField: 'metrics.ce' })).toEqual([{ pairs: 5, loss: 0.5 }]);
  });

  it('keeps only the rows a where clause selects, and says so when none match', () => {
    const text = ['{"pairs": 10, "loss": 3, "method": "human", "seed": 0}', '{"pairs": 20, "loss": 2, "method": "ict", "seed": 0}', '{"pairs": 40, "loss": 1, "method": "ict", "seed": 1}', '{"method": "crop"}'].join('\n');
    expect(readRuns(text, 'x.jsonl', { law: 'data', where: { method: 'ict' } })).toEqual([{ pairs: 20, loss: 2 }, { pairs: 40, loss: 1 }]);
    expect(readRuns(text, 'x.jsonl', { law: 'data', where: { method: 'ict', seed: '1' } })).toEqual([{ pairs: 40, loss: 1 }]);
    // A row the clause leaves out is not checked: the crop row has no pairs or loss.
    expect(() => readRuns(text, 'x.jsonl', { law: 'data', where: { method: 'crop' } })).toThrow(/line 4, field "loss"/);
    expect(() => readRuns(text, 'x.jsonl', { law: 'data', where: { method: 'llm' } })).toThrow(/x\.jsonl: no runs with method=llm/);
  });

  it('names the file, line and field of a malformed row', () => {
    const expectFormat = (text: string, law: 'model' | 'joint', line: number | undefined, field: string | undefined, message: RegExp) => {
      try {
        readRuns(text, 'runs.jsonl', { law });
        throw new Error('expected a FormatError');
      } catch (e) {
        expect(e).toBeInstanceOf(FormatError);
        expect((e as FormatError).file).toBe('runs.jsonl');
        expect((e as FormatError).line).toBe(line);
        expect((e as FormatError).field).toBe(field);
        expect((e as Error).message).toMatch(message);
      }
    };
    const good = '{"params": 1e6, "pairs": 2e4, "loss": 0.3}';
    expectFormat(`${good}\n${good}\n{"params": 1e6, "pairs": 2e4, "loss": 0.3`, 'joint', 3, undefined, /^runs\.jsonl, line 3: not valid JSON/);
    expectFormat(`${good}\n[1, 2]`, 'joint', 2, undefined, /line 2: expected a JSON object/);
    expectFormat(`${good}\n{"params": 1e6, "loss": 0.3}`, 'joint', 2, 'pairs', /line 2, field "pairs": expected a positive finite number, got nothing/);
    expectFormat(`{"params": -1, "pairs": 2e4, "loss": 0.3}`, 'model', 1, 'params', /got -1/);
    expectFormat(`{"params": 1e6, "loss": "0.3"}`, 'model', 1, 'loss', /got "0.3"/);
    expectFormat('\n\n', 'model', undefined, undefined, /no runs/);
  });
});

describe('densescale fit / budget', () => {
  it('fit --json prints {law, params, r2, ci, n}, the same fit as the library', async () => {
    const out = await stdoutOf(() => fitMain([runsFile, '--law', 'joint', '--json', '--bootstrap', '30', '--seed', '2']));
    const printed = JSON.parse(out);
    expect(Object.keys(printed).sort()).toEqual(['ci', 'law', 'n', 'params', 'r2']);
    expect(Object.keys(printed.params).sort()).toEqual(['A', 'B', 'alpha', 'beta', 'delta']);
    expect(printed).toEqual(JSON.parse(JSON.stringify(fitSummary(fitScalingLaw(runs, { law: 'joint', bootstrap: 30, seed: 2 })))));
    expect(printed.n).toBe(30);
  });

  it('fit output of each law has exactly that law’s parameters; --loss-field reads a nested metric', async () => {
    for (const [law, names] of [
      ['model', ['A', 'alpha', 'delta']],
      ['data', ['B', 'beta', 'delta']],
      ['additive', ['A', 'B', 'E', 'alpha', 'beta']],
    ] as const) {
      const printed = JSON.parse(await stdoutOf(() => fitMain([runsFile, '--law', law, '--json', '--bootstrap', '0'])));
      expect(printed.law).toBe(law);
      expect(Object.keys(printed.params).sort()).toEqual([...names].sort());
      expect(printed.ci).toEqual({});
    }
    const doubled = JSON.parse(await stdoutOf(() => fitMain([runsFile, '--law', 'joint', '--json', '--bootstrap', '0', '--loss-field', 'metrics.entropy'])));
    const plain = JSON.parse(await stdoutOf(() => fitMain([runsFile, '--law', 'joint', '--json', '--bootstrap', '0'])));
    // Doubling every loss doubles the bracket term and the floor: β and α are unchanged.
    expect(doubled.params.beta).toBeCloseTo(plain.params.beta, 6);
    expect(doubled.params.delta).toBeCloseTo(2 * plain.params.delta, 6);
  });

  it('fit prints a readable summary, with held-out errors when asked', async () => {
    const out = await stdoutOf(() => fitMain([runsFile, '--law', 'joint', '--bootstrap', '20', '--holdout', '3']));
    expect(out).toMatch(/joint law fitted on 27 runs/);
    expect(out).toMatch(/L\(N,D\) = \[\(/);
    expect(out).toMatch(/R² = 0\.99\d\d/);
    expect(out).toMatch(/alpha\s+0\.5\d+\s+\[/);
    expect(out).toMatch(/held out 3 largest runs: mean \|relative error\| \d+\.\d\d%/);
    const json = JSON.parse(await stdoutOf(() => fitMain([runsFile, '--law', 'joint', '--bootstrap', '0', '--holdout', '3', '--json'])));
    expect(json.heldOut.relErrors).toHaveLength(3);
  });

  it('budget --law reads fit --json output and prints the allocation', async () => {
    const fitFile = join(dir, 'fit.json');
    writeFileSync(fitFile, await stdoutOf(() => fitMain([runsFile, '--law', 'joint', '--json', '--bootstrap', '0'])));
    const law = JSON.parse(await stdoutOf(() => fitMain([runsFile, '--law', 'joint', '--json', '--bootstrap', '0'])));
    const a = JSON.parse(await stdoutOf(() => budgetMain(['--law', fitFile, '--budget', '1e6', '--json'])));
    expect(Object.keys(a).sort()).toEqual(['D', 'N', 'budget', 'cost', 'inference', 'predictedLoss']);
    expect(Object.keys(a.cost).sort()).toEqual(['data', 'infer', 'total', 'train']);
    expect(a).toEqual(JSON.parse(JSON.stringify(optimalAllocation(law, { budget: 1e6 }))));
    const b = JSON.parse(await stdoutOf(() => budgetMain(['--law', fitFile, '--budget', '1e6', '--no-inference', '--z-data', '1.2', '--json'])));
    expect(b).toEqual(JSON.parse(JSON.stringify(optimalAllocation(law, { budget: 1e6, inference: false, zData: 1.2 }))));
    expect(b.inference).toBe(false);
    const text = await stdoutOf(() => budgetMain(['--law', fitFile, '--budget', '1e6']));
    expect(text).toMatch(/budget \$1,000,000, inference cost included/);
    expect(text).toMatch(/N\* = [\d.e+]+ parameters, D\* = [\d.e+]+ pairs/);
  });

  it('reports bad input with the file, line or flag', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"params": 1e6, "pairs": 1e4, "loss": 0.3}\n{"params": 1e6, "pairs": 1e4, "loss": null}\n');
    await expect(fitMain([bad, '--law', 'joint'])).rejects.toThrow(/bad\.jsonl, line 2, field "loss"/);
    await expect(fitMain([runsFile, '--law', 'power'])).rejects.toThrow(UsageError);
    await expect(fitMain([join(dir, 'missing.jsonl'), '--law', 'joint'])).rejects.toThrow(/cannot read ".*missing\.jsonl": ENOENT/);
    await expect(fitMain([runsFile])).rejects.toThrow(/--law must be one of/);
    await expect(fitMain([runsFile, '--law', 'joint', '--bootstrap', '-3'])).rejects.toThrow(/--bootstrap/);
    const notJson = join(dir, 'fit-bad.json');
    writeFileSync(notJson, '{"law": "joint", ');
    await expect(budgetMain(['--law', notJson, '--budget', '1e6'])).rejects.toThrow(FormatError);
    const modelFit = join(dir, 'fit-model.json');
    writeFileSync(modelFit, JSON.stringify({ law: 'model', params: { A: 1, alpha: 1, delta: 0 } }));
    await expect(budgetMain(['--law', modelFit, '--budget', '1e6'])).rejects.toThrow(/needs a law of both N and D/);
    await expect(budgetMain(['--law', modelFit])).rejects.toThrow(/--law and --budget are required/);
  });
});
