import { describe, expect, it } from 'vitest';
import { TOPK_NO_INDEX, topkForward, topkWorkspaceSize, type TopkOptions } from '../../src/ops/topk.js';
import { topkForward as topkRef } from '../../src/ref/topk.js';
import { ConfigError, ShapeError } from '../../src/errors.js';
import type { Device } from '../../src/gpu/device.js';
import type { Tensor } from '../../src/gpu/tensor.js';
import { testDevice } from '../helpers/device.js';
import { expectBitEqual } from '../helpers/close.js';
import { mulberry32, randomF32 } from '../helpers/rand.js';

/** Small integers: every product and partial sum is exact in f32 whatever the order or FMA, and ties abound. */
function integers(n: number, seed: number, range: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => Math.floor(r() * (2 * range + 1)) - range);
}

interface TopkRun {
  scores: Float32Array;
  indices: Uint32Array;
}

/** Runs top-k over `parts` (row counts of consecutive corpus tensors) in one recorder. */
async function runTopk(device: Device, queries: Float32Array, corpus: Float32Array, Q: number, D: number, k: number, blockRows: number, parts?: number[], options: TopkOptions = {}): Promise<TopkRun> {
  const Nc = corpus.length / D;
  const q = device.tensor('q', [Q, D], 'f32', queries);
  const chunks: Tensor[] = [];
  let row = 0;
  for (const rows of parts ?? [Nc]) {
    chunks.push(device.tensor(`corpus${chunks.length}`, [rows, D], 'f32', corpus.subarray(row * D, (row + rows) * D)));
    row += rows;
  }
  const scores = device.tensor('top.scores', [Q, k]);
  const indices = device.tensor('top.indices', [Q, k], 'u32');
  const workspace = device.tensor('top.block', [topkWorkspaceSize(Q, blockRows)]);
  const rec = device.recorder('topk');
  topkForward(rec, scores, indices, workspace, q, chunks, options);
  const reads = [rec.read(scores), rec.read(indices)];
  await rec.submit();
  const [s, i] = await Promise.all(reads);
  for (const t of [q, ...chunks, scores, indices, workspace]) device.release(t);
  return { scores: new Float32Array(s!), indices: new Uint32Array(i!) };
}

function expectExact(got: TopkRun, queries: Float32Array, corpus: Float32Array, Q: number, D: number, k: number, what: string): void {
  const ref = topkRef(queries, corpus, Q, corpus.length / D, D, k);
  const bad: string[] = [];
  for (let i = 0; i < Q * k; i++) {
    const refScore = ref.scores[i] === -Infinity ? -3.4028234663852886e38 : ref.scores[i];
    if (got.indices[i] !== ref.indices[i] || got.scores[i] !== refScore) {
      if (bad.length < 5) bad.push(`[q${Math.floor(i / k)} r${i % k}] got (${got.indices[i]}, ${got.scores[i]}) ref (${ref.indices[i]}, ${ref.scores[i]})`);
    }
  }
  expect(bad, `${what}: ${bad.join(', ')}`).toEqual([]);
}

describe('topk_forward vs brute force', () => {
  const exactCases: { Q: number; Nc: number; D: number; k: number; block: number; range: number }[] = [
    { Q: 1, Nc: 1, D: 1, k: 1, block: 1, range: 3 },
    { Q: 3, Nc: 1000, D: 5, k: 100, block: 128, range: 2 },
    { Q: 67, Nc: 300, D: 17, k: 7, block: 64, range: 2 },
    { Q: 13, Nc: 700, D: 2, k: 64, block: 65, range: 1 },
    { Q: 2, Nc: 2500, D: 3, k: 1000, block: 700, range: 4 },
    { Q: 2, Nc: 2500, D: 3, k: 1024, block: 2500, range: 30 },
    // D % 4 = 0 takes the vec4 score kernel.
    { Q: 33, Nc: 500, D: 12, k: 20, block: 97, range: 2 },
    { Q: 5, Nc: 301, D: 4, k: 300, block: 64, range: 1 },
  ];
  for (const c of exactCases) {
    it(`matches exactly on integer inputs full of ties: Q=${c.Q} Nc=${c.Nc} D=${c.D} k=${c.k} block=${c.block}`, async () => {
      const device = await testDevice();
      const queries = integers(c.Q * c.D, c.Q + c.Nc, c.range);
      const corpus = integers(c.Nc * c.D, c.Nc + c.D, c.range);
      expectExact(await runTopk(device, queries, corpus, c.Q, c.D, c.k, c.block), queries, corpus, c.Q, c.D, c.k, 'integers');
    });
  }

  it('fills the slots beyond the corpus with (LOWEST, TOPK_NO_INDEX)', async () => {
    const device = await testDevice();
    const queries = integers(2 * 3, 1, 2);
    const corpus = integers(5 * 3, 2, 2);
    const got = await runTopk(device, queries, corpus, 2, 3, 8, 4);
    expectExact(got, queries, corpus, 2, 3, 8, 'k > Nc');
    expect(got.indices[7]).toBe(TOPK_NO_INDEX);
  });

  it('ranks by score on random floats; any disagreement with f64 is a near-tie', async () => {
    const device = await testDevice();
    const [Q, Nc, D, k] = [7, 3000, 64, 50];
    const queries = randomF32(Q * D, 1);
    const corpus = randomF32(Nc * D, 2);
    const got = await runTopk(device, queries, corpus, Q, D, k, 512);
    const ref = topkRef(queries, corpus, Q, Nc, D, k);
    const dot = (q: number, j: number) => {
      let s = 0;
      for (let d = 0; d < D; d++) s += queries[q * D + d]! * corpus[j * D + d]!;
      return s;
    };
    const tol = 1e-6 * Math.sqrt(D) * D; // DESIGN §3.5 dot-product atol with |q|,|p| ≤ 1
    for (let q = 0; q < Q; q++) {
      for (let r = 0; r < k; r++) {
        const i = q * k + r;
        const idx = got.indices[i]!;
        expect(Math.abs(got.scores[i]! - dot(q, idx)), `q${q} rank ${r}: score of ${idx}`).toBeLessThanOrEqual(tol);
        if (r > 0) expect(got.scores[i]!, `q${q} rank ${r} sorted`).toBeLessThanOrEqual(got.scores[i - 1]!);
        if (idx !== ref.indices[i]) expect(Math.abs(dot(q, idx) - ref.scores[i]!), `q${q} rank ${r}: ${idx} vs ${ref.indices[i]}`).toBeLessThanOrEqual(2 * tol);
      }
    }
  });

  it('handles negative, huge and signed-zero scores', async () => {
    const device = await testDevice();
    const D = 1;
    const corpus = new Float32Array([-0, 0, -1e30, 1e30, -5, 3.4e38, -3.4e38, 0, -0, 2e-38]);
    const queries = new Float32Array([1, -1]);
    expectExact(await runTopk(device, queries, corpus, 2, D, 10, 3), queries, corpus, 2, D, 10, 'adversarial');
  });
});

describe('topk_forward streaming, chunking and determinism', () => {
  const [Q, Nc, D, k] = [5, 900, 5, 40];
  const queries = integers(Q * D, 7, 2);
  const corpus = integers(Nc * D, 8, 2);

  it('gives the same bits for a list of chunk tensors, tiny binding pieces and tiny blocks', async () => {
    const device = await testDevice();
    const whole = await runTopk(device, queries, corpus, Q, D, k, 900);
    expectExact(whole, queries, corpus, Q, D, k, 'whole');
    // D = 5: a piece must start at a multiple of 64 rows (256-byte binding offsets).
    for (const [parts, block, chunkRows] of [[[300, 1, 599], 50, undefined], [[900], 37, 64], [[128, 772], 900, 128]] as const) {
      const got = await runTopk(device, queries, corpus, Q, D, k, block, [...parts], chunkRows === undefined ? {} : { chunkRows });
      expectBitEqual(got.scores, whole.scores, `parts ${parts} block ${block} chunkRows ${chunkRows}`);
      expect(Array.from(got.indices)).toEqual(Array.from(whole.indices));
    }
  });

  it('merges a corpus streamed over several calls (corpusOffset)', async () => {
    const device = await testDevice();
    const whole = await runTopk(device, queries, corpus, Q, D, k, 900);
    const q = device.tensor('q', [Q, D], 'f32', queries);
    const scores = device.tensor('scores', [Q, k]);
    const indices = device.tensor('indices', [Q, k], 'u32');
    const workspace = device.tensor('block', [topkWorkspaceSize(Q, 100)]);
    const chunk = device.tensor('chunk', [300, D]);
    for (let offset = 0; offset < Nc; offset += 300) {
      device.write(chunk, corpus.subarray(offset * D, (offset + 300) * D));
      const rec = device.recorder('stream');
      topkForward(rec, scores, indices, workspace, q, chunk, { corpusOffset: offset });
      await rec.submit();
    }
    expectBitEqual((await device.read(scores)) as Float32Array, whole.scores, 'streamed scores');
    expect(Array.from(await device.read(indices))).toEqual(Array.from(whole.indices));
    for (const t of [q, scores, indices, workspace, chunk]) device.release(t);
  });

  it('does not depend on the select workgroup size, and repeats bit for bit', async () => {
    const device = await testDevice();
    const a = await runTopk(device, queries, corpus, Q, D, k, 256);
    const b = await runTopk(device, queries, corpus, Q, D, k, 256);
    const c = await runTopk(device, queries, corpus, Q, D, k, 256, undefined, { overrides: { WG: 32 } });
    for (const other of [b, c]) {
      expectBitEqual(other.scores, a.scores, 'scores');
      expect(Array.from(other.indices)).toEqual(Array.from(a.indices));
    }
  });

  it('covers every query past 65535 workgroups', async () => {
    const device = await testDevice();
    const Qbig = 65537;
    const qs = integers(Qbig, 3, 3);
    const cs = new Float32Array([1, -1, 2]);
    // k = Nc keeps every candidate, so the radix search is skipped and the test stays cheap.
    const got = await runTopk(device, qs, cs, Qbig, 1, 3, 3, undefined, { overrides: { WG: 32 } });
    expectExact(got, qs, cs, Qbig, 1, 3, 'Q=65537');
  }, 60_000);
});

describe('topk_forward rejects bad input', () => {
  it('names every shape, checks k, the index dtype and chunkRows', async () => {
    const device = await testDevice();
    const q = device.tensor('q', [4, 8]);
    const c = device.tensor('c', [100, 8]);
    const ws = device.tensor('ws', [400]);
    const idx = device.tensor('idx', [4, 10], 'u32');
    const rec = device.recorder('bad');
    expect(() => topkForward(rec, device.tensor('s', [4, 10]), idx, ws, q, device.tensor('c7', [100, 7]))).toThrow(
      /topkForward: scores \(4,10\) vs indices \(4,10\) vs workspace \(400\) vs queries \(4,8\) vs corpus\[0\] \(100,7\)/,
    );
    expect(() => topkForward(rec, device.tensor('big', [4, 1025]), device.tensor('bigi', [4, 1025], 'u32'), ws, q, c)).toThrow(ShapeError);
    expect(() => topkForward(rec, device.tensor('s2', [4, 10]), device.tensor('fidx', [4, 10]), ws, q, c)).toThrow(/indices fidx must be u32/);
    expect(() => topkForward(rec, device.tensor('s3', [4, 10]), idx, ws, q, c, { chunkRows: 0 })).toThrow(ConfigError);
    expect(() => topkForward(rec, device.tensor('s4', [4, 10]), idx, ws, q, c, { chunkRows: 2 ** 40 })).toThrow(/topkForward.chunkRows/);
    await rec.submit();
  });
});
