// Finite-difference checks for the nn ops (layernorm, gelu, encoder, pool, l2norm): the full Jacobian of
// an f64 reference against its backward, and directional central differences of a GPU forward in f32.
import { compare, TOL, type Tolerance } from './close.js';

/**
 * Full Jacobian check in f64: for every output o, backward(e_o) (the o-th row of the Jacobian, one array
 * per input) must equal the central differences ∂out_o/∂input_j, eps = 1e-6.
 * Returns a report of every mismatching input, empty when all agree.
 */
export function jacobianMismatches(
  forward: (inputs: Float64Array[]) => Float64Array,
  backward: (dout: Float64Array, inputs: Float64Array[]) => Float64Array[],
  inputs: Float64Array[],
  tol: Tolerance = TOL.refVsFd,
  eps = 1e-6,
): string[] {
  const nOut = forward(inputs).length;
  // fd[i][o * len_i + j] = ∂out_o / ∂inputs[i][j]
  const fd = inputs.map((x) => new Float64Array(nOut * x.length));
  inputs.forEach((x, i) => {
    for (let j = 0; j < x.length; j++) {
      const keep = x[j]!;
      x[j] = keep + eps;
      const plus = forward(inputs);
      x[j] = keep - eps;
      const minus = forward(inputs);
      x[j] = keep;
      for (let o = 0; o < nOut; o++) fd[i]![o * x.length + j] = (plus[o]! - minus[o]!) / (2 * eps);
    }
  });
  const analytic = inputs.map((x) => new Float64Array(nOut * x.length));
  for (let o = 0; o < nOut; o++) {
    const dout = new Float64Array(nOut);
    dout[o] = 1;
    backward(dout, inputs).forEach((g, i) => analytic[i]!.set(g, o * inputs[i]!.length));
  }
  const bad: string[] = [];
  inputs.forEach((_, i) => {
    const r = compare(analytic[i]!, fd[i]!, tol);
    if (r.faults > 0) bad.push(`input ${i}: ${r.report}`);
  });
  return bad;
}

/**
 * Central differences of a scalar loss evaluated on the GPU (f32), one per element of `x`:
 * (L(x + eps·e_j) − L(x − eps·e_j)) / 2eps. `loss` receives the perturbed copy.
 */
export async function gpuCentralDifferences(loss: (x: Float32Array) => Promise<number>, x: Float32Array, eps = 1e-3): Promise<Float64Array> {
  const g = new Float64Array(x.length);
  const probe = Float32Array.from(x);
  for (let j = 0; j < x.length; j++) {
    probe[j] = x[j]! + eps;
    const plus = await loss(probe);
    probe[j] = x[j]! - eps;
    const minus = await loss(probe);
    probe[j] = x[j]!;
    // The perturbation actually applied is the f32-rounded one.
    g[j] = (plus - minus) / (Math.fround(x[j]! + eps) - Math.fround(x[j]! - eps));
  }
  return g;
}

/** Σ a·b in f64: the scalar loss ⟨out, R⟩ whose gradient w.r.t. out is R. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
