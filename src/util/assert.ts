import { ShapeError } from '../errors.js';

export type Shape = readonly number[];

export function fmtShape(shape: Shape): string {
  return `(${shape.join(',')})`;
}

/** Throws a ShapeError naming the op and every shape involved unless `ok`. */
export function checkShapes(ok: boolean, op: string, shapes: Record<string, Shape | number>, detail = ''): void {
  if (ok) return;
  const parts = Object.entries(shapes).map(([k, v]) => `${k} ${typeof v === 'number' ? v : fmtShape(v)}`);
  throw new ShapeError(`${op}: ${parts.join(' vs ')}${detail ? ` (${detail})` : ''}`);
}

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function isPositiveInt(n: number): boolean {
  return Number.isInteger(n) && n > 0;
}
