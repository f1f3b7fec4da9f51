import { describe, expect, it } from 'vitest';
import { globalNorm, globalNormWorkspaceSize } from '../../src/ops/global_norm.js';
import { globalNorm as normRef } from '../../src/ref/global_norm.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { grid1d, type Overrides } from '../../src/gpu/kernel.js';
import type { Device } from '../../src/gpu/device.js';
import { testDevice } from '../helpers/device.js';
import { expectClose, TOL } from '../helpers/close.js';
import { randomF32 } from '../helpers/rand.js';

async function gpuNorm(device: Device, g: Float32Array, maxNorm: number, opts: { chunkElements?: number; overrides?: Overrides } = {}): Promise<{ norm: number; clip: number }> {
  const grads = device.tensor('grads', [g.length], 'f32', g);
  const norm = device.tensor('norm', [1]);
  const clip = device.tensor('clip', [1]);
  const workspace = device.tensor('partials', [globalNormWorkspaceSize(g.length, opts.overrides)]);
  const rec = device.recorder('global_norm');
  globalNorm(rec, norm, clip, workspace, grads, { maxNorm, ...opts });
  const reads = [rec.read(norm), rec.read(clip)];
  await rec.submit();
  const [n, c] = (await Promise.all(reads)).map((b) => new Float32Array(b)[0]!);
  for (const t of [grads, norm, clip, workspace]) device.release(t);
  return { norm: n!, clip: c! };
}

function check(got: { norm: number; clip: number }, g: Float32Array, maxNorm: number, what: string): void {
  const ref = normRef(g, maxNorm);
  // ‖g‖ = √Σg²: the relative error of the sum halves under the square root; Σ|terms| = ‖g‖².
  expectClose([got.norm], [ref.norm], TOL.reduction, `${what} norm`, ref.norm);
  expectClose([got.clip], [ref.clipScale], TOL.reduction, `${what} clip scale`);
}

describe('global_norm (+ reduce_sum + global_norm_clip)', () => {
  // One block is WG·ITEMS = 4096 elements by default: 4096 is exactly one workgroup, 4097 one more.
  for (const n of [1, 13, 4096, 4097, 100_003]) {
    it(`matches the f64 norm and clip scale, n=${n}`, async () => {
      const device = await testDevice();
      const g = randomF32(n, n, 0.1);
      const ref = normRef(g, 1);
      for (const maxNorm of [1e6, ref.norm / 3]) check(await gpuNorm(device, g, maxNorm), g, maxNorm, `n=${n} maxNorm=${maxNorm}`);
    });
  }

  it('gives the same bits whatever the piece size (pieces are whole blocks)', async () => {
    const device = await testDevice();
    const n = 10_007;
    const g = randomF32(n, 5, 1);
    const overrides = { WG: 32, ITEMS: 2 };
    const whole = await gpuNorm(device, g, 1, { overrides });
    for (const chunkElements of [64, 192, 1024]) {
      const pieces = await gpuNorm(device, g, 1, { overrides, chunkElements });
      expect(Object.is(pieces.norm, whole.norm), `chunk ${chunkElements}`).toBe(true);
      expect(Object.is(pieces.clip, whole.clip), `chunk ${chunkElements}`).toBe(true);
    }
    check(whole, g, 1, 'pieces');
  });

  it('covers every element past 65535 workgroups (WG=32, ITEMS=1)', async () => {
    const device = await testDevice();
    const n = 65535 * 32 + 77;
    expect(grid1d(Math.ceil(n / 32), 1)[1]).toBeGreaterThan(1);
    const g = new Float32Array(n).fill(0.5);
    g[n - 1] = 3; // the last element, in the last (folded) workgroup, must count
    const got = await gpuNorm(device, g, 1, { overrides: { WG: 32, ITEMS: 1 } });
    check(got, g, 1, 'folded');
  }, 60_000);

  it('is bitwise deterministic: the same dispatch twice', async () => {
    const device = await testDevice();
    const g = randomF32(50_000, 8, 3);
    const a = await gpuNorm(device, g, 2);
    const b = await gpuNorm(device, g, 2);
    expect(Object.is(a.norm, b.norm) && Object.is(a.clip, b.clip)).toBe(true);
  });

  it('rejects bad shapes, a missing workspace and bad options', async () => {
    const device = await testDevice();
    const grads = device.tensor('grads', [10_000]);
    const one = device.tensor('one', [1]);
    const small = device.tensor('small', [1]);
    const workspace = device.tensor('ws', [globalNormWorkspaceSize(10_000)]);
    const rec = device.recorder('bad');
    expect(() => globalNorm(rec, one, one, small, grads, { maxNorm: 1 })).toThrow(ShapeError);
    expect(() => globalNorm(rec, one, one, small, grads, { maxNorm: 1 })).toThrow(/globalNorm: norm \(1\) vs clipScale \(1\) vs workspace \(1\) vs grads \(10000\)/);
    expect(() => globalNorm(rec, device.tensor('two', [2]), one, workspace, grads, { maxNorm: 1 })).toThrow(/norm \(2\)/);
    expect(() => globalNorm(rec, one, one, workspace, grads, { maxNorm: 0 })).toThrow(ConfigError);
    expect(() => globalNorm(rec, one, one, workspace, grads, { maxNorm: 1, chunkElements: 100 })).toThrow(/globalNorm.chunkElements/);
    expect(() => globalNorm(rec, one, one, workspace, grads, { maxNorm: 1, overrides: { WG: 48 } })).toThrow(/power of two/);
    await rec.submit();
  });
});
