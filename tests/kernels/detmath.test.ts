// The WGSL helpers exp_det/log_det against their TS twins in src/ref/detmath.ts. The helper text is taken
// from the generated shader registry (the generator has already checked every copy is identical), wrapped
// in a probe kernel, and run over a sweep of inputs.
import { describe, expect, it } from 'vitest';
import { SHADERS } from '../../src/gen/shaders.js';
import { expDet, f32FromBits, logDet } from '../../src/ref/detmath.js';
import type { Device } from '../../src/gpu/device.js';
import { testDevice } from '../helpers/device.js';

function helperText(code: string, name: string): string {
  const start = code.indexOf(`fn ${name}(`);
  if (start < 0) throw new Error(`no fn ${name}`);
  let depth = 0;
  for (let i = code.indexOf('{', start); i < code.length; i++) {
    if (code[i] === '{') depth++;
    else if (code[i] === '}' && --depth === 0) return code.slice(start, i + 1);
  }
  throw new Error(`unbalanced fn ${name}`);
}

async function probe(device: Device, expIn: Float32Array, logIn: Float32Array): Promise<{ exp: Float32Array; log: Float32Array }> {
  const source = SHADERS.contrastive_eval_forward!.code;
  const code = `
@group(0) @binding(0) var<storage, read_write> exp_out: array<f32>;
@group(0) @binding(1) var<storage, read_write> log_out: array<f32>;
@group(0) @binding(2) var<storage, read> exp_in: array<f32>;
@group(0) @binding(3) var<storage, read> log_in: array<f32>;
${helperText(source, 'exp_det')}
${helperText(source, 'log_det')}
@compute @workgroup_size(64)
fn probe(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= arrayLength(&exp_in)) { return; }
  exp_out[i] = exp_det(exp_in[i]);
  log_out[i] = log_det(log_in[i]);
}`;
  const gpu = device.gpu;
  const module = gpu.createShaderModule({ label: 'detmath.probe', code });
  const pipeline = gpu.createComputePipeline({ label: 'detmath.probe', layout: 'auto', compute: { module, entryPoint: 'probe' } });
  const n = expIn.length;
  const tensors = [device.tensor('exp_out', [n]), device.tensor('log_out', [n]), device.tensor('exp_in', [n], 'f32', expIn), device.tensor('log_in', [n], 'f32', logIn)];
  const bind = gpu.createBindGroup({
    label: 'detmath.probe',
    layout: pipeline.getBindGroupLayout(0),
    entries: tensors.map((t, binding) => ({ binding, resource: t.binding() })),
  });
  const encoder = gpu.createCommandEncoder({ label: 'detmath.probe' });
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(Math.ceil(n / 64));
  pass.end();
  gpu.queue.submit([encoder.finish()]);
  const exp = (await device.read(tensors[0]!)) as Float32Array;
  const log = (await device.read(tensors[1]!)) as Float32Array;
  for (const t of tensors) device.release(t);
  return { exp, log };
}

describe('exp_det / log_det on the GPU vs src/ref/detmath.ts', () => {
  it('agree bit for bit where the adapter does not fuse a*b+c (CPU adapters), within 2 ULP elsewhere', async () => {
    const device = await testDevice();
    const expIn: number[] = [0, -0, 1, -1, -87, -86.99999, -87.00001, 88, 88.5, 100, -1e4, 1e-30, 0.34657359, -0.34657359];
    for (let x = -90; x <= 90; x += 0.0917) expIn.push(x);
    const logIn: number[] = [1, 2, 0.5, 1.41421356, 1.4142137, 1 + 2 ** -23, 1 - 2 ** -24, 3.4028234663852886e38, 1.1754943508222875e-38];
    for (let e = -126; logIn.length < expIn.length; e = e >= 127 ? -126 : e + 1) {
      logIn.push(f32FromBits((((e + 127) << 23) | ((logIn.length * 2654435761) & 0x7fffff)) >>> 0));
    }
    const xe = Float32Array.from(expIn);
    const xl = Float32Array.from(logIn.slice(0, expIn.length));
    const got = await probe(device, xe, xl);
    const exact = device.info.isFallbackAdapter;
    const mismatches: string[] = [];
    const check = (name: string, x: Float32Array, y: Float32Array, twin: (v: number) => number) => {
      for (let i = 0; i < x.length; i++) {
        const want = twin(x[i]!);
        const err = Math.abs(y[i]! - want);
        const ulp = want === 0 ? 1e-45 : 2 ** (Math.floor(Math.log2(Math.abs(want))) - 23);
        if (exact ? !Object.is(y[i], want) : err > 2 * ulp) mismatches.push(`${name}(${x[i]}) = ${y[i]} vs ${want}`);
      }
    };
    check('exp_det', xe, got.exp, expDet);
    check('log_det', xl, got.log, logDet);
    expect(mismatches.slice(0, 5), `${mismatches.length} mismatches on ${device.info.vendor}/${device.info.architecture}`).toEqual([]);
  });
});
