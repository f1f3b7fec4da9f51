// The demo machinery end to end on a micro grid: a model sweep, a data sweep and a joint grid (demo
// layout, tiny shapes, a few steps), fitDemo, then report.html and fit.json written by the demo command's writer and
// opened in headless Chromium: the three law plots and the budget frontier are drawn, the held-out run is
// marked, and the page makes no request.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { writeDemoReport } from '../../src/cli/demo.js';
import { validateSweepConfig } from '../../src/sweep/config.js';
import { fitDemo, type LawSweepPlan } from '../../src/sweep/demo.js';
import { sweep } from '../../src/sweep/sweep.js';
import { testDevice } from '../helpers/device.js';
import { microTask } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'densescale-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WIDTHS = [4, 8, 12, 16, 20];
const name = (h: number) => `w${h}`;

function microPlan(): LawSweepPlan {
  const config = validateSweepConfig(
    {
      shapes: Object.fromEntries(WIDTHS.map((h) => [name(h), { layers: 1, hidden: h, heads: 1 }])),
      grid: [
        { preset: ['w12'], pairs: [8, 16, 32, 48, 64] },
        { preset: WIDTHS.map(name), pairs: [32, 64] },
      ],
      model: { maxPositions: 16, projection: 0, pooler: false },
      train: { steps: 4, batchSize: 4, negatives: 2, queryLength: 8, passageLength: 16, learningRate: 1e-2, validation: { pairs: 10, every: 2, negatives: 4, pool: 12 } },
      eval: { negatives: 8, repeats: 1, queryLength: 8, passageLength: 16, pool: 40, ranking: true },
    },
    { methods: ['human'] },
  );
  return { scale: 'quick', config, modelSweep: { presets: WIDTHS.map(name), pairs: 64 },
    dataSweep: { preset: 'w12', pairs: [8, 16, 32, 48, 64] },
    jointSweep: { presets: WIDTHS.map(name), pairs: [32, 64] },
    holdout: 1, vocabSize: 80 };
}

describe('demo report', () => {
  it('fits the micro sweep and renders a report that opens offline in Chromium with every plot', async () => {
    const device = await testDevice();
    const { data, tokenizer } = await microTask();
    const plan = microPlan();
    const rows = await sweep({ device, data, tokenizer, config: plan.config });
    expect(rows).toHaveLength(13);
    expect(rows.every((r) => r.metrics !== undefined && r.rankingCorpus === 60)).toBe(true);
    const fits = fitDemo(rows, plan, { bootstrap: 20 });
    const path = writeDemoReport(dir, plan, rows, fits, { adapter: 'test-adapter', date: '2024-07-01', title: 'micro WordNet-shaped demo' });
    const fit = JSON.parse(readFileSync(join(dir, 'fit.json'), 'utf8'));
    expect(Object.keys(fit.model.params).sort()).toEqual(['A', 'alpha', 'delta']);
    expect(fit.joint.heldOut.relErrors).toHaveLength(1);
    expect(fit.runs.heldOut).toEqual(fits.heldOut);
    // The joint law is fitted on the whole grid (the data sweep, and every width at D = 32 and 64) but the
    // held-out run: the widest model at the largest D.
    expect(fits.jointRuns).toHaveLength(13);
    expect(fits.heldOut).toEqual([rows.find((r) => r.preset === 'w20' && r.pairs === 64)!.id]);
    expect(fits.joint.n).toBe(12);

    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
      const seen = await page.evaluate(() => ({
        plots: Array.from(document.querySelectorAll('svg.plot'), (svg) => ({
          id: svg.id,
          width: (svg as SVGGraphicsElement).getBBox().width,
          paths: Array.from(svg.querySelectorAll('path')).filter((p) => (p.getAttribute('d') ?? '').length > 0).length,
        })),
        heldOutRows: document.querySelectorAll('tr.held-out').length,
        title: document.title,
      }));
      expect(seen.plots.map((p) => p.id)).toEqual(['fit-model', 'fit-data', 'fit-joint', 'frontier-n', 'frontier-d', 'frontier-loss']);
      for (const p of seen.plots) {
        expect(p.width, p.id).toBeGreaterThan(100);
        expect(p.paths, p.id).toBeGreaterThan(0);
      }
      expect(seen.heldOutRows).toBe(1);
      expect(seen.title).toContain('WordNet');
      expect(requests).toEqual([pathToFileURL(path).href]);
    } finally {
      await browser.close();
    }
  });
});
