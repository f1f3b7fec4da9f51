// llm.c-style comparison: |got − ref| ≤ atol + rtol·|ref| elementwise; on failure the message holds the
// fault count, the first mismatches and the max abs/rel errors, so one run tells what went wrong.
import { expect } from 'vitest';

export interface Tolerance {
  rtol: number;
  atol: number;
}

/** Named presets (DESIGN.md §3.5). Reductions scale atol by Σ|terms| via `atolScale`. */
export const TOL = {
  refVsFd: { rtol: 1e-6, atol: 1e-9 },
  elementwise: { rtol: 1e-5, atol: 1e-6 },
  reduction: { rtol: 1e-4, atol: 1e-5 },
  dot: { rtol: 1e-4, atol: 1e-6 },
  gpuFd: { rtol: 1e-2, atol: 1e-3 },
} as const satisfies Record<string, Tolerance>;

export function compare(
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  tol: Tolerance,
  /** per-element scale for atol (e.g. Σ|terms| of a reduction, √K·Σ|a b| of a dot product) */
  atolScale?: ArrayLike<number> | number,
): { faults: number; maxAbs: number; maxRel: number; report: string } {
  if (got.length !== ref.length) return { faults: Math.max(got.length, ref.length), maxAbs: Infinity, maxRel: Infinity, report: `length ${got.length} vs ${ref.length}` };
  let faults = 0;
  let maxAbs = 0;
  let maxRel = 0;
  const first: string[] = [];
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i]!;
    const v = got[i]!;
    const scale = atolScale === undefined ? 1 : typeof atolScale === 'number' ? atolScale : atolScale[i]!;
    const err = Math.abs(v - r);
    const ok = err <= tol.atol * scale + tol.rtol * Math.abs(r) || (Number.isNaN(v) && Number.isNaN(r));
    if (!Number.isNaN(err)) {
      maxAbs = Math.max(maxAbs, err);
      if (r !== 0) maxRel = Math.max(maxRel, err / Math.abs(r));
    }
    if (!ok) {
      faults++;
      if (first.length < 5) first.push(`[${i}] got ${v} ref ${r} (abs ${err.toExponential(2)})`);
    }
  }
  const report = `${faults}/${ref.length} mismatches; max abs ${maxAbs.toExponential(2)}, max rel ${maxRel.toExponential(2)}${first.length ? `; first: ${first.join(', ')}` : ''}`;
  return { faults, maxAbs, maxRel, report };
}

export function expectClose(got: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance, what: string, atolScale?: ArrayLike<number> | number): void {
  const r = compare(got, ref, tol, atolScale);
  expect(r.faults, `${what}: ${r.report}`).toBe(0);
}

/** Bitwise equality of two f32 arrays, with the first differing indices in the message. */
export function expectBitEqual(a: Float32Array, b: Float32Array, what: string): void {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const diffs: string[] = [];
  let n = 0;
  for (let i = 0; i < Math.max(ua.length, ub.length); i++) {
    if (ua[i] !== ub[i]) {
      n++;
      if (diffs.length < 5) diffs.push(`[${i}] ${a[i]} vs ${b[i]}`);
    }
  }
  expect(n, `${what}: ${n} of ${a.length} values differ bitwise; ${diffs.join(', ')}`).toBe(0);
}
