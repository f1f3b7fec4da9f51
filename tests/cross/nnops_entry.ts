// Portable module for the cross-runtime test of the nn forward kernels (the ones evaluation uses):
// seeded inputs, each forward op, raw output bytes.
import type { Device } from '../../src/gpu/device.js';
import type { Tensor } from '../../src/gpu/tensor.js';
import { encoderForward } from '../../src/ops/encoder.js';
import { geluForward } from '../../src/ops/gelu.js';
import { l2normForward } from '../../src/ops/l2norm.js';
import { layernormForward } from '../../src/ops/layernorm.js';
import { poolForward } from '../../src/ops/pool.js';
import { mulberry32, randomF32 } from '../helpers/rand.js';

export interface NnopsInput {
  seed: number;
}

/** Inputs shared with the test, which recomputes references from them. */
export function nnopsInputs(seed: number) {
  const rnd = mulberry32(seed);
  const gelu = randomF32(4096, seed, 8);
  gelu.set([100, -100, 1e4, -1e4, 1e30, -1e30, 0, -0, 1e-30, Math.SQRT2, -Math.SQRT2, 5.5, -5.5, -12]);
  const lnWide = randomF32(37 * 768, seed + 1, 3);
  const lnOdd = randomF32(5 * 13, seed + 2, 3);
  lnOdd.fill(0.1, 13, 26); // a constant row
  const mask = new Uint32Array(6 * 20);
  for (let b = 0; b < 6; b++) mask.fill(1, b * 20, b * 20 + [1, 0, 20, 7, 13, 2][b]!); // incl. [CLS]-only and empty rows
  return {
    gelu,
    geluOdd: gelu.subarray(0, 4093),
    lnWide,
    lnWideW: randomF32(768, seed + 3, 2),
    lnWideB: randomF32(768, seed + 4),
    lnOdd,
    lnOddW: randomF32(13, seed + 5, 2),
    lnOddB: randomF32(13, seed + 6),
    ids: Int32Array.from({ length: 4 * 9 }, () => Math.floor(rnd() ** 2 * 50)),
    typeIds: Int32Array.from({ length: 4 * 9 }, () => Math.floor(rnd() * 2)),
    wte64: randomF32(50 * 64, seed + 7),
    wpe64: randomF32(16 * 64, seed + 8),
    wtt64: randomF32(2 * 64, seed + 9),
    wte7: randomF32(50 * 7, seed + 10),
    wpe7: randomF32(16 * 7, seed + 11),
    pool: randomF32(6 * 20 * 96, seed + 12, 4),
    mask,
    l2: randomF32(9 * 768, seed + 13, 2),
  };
}

export async function run(device: Device, input: NnopsInput): Promise<Record<string, Uint8Array>> {
  const x = nnopsInputs(input.seed);
  const made: Tensor[] = [];
  const t = (label: string, shape: number[], data?: Float32Array | Int32Array | Uint32Array, dtype: 'f32' | 'i32' | 'u32' = 'f32') => {
    const tensor = device.tensor(label, shape, dtype, data);
    made.push(tensor);
    return tensor;
  };
  const outputs: Record<string, Tensor> = {};
  const rec = device.recorder('cross.nnops');
  for (const form of ['gelu', 'gelu_new'] as const) {
    outputs[`${form}_vec4`] = t(`${form}.vec4`, [4096]);
    geluForward(rec, outputs[`${form}_vec4`]!, t('gelu.in', [4096], x.gelu), { form });
    outputs[`${form}_scalar`] = t(`${form}.scalar`, [4093]);
    geluForward(rec, outputs[`${form}_scalar`]!, t('gelu.in.odd', [4093], Float32Array.from(x.geluOdd)), { form });
  }
  const layernormCases = [
    ['wide', 37, 768, x.lnWide, x.lnWideW, x.lnWideB, 'workgroup'],
    ['wide_rows', 37, 768, x.lnWide, x.lnWideW, x.lnWideB, 'invocation'],
    ['odd', 5, 13, x.lnOdd, x.lnOddW, x.lnOddB, 'workgroup'],
  ] as const;
  for (const [name, rows, C, inp, w, b, mapping] of layernormCases) {
    outputs[`layernorm_${name}`] = t(`ln.${name}.out`, [rows, C]);
    outputs[`layernorm_${name}_mean`] = t(`ln.${name}.mean`, [rows]);
    outputs[`layernorm_${name}_rstd`] = t(`ln.${name}.rstd`, [rows]);
    layernormForward(rec, outputs[`layernorm_${name}`]!, outputs[`layernorm_${name}_mean`]!, outputs[`layernorm_${name}_rstd`]!, t('ln.in', [rows, C], inp), t('ln.w', [C], w), t('ln.b', [C], b), {
      eps: 1e-12,
      mapping,
    });
  }
  const ids = t('enc.ids', [4, 9], x.ids, 'i32');
  outputs.encoder_vec4 = t('enc.out64', [4, 9, 64]);
  encoderForward(rec, outputs.encoder_vec4, ids, t('wte64', [50, 64], x.wte64), t('wpe64', [16, 64], x.wpe64), { ids: t('enc.types', [4, 9], x.typeIds, 'i32'), table: t('wtt64', [2, 64], x.wtt64) });
  outputs.encoder_scalar = t('enc.out7', [4, 9, 7]);
  encoderForward(rec, outputs.encoder_scalar, ids, t('wte7', [50, 7], x.wte7), t('wpe7', [16, 7], x.wpe7), null);
  const poolIn = t('pool.in', [6, 20, 96], x.pool);
  const mask = t('pool.mask', [6, 20], x.mask, 'u32');
  for (const mode of ['mean', 'cls'] as const) {
    outputs[`pool_${mode}`] = t(`pool.${mode}`, [6, 96]);
    poolForward(rec, outputs[`pool_${mode}`]!, poolIn, mask, { mode });
  }
  const l2In = t('l2.in', [9, 768], x.l2);
  for (const mapping of ['workgroup', 'invocation'] as const) {
    const name = mapping === 'workgroup' ? 'l2norm' : 'l2norm_rows';
    outputs[name] = t(`${name}.out`, [9, 768]);
    outputs[`${name}_norm`] = t(`${name}.norm`, [9]);
    l2normForward(rec, outputs[name]!, outputs[`${name}_norm`]!, l2In, { mapping });
  }
  const names = Object.keys(outputs);
  const reads = names.map((n) => rec.read(outputs[n]!));
  await rec.submit();
  const bytes = await Promise.all(reads);
  for (const tensor of made) device.release(tensor);
  return Object.fromEntries(names.map((n, i) => [n, new Uint8Array(bytes[i]!)]));
}
