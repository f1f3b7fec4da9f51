// densescale bench attention: multi-head self-attention with a key-padding mask, forward and
// forward+backward, for densescale's fused kernels and for the same computation written with tfjs ops
// (tf.matMul, tf.softmax, tf.grad) on tfjs-webgpu, on the same adapter, as JSON lines tagged with it.
//
// Shapes: B = 32, T = 128 and 256, 4 heads of 64 (--quick: T = 128 only). Every sequence has a random
// length in [T/2, T] (seeded), the same mask for both implementations.
// Timing: GPU time from timestamp queries — densescale through timeGpu (one submit: forward, or forward
// and both backward passes), tfjs through tf.time(), whose kernelMs sums its kernels' timestamp queries.
// Neither includes uploads or readbacks. Without timestamp-query both fall back to wall clock. Rounds are
// interleaved between the implementations so that load on a shared machine hits both alike; a round's
// value is the median of its samples, the reported ms the median of the rounds.
// GFLOP/s counts the useful matmul work only: forward 4·B·NH·T²·hd (QKᵀ and PV), backward 8·B·NH·T²·hd
// (dV, dP, dQ, dK); densescale's recomputation of QKᵀ in the backward is not counted.
//
// Flags (after the bench name): --rounds N; --seqs 128,256.
import type { Device } from '../gpu/device.js';
import type { Recorder } from '../gpu/recorder.js';
import type { Tensor } from '../gpu/tensor.js';
import { attentionBackward, attentionBackwardWorkspaceSize, attentionForward } from '../ops/attention.js';
import { attentionBackward as backwardRef, attentionForward as forwardRef } from '../ref/attention.js';
import { Pcg32 } from '../util/rng.js';
import { adapterTag, flagValue, median, timeGpu, type BenchContext } from './common.js';
import { loadTfjs, type LoadedTfjs } from './tfjs.js';

export const summary = 'multi-head attention forward and forward+backward (B=32, T=128/256, 4×64): densescale vs tfjs-webgpu on the same adapter [--rounds N] [--seqs a,b]';

type Pass = 'forward' | 'forward+backward';

interface Shape {
  B: number;
  T: number;
  NH: number;
  hd: number;
}

interface Inputs {
  qkv: Float32Array;
  mask: Uint32Array;
  dout: Float32Array;
}

function inputs(s: Shape, seed: number): Inputs {
  const rng = new Pcg32(seed);
  const C = s.NH * s.hd;
  const uniform = (n: number) => Float32Array.from({ length: n }, () => rng.nextFloat() * 2 - 1);
  const mask = new Uint32Array(s.B * s.T);
  for (let b = 0; b < s.B; b++) {
    const len = s.T / 2 + Math.floor(rng.nextFloat() * (s.T / 2 + 1));
    mask.fill(1, b * s.T, b * s.T + Math.min(s.T, len));
  }
  return { qkv: uniform(s.B * s.T * 3 * C), mask, dout: uniform(s.B * s.T * C) };
}

interface DensescaleRun {
  record(rec: Recorder, pass: Pass): void;
  outputs: { out: Tensor; dqkv: Tensor };
  release(): void;
}

function densescaleRun(device: Device, s: Shape, x: Inputs): DensescaleRun {
  const C = s.NH * s.hd;
  const t = (label: string, shape: number[], dtype: 'f32' | 'u32' = 'f32', data?: ArrayBufferView) => device.tensor(`bench.attention.${label}`, shape, dtype, data);
  const qkv = t('qkv', [s.B, s.T, 3 * C], 'f32', x.qkv);
  const mask = t('mask', [s.B, s.T], 'u32', x.mask);
  const dout = t('dout', [s.B, s.T, C], 'f32', x.dout);
  const out = t('out', [s.B, s.T, C]);
  const lse = t('lse', [s.B, s.NH, s.T]);
  const dqkv = t('dqkv', [s.B, s.T, 3 * C]);
  const ws = t('ws', [attentionBackwardWorkspaceSize({ batch: s.B, seqLen: s.T, numHeads: s.NH })]);
  return {
    record(rec, pass) {
      attentionForward(rec, out, lse, qkv, mask, { numHeads: s.NH });
      if (pass === 'forward+backward') attentionBackward(rec, dqkv, ws, dout, qkv, mask, out, lse, { numHeads: s.NH, accumulate: false });
    },
    outputs: { out, dqkv },
    release() {
      for (const x of [qkv, mask, dout, out, lse, dqkv, ws]) device.release(x);
    },
  };
}

/** Checks both passes against the f64 reference on a small padded problem before anything is timed. */
async function checkCorrectness(device: Device): Promise<void> {
  const s = { B: 2, T: 37, NH: 2, hd: 64 };
  const x = inputs(s, 99);
  const run = densescaleRun(device, s, x);
  try {
    const rec = device.recorder('bench.attention.check');
    run.record(rec, 'forward+backward');
    await rec.submit();
    const dims = { B: s.B, T: s.T, C: s.NH * s.hd, NH: s.NH };
    const f = forwardRef(x.qkv, x.mask, dims);
    const g = backwardRef(x.dout, x.qkv, x.mask, dims);
    const checks: [string, Tensor, Float64Array, Float64Array][] = [
      ['out', run.outputs.out, f.out, f.outScale],
      ['dqkv', run.outputs.dqkv, g.dqkv, g.dqkvScale],
    ];
    for (const [name, tensor, ref, scale] of checks) {
      const got = await device.read(tensor);
      for (let i = 0; i < ref.length; i++) {
        const tol = 1e-6 * Math.sqrt(s.T) * scale[i]! + 1e-4 * Math.abs(ref[i]!);
        if (!(Math.abs(got[i]! - ref[i]!) <= tol)) throw new Error(`bench attention: ${name}[${i}] = ${got[i]} but the reference gives ${ref[i]}; not timing a wrong kernel`);
      }
    }
  } finally {
    run.release();
  }
}

interface TfTensor {
  dispose(): void;
}

// The tfjs-core functions used here, typed loosely: tfjs is a dev dependency, loaded only if present.
interface TfOps {
  tensor(values: Float32Array, shape: number[]): TfTensor;
  split(x: TfTensor, n: number, axis: number): TfTensor[];
  reshape(x: TfTensor, shape: number[]): TfTensor;
  transpose(x: TfTensor, perm: number[]): TfTensor;
  matMul(a: TfTensor, b: TfTensor, transposeA?: boolean, transposeB?: boolean): TfTensor;
  mul(a: TfTensor | number, b: TfTensor | number): TfTensor;
  add(a: TfTensor, b: TfTensor): TfTensor;
  sub(a: TfTensor | number, b: TfTensor | number): TfTensor;
  sum(x: TfTensor): TfTensor;
  softmax(x: TfTensor): TfTensor;
  grad(f: (x: TfTensor) => TfTensor): (x: TfTensor) => TfTensor;
  time(f: () => void): Promise<{ kernelMs: number | { error: string } }>;
  tidy(f: () => void): void;
  backend(): { device?: GPUDevice; submitQueue?: () => void };
}

type Tfjs = LoadedTfjs<TfOps>;

/**
 * The same attention with tfjs ops: scores = q·kᵀ/√hd + (1 − mask)·(−1e9) per key, softmax, ·v, heads
 * concatenated, padded query rows zeroed; the backward is tf.grad of Σ out ⊙ dout.
 */
function tfjsAttention(t: TfOps, s: Shape, maskT: TfTensor): (qkv: TfTensor) => TfTensor {
  const C = s.NH * s.hd;
  const keyBias = t.reshape(t.mul(t.sub(1, maskT), -1e9), [s.B, 1, 1, s.T]);
  const rowMask = t.reshape(maskT, [s.B, s.T, 1]);
  const heads = (x: TfTensor) => t.transpose(t.reshape(x, [s.B, s.T, s.NH, s.hd]), [0, 2, 1, 3]);
  return (qkv) => {
    const [q, k, v] = t.split(qkv, 3, 2) as [TfTensor, TfTensor, TfTensor];
    const scores = t.add(t.mul(t.matMul(heads(q), heads(k), false, true), 1 / Math.sqrt(s.hd)), keyBias);
    const o = t.matMul(t.softmax(scores), heads(v));
    return t.mul(t.reshape(t.transpose(o, [0, 2, 1, 3]), [s.B, s.T, C]), rowMask);
  };
}

async function timeTfjs(t: Tfjs, s: Shape, x: Inputs, pass: Pass, iters: number): Promise<number> {
  const { tf } = t;
  const C = s.NH * s.hd;
  const qkv = tf.tensor(x.qkv, [s.B, s.T, 3 * C]);
  const maskT = tf.tensor(Float32Array.from(x.mask), [s.B, s.T]);
  const dout = tf.tensor(x.dout, [s.B, s.T, C]);
  const attention = tfjsAttention(tf, s, maskT);
  const grad = tf.grad((q) => tf.sum(tf.mul(attention(q), dout)));
  const step = () => tf.tidy(() => void (pass === 'forward' ? attention(qkv) : grad(qkv)));
  try {
    const warm = await tf.time(step);
    if (typeof warm.kernelMs !== 'number' && t.timer === 'timestamp') throw new Error(`tf.time: ${warm.kernelMs.error}`);
    const samples: number[] = [];
    for (let i = 0; i < iters; i++) {
      if (t.timer === 'timestamp') {
        const r = await tf.time(step);
        samples.push(r.kernelMs as number);
      } else {
        const backend = tf.backend();
        const t0 = performance.now();
        step();
        backend.submitQueue?.();
        await backend.device?.queue.onSubmittedWorkDone();
        samples.push(performance.now() - t0);
      }
    }
    return median(samples);
  } finally {
    for (const x of [qkv, maskT, dout]) x.dispose();
  }
}

export async function run(ctx: BenchContext): Promise<void> {
  const device = await ctx.device();
  const adapter = adapterTag(device);
  await checkCorrectness(device);
  const rounds = Number(flagValue(ctx.args, '--rounds') ?? (ctx.quick ? 1 : 3));
  const seqs = (flagValue(ctx.args, '--seqs') ?? (ctx.quick ? '128' : '128,256')).split(',').map(Number);
  const shapes: Shape[] = seqs.map((T) => ({ B: 32, T, NH: 4, hd: 64 }));
  const passes: Pass[] = ['forward', 'forward+backward'];
  const iters = ctx.quick ? 2 : 5;

  const tfjs = await loadTfjs<TfOps>(device, ctx.adapter);
  if (typeof tfjs === 'string') ctx.emit({ bench: 'attention', impl: 'tfjs-webgpu', error: tfjs, adapter });

  const samples = new Map<string, number[]>();
  const timers = new Map<string, string>();
  const add = (key: string, ms: number) => samples.set(key, [...(samples.get(key) ?? []), ms]);
  const data = shapes.map((s) => inputs(s, s.T));
  for (let round = 0; round < rounds; round++) {
    for (const [n, s] of shapes.entries()) {
      const x = data[n]!;
      const ours = densescaleRun(device, s, x);
      try {
        for (const pass of passes) {
          const t = await timeGpu(device, (rec) => ours.record(rec, pass), { warmup: 1, iters });
          add(`densescale:${pass}:${s.T}`, t.ms);
          timers.set('densescale', t.source);
        }
      } finally {
        ours.release();
      }
      if (typeof tfjs !== 'string') {
        for (const pass of passes) add(`tfjs-webgpu:${pass}:${s.T}`, await timeTfjs(tfjs, s, x, pass, iters));
        timers.set('tfjs-webgpu', tfjs.timer);
      }
    }
  }
  for (const s of shapes) {
    for (const pass of passes) {
      for (const impl of ['densescale', 'tfjs-webgpu']) {
        const ms = samples.get(`${impl}:${pass}:${s.T}`);
        if (ms === undefined) continue;
        const flops = (pass === 'forward' ? 4 : 12) * s.B * s.NH * s.T * s.T * s.hd;
        const m = median(ms);
        ctx.emit({
          bench: 'attention',
          impl,
          pass,
          shape: s,
          ms: Number(m.toFixed(3)),
          gflops: Number((flops / (m * 1e6)).toFixed(2)),
          msRange: [Number(Math.min(...ms).toFixed(3)), Number(Math.max(...ms).toFixed(3))],
          rounds: ms.length,
          timer: timers.get(impl),
          adapter,
        });
      }
    }
  }
}
