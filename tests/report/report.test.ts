import { beforeAll, describe, expect, it } from 'vitest';
import { renderReport, type ReportInput } from '../../src/report/report.js';
import { formatLaw } from '../../src/scaling/laws.js';
import { sampleReport } from './sample.js';

let sample: ReportInput;
let html: string;
beforeAll(() => {
  sample = sampleReport();
  html = renderReport(sample);
});

describe('renderReport (static checks; tests/report/report.node.test.ts renders it in Chromium)', () => {
  it('references nothing outside the page: no scripts, links, fonts or URLs but internal clip paths', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|@font-face|\bsrc=|\bhref=/i);
    const urls = html.match(/url\([^)]*\)/g) ?? [];
    expect(urls.length).toBeGreaterThan(0);
    for (const u of urls) expect(u).toMatch(/^url\(#[\w-]+-clip\)$/);
    const external = (html.match(/https?:\/\/[^\s"'<]+/g) ?? []).filter((u) => u !== 'http://www.w3.org/2000/svg');
    expect(external).toEqual([]);
  });

  it('gives every plot a unique clip-path id', () => {
    const ids = [...html.matchAll(/<clipPath id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
  });

  it('shows each law with its parameters, CI and R², and the meta line', () => {
    for (const fit of [sample.fits.model!, sample.fits.data!, sample.fits.joint!]) {
      expect(html).toContain(`<code>${formatLaw(fit).replace(/&/g, '&amp;')}</code>`);
      expect(html).toContain(`R² = ${fit.r2.toFixed(4)} on ${fit.n} fitted runs`);
    }
    expect(html).toMatch(/<td>α<\/td><td>[\d.]+<\/td><td>\[[\d.]+, [\d.]+\]<\/td>/);
    expect(html).toContain('Held-out runs: mean |relative error|');
    expect(html).toContain('adapter mesa/software llvmpipe · densescale 0.1.0 · 2024-07-01 · seed 1 · 30 runs');
  });

  it('lists every run once, held-out ones marked, with the union of metric columns', () => {
    for (const r of sample.runs) expect(html.split(`<td>${r.id}</td>`)).toHaveLength(2);
    expect(html.match(/<tr class="held-out">/g)).toHaveLength(sample.heldOut!.length);
    expect(html).toContain('<th>mrr10</th><th>recall1000</th>');
    expect(html).toContain('<td>10,000</td>');
  });

  it('escapes every user string', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const out = renderReport({
      ...sample,
      title: evil,
      runs: sample.runs.map((r, i) => (i === 0 ? { ...r, id: evil, preset: evil, method: evil, metrics: { [evil]: 1 } } : r)),
      meta: { ...sample.meta, adapter: evil },
    });
    expect(out).not.toContain('<img');
    expect(out.split('&lt;img src=x onerror=alert(1)&gt;').length).toBeGreaterThanOrEqual(6);
  });
});
