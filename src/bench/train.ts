// densescale bench train: end-to-end training throughput per preset (pairs/s, tokens/s, achieved GFLOP/s
// against the best matmul of the same run), where a step's GPU time goes (one profiled step, per kernel),
// and the same step written with tfjs ops on tfjs-webgpu on the same adapter (bench/train_tfjs.ts).
//
// A step is the paper's shape scaled as the issue asks: B = 32 queries of 32 tokens, their positives and
// W = 256 shared negatives of 128 tokens (--quick: W = 32, 64 tokens), BERT's 30,522-token vocabulary,
// random ids with every position a real token. Both implementations are timed the same way: wall clock
// of a whole step (batch upload, forward, backward, optimizer) ending when its loss has been read back,
// after one untimed step (pipeline compilation); the median of --iters steps. Before timing, the tfjs
// model is loaded with the densescale model's weights and both must give the same loss on the same batch.
//
// FLOPs per step follow the scaling-law convention, 6·N·tokens (N non-embedding parameters, the paper's
// N; it counts the pooler and projection per token although they run per sequence), plus attention:
// 3 passes × 2 matmuls × 2·T²·H per layer and sequence.
import type { Device } from '../gpu/device.js';
import { matmulForward } from '../ops/matmul.js';
import { BiEncoder } from '../model/biencoder.js';
import { modelConfig, type BiEncoderConfig } from '../model/config.js';
import { Pcg32 } from '../util/rng.js';
import { adapterTag, flagValue, median, timeGpu, type BenchContext } from './common.js';
import { loadTfjs } from './tfjs.js';
import { TfjsBiEncoder, type StepBatch, type StepShape } from './train_tfjs.js';

export const summary = 'training step pairs/s, tokens/s and GFLOP/s per preset vs the best matmul, per-kernel profile, and tfjs-webgpu running the same BERT bi-encoder step [--presets a,b] [--iters N] [--no-tfjs]';

const VOCAB = 30522;
const LEARNING_RATE = 1e-4;
/** Speed floor over tfjs-webgpu that issue 5 sets. */
const FLOOR = 3;

function randomBatch(shape: StepShape, seed: number): StepBatch {
  const rng = new Pcg32(seed);
  // Ids above the 5 special tokens of a BERT vocabulary; every position is a token (no padding).
  const ids = (n: number) => Int32Array.from({ length: n }, () => 5 + rng.nextBelow(VOCAB - 5));
  const rows = shape.batchSize + shape.negatives;
  return {
    queryIds: ids(shape.batchSize * shape.queryLength),
    queryMask: new Int32Array(shape.batchSize * shape.queryLength).fill(1),
    passageIds: ids(rows * shape.passageLength),
    passageMask: new Int32Array(rows * shape.passageLength).fill(1),
  };
}

/** 6·N·tokens + attention (see the header). */
export function stepFlops(cfg: BiEncoderConfig, n: number, shape: StepShape): { flops: number; tokens: number } {
  const rows = shape.batchSize + shape.negatives;
  const tokens = shape.batchSize * shape.queryLength + rows * shape.passageLength;
  const attention = 3 * 2 * 2 * cfg.hidden * cfg.layers * (shape.batchSize * shape.queryLength ** 2 + rows * shape.passageLength ** 2);
  return { flops: 6 * n * tokens + attention, tokens };
}

/** The best forward matmul GFLOP/s among square sizes, measured now on this device. */
async function bestMatmul(device: Device, sizes: number[], iters: number): Promise<{ gflops: number; size: number }> {
  let best = { gflops: 0, size: 0 };
  for (const n of sizes) {
    const rng = new Pcg32(n);
    const data = () => Float32Array.from({ length: n * n }, () => rng.nextFloat() - 0.5);
    const a = device.tensor('bench.train.mm.a', [n, n], 'f32', data());
    const b = device.tensor('bench.train.mm.b', [n, n], 'f32', data());
    const out = device.tensor('bench.train.mm.out', [n, n]);
    try {
      const t = await timeGpu(device, (rec) => matmulForward(rec, out, a, b, null), { warmup: 1, iters });
      const gflops = (2 * n ** 3) / (t.ms * 1e6);
      if (gflops > best.gflops) best = { gflops, size: n };
    } finally {
      for (const x of [a, b, out]) device.release(x);
    }
  }
  return best;
}

async function timeSteps(iters: number, step: () => Promise<number>): Promise<{ ms: number; samples: number[]; loss: number }> {
  let loss = await step(); // compiles pipelines and allocates; not timed
  const samples: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    loss = await step();
    samples.push(performance.now() - t0);
  }
  return { ms: median(samples), samples, loss };
}

export async function run(ctx: BenchContext): Promise<void> {
  const device = await ctx.device();
  const onGpu = !device.info.isFallbackAdapter;
  const presets = (flagValue(ctx.args, '--presets') ?? (onGpu ? 'tiny,mini,small,medium,base' : ctx.quick ? 'tiny' : 'tiny,mini')).split(',');
  const iters = Number(flagValue(ctx.args, '--iters') ?? (onGpu ? 10 : ctx.quick ? 1 : 2));
  const shape: StepShape = ctx.quick ? { batchSize: 32, negatives: 32, queryLength: 32, passageLength: 64 } : { batchSize: 32, negatives: 256, queryLength: 32, passageLength: 128 };
  const adapter = adapterTag(device);
  const matmul = await bestMatmul(device, onGpu ? [2048, 4096] : ctx.quick ? [512] : [512, 1024], onGpu ? 20 : 3);
  ctx.emit({ bench: 'train', kind: 'matmul_best', gflops: +matmul.gflops.toFixed(2), size: matmul.size, adapter });
  const loaded = ctx.args.includes('--no-tfjs') ? 'disabled by --no-tfjs' : await loadTfjs(device, ctx.adapter);
  const tf = typeof loaded === 'string' ? loaded : loaded.tf;
  if (typeof tf === 'string') ctx.emit({ bench: 'train', kind: 'note', tfjs: tf, adapter });

  for (const preset of presets) {
    const cfg = modelConfig(preset, { vocabSize: VOCAB, maxPositions: 512 });
    const model = BiEncoder.create(device, cfg, { seed: 0, train: shape });
    const batch = randomBatch(shape, 1);
    const { flops, tokens } = stepFlops(cfg, model.paramCount, shape);
    const base = { bench: 'train', preset, params: model.paramCount, ...shape, vocab: VOCAB, tokensPerStep: tokens, gflopPerStep: +(flops / 1e9).toFixed(3), adapter };
    let tfjsModel: TfjsBiEncoder | null = null;
    try {
      let referenceLoss: number | null = null;
      if (typeof tf !== 'string') {
        tfjsModel = new TfjsBiEncoder(tf, cfg, await model.exportTensors(), LEARNING_RATE);
        referenceLoss = await model.loss(batch);
        const tfLoss = await tfjsModel.evaluate(batch, shape);
        if (!(Math.abs(tfLoss - referenceLoss) <= 1e-3 * Math.max(1, Math.abs(referenceLoss)))) {
          throw new Error(`bench train: tfjs loss ${tfLoss} but densescale ${referenceLoss} on the same weights and batch; not timing two different models`);
        }
      }
      const opt = { learningRate: LEARNING_RATE, weightDecay: 0.001, maxGradNorm: 1 };
      const ours = await timeSteps(iters, async () => (await model.trainStep(batch, opt, { readLoss: true }))!);
      const seconds = ours.ms / 1000;
      ctx.emit({
        ...base,
        impl: 'densescale',
        msPerStep: +ours.ms.toFixed(1),
        samples: ours.samples.map((x) => +x.toFixed(1)),
        pairsPerSecond: +(shape.batchSize / seconds).toFixed(2),
        tokensPerSecond: Math.round(tokens / seconds),
        gflops: +(flops / 1e9 / seconds).toFixed(2),
        ofBestMatmul: +(flops / 1e9 / seconds / matmul.gflops).toFixed(3),
        loss: ours.loss,
      });
      const profile = await model.profileStep(batch, opt);
      if (profile.length > 0) {
        const byKernel = new Map<string, number>();
        for (const e of profile) byKernel.set(e.entry, (byKernel.get(e.entry) ?? 0) + e.ms);
        const total = profile.reduce((s, e) => s + e.ms, 0);
        const kernels = Object.fromEntries([...byKernel].sort((a, b) => b[1] - a[1]).map(([k, ms]) => [k, +((100 * ms) / total).toFixed(1)]));
        ctx.emit({ bench: 'train', kind: 'profile', preset, dispatches: profile.length, gpuMs: +total.toFixed(1), percentByKernel: kernels, adapter });
      }
      if (tfjsModel !== null) {
        const x = tfjsModel.inputs(batch, shape);
        try {
          const theirs = await timeSteps(iters, () => tfjsModel!.step(x, shape));
          const speedup = theirs.ms / ours.ms;
          ctx.emit({
            ...base,
            impl: 'tfjs-webgpu',
            msPerStep: +theirs.ms.toFixed(1),
            samples: theirs.samples.map((v) => +v.toFixed(1)),
            pairsPerSecond: +((shape.batchSize * 1000) / theirs.ms).toFixed(2),
            tokensPerSecond: Math.round((tokens * 1000) / theirs.ms),
            gflops: +(flops / 1e6 / theirs.ms).toFixed(2),
            loss: theirs.loss,
          });
          ctx.emit({ bench: 'train', kind: 'compare', preset, speedupOverTfjs: +speedup.toFixed(2), floor: FLOOR, meetsFloor: speedup >= FLOOR, adapter });
        } catch (e) {
          ctx.emit({ ...base, impl: 'tfjs-webgpu', error: (e as Error).message.split('\n')[0] });
        } finally {
          for (const t of Object.values(x)) (t as { dispose(): void }).dispose();
        }
      }
    } finally {
      tfjsModel?.dispose();
      model.destroy();
    }
  }
}
