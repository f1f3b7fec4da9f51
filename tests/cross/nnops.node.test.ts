import { describe, expect, it } from 'vitest';
import { encoderForward } from '../../src/ref/encoder.js';
import { geluForward } from '../../src/ref/gelu.js';
import { l2normForward } from '../../src/ref/l2norm.js';
import { layernormForward } from '../../src/ref/layernorm.js';
import { poolForward } from '../../src/ref/pool.js';
import { expectClose, TOL } from '../helpers/close.js';
import { runInEveryRuntime } from '../helpers/cross_runtime.js';
import { nnopsInputs } from './nnops_entry.js';

const f32 = (u8: Uint8Array) => new Float32Array(u8.buffer, u8.byteOffset, u8.byteLength / 4);

describe('cross-runtime determinism of the nn forward kernels', { timeout: 300_000 }, () => {
  it('layernorm, gelu (both forms), encoder, pool (mean, cls) and l2norm (both row mappings) are bit-identical on lavapipe, SwiftShader and Chromium', async () => {
    const seed = 2024;
    const r = await runInEveryRuntime(new URL('./nnops_entry.ts', import.meta.url).pathname, { seed });
    expect(r.lavapipe.adapter).toMatch(/llvmpipe/);
    expect(r.swiftshader.adapter).toMatch(/swiftshader/i);
    expect(r.chromium.adapter).toMatch(/swiftshader/i);
    const names = Object.keys(r.lavapipe.outputs);
    expect(names.length).toBe(21);
    for (const rt of ['swiftshader', 'chromium'] as const) {
      const differ = names.filter((n) => Buffer.compare(Buffer.from(r[rt].outputs[n]!), Buffer.from(r.lavapipe.outputs[n]!)) !== 0);
      expect(differ, `${rt} (${r[rt].adapter}) vs lavapipe`).toEqual([]);
    }

    // Both row mappings give the same bits.
    const same = (a: string, b: string) => Buffer.compare(Buffer.from(r.lavapipe.outputs[a]!), Buffer.from(r.lavapipe.outputs[b]!));
    for (const [a, b] of [['layernorm_wide', 'layernorm_wide_rows'], ['layernorm_wide_mean', 'layernorm_wide_rows_mean'], ['l2norm', 'l2norm_rows'], ['l2norm_norm', 'l2norm_rows_norm']]) {
      expect(same(a!, b!), `${a} vs ${b}`).toBe(0);
    }

    // And the agreed bytes are right: compare with the f64 references.
    const x = nnopsInputs(seed);
    const out = (n: string) => f32(r.lavapipe.outputs[n]!);
    for (const form of ['gelu', 'gelu_new'] as const) {
      expectClose(out(`${form}_vec4`), geluForward(x.gelu, form), TOL.elementwise, form);
      expectClose(out(`${form}_scalar`), geluForward(x.geluOdd, form), TOL.elementwise, form);
    }
    expectClose(out('layernorm_wide'), layernormForward(x.lnWide, x.lnWideW, x.lnWideB, 37, 768, 1e-12).out, TOL.reduction, 'layernorm wide', 10);
    expectClose(out('layernorm_odd'), layernormForward(x.lnOdd, x.lnOddW, x.lnOddB, 5, 13, 1e-12).out, TOL.reduction, 'layernorm odd', 10);
    expectClose(out('encoder_vec4'), encoderForward(x.ids, x.typeIds, x.wte64, x.wpe64, x.wtt64, { B: 4, T: 9, C: 64 }), TOL.elementwise, 'encoder');
    expectClose(out('encoder_scalar'), encoderForward(x.ids, null, x.wte7, x.wpe7, null, { B: 4, T: 9, C: 7 }), TOL.elementwise, 'encoder');
    expectClose(out('pool_mean'), poolForward(x.pool, x.mask, 6, 20, 96, 'mean'), TOL.reduction, 'pool mean', 4);
    expectClose(out('pool_cls'), poolForward(x.pool, x.mask, 6, 20, 96, 'cls'), TOL.elementwise, 'pool cls');
    expectClose(out('l2norm'), l2normForward(x.l2, 9, 768).out, TOL.reduction, 'l2norm');
  });
});
