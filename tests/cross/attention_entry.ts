// Portable module for the cross-runtime test: seeded inputs with padding, attention forward and
// backward, raw output bytes.
import type { Device } from '../../src/gpu/device.js';
import { attentionBackward, attentionBackwardWorkspaceSize, attentionForward } from '../../src/ops/attention.js';
import { mulberry32, randomF32 } from '../helpers/rand.js';

export interface AttentionCrossInput {
  B: number;
  T: number;
  NH: number;
  hd: number;
  seed: number;
  /** scale of q and k entries (logits grow with its square) */
  qkScale: number;
}

export function crossInputs(c: AttentionCrossInput): { qkv: Float32Array; mask: Uint32Array; dout: Float32Array } {
  const C = c.NH * c.hd;
  const qkv = randomF32(c.B * c.T * 3 * C, c.seed);
  for (let row = 0; row < c.B * c.T; row++) for (let x = 0; x < 2 * C; x++) qkv[row * 3 * C + x]! *= c.qkScale;
  const r = mulberry32(c.seed + 1);
  const mask = new Uint32Array(c.B * c.T);
  for (let b = 0; b < c.B; b++) {
    const len = b === 0 ? c.T : 1 + Math.floor(r() * c.T);
    for (let t = 0; t < len; t++) mask[b * c.T + t] = 1;
  }
  return { qkv, mask, dout: randomF32(c.B * c.T * C, c.seed + 2) };
}

export async function run(device: Device, input: AttentionCrossInput): Promise<Record<string, Uint8Array>> {
  const { B, T, NH, hd } = input;
  const C = NH * hd;
  const x = crossInputs(input);
  const qkv = device.tensor('qkv', [B, T, 3 * C], 'f32', x.qkv);
  const mask = device.tensor('mask', [B, T], 'u32', x.mask);
  const dout = device.tensor('dout', [B, T, C], 'f32', x.dout);
  const out = device.tensor('out', [B, T, C]);
  const lse = device.tensor('lse', [B, NH, T]);
  const dqkv = device.tensor('dqkv', [B, T, 3 * C]);
  const ws = device.tensor('ws', [attentionBackwardWorkspaceSize({ batch: B, seqLen: T, numHeads: NH })]);
  const rec = device.recorder('attention.cross');
  attentionForward(rec, out, lse, qkv, mask, { numHeads: NH });
  attentionBackward(rec, dqkv, ws, dout, qkv, mask, out, lse, { numHeads: NH, accumulate: false });
  const reads = [rec.read(out), rec.read(lse), rec.read(dqkv)];
  await rec.submit();
  const [o, l, g] = await Promise.all(reads);
  return { out: new Uint8Array(o!), lse: new Uint8Array(l!), dqkv: new Uint8Array(g!) };
}
