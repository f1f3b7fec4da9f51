// densescale bench optim: AdamW and gradient-norm bandwidth over flat buffers (chunked past one storage
// binding), and exact top-k retrieval time. Each op is checked against its CPU reference on a sample
// before it is timed (llm.c: no speed number without a correctness check).
// `densescale bench optim tfjs` adds tfjs-webgpu on the same adapter as a baseline (matMul + topk, and
// sqrt(sum(square)) for the norm), timed by wall clock around a readback of the result.
import { ConfigError } from '../errors.js';
import type { Device } from '../gpu/device.js';
import { Tensor } from '../gpu/tensor.js';
import { adamwUpdate } from '../ops/adamw.js';
import { globalNorm, globalNormWorkspaceSize } from '../ops/global_norm.js';
import { topkForward, topkWorkspaceSize } from '../ops/topk.js';
import { adamwUpdate as adamwRef } from '../ref/adamw.js';
import { globalNorm as normRef } from '../ref/global_norm.js';
import { Pcg32 } from '../util/rng.js';
import { adapterTag, timeGpu, type BenchContext } from './common.js';
import { loadTfjs } from './tfjs.js';

export const summary = 'AdamW and global-norm GB/s at 10M and 110M parameters; top-k ms (Q=256, Nc=100k, D=768, k=1000)';

/** AdamW reads θ, m, v, g and writes θ, m, v: 7 f32 per parameter. */
const ADAMW_BYTES_PER_PARAM = 28;
const HYPER = { learningRate: 1e-3, weightDecay: 0.01 };

function flat(device: Device, label: string, n: number): Tensor {
  const buf = device.buffer(label, n * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
  return new Tensor(buf, 0, [n], label);
}

function randomArray(n: number, seed: number, scale: number): Float32Array {
  const rng = new Pcg32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.nextFloat() * 2 - 1) * scale;
  return out;
}

/** Writes `data` into a flat tensor in pieces (queue.writeBuffer copies; keep host copies small). */
function fill(device: Device, t: Tensor, data: Float32Array): void {
  const piece = 1 << 24;
  for (let off = 0; off < data.length; off += piece) {
    const part = data.subarray(off, Math.min(data.length, off + piece));
    device.write(t.slice(off, [part.length]), part);
  }
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new ConfigError(`bench optim: correctness check failed: ${what}`);
}

async function readRange(device: Device, t: Tensor, offset: number, n: number): Promise<Float32Array> {
  return (await device.read(t.slice(offset, [n]))) as Float32Array;
}

async function benchOptimizer(ctx: BenchContext, device: Device, n: number, iters: number): Promise<void> {
  const [params, m, v, grads] = ['bench.params', 'bench.m', 'bench.v', 'bench.grads'].map((l) => flat(device, l, n)) as [Tensor, Tensor, Tensor, Tensor];
  const norm = device.tensor('bench.norm', [1]);
  const clip = device.tensor('bench.clip', [1]);
  const partials = device.tensor('bench.partials', [globalNormWorkspaceSize(n)]);
  try {
    // Correctness on the first elements: one clipped step from random values vs the f64 reference.
    const sample = Math.min(n, 1 << 20);
    const p0 = randomArray(sample, 1, 1);
    const g0 = randomArray(sample, 2, 0.1);
    fill(device, params, p0);
    fill(device, grads, g0);
    const rec = device.recorder('bench.check');
    globalNorm(rec, norm, clip, partials, grads.slice(0, [sample]), { maxNorm: 1 });
    adamwUpdate(rec, params.slice(0, [sample]), m.slice(0, [sample]), v.slice(0, [sample]), grads.slice(0, [sample]), clip, { ...HYPER, step: 1 });
    await rec.submit();
    const ref = normRef(g0, 1);
    const gotClip = (await device.read(clip))[0]!;
    check(Math.abs(gotClip - ref.clipScale) <= 1e-4 * ref.clipScale, `clip scale ${gotClip} vs ${ref.clipScale}`);
    const want = Float64Array.from(p0.subarray(0, 4096));
    adamwRef(want, new Float64Array(4096), new Float64Array(4096), g0.subarray(0, 4096), gotClip, { ...HYPER, step: 1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    const got = await readRange(device, params, 0, 4096);
    check(got.every((x, i) => Math.abs(x - want[i]!) <= 1e-6 + 1e-5 * Math.abs(want[i]!)), 'adamw step vs f64');

    const pieces = Math.ceil((n * 4) / device.gpu.limits.maxStorageBufferBindingSize);
    let step = 1;
    const adamw = await timeGpu(device, (r) => adamwUpdate(r, params, m, v, grads, clip, { ...HYPER, step: step++ }), { warmup: 1, iters });
    ctx.emit({
      bench: 'optim',
      op: 'adamw_update',
      params: n,
      pieces,
      ms: adamw.ms,
      minMs: adamw.minMs,
      gbPerS: (ADAMW_BYTES_PER_PARAM * n) / (adamw.ms * 1e6),
      timing: adamw.source,
      adapter: adapterTag(device),
    });
    const gn = await timeGpu(device, (r) => globalNorm(r, norm, clip, partials, grads, { maxNorm: 1 }), { warmup: 1, iters });
    ctx.emit({
      bench: 'optim',
      op: 'global_norm',
      params: n,
      pieces,
      ms: gn.ms,
      minMs: gn.minMs,
      gbPerS: (4 * n) / (gn.ms * 1e6),
      timing: gn.source,
      adapter: adapterTag(device),
    });
  } finally {
    for (const t of [params, m, v, grads, norm, clip, partials]) device.release(t);
  }
}

type Tf = typeof import('@tensorflow/tfjs-core');

async function wallMs(warmup: number, iters: number, fn: () => Promise<void>): Promise<{ ms: number; minMs: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { ms: samples[samples.length >> 1]!, minMs: samples[0]! };
}

async function baselineTfjs(ctx: BenchContext, device: Device, n: number, Q: number, Nc: number, D: number, k: number, iters: number): Promise<void> {
  const loaded = await loadTfjs<Tf>(device, ctx.adapter);
  if (typeof loaded === 'string') throw new ConfigError(`bench optim: ${loaded}`);
  const { tf } = loaded;
  const tag = { library: `tfjs-backend-webgpu ${tf.version_core}`, adapter: adapterTag(device) };
  const g = tf.tensor1d(randomArray(n, 2, 0.1));
  const norm = await wallMs(1, iters, async () => {
    const r = tf.tidy(() => tf.sqrt(tf.sum(tf.square(g))));
    await r.data();
    r.dispose();
  });
  ctx.emit({ bench: 'optim', op: 'global_norm', baseline: true, params: n, ms: norm.ms, minMs: norm.minMs, gbPerS: (4 * n) / (norm.ms * 1e6), timing: 'wall', ...tag });
  g.dispose();
  const q = tf.tensor2d(randomArray(Q * D, 3, 1), [Q, D]);
  const c = tf.tensor2d(randomArray(Nc * D, 4, 1), [Nc, D]);
  const topk = await wallMs(1, iters, async () => {
    const { values, indices } = tf.tidy(() => tf.topk(tf.matMul(q, c, false, true), k));
    await Promise.all([values.data(), indices.data()]);
    tf.dispose([values, indices]);
  });
  ctx.emit({
    bench: 'optim',
    op: 'topk_forward',
    baseline: true,
    queries: Q,
    corpus: Nc,
    dim: D,
    k,
    ms: topk.ms,
    minMs: topk.minMs,
    scoreGflopPerS: (2 * Q * Nc * D) / (topk.ms * 1e6),
    timing: 'wall',
    ...tag,
  });
  tf.dispose([q, c]);
}

async function benchTopk(ctx: BenchContext, device: Device, Q: number, Nc: number, D: number, k: number, blockRows: number, iters: number): Promise<void> {
  const queriesData = randomArray(Q * D, 3, 1);
  const queries = device.tensor('bench.queries', [Q, D], 'f32', queriesData);
  // One flat corpus buffer: past one storage binding the launcher splits it by rows.
  const corpus = new Tensor(flat(device, 'bench.corpus', Nc * D).buffer, 0, [Nc, D], 'bench.corpus');
  const corpusData = randomArray(Nc * D, 4, 1);
  fill(device, corpus.reshape([Nc * D]), corpusData);
  const scores = device.tensor('bench.top_scores', [Q, k]);
  const indices = device.tensor('bench.top_indices', [Q, k], 'u32');
  const workspace = device.tensor('bench.top_block', [topkWorkspaceSize(Q, blockRows)]);
  try {
    const rec = device.recorder('bench.topk.check');
    topkForward(rec, scores, indices, workspace, queries, corpus);
    await rec.submit();
    // Correctness: query 0's list equals a CPU brute force up to near-ties.
    const gotIdx = (await device.read(indices)).subarray(0, k);
    const all = new Float64Array(Nc);
    for (let j = 0; j < Nc; j++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += queriesData[d]! * corpusData[j * D + d]!;
      all[j] = s;
    }
    const sorted = Float64Array.from(all).sort().reverse();
    const tol = 1e-6 * Math.sqrt(D) * D;
    check(Array.from(gotIdx).every((j, r) => Math.abs(all[j]! - sorted[r]!) <= tol), 'top-k of query 0 vs brute force');

    const t = await timeGpu(device, (r) => topkForward(r, scores, indices, workspace, queries, corpus), { warmup: 1, iters });
    ctx.emit({
      bench: 'optim',
      op: 'topk_forward',
      queries: Q,
      corpus: Nc,
      dim: D,
      k,
      blockRows,
      ms: t.ms,
      minMs: t.minMs,
      scoreGflopPerS: (2 * Q * Nc * D) / (t.ms * 1e6),
      timing: t.source,
      adapter: adapterTag(device),
    });
  } finally {
    for (const x of [queries, corpus, scores, indices, workspace]) device.release(x);
  }
}

export async function run(ctx: BenchContext): Promise<void> {
  const device = await ctx.device();
  const corpus = ctx.quick ? 10_000 : 100_000;
  if (ctx.args.includes('tfjs')) {
    await baselineTfjs(ctx, device, 10_000_000, 256, corpus, 768, 1000, ctx.quick ? 2 : 3);
    return;
  }
  for (const n of ctx.quick ? [10_000_000] : [10_000_000, 110_000_000]) await benchOptimizer(ctx, device, n, ctx.quick ? 3 : 5);
  await benchTopk(ctx, device, 256, corpus, 768, 1000, ctx.quick ? 10_000 : 32_768, ctx.quick ? 2 : 3);
}
