// report.html: one self-contained page (inline CSS and SVG, no script, no external font or URL) with the
// fitted laws, their log-log plots, the budget frontier and the table of runs. A Content-Security-Policy
// of default-src 'none' makes "opens offline" a guarantee rather than a habit: the browser refuses any
// fetch the page might try.
import type { Allocation, Frontier } from '../scaling/budget.js';
import type { FitSummary } from '../scaling/fit.js';
import { fmt, formatLaw, LAW_PARAMS, predictLoss, type LawName, type ParamName } from '../scaling/laws.js';
import { escapeXml, paddedExtent, renderPlot, type Series } from './svg.js';

/** One finished run (a row of runs.jsonl). N = `params` (non-embedding), D = `pairs`. */
export interface RunRow {
  id: string;
  preset: string;
  params: number;
  pairs: number;
  loss: number;
  steps?: number;
  wallMs?: number;
  metrics?: Record<string, number>;
  /** Annotation method (human, docT5query, LLM, ICT) for the annotation-quality study. */
  method?: string;
}

/** A fitted law to show: a `ScalingFit` or its JSON form, optionally with the ids of the runs it describes. */
export interface ReportFit extends FitSummary {
  /** Runs this law describes (default: every run); held-out runs among them are drawn hollow. */
  runIds?: string[];
}

export interface ReportInput {
  title: string;
  runs: RunRow[];
  fits: { model?: ReportFit; data?: ReportFit; joint?: ReportFit };
  /** Ids of runs that the fits did not see (predicted, not fitted). */
  heldOut?: string[];
  frontier?: Frontier;
  meta: { adapter: string; version: string; date: string; seed: number };
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
const CURVE_SAMPLES = 160;
const MAX_GROUPS = PALETTE.length;

const PARAM_LABEL: Record<ParamName, string> = { A: 'A', alpha: 'α', B: 'B', beta: 'β', delta: 'δ', E: 'E' };
const FORMULA: Record<LawName, string> = {
  model: 'L(N) = (A/N)<sup>α</sup> + δ',
  data: 'L(D) = (B/D)<sup>β</sup> + δ',
  joint: 'L(N,D) = [(A/N)<sup>α/β</sup> + B/D]<sup>β</sup> + δ',
  additive: 'L(N,D) = E + A/N<sup>α</sup> + B/D<sup>β</sup>',
};

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
.meta { color: #666; font-size: .9rem; }
.law { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; margin: 1rem 0; }
.law table { border-collapse: collapse; } .law td, .law th { padding: 2px 10px; text-align: left; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85rem; }
table.runs { border-collapse: collapse; font-size: .85rem; width: 100%; }
table.runs th, table.runs td { border-bottom: 1px solid #eee; padding: 3px 8px; text-align: right; }
table.runs th:first-child, table.runs td:first-child, table.runs .text { text-align: left; }
tr.held-out td { font-style: italic; background: #fff7e6; }
svg.plot { font-family: system-ui, sans-serif; font-size: 12px; }
.plot-title { font-weight: 600; }
`;

/**
 * Renders the report as one HTML string that opens offline.
 *
 * @example
 * const html = renderReport({ title: 'MS MARCO scaling', runs, fits: { joint: fitSummary(fit) },
 *   frontier: budgetFrontier(fit, [1e4, 1e5, 1e6]), meta: { adapter: 'llvmpipe', version: '0.1.0', date: '2024-07-01', seed: 0 } });
 * writeFileSync('report.html', html);
 */
export function renderReport(input: ReportInput): string {
  const held = new Set(input.heldOut ?? []);
  const sections: string[] = [];
  const { model, data, joint } = input.fits;
  if (model || data || joint) {
    sections.push('<h2>Fitted laws</h2>');
    if (model) sections.push(lawSection(model, plotSingleAxis('fit-model', model, 'params', input.runs, held)));
    if (data) sections.push(lawSection(data, plotSingleAxis('fit-data', data, 'pairs', input.runs, held)));
    if (joint) sections.push(lawSection(joint, plotJoint('fit-joint', joint, input.runs, held)));
  }
  if (input.frontier && input.frontier.budgets.length > 0) sections.push(frontierSection(input.frontier));
  sections.push(runsTable(input.runs, held, joint));
  const m = input.meta;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(input.title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeXml(input.title)}</h1>
<p class="meta">adapter ${escapeXml(m.adapter)} · densescale ${escapeXml(m.version)} · ${escapeXml(m.date)} · seed ${escapeXml(String(m.seed))} · ${input.runs.length} runs</p>
${sections.join('\n')}
</body>
</html>
`;
}

function lawSection(fit: ReportFit, plot: string): string {
  const rows = LAW_PARAMS[fit.law].map((name) => {
    const ci = fit.ci[name];
    return `<tr><td>${PARAM_LABEL[name]}</td><td>${escapeXml(fmt(fit.params[name]!))}</td><td>${ci ? `[${escapeXml(fmt(ci[0]))}, ${escapeXml(fmt(ci[1]))}]` : '—'}</td></tr>`;
  });
  const heldOut = fit.heldOut
    ? `<p>Held-out runs: mean |relative error| ${(100 * fit.heldOut.meanRelError).toFixed(2)}% over ${fit.heldOut.relErrors.length}</p>`
    : '';
  return `<section class="law" id="law-${fit.law}">
<div>
<h3>${fit.law} law: ${FORMULA[fit.law]}</h3>
<p><code>${escapeXml(formatLaw(fit))}</code></p>
<table><tr><th>parameter</th><th>value</th><th>95% CI</th></tr>${rows.join('')}</table>
<p>R² = ${Number.isFinite(fit.r2) ? fit.r2.toFixed(4) : '—'} on ${fit.n} fitted runs</p>
${heldOut}
</div>
${plot}
</section>`;
}

function logSpace(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => lo * (hi / lo) ** (i / (n - 1)));
}

function runsOf(fit: ReportFit, runs: RunRow[]): RunRow[] {
  if (!fit.runIds) return runs;
  const ids = new Set(fit.runIds);
  return runs.filter((r) => ids.has(r.id));
}

function plotSingleAxis(id: string, fit: ReportFit, axis: 'params' | 'pairs', runs: RunRow[], held: Set<string>): string {
  const mine = runsOf(fit, runs).filter((r) => r[axis] > 0 && r.loss > 0);
  const xDomain = paddedExtent(mine.map((r) => r[axis]), 'log');
  const curve = logSpace(xDomain[0], xDomain[1], CURVE_SAMPLES).map((v) => [v, predictLoss(fit, { [axis]: v })] as const);
  const series: Series[] = [
    { label: 'fitted runs', points: mine.filter((r) => !held.has(r.id)).map((r) => [r[axis], r.loss] as const), color: PALETTE[0]!, marker: 'circle' },
    { label: 'held-out runs', points: mine.filter((r) => held.has(r.id)).map((r) => [r[axis], r.loss] as const), color: PALETTE[1]!, marker: 'triangle', hollow: true },
    { label: `fit (R² ${Number.isFinite(fit.r2) ? fit.r2.toFixed(3) : '—'})`, points: curve, color: '#333', line: true },
  ];
  const name = axis === 'params' ? 'N (non-embedding parameters)' : 'D (annotated pairs)';
  return renderPlot({
    id,
    title: `${fit.law} law: loss vs ${axis === 'params' ? 'N' : 'D'}`,
    x: { label: name, log: true, domain: xDomain },
    y: { label: 'loss (nats)', log: true, domain: paddedExtent([...mine.map((r) => r.loss), ...curve.map((p) => p[1])], 'log') },
    series: series.filter((s) => s.points.length > 0),
  });
}

/**
 * Loss vs N with one colour per D: each group's runs and the law's curve L(N, D_group). More distinct D
 * values than colours are pooled into log-spaced bins, each drawn at its geometric-mean D.
 */
function plotJoint(id: string, fit: ReportFit, runs: RunRow[], held: Set<string>): string {
  const mine = runsOf(fit, runs).filter((r) => r.params > 0 && r.pairs > 0 && r.loss > 0);
  const groups = groupByPairs(mine);
  const xDomain = paddedExtent(mine.map((r) => r.params), 'log');
  const ns = logSpace(xDomain[0], xDomain[1], CURVE_SAMPLES);
  const series: Series[] = [];
  const curveLosses: number[] = [];
  groups.forEach((g, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const curve = ns.map((n) => [n, predictLoss(fit, { params: n, pairs: g.pairs })] as const);
    curveLosses.push(...curve.map((p) => p[1]));
    series.push({ label: `D = ${fmt(g.pairs)}`, points: curve, color, line: true });
    // Runs carry no legend entry of their own: their colour matches their curve's.
    const fitted = g.runs.filter((r) => !held.has(r.id));
    const out = g.runs.filter((r) => held.has(r.id));
    if (fitted.length) series.push({ label: '', points: fitted.map((r) => [r.params, r.loss] as const), color, marker: 'circle' });
    if (out.length) series.push({ label: '', points: out.map((r) => [r.params, r.loss] as const), color, marker: 'triangle', hollow: true });
  });
  if (mine.some((r) => held.has(r.id))) series.push({ label: 'held-out runs', points: [], color: '#555', marker: 'triangle', hollow: true });
  return renderPlot({
    id,
    title: `${fit.law} law: loss vs N, one curve per D`,
    x: { label: 'N (non-embedding parameters)', log: true, domain: xDomain },
    y: { label: 'loss (nats)', log: true, domain: paddedExtent([...mine.map((r) => r.loss), ...curveLosses], 'log') },
    series,
  });
}

function groupByPairs(runs: RunRow[]): { pairs: number; runs: RunRow[] }[] {
  const distinct = [...new Set(runs.map((r) => r.pairs))].sort((a, b) => a - b);
  if (distinct.length <= MAX_GROUPS) return distinct.map((d) => ({ pairs: d, runs: runs.filter((r) => r.pairs === d) }));
  const lo = Math.log(distinct[0]!);
  const width = (Math.log(distinct[distinct.length - 1]!) - lo) / MAX_GROUPS;
  const bins: RunRow[][] = Array.from({ length: MAX_GROUPS }, () => []);
  for (const r of runs) bins[Math.min(MAX_GROUPS - 1, Math.floor((Math.log(r.pairs) - lo) / width))]!.push(r);
  return bins
    .filter((b) => b.length > 0)
    .map((b) => ({ pairs: Math.exp(b.reduce((s, r) => s + Math.log(r.pairs), 0) / b.length), runs: b }));
}

function frontierSection(frontier: Frontier): string {
  const panel = (id: string, title: string, label: string, pick: (a: Allocation) => number) =>
    renderPlot({
      id,
      title,
      width: 520,
      x: { label: 'budget (USD)', log: true },
      y: { label, log: true },
      series: [
        { label: 'with inference cost', points: frontier.withInference.map((a) => [a.budget, pick(a)] as const), color: PALETTE[0]!, line: true, marker: 'circle' },
        { label: 'without inference', points: frontier.withoutInference.map((a) => [a.budget, pick(a)] as const), color: PALETTE[1]!, line: true, dashed: true, marker: 'square' },
      ],
    });
  const rows = frontier.budgets.map((b, i) => {
    const w = frontier.withInference[i]!;
    const wo = frontier.withoutInference[i]!;
    return `<tr><td>${escapeXml(fmt(b))}</td><td>${escapeXml(fmt(w.N))}</td><td>${escapeXml(fmt(w.D))}</td><td>${escapeXml(fmt(w.predictedLoss))}</td><td>${escapeXml(fmt(wo.N))}</td><td>${escapeXml(fmt(wo.D))}</td><td>${escapeXml(fmt(wo.predictedLoss))}</td></tr>`;
  });
  return `<h2>Budget frontier</h2>
<p>Minimising the joint law under Z = Z<sub>data</sub>·D + Z<sub>train</sub>·N (+ Z<sub>infer</sub>·N) ≤ budget.</p>
<div class="law">
${panel('frontier-n', 'optimal N* vs budget', 'N* (parameters)', (a) => a.N)}
${panel('frontier-d', 'optimal D* vs budget', 'D* (pairs)', (a) => a.D)}
${panel('frontier-loss', 'predicted loss vs budget', 'predicted loss (nats)', (a) => a.predictedLoss)}
</div>
<table class="runs"><tr><th>budget (USD)</th><th>N* (inference)</th><th>D* (inference)</th><th>loss (inference)</th><th>N* (no inference)</th><th>D* (no inference)</th><th>loss (no inference)</th></tr>
${rows.join('\n')}</table>`;
}

function runsTable(runs: RunRow[], held: Set<string>, joint: ReportFit | undefined): string {
  const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics ?? {})))].sort();
  const head = ['run', 'preset', 'method', 'N', 'D', 'steps', 'wall (s)', 'loss', ...(joint ? ['joint prediction'] : []), ...metricKeys, 'role'];
  const cell = (v: number | undefined) => `<td>${v === undefined || !Number.isFinite(v) ? '' : escapeXml(fmt(v))}</td>`;
  const count = (v: number | undefined) => `<td>${v === undefined ? '' : v.toLocaleString('en-US')}</td>`;
  const body = runs.map((r) => {
    const cells = [
      `<td>${escapeXml(r.id)}</td>`,
      `<td class="text">${escapeXml(r.preset)}</td>`,
      `<td class="text">${escapeXml(r.method ?? '')}</td>`,
      cell(r.params),
      cell(r.pairs),
      count(r.steps),
      cell(r.wallMs === undefined ? undefined : r.wallMs / 1000),
      cell(r.loss),
      ...(joint ? [cell(r.params > 0 && r.pairs > 0 ? predictLoss(joint, r) : undefined)] : []),
      ...metricKeys.map((k) => cell(r.metrics?.[k])),
      `<td class="text">${held.has(r.id) ? 'held out' : 'fitted'}</td>`,
    ];
    return `<tr${held.has(r.id) ? ' class="held-out"' : ''}>${cells.join('')}</tr>`;
  });
  const textColumns = new Set(['preset', 'method', 'role']);
  return `<h2>Runs</h2>
<table class="runs"><tr>${head.map((h) => `<th${textColumns.has(h) ? ' class="text"' : ''}>${escapeXml(h)}</th>`).join('')}</tr>
${body.join('\n')}</table>`;
}
