export function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}

export function roundUp(n: number, multiple: number): number {
  return ceilDiv(n, multiple) * multiple;
}
