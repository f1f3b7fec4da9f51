import { describe, expect, it } from 'vitest';
import { escapeXml, formatTick, linearScale, linearTicks, logScale, logTicks, paddedExtent, polylinePath, renderPlot } from '../../src/report/svg.js';

describe('scales', () => {
  it('log scale maps decades to equal pixel steps, and √10 to the middle of a decade', () => {
    const x = logScale([1e3, 1e6], [0, 300]);
    expect(x(1e3)).toBeCloseTo(0, 12);
    expect(x(1e4)).toBeCloseTo(100, 12);
    expect(x(1e6)).toBeCloseTo(300, 12);
    expect(x(10 ** 4.5)).toBeCloseTo(150, 12);
    const y = logScale([0.01, 1], [200, 0]); // SVG y grows downwards
    expect(y(0.1)).toBeCloseTo(100, 12);
    expect(() => logScale([0, 1], [0, 1])).toThrow(RangeError);
  });

  it('linear scale is affine', () => {
    const s = linearScale([-1, 3], [10, 50]);
    expect(s(-1)).toBe(10);
    expect(s(1)).toBe(30);
    expect(s(3)).toBe(50);
  });
});

describe('ticks', () => {
  it('labels every power of ten on a multi-decade axis; m·10ᵏ are unlabelled minors', () => {
    const t = logTicks(5e5, 1e8);
    const majors = t.filter((k) => k.major);
    expect(majors.map((k) => k.value)).toEqual([1e6, 1e7, 1e8]);
    expect(majors.map((k) => k.label)).toEqual(['10⁶', '10⁷', '10⁸']);
    const minors = t.filter((k) => !k.major);
    expect(minors.every((k) => k.label === null)).toBe(true);
    // 5e5…9e5 (5), 2e6…9e6 (8), 2e7…9e7 (8)
    expect(minors).toHaveLength(21);
    expect(minors[0]!.value).toBeCloseTo(5e5, 6);
    expect(t.every((k) => k.value >= 5e5 * (1 - 1e-9) && k.value <= 1e8 * (1 + 1e-9))).toBe(true);
  });

  it('labels 2·10ᵏ and 5·10ᵏ when fewer than two powers of ten fit (a loss axis of 0.045–0.35)', () => {
    const labelled = logTicks(0.045, 0.35).filter((k) => k.label !== null);
    expect(labelled.map((k) => k.label)).toEqual(['0.05', '0.1', '0.2']);
    expect(labelled.find((k) => k.label === '0.1')!.major).toBe(true);
  });

  it('falls back to linear ticks when no 1, 2 or 5 ·10ᵏ lies in the range', () => {
    expect(logTicks(0.12, 0.18).map((k) => k.value)).toEqual([0.12, 0.13, 0.14, 0.15, 0.16, 0.17, 0.18]);
  });

  it('thins a 16-decade axis: no minors, every other power labelled', () => {
    const t = logTicks(1, 1e15);
    expect(t).toHaveLength(16);
    expect(t.filter((k) => k.label !== null).map((k) => k.value)).toEqual([1, 100, 1e4, 1e6, 1e8, 1e10, 1e12, 1e14]);
  });

  it('uses one notation per axis: all powers as 10ᵏ once any needs an exponent, decimals otherwise', () => {
    expect(logTicks(1e3, 1e8).filter((k) => k.major).map((k) => k.label)).toEqual(['10³', '10⁴', '10⁵', '10⁶', '10⁷', '10⁸']);
    expect(logTicks(0.01, 1).filter((k) => k.major).map((k) => k.label)).toEqual(['0.01', '0.1', '1']);
  });

  it('linear ticks use steps of 1, 2 or 5 × 10ᵏ without floating-point noise', () => {
    expect(linearTicks(0, 1).map((k) => k.value)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(linearTicks(0.1, 0.7).map((k) => k.value)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
    expect(linearTicks(-30, 70).map((k) => k.value)).toEqual([-20, 0, 20, 40, 60]);
  });

  it('formats ticks as decimals in [0.001, 10⁴) and m·10ᵏ outside', () => {
    expect(formatTick(1e6)).toBe('10⁶');
    expect(formatTick(1e-5)).toBe('10⁻⁵');
    expect(formatTick(2e7)).toBe('2·10⁷');
    expect(formatTick(0.05)).toBe('0.05');
    expect(formatTick(1000)).toBe('1000');
    expect(formatTick(1e4)).toBe('10⁴');
    expect(formatTick(0.001)).toBe('0.001');
    expect(formatTick(1000, true)).toBe('10³');
    expect(formatTick(0.1, true)).toBe('10⁻¹');
  });

  it('pads extents in log space and widens a single value', () => {
    const [lo, hi] = paddedExtent([1e3, 1e5], 'log', 0.1);
    expect(Math.log10(lo)).toBeCloseTo(2.8, 12);
    expect(Math.log10(hi)).toBeCloseTo(5.2, 12);
    expect(paddedExtent([5, 5], 'log')).toEqual([2.5, 10]);
    expect(paddedExtent([0, -1, Number.NaN], 'log')).toEqual([1, 10]);
  });
});

describe('paths and plots', () => {
  it('polyline breaks at points a log axis cannot place', () => {
    const x = logScale([1, 100], [0, 200]);
    const y = linearScale([0, 1], [100, 0]);
    expect(polylinePath([[1, 0], [10, 0.5], [0, 0.5], [100, 1]], x, y)).toBe('M0 100L100 50M200 0');
  });

  it('renders frame, ticks, labels, series and legend, and escapes text', () => {
    const svg = renderPlot({
      id: 'p1',
      title: 'loss <vs> N & "D"',
      x: { label: 'N', log: true },
      y: { label: 'loss', log: true },
      series: [
        { label: 'runs', points: [[1e6, 0.3], [1e7, 0.12], [1e8, 0.06]], color: '#123456', marker: 'circle' },
        { label: 'held out', points: [[3e8, 0.05]], color: '#654321', marker: 'triangle', hollow: true },
        { label: 'fit', points: [[1e6, 0.3], [1e8, 0.06]], color: '#000', line: true, dashed: true },
        { label: '', points: [[2e6, 0.2]], color: '#999', marker: 'square' },
      ],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('loss &lt;vs&gt; N &amp; &quot;D&quot;');
    expect(svg).not.toContain('<vs>');
    expect(svg).toContain('>10⁷<');
    expect(svg).toContain('clip-path="url(#p1-clip)"');
    expect(svg).toContain('stroke-dasharray="6 4"');
    expect(svg.match(/class="series-markers"/g)).toHaveLength(3 + 2); // 3 in the plot, 2 in the legend (unlabelled series has none)
    expect(svg).toContain('fill="none" stroke="#654321"'); // hollow marker
    expect(svg.match(/<text [^>]*font-size="11">(runs|held out|fit)<\/text>/g)).toHaveLength(3);
    expect(escapeXml(`<a href='x'>`)).toBe('&lt;a href=&#39;x&#39;&gt;');
  });
});
