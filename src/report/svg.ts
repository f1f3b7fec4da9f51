// A small SVG plotting module for the report: linear and log scales, ticks, polylines, markers, legend.
// Output is a self-contained <svg> string (no scripts, no external fonts), so report.html opens offline.
// Every mark is a <path>, which keeps the output uniform and easy to check.

/** A tick on an axis; minor ticks carry no label unless the axis spans too few decades to label majors. */
export interface Tick {
  value: number;
  label: string | null;
  major: boolean;
}

/** Maps data values to pixels; `ticks()` gives the axis ticks for its domain. */
export interface Scale {
  (value: number): number;
  readonly kind: 'linear' | 'log';
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
  ticks(): Tick[];
}

/**
 * Log-10 scale: value v maps to range[0] + (log v − log d0)/(log d1 − log d0)·(range[1] − range[0]).
 *
 * @example
 * const x = logScale([1e3, 1e6], [0, 300]);
 * x(1e4); // 100
 */
export function logScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  if (!(d0 > 0 && d1 > d0)) throw new RangeError(`logScale: domain must satisfy 0 < min < max, got [${d0}, ${d1}]`);
  const l0 = Math.log10(d0);
  const span = Math.log10(d1) - l0;
  const f = (v: number) => range[0] + ((Math.log10(v) - l0) / span) * (range[1] - range[0]);
  return Object.assign(f, { kind: 'log' as const, domain, range, ticks: () => logTicks(d0, d1) });
}

/**
 * Linear scale.
 *
 * @example
 * linearScale([0, 10], [300, 0])(5); // 150
 */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  if (!(d1 > d0)) throw new RangeError(`linearScale: domain must satisfy min < max, got [${d0}, ${d1}]`);
  const f = (v: number) => range[0] + ((v - d0) / (d1 - d0)) * (range[1] - range[0]);
  return Object.assign(f, { kind: 'linear' as const, domain, range, ticks: () => linearTicks(d0, d1) });
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/** Relative slack when deciding whether a float is a tick position (10^k computed via pow is inexact). */
const EPS = 1e-9;

/**
 * Tick label: plain decimals in [0.001, 10⁴) ("0.05", "200"), otherwise (or with `powers`) m·10ᵏ with a
 * superscript exponent ("10⁶", "2·10⁷").
 *
 * @example
 * formatTick(1e6);        // '10⁶'
 * formatTick(0.05);       // '0.05'
 * formatTick(1000, true); // '10³'
 */
export function formatTick(value: number, powers = false): string {
  if (value === 0) return '0';
  const a = Math.abs(value);
  if (!powers && a >= 1e-3 * (1 - EPS) && a < 1e4) return String(Number(value.toPrecision(6)));
  const k = Math.floor(Math.log10(a) + EPS);
  const m = Number((value / 10 ** k).toPrecision(6));
  const power = `10${String(k).replace(/[-0-9]/g, (c) => SUPERSCRIPT[c]!)}`;
  return m === 1 ? power : m === -1 ? `−${power}` : `${m}·${power}`;
}

/**
 * Ticks of a log axis on [lo, hi]: every power of ten inside is a labelled major tick, and m·10ᵏ
 * (m = 2…9) are minor ticks. An axis with fewer than two powers of ten inside (a loss axis often spans
 * 0.05–0.3) also labels its 2·10ᵏ and 5·10ᵏ ticks, and one with no tick at all falls back to linear
 * "nice" ticks. Past 6 decades minor ticks are dropped, and majors are labelled every other decade past 10.
 *
 * @example
 * logTicks(5e5, 1e8).filter((t) => t.major).map((t) => t.label); // ['10⁶', '10⁷', '10⁸']
 */
export function logTicks(lo: number, hi: number): Tick[] {
  if (!(lo > 0 && hi > lo)) throw new RangeError(`logTicks: need 0 < lo < hi, got [${lo}, ${hi}]`);
  const inside = (v: number) => v >= lo * (1 - EPS) && v <= hi * (1 + EPS);
  const kLo = Math.floor(Math.log10(lo) + EPS);
  const kHi = Math.floor(Math.log10(hi) + EPS);
  const decades = Math.log10(hi / lo);
  // One notation per axis: if any labelled power of ten needs an exponent, all of them get one.
  const powers = kHi >= 4 || kLo < -3;
  const ticks: Tick[] = [];
  for (let k = kLo; k <= kHi; k++) {
    for (let m = 1; m <= 9; m++) {
      const v = m * 10 ** k;
      if (!inside(v)) continue;
      if (m === 1) ticks.push({ value: v, label: formatTick(v, powers), major: true });
      else if (decades <= 6) ticks.push({ value: v, label: null, major: false });
    }
  }
  const majors = ticks.filter((t) => t.major);
  if (majors.length >= 2) {
    if (majors.length > 10) majors.forEach((t) => (t.label = Math.round(Math.log10(t.value)) % 2 === 0 ? t.label : null));
    return ticks;
  }
  for (const t of ticks) {
    const m = Math.round(t.value / 10 ** Math.floor(Math.log10(t.value) + EPS));
    if (m === 2 || m === 5) t.label = formatTick(t.value);
  }
  if (ticks.filter((t) => t.label !== null).length >= 2) return ticks;
  return linearTicks(lo, hi);
}

/**
 * "Nice" linear ticks (steps of 1, 2 or 5 × 10ᵏ), about `count` of them, all labelled.
 *
 * @example
 * linearTicks(0, 1).map((t) => t.value); // [0, 0.2, 0.4, 0.6, 0.8, 1]
 */
export function linearTicks(lo: number, hi: number, count = 5): Tick[] {
  if (!(hi > lo)) throw new RangeError(`linearTicks: need lo < hi, got [${lo}, ${hi}]`);
  const raw = (hi - lo) / count;
  const k = Math.floor(Math.log10(raw));
  const base = 10 ** k;
  const m = raw / base;
  const step = (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * base;
  const ticks: Tick[] = [];
  for (let i = Math.ceil(lo / step - EPS); i * step <= hi * (1 + EPS) + EPS * step; i++) {
    // Round through the step's decimal precision so 0.1 + 0.2-style error never reaches a label.
    const v = Number((i * step).toFixed(Math.max(0, -k + 1)));
    ticks.push({ value: v, label: formatTick(v), major: true });
  }
  return ticks;
}

/**
 * Data extent of positive (log) or finite (linear) values, padded by `pad` of the span on each side
 * (in log space for log axes); a single value gets a factor-of-2 (or ±1) window.
 *
 * @example
 * paddedExtent([1e3, 1e5], 'log', 0); // [1000, 100000]
 */
export function paddedExtent(values: readonly number[], kind: 'linear' | 'log', pad = 0.05): [number, number] {
  const ok = values.filter((v) => Number.isFinite(v) && (kind === 'linear' || v > 0));
  if (ok.length === 0) return kind === 'log' ? [1, 10] : [0, 1];
  let lo = Math.min(...ok);
  let hi = Math.max(...ok);
  if (kind === 'log') {
    if (hi / lo < 1 + 1e-9) return [lo / 2, hi * 2];
    const f = (hi / lo) ** pad;
    return [lo / f, hi * f];
  }
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) return [lo - 1, hi + 1];
  const d = (hi - lo) * pad;
  lo -= d;
  hi += d;
  return [lo, hi];
}

export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond' | 'cross';

export interface Series {
  /** Legend text; '' keeps the series out of the legend. */
  label: string;
  points: readonly (readonly [number, number])[];
  color: string;
  /** Connect the points with a polyline. */
  line?: boolean;
  dashed?: boolean;
  marker?: MarkerShape;
  /** Outline-only marker (used for held-out runs). */
  hollow?: boolean;
}

export interface AxisSpec {
  label: string;
  log?: boolean;
  /** Fixed domain; default: the padded extent of the data. */
  domain?: [number, number];
}

export interface PlotSpec {
  /** Unique within the page: prefixes the clip-path id. */
  id: string;
  title: string;
  x: AxisSpec;
  y: AxisSpec;
  series: readonly Series[];
  width?: number;
  height?: number;
}

const MARGIN = { left: 64, right: 16, top: 30, bottom: 46 };
const LEGEND_WIDTH = 170;

function n2(v: number): string {
  return String(Math.round(v * 100) / 100);
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Path data of a marker centred at (x, y) with half-size r. */
export function markerPath(shape: MarkerShape, x: number, y: number, r: number): string {
  switch (shape) {
    case 'circle':
      return `M${n2(x - r)} ${n2(y)}a${n2(r)} ${n2(r)} 0 1 0 ${n2(2 * r)} 0a${n2(r)} ${n2(r)} 0 1 0 ${n2(-2 * r)} 0Z`;
    case 'square':
      return `M${n2(x - r)} ${n2(y - r)}h${n2(2 * r)}v${n2(2 * r)}h${n2(-2 * r)}Z`;
    case 'triangle':
      return `M${n2(x)} ${n2(y - 1.2 * r)}L${n2(x + 1.1 * r)} ${n2(y + 0.8 * r)}L${n2(x - 1.1 * r)} ${n2(y + 0.8 * r)}Z`;
    case 'diamond':
      return `M${n2(x)} ${n2(y - 1.3 * r)}L${n2(x + 1.3 * r)} ${n2(y)}L${n2(x)} ${n2(y + 1.3 * r)}L${n2(x - 1.3 * r)} ${n2(y)}Z`;
    case 'cross':
      return `M${n2(x - r)} ${n2(y - r)}L${n2(x + r)} ${n2(y + r)}M${n2(x - r)} ${n2(y + r)}L${n2(x + r)} ${n2(y - r)}`;
  }
}

/**
 * Polyline path data through the points in order; a point that the scale cannot place (non-finite, or
 * ≤ 0 on a log axis) breaks the line instead of dragging it to infinity.
 *
 * @example
 * polylinePath([[1, 1], [10, 10]], logScale([1, 10], [0, 100]), logScale([1, 10], [100, 0])); // 'M0 100L100 0'
 */
export function polylinePath(points: readonly (readonly [number, number])[], x: Scale, y: Scale): string {
  let d = '';
  let pen = false;
  for (const [px, py] of points) {
    const ok = Number.isFinite(px) && Number.isFinite(py) && (x.kind === 'linear' || px > 0) && (y.kind === 'linear' || py > 0);
    if (!ok) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${n2(x(px))} ${n2(y(py))}`;
    pen = true;
  }
  return d;
}

/**
 * Renders a plot as an <svg> string: frame, grid at major ticks, tick labels, axis labels, the series
 * (clipped to the plot area) and a legend to the right.
 *
 * @example
 * renderPlot({ id: 'loss-n', title: 'Loss vs N', x: { label: 'N', log: true }, y: { label: 'loss', log: true },
 *   series: [{ label: 'runs', points: [[1e6, 0.3], [1e7, 0.1]], color: '#1f77b4', marker: 'circle' }] });
 */
export function renderPlot(spec: PlotSpec): string {
  const width = spec.width ?? 420 + MARGIN.left + MARGIN.right + LEGEND_WIDTH;
  const height = spec.height ?? 280 + MARGIN.top + MARGIN.bottom;
  const left = MARGIN.left;
  const right = width - MARGIN.right - LEGEND_WIDTH;
  const top = MARGIN.top;
  const bottom = height - MARGIN.bottom;
  const xKind = spec.x.log ? 'log' : 'linear';
  const yKind = spec.y.log ? 'log' : 'linear';
  const xDomain = spec.x.domain ?? paddedExtent(spec.series.flatMap((s) => s.points.map((p) => p[0])), xKind);
  const yDomain = spec.y.domain ?? paddedExtent(spec.series.flatMap((s) => s.points.map((p) => p[1])), yKind);
  const x = xKind === 'log' ? logScale(xDomain, [left, right]) : linearScale(xDomain, [left, right]);
  const y = yKind === 'log' ? logScale(yDomain, [bottom, top]) : linearScale(yDomain, [bottom, top]);
  const clip = `${spec.id}-clip`;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="plot" id="${escapeXml(spec.id)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(spec.title)}">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<defs><clipPath id="${escapeXml(clip)}"><rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}"/></clipPath></defs>`,
    `<text x="${left}" y="${top - 10}" class="plot-title">${escapeXml(spec.title)}</text>`,
  );
  const grid: string[] = [];
  const tickMarks: string[] = [];
  const labels: string[] = [];
  for (const t of x.ticks()) {
    const px = n2(x(t.value));
    if (t.major) grid.push(`M${px} ${top}V${bottom}`);
    tickMarks.push(`M${px} ${bottom}v${t.major ? 6 : 3}`);
    if (t.label !== null) labels.push(`<text x="${px}" y="${bottom + 18}" text-anchor="middle">${escapeXml(t.label)}</text>`);
  }
  for (const t of y.ticks()) {
    const py = n2(y(t.value));
    if (t.major || t.label !== null) grid.push(`M${left} ${py}H${right}`);
    tickMarks.push(`M${left} ${py}h${t.major ? -6 : -3}`);
    if (t.label !== null) labels.push(`<text x="${left - 9}" y="${py}" text-anchor="end" dominant-baseline="middle">${escapeXml(t.label)}</text>`);
  }
  out.push(
    `<path class="grid" d="${grid.join('')}" stroke="#e3e3e3" fill="none"/>`,
    `<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" stroke="#555"/>`,
    `<path class="ticks" d="${tickMarks.join('')}" stroke="#555" fill="none"/>`,
    `<g class="tick-labels" font-size="11" fill="#333">${labels.join('')}</g>`,
    `<text x="${n2((left + right) / 2)}" y="${height - 8}" text-anchor="middle" class="axis-label">${escapeXml(spec.x.label)}</text>`,
    `<text transform="translate(14 ${n2((top + bottom) / 2)}) rotate(-90)" text-anchor="middle" class="axis-label">${escapeXml(spec.y.label)}</text>`,
  );
  out.push(`<g clip-path="url(#${escapeXml(clip)})">`);
  for (const s of spec.series) {
    if (s.line) {
      const d = polylinePath(s.points, x, y);
      if (d) out.push(`<path class="series-line" d="${d}" fill="none" stroke="${escapeXml(s.color)}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    }
    if (s.marker) {
      const marks = s.points
        .filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py) && (xKind === 'linear' || px > 0) && (yKind === 'linear' || py > 0))
        .map(([px, py]) => markerPath(s.marker!, x(px), y(py), 4))
        .join('');
      if (marks) out.push(markerElement(s, marks));
    }
  }
  out.push('</g>');
  // Legend: one row per labelled series, its line and marker drawn as in the plot.
  const lx = right + 14;
  spec.series.filter((s) => s.label !== '').forEach((s, i) => {
    const ly = top + 8 + i * 18;
    if (s.line) out.push(`<path d="M${lx} ${ly}h24" stroke="${escapeXml(s.color)}" stroke-width="1.8" fill="none"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    if (s.marker) out.push(markerElement(s, markerPath(s.marker, lx + 12, ly, 4)));
    out.push(`<text x="${lx + 30}" y="${ly}" dominant-baseline="middle" font-size="11">${escapeXml(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

function markerElement(s: Series, d: string): string {
  const open = s.hollow || s.marker === 'cross';
  return `<path class="series-markers" d="${d}" fill="${open ? 'none' : escapeXml(s.color)}" stroke="${escapeXml(s.color)}" stroke-width="1.5"/>`;
}
