// densescale bench nn: throughput of the per-token nn kernels (layernorm, GELU, embeddings, pooling,
// L2 normalisation), forward and backward, at B·T = 4096 tokens and C = 256 / 768. One JSON line per
// (op, pass, C): GPU ms and GB/s, where bytes are the minimum traffic the op must move (each input read
// once, each output written once); re-reads inside a kernel are not credited. A plain elementwise add
// (op "add_baseline") is measured alongside as this adapter's practical bandwidth for comparison.
import type { Device } from '../gpu/device.js';
import type { Recorder } from '../gpu/recorder.js';
import type { Tensor } from '../gpu/tensor.js';
import { createCsrTensors, encoderBackward, encoderForward, writeCsr } from '../ops/encoder.js';
import { geluBackward, geluForward } from '../ops/gelu.js';
import { l2normBackward, l2normForward } from '../ops/l2norm.js';
import { layernormBackward, layernormForward, layernormWorkspaceSize } from '../ops/layernorm.js';
import { poolBackward, poolForward } from '../ops/pool.js';
import type { RowMapping } from '../ops/rows.js';
import { residualForward } from '../ops/residual.js';
import { tokenCsr } from '../util/csr.js';
import { Pcg32 } from '../util/rng.js';
import { adapterTag, timeGpu, type BenchContext } from './common.js';

export const summary = 'nn kernels (layernorm, gelu, encoder, pool, l2norm): GB/s forward and backward at B·T = 4096, C = 256 and 768';

const TOKENS = 4096;
const BATCH = 32; // B·T = 32 × 128
const SEQ = TOKENS / BATCH;
const VOCAB = 30522;
const POSITIONS = 512;
const MAPPINGS: RowMapping[] = ['invocation', 'workgroup'];

interface Case {
  op: string;
  /** Row-to-device mapping of the row-reduction ops (both are timed: they give the same bits). */
  mapping?: RowMapping;
  pass: 'forward' | 'backward';
  /** Bytes the op must read and write at minimum. */
  bytes: number;
  record(rec: Recorder): void;
}

/** Uniform [-1, 1) data from xorshift32 seeded by `rng`: tens of millions of values, so not BigInt PCG. */
function randomData(n: number, rng: Pcg32): Float32Array {
  const a = new Float32Array(n);
  let s = rng.nextU32() | 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = (s >>> 0) / 2147483648 - 1;
  }
  return a;
}

function cases(device: Device, C: number, rng: Pcg32, made: Tensor[]): Case[] {
  const t = (label: string, shape: number[], dtype: 'f32' | 'i32' | 'u32' = 'f32', data?: ArrayBufferView) => {
    const tensor = device.tensor(`bench.nn.${label}`, shape, dtype, data ?? (dtype === 'f32' ? randomData(shape.reduce((a, b) => a * b, 1), rng) : undefined));
    made.push(tensor);
    return tensor;
  };
  const f = 4;
  const NC = TOKENS * C;
  const x = t('x', [BATCH, SEQ, C]);
  const y = t('y', [BATCH, SEQ, C]);
  const dy = t('dy', [BATCH, SEQ, C]);
  const dx = t('dx', [BATCH, SEQ, C]);
  const w = t('w', [C]);
  const b = t('b', [C]);
  const dw = t('dw', [C]);
  const db = t('db', [C]);
  const mean = t('mean', [TOKENS]);
  const rstd = t('rstd', [TOKENS]);
  const workspace = t('ln.ws', [layernormWorkspaceSize({ rows: TOKENS, channels: C })]);
  // The MLP activation is (B, T, 4C).
  // Pre-activations in [-3, 3), so the erf form takes both of its branches.
  const h = t('h', [TOKENS, 4 * C], 'f32', randomData(TOKENS * 4 * C, rng).map((v) => 3 * v));
  const hOut = t('h.out', [TOKENS, 4 * C]);
  const dh = t('dh', [TOKENS, 4 * C]);
  const ids = Int32Array.from({ length: TOKENS }, () => Math.floor(rng.nextFloat() ** 3 * VOCAB));
  const idsT = t('ids', [BATCH, SEQ], 'i32', ids);
  const typesT = t('types', [BATCH, SEQ], 'i32', new Int32Array(TOKENS));
  const wte = t('wte', [VOCAB, C]);
  const wpe = t('wpe', [POSITIONS, C]);
  const wtt = t('wtt', [2, C]);
  const dwte = t('dwte', [VOCAB, C]);
  const dwpe = t('dwpe', [POSITIONS, C]);
  const dwtt = t('dwtt', [2, C]);
  const tokenGpu = createCsrTensors(device, 'bench.nn.tokens', TOKENS);
  const typeGpu = createCsrTensors(device, 'bench.nn.types', TOKENS);
  made.push(tokenGpu.uniqueIds, tokenGpu.offsets, tokenGpu.positions, typeGpu.uniqueIds, typeGpu.offsets, typeGpu.positions);
  const tokenCsrGpu = writeCsr(device, tokenGpu, tokenCsr(ids, VOCAB));
  const typeCsrGpu = writeCsr(device, typeGpu, tokenCsr(new Int32Array(TOKENS), 2));
  const mask = new Uint32Array(TOKENS);
  for (let s = 0; s < BATCH; s++) mask.fill(1, s * SEQ, s * SEQ + 1 + Math.floor(rng.nextFloat() * SEQ));
  const maskT = t('mask', [BATCH, SEQ], 'u32', mask);
  const pooled = t('pooled', [BATCH, C]);
  const dpooled = t('dpooled', [BATCH, C]);
  const norm = t('norm', [TOKENS]);
  const U = tokenCsrGpu.uniqueCount;
  return [
    { op: 'add_baseline', pass: 'forward', bytes: f * 3 * NC, record: (r) => residualForward(r, y, x, dy) },
    ...MAPPINGS.flatMap((mapping): Case[] => [
      { op: 'layernorm', mapping, pass: 'forward', bytes: f * (2 * NC + 2 * C + 2 * TOKENS), record: (r) => layernormForward(r, y, mean, rstd, x, w, b, { eps: 1e-12, mapping }) },
      {
        op: 'layernorm',
        mapping,
        pass: 'backward',
        bytes: f * (3 * NC + C + 2 * TOKENS + 2 * C),
        record: (r) => layernormBackward(r, dx, dw, db, workspace, dy, x, w, mean, rstd, { accumulate: { input: false, params: true }, mapping }),
      },
    ]),
    { op: 'gelu', pass: 'forward', bytes: f * 2 * 4 * NC, record: (r) => geluForward(r, hOut, h, { form: 'gelu' }) },
    { op: 'gelu', pass: 'backward', bytes: f * 3 * 4 * NC, record: (r) => geluBackward(r, dh, h, hOut, { form: 'gelu', accumulate: false }) },
    { op: 'gelu_new', pass: 'forward', bytes: f * 2 * 4 * NC, record: (r) => geluForward(r, hOut, h, { form: 'gelu_new' }) },
    { op: 'gelu_new', pass: 'backward', bytes: f * 3 * 4 * NC, record: (r) => geluBackward(r, dh, h, hOut, { form: 'gelu_new', accumulate: false }) },
    {
      op: 'encoder',
      pass: 'forward',
      // ids and type ids; the distinct wte rows, wpe rows and type rows; the output.
      bytes: f * (2 * TOKENS + (U + SEQ + 1) * C + NC),
      record: (r) => encoderForward(r, y, idsT, wte, wpe, { ids: typesT, table: wtt }),
    },
    {
      op: 'encoder',
      pass: 'backward',
      // dout and the CSRs in; the touched rows of dwte, dwpe (all P rows) and dwtt read and written.
      bytes: f * (NC + 4 * TOKENS + 2 * (U + POSITIONS + 1) * C),
      record: (r) => encoderBackward(r, dwte, dwpe, dwtt, y, tokenCsrGpu, typeCsrGpu, { accumulate: true }),
    },
    { op: 'pool_mean', pass: 'forward', bytes: f * (NC + TOKENS + BATCH * C), record: (r) => poolForward(r, pooled, x, maskT, { mode: 'mean' }) },
    { op: 'pool_mean', pass: 'backward', bytes: f * (NC + TOKENS + BATCH * C), record: (r) => poolBackward(r, dx, dpooled, maskT, { mode: 'mean', accumulate: false }) },
    ...MAPPINGS.flatMap((mapping): Case[] => [
      { op: 'l2norm', mapping, pass: 'forward', bytes: f * (2 * NC + TOKENS), record: (r) => l2normForward(r, y, norm, x, { mapping }) },
      { op: 'l2norm', mapping, pass: 'backward', bytes: f * (3 * NC + TOKENS), record: (r) => l2normBackward(r, dx, dy, x, norm, { accumulate: false, mapping }) },
    ]),
  ];
}

export async function run(ctx: BenchContext): Promise<void> {
  const device = await ctx.device();
  const adapter = adapterTag(device);
  const rng = new Pcg32(7);
  const timing = ctx.quick ? { warmup: 1, iters: 3 } : { warmup: 3, iters: 15 };
  for (const C of ctx.quick ? [256] : [256, 768]) {
    const made: Tensor[] = [];
    for (const c of cases(device, C, rng, made)) {
      const t = await timeGpu(device, (rec) => c.record(rec), timing);
      ctx.emit({
        bench: 'nn',
        op: c.op,
        ...(c.mapping === undefined ? {} : { mapping: c.mapping }),
        pass: c.pass,
        tokens: TOKENS,
        C,
        ms: Number(t.ms.toFixed(4)),
        min_ms: Number(t.minMs.toFixed(4)),
        gbps: Number((c.bytes / (t.ms * 1e6)).toFixed(3)),
        timing: t.source,
        samples: t.samples,
        adapter,
      });
    }
    for (const tensor of made) device.release(tensor);
  }
}
