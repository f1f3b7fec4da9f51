// densescale bench matmul: square fp32 matmuls for densescale's kernels and for tfjs-webgpu's tf.matMul on
// the same adapter, as JSON lines tagged with the adapter; plus, on a CPU adapter, the fraction of the
// CPU's FP32 peak that was reached.
//
// Timing: both sides are GPU time from timestamp queries around the compute pass(es) of one matmul —
// densescale through timeGpu (one submit per sample), tfjs through tf.time(), whose kernelMs sums the same
// per-pass timestamp queries. Neither side includes uploads or readbacks. Without timestamp-query both fall
// back to wall clock (densescale: submit → onSubmittedWorkDone; tfjs: dispatch → queue drained). Each
// configuration runs `rounds` times, interleaved with the other implementation so that load on a shared
// machine hits both alike; a round's value is the median of its samples, the reported ms the median of
// the rounds, msRange their spread.
//
// Flags (after the bench name): --tiles times every tile override that fits the device at 1024³ (forward,
// dinp, dweight); --rounds N; --sizes 256,512.
import type { Device } from '../gpu/device.js';
import type { Recorder } from '../gpu/recorder.js';
import type { Tensor } from '../gpu/tensor.js';
import {
  matmulBackward,
  matmulBackwardInput,
  matmulBackwardWeight,
  matmulDefaultTile,
  matmulForward,
  matmulWorkspaceSize,
  type MatmulTile,
} from '../ops/matmul.js';
import { matmulBackward as backwardRef, matmulForward as forwardRef } from '../ref/matmul.js';
import { Pcg32 } from '../util/rng.js';
import { adapterTag, flagValue, median, timeGpu, type BenchContext } from './common.js';
import { loadTfjs, type LoadedTfjs } from './tfjs.js';

export const summary = 'fp32 matmul GFLOP/s (256–2048 forward, 1024 dinp/dweight): densescale vs tfjs-webgpu on the same adapter [--tiles] [--rounds N] [--sizes a,b]';

// forward: the recommended call (with a workspace: weight transposed, then the wide kernel), timed
// together; forward-direct: without a workspace. tfjs has no counterpart for forward-direct.
type Op = 'forward' | 'forward-direct' | 'dinp' | 'dweight';

/** out (M,N) = inp·weightᵀ; dinp (M,K) = dout·weight; dweight (N,K) = doutᵀ·inp. All 2·M·N·K flops. */
interface Problem {
  op: Op;
  M: number;
  N: number;
  K: number;
}

function uniform(n: number, seed: number): Float32Array {
  const rng = new Pcg32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.nextFloat() * 2 - 1;
  return out;
}

/** Checks every kernel against the f64 reference before anything is timed (llm.c's bench pattern). */
async function checkCorrectness(device: Device): Promise<void> {
  const M = 67;
  const N = 45;
  const K = 52;
  const inp = uniform(M * K, 1);
  const weight = uniform(N * K, 2);
  const bias = uniform(N, 3);
  const dout = uniform(M * N, 4);
  const t = (label: string, shape: number[], data?: Float32Array) => device.tensor(`bench.check.${label}`, shape, 'f32', data);
  const tensors = {
    out: t('out', [M, N]),
    dinp: t('dinp', [M, K]),
    dweight: t('dweight', [N, K]),
    dbias: t('dbias', [N]),
    inp: t('inp', [M, K], inp),
    weight: t('weight', [N, K], weight),
    bias: t('bias', [N], bias),
    dout: t('dout', [M, N], dout),
    workspace: t('workspace', [matmulWorkspaceSize({ M, N, K })]),
  };
  try {
    const rec = device.recorder('bench.matmul.check');
    matmulForward(rec, tensors.out, tensors.inp, tensors.weight, tensors.bias, { workspace: tensors.workspace });
    matmulBackward(rec, tensors.dinp, tensors.dweight, tensors.dbias, null, tensors.dout, tensors.inp, tensors.weight);
    await rec.submit();
    const fwd = forwardRef(inp, weight, bias, { M, N, K });
    const bwd = backwardRef(dout, inp, weight, { M, N, K });
    const checks: [string, Tensor, Float64Array, Float64Array, number][] = [
      ['out', tensors.out, fwd.out, fwd.absSum, K],
      ['dinp', tensors.dinp, bwd.dinp, bwd.dinpAbsSum, N],
      ['dweight', tensors.dweight, bwd.dweight, bwd.dweightAbsSum, M],
      ['dbias', tensors.dbias, bwd.dbias, bwd.dbiasAbsSum, M],
    ];
    for (const [name, tensor, ref, absSum, len] of checks) {
      const got = await device.read(tensor);
      for (let i = 0; i < ref.length; i++) {
        const tol = 1e-6 * Math.sqrt(len) * absSum[i]! + 1e-4 * Math.abs(ref[i]!);
        if (!(Math.abs(got[i]! - ref[i]!) <= tol)) throw new Error(`bench matmul: ${name}[${i}] = ${got[i]} but the reference gives ${ref[i]}; not timing a wrong kernel`);
      }
    }
  } finally {
    for (const x of Object.values(tensors)) device.release(x);
  }
}

/** Times one densescale problem for one round: the median of `iters` timed submits after a warm-up. */
async function timeDensescale(device: Device, pr: Problem, tile: MatmulTile, iters: number): Promise<{ ms: number; source: string }> {
  const { M, N, K } = pr;
  const forward = pr.op === 'forward' || pr.op === 'forward-direct';
  const [aShape, bShape, outShape]: number[][] =
    forward ? [[M, K], [N, K], [M, N]] : pr.op === 'dinp' ? [[M, N], [N, K], [M, K]] : [[M, N], [M, K], [N, K]];
  const a = device.tensor('bench.a', aShape!, 'f32', uniform(aShape![0]! * aShape![1]!, 5));
  const b = device.tensor('bench.b', bShape!, 'f32', uniform(bShape![0]! * bShape![1]!, 6));
  const out = device.tensor('bench.out', outShape!);
  const workspace = pr.op === 'forward' ? device.tensor('bench.workspace', [matmulWorkspaceSize({ M, N, K })]) : null;
  try {
    const record = (rec: Recorder): void => {
      if (forward) matmulForward(rec, out, a, b, null, { tile, workspace });
      else if (pr.op === 'dinp') matmulBackwardInput(rec, out, a, b, { tile });
      else matmulBackwardWeight(rec, out, a, b, { tile });
    };
    const t = await timeGpu(device, record, { warmup: 1, iters });
    return { ms: t.ms, source: t.source };
  } finally {
    for (const x of [a, b, out, workspace]) if (x !== null) device.release(x);
  }
}

// The few tfjs-core functions used here, typed loosely: tfjs is a dev dependency, loaded only if present.
interface TfOps {
  tensor2d(values: Float32Array, shape: [number, number]): TfTensor;
  matMul(a: TfTensor, b: TfTensor, transposeA?: boolean, transposeB?: boolean): TfTensor;
  time(f: () => void): Promise<{ kernelMs: number | { error: string } }>;
  tidy(f: () => void): void;
  backend(): { device?: GPUDevice; submitQueue?: () => void };
}

type Tfjs = LoadedTfjs<TfOps>;

interface TfTensor {
  dispose(): void;
  data(): Promise<unknown>;
}

/** Times tf.matMul with the transposes that make it the same product as the densescale kernel. */
async function timeTfjs(t: Tfjs, pr: Problem, iters: number): Promise<number> {
  const { tf } = t;
  const { M, N, K } = pr;
  const [aShape, bShape, ta, tb]: [[number, number], [number, number], boolean, boolean] =
    pr.op === 'forward' || pr.op === 'forward-direct' ? [[M, K], [N, K], false, true] : pr.op === 'dinp' ? [[M, N], [N, K], false, false] : [[M, N], [M, K], true, false];
  const a = tf.tensor2d(uniform(aShape[0] * aShape[1], 5), aShape);
  const b = tf.tensor2d(uniform(bShape[0] * bShape[1], 6), bShape);
  try {
    const warm = tf.matMul(a, b, ta, tb);
    await warm.data();
    warm.dispose();
    const samples: number[] = [];
    for (let i = 0; i < iters; i++) {
      if (t.timer === 'timestamp') {
        const r = await tf.time(() => tf.tidy(() => void tf.matMul(a, b, ta, tb)));
        if (typeof r.kernelMs !== 'number') throw new Error(`tf.time: ${r.kernelMs.error}`);
        samples.push(r.kernelMs);
      } else {
        const backend = tf.backend();
        const t0 = performance.now();
        tf.tidy(() => void tf.matMul(a, b, ta, tb));
        backend.submitQueue?.();
        await backend.device?.queue.onSubmittedWorkDone();
        samples.push(performance.now() - t0);
      }
    }
    return median(samples);
  } finally {
    a.dispose();
    b.dispose();
  }
}

/**
 * FP32 peak of this machine's CPUs from /proc/cpuinfo (what lscpu reads): logical CPUs × clock × FP32
 * flop per cycle per core, where flop/cycle comes from the vector units the flags and family imply.
 * Assumes one thread per core (true on these VMs: lscpu "Thread(s) per core: 1").
 */
async function cpuFp32Peak(): Promise<{ gflops: number; assumption: string } | null> {
  try {
    const fs = 'node:fs';
    const { readFileSync } = (await import(/* @vite-ignore */ fs)) as typeof import('node:fs');
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const blocks = text.split('\n\n').filter((b) => b.includes('processor'));
    const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(blocks[0] ?? '')?.[1]?.trim() ?? '';
    const cpus = blocks.length;
    const mhz = Number(field('cpu MHz'));
    const flags = new Set(field('flags').split(/\s+/));
    const vendor = field('vendor_id');
    const family = Number(field('cpu family'));
    let perCycle: number;
    let why: string;
    if (vendor === 'AuthenticAMD' && family === 25 && flags.has('avx512f')) {
      perCycle = 32;
      why = 'Zen 4 (AMD family 25 with AVX-512): 2 FMA pipes × 256 bits (AVX-512 runs double-pumped) = 32 FP32 flop/cycle';
    } else if (flags.has('avx512f')) {
      perCycle = 64;
      why = 'AVX-512 with 2 FMA units × 512 bits = 64 FP32 flop/cycle';
    } else if (flags.has('fma') && flags.has('avx2')) {
      perCycle = 32;
      why = 'AVX2 with 2 FMA units × 256 bits = 32 FP32 flop/cycle';
    } else {
      perCycle = 8;
      why = 'SSE: 4-wide mul + add = 8 FP32 flop/cycle';
    }
    if (!(cpus > 0 && mhz > 0)) return null;
    return {
      gflops: (cpus * mhz * perCycle) / 1000,
      assumption: `${cpus} logical CPUs (1 thread/core) × ${mhz} MHz × ${perCycle}: ${field('model name')}, ${why}`,
    };
  } catch {
    return null;
  }
}

/** Tile overrides worth timing on this device, the default first. */
function candidateTiles(device: Device): MatmulTile[] {
  const maxInvocations = device.gpu.limits.maxComputeInvocationsPerWorkgroup;
  const out: MatmulTile[] = [matmulDefaultTile(device)];
  const add = (tile: MatmulTile) => {
    if (tile.workgroupColumns * tile.workgroupRows <= maxInvocations && !out.some((t) => JSON.stringify(t) === JSON.stringify(tile))) out.push(tile);
  };
  for (const columnGroupsPerThread of [4, 2, 1] as const) {
    for (const [workgroupColumns, workgroupRows] of [
      [8, 1],
      [16, 1],
      [32, 1],
      [64, 1],
      [16, 4],
    ] as const) {
      add({ rowsPerThread: 8, columnGroupsPerThread, workgroupColumns, workgroupRows });
    }
  }
  add({ rowsPerThread: 4, columnGroupsPerThread: 4, workgroupColumns: 16, workgroupRows: 1 });
  return out;
}

export async function run(ctx: BenchContext): Promise<void> {
  const device = await ctx.device();
  const adapter = adapterTag(device);
  await checkCorrectness(device);
  const rounds = Number(flagValue(ctx.args, '--rounds') ?? (ctx.quick ? 1 : 3));
  const sizes = (flagValue(ctx.args, '--sizes') ?? (ctx.quick ? '256,512' : '256,512,1024,2048')).split(',').map(Number);
  const iters = (n: number) => (n >= 2048 ? 2 : n >= 1024 ? 3 : 5);
  const problems: Problem[] = sizes.map((n) => ({ op: 'forward', M: n, N: n, K: n }));
  if (sizes.includes(1024)) {
    for (const op of ['forward-direct', 'dinp', 'dweight'] as const) problems.push({ op, M: 1024, N: 1024, K: 1024 });
  }
  const tile = matmulDefaultTile(device);

  const tfjs = await loadTfjs<TfOps>(device, ctx.adapter);
  if (typeof tfjs === 'string') ctx.emit({ bench: 'matmul', impl: 'tfjs-webgpu', error: tfjs, adapter });

  const samples = new Map<string, number[]>();
  const source = new Map<string, string>();
  const add = (key: string, ms: number) => samples.set(key, [...(samples.get(key) ?? []), ms]);
  for (let round = 0; round < rounds; round++) {
    for (const pr of problems) {
      const key = `${pr.op}:${pr.M}`;
      const ours = await timeDensescale(device, pr, tile, iters(pr.M));
      add(`densescale:${key}`, ours.ms);
      source.set('densescale', ours.source);
      if (typeof tfjs !== 'string' && pr.op !== 'forward-direct') add(`tfjs-webgpu:${key}`, await timeTfjs(tfjs, pr, iters(pr.M)));
    }
  }
  if (typeof tfjs !== 'string') source.set('tfjs-webgpu', tfjs.timer);
  const gflops = (pr: Problem, ms: number) => (2 * pr.M * pr.N * pr.K) / (ms * 1e6);
  let forward1024: number | undefined;
  for (const pr of problems) {
    for (const impl of ['densescale', 'tfjs-webgpu']) {
      const s = samples.get(`${impl}:${pr.op}:${pr.M}`);
      if (s === undefined) continue;
      const ms = median(s);
      ctx.emit({
        bench: 'matmul',
        impl,
        op: pr.op,
        shape: [pr.M, pr.N, pr.K],
        ms: Number(ms.toFixed(3)),
        gflops: Number(gflops(pr, ms).toFixed(2)),
        msRange: [Number(Math.min(...s).toFixed(3)), Number(Math.max(...s).toFixed(3))],
        rounds: s.length,
        timer: source.get(impl),
        ...(impl === 'densescale' ? { tile } : {}),
        adapter,
      });
      if (impl === 'densescale' && pr.op === 'forward' && pr.M === 1024) forward1024 = gflops(pr, ms);
    }
  }

  if (forward1024 !== undefined && adapter.isFallbackAdapter) {
    const peak = await cpuFp32Peak();
    if (peak !== null) {
      ctx.emit({
        bench: 'matmul',
        impl: 'densescale',
        metric: 'cpu_fp32_peak_fraction',
        shape: [1024, 1024, 1024],
        gflops: Number(forward1024.toFixed(2)),
        peakGflops: Number(peak.gflops.toFixed(1)),
        fraction: Number((forward1024 / peak.gflops).toFixed(4)),
        assumption: peak.assumption,
        adapter,
      });
    }
  }

  if (ctx.args.includes('--tiles')) {
    for (const op of ['forward', 'dinp', 'dweight'] as const) {
      const pr: Problem = { op, M: 1024, N: 1024, K: 1024 };
      for (const t of candidateTiles(device)) {
        const s: number[] = [];
        for (let round = 0; round < rounds; round++) s.push((await timeDensescale(device, pr, t, iters(1024))).ms);
        const ms = median(s);
        ctx.emit({ bench: 'matmul', impl: 'densescale', op, shape: [1024, 1024, 1024], tile: t, ms: Number(ms.toFixed(3)), gflops: Number(gflops(pr, ms).toFixed(2)), msRange: [Number(Math.min(...s).toFixed(3)), Number(Math.max(...s).toFixed(3))], rounds, adapter });
      }
    }
  }
}
