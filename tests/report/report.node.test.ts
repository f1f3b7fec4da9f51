// report.html opened in headless Chromium from a file:// URL: it must parse, draw every plot with real
// geometry, and make no request beyond the page itself.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport, type ReportInput } from '../../src/report/report.js';
import { sampleReport } from './sample.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'densescale-report-'));
let browser: Browser;
let sample: ReportInput;
// Launching Chromium and laying out six plots takes a few seconds on a loaded 2-core machine.
const TIMEOUT_MS = 60_000;

beforeAll(async () => {
  sample = sampleReport();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}, TIMEOUT_MS);
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
}, TIMEOUT_MS);

describe('report.html in Chromium', () => {
  it('renders every section and plot offline, with no network request and no console error', async () => {
    const title = 'Scaling <script>window.__pwned = 1</script> & "laws"';
    const input = { ...sample, title };
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReport(input));
    const url = pathToFileURL(file).href;

    const page = await browser.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(url, { waitUntil: 'load' });

    const report = await page.evaluate(() => {
      const plots = Array.from(document.querySelectorAll('svg.plot')).map((svg) => {
        const paths = Array.from(svg.querySelectorAll('path'));
        const drawn = paths.filter((p) => (p.getAttribute('d') ?? '').length > 0);
        const box = (sel: string) =>
          Array.from(svg.querySelectorAll(sel)).map((el): [number, number] => {
            const b = (el as SVGGraphicsElement).getBBox();
            return [b.width, b.height];
          });
        return {
          id: svg.id,
          width: svg.getBoundingClientRect().width,
          paths: paths.length,
          drawn: drawn.length,
          lines: box('path.series-line'),
          markers: box('path.series-markers'),
          tickLabels: Array.from(svg.querySelectorAll('.tick-labels text')).map((t) => t.textContent ?? ''),
        };
      });
      return {
        title: document.title,
        h1: document.querySelector('h1')?.textContent,
        scripts: document.querySelectorAll('script').length,
        pwned: (window as unknown as { __pwned?: number }).__pwned,
        plots,
        runRows: document.querySelectorAll('table.runs')[1]?.querySelectorAll('tr').length,
        heldOutRows: document.querySelectorAll('tr.held-out').length,
        laws: Array.from(document.querySelectorAll('section.law')).map((s) => s.id),
      };
    });
    await page.close();

    expect(requests).toEqual([url]);
    expect(problems).toEqual([]);
    // The hostile title is text, not markup.
    expect(report.title).toBe(title);
    expect(report.h1).toBe(title);
    expect(report.scripts).toBe(0);
    expect(report.pwned).toBeUndefined();

    expect(report.laws).toEqual(['law-model', 'law-data', 'law-joint']);
    expect(report.plots.map((p) => p.id)).toEqual(['fit-model', 'fit-data', 'fit-joint', 'frontier-n', 'frontier-d', 'frontier-loss']);
    for (const p of report.plots) {
      expect(p.width, p.id).toBeGreaterThan(100);
      expect(p.drawn, p.id).toBe(p.paths);
      expect(p.lines.length, `${p.id} curves`).toBeGreaterThan(0);
      for (const [w, h] of p.lines) expect(w + h, `${p.id} curve extent`).toBeGreaterThan(50);
      for (const [w, h] of p.markers) expect(w * h, `${p.id} marker area`).toBeGreaterThan(0);
      // A log-log plot labels powers of ten (10ᵏ or 0.1, 1, …) on its axes.
      expect(p.tickLabels.some((t) => /^10[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+$/.test(t)), `${p.id} ${p.tickLabels.join(' ')}`).toBe(true);
    }
    // Model law: fitted runs (filled) and held-out runs (hollow) are separate marker paths, plus the legend's.
    expect(report.plots[0]!.markers.length).toBe(4);
    // Joint law: one curve per distinct D (5) in the plot and in the legend.
    expect(report.plots[2]!.lines.length).toBe(5);
    // Frontier: with and without inference.
    for (const p of report.plots.slice(3)) expect(p.lines.length).toBe(2);

    expect(report.runRows).toBe(input.runs.length + 1);
    expect(report.heldOutRows).toBe(input.heldOut!.length);
  }, TIMEOUT_MS);

  it('a report with runs only (no fits, no frontier) still renders its table', async () => {
    const input = sample;
    const file = join(dir, 'runs-only.html');
    writeFileSync(file, renderReport({ title: 'runs', runs: input.runs, fits: {}, meta: input.meta }));
    const page = await browser.newPage();
    await page.goto(pathToFileURL(file).href);
    const counts = await page.evaluate(() => ({ svgs: document.querySelectorAll('svg').length, rows: document.querySelectorAll('table.runs tr').length }));
    await page.close();
    expect(counts).toEqual({ svgs: 0, rows: input.runs.length + 1 });
  }, TIMEOUT_MS);
});
