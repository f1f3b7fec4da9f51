import { describe, expect, it } from 'vitest';
import { ConfigError, LimitError } from '../../src/errors.js';
import { grid1d } from '../../src/gpu/kernel.js';
import { platformGpu } from '../../src/platform/platform.js';
import { testDevice } from '../helpers/device.js';

describe('createDevice', () => {
  it('reports a real adapter as a plain object', async () => {
    const device = await testDevice();
    const info = JSON.parse(JSON.stringify(device.info));
    for (const k of ['vendor', 'architecture', 'device', 'description', 'isFallbackAdapter', 'features', 'limits', 'runtime']) {
      expect(info, `device.info.${k}`).toHaveProperty(k);
    }
    expect(info.vendor.length + info.architecture.length, 'vendor or architecture names the adapter').toBeGreaterThan(0);
    expect(info.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    console.log(`adapter: ${info.vendor}/${info.architecture} ${info.description} fallback=${info.isFallbackAdapter} runtime=${info.runtime}`);
  });

  it('requests the adapter limits and optional features, not the spec defaults', async () => {
    const device = await testDevice();
    const { gpu } = await platformGpu();
    const adapter = (await gpu.requestAdapter())!;
    for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupStorageSize'] as const) {
      expect(device.info.limits[k], k).toBe(adapter.limits[k]);
    }
    for (const f of ['shader-f16', 'subgroups', 'timestamp-query']) {
      expect(device.info.features.includes(f), f).toBe(adapter.features.has(f as GPUFeatureName));
    }
  });
});

describe('buffers and limits', () => {
  it('refuses a tensor over maxStorageBufferBindingSize before allocating anything', async () => {
    const device = await testDevice();
    const before = device.stats().buffers;
    const tooMany = device.info.limits.maxStorageBufferBindingSize! / 4 + 1;
    expect(() => device.tensor('huge', [tooMany])).toThrow(LimitError);
    expect(() => device.tensor('huge', [tooMany])).toThrow(/(maxStorageBufferBindingSize|maxBufferSize).*lower/);
    expect(device.stats().buffers).toBe(before);
  });

  it('round-trips data and releases buffers', async () => {
    const device = await testDevice();
    const warm = device.tensor('warmup', [4]);
    await device.read(warm); // allocates the pooled staging buffer once
    device.release(warm);
    const before = device.stats().buffers;
    const data = new Float32Array([1.5, -2, 3.25, Math.PI]);
    const t = device.tensor('roundtrip', [4], 'f32', data);
    expect(Array.from(await device.read(t))).toEqual(Array.from(data));
    device.release(t);
    expect(device.stats().buffers).toBe(before);
  });
});

describe('grid1d', () => {
  it('folds more than 65535 workgroups into two dimensions covering every item', () => {
    expect(grid1d(1, 256)).toEqual([1, 1, 1]);
    expect(grid1d(256, 256)).toEqual([1, 1, 1]);
    expect(grid1d(257, 256)).toEqual([2, 1, 1]);
    expect(grid1d(65535 * 64, 64)).toEqual([65535, 1, 1]);
    const [x, y] = grid1d(65535 * 64 + 1, 64);
    expect(y).toBe(2);
    expect(x * y * 64).toBeGreaterThanOrEqual(65535 * 64 + 1);
    expect(x).toBeLessThanOrEqual(65535);
  });

  it('rejects a grid that cannot be folded', () => {
    expect(() => grid1d(65535 * 65535 * 2, 1)).toThrow(LimitError);
  });
});

describe('Params packing', () => {
  it('names the missing or unknown field', async () => {
    const device = await testDevice();
    const k = device.kernel('residual_forward');
    const t = device.tensor('p.t', [4]);
    const rec = device.recorder('params.test');
    expect(() => rec.dispatch(k, {}, { out: t, a: t, b: t }, [1])).toThrow(/Params field "n" was not given/);
    expect(() => rec.dispatch(k, { n: 4, m: 1 }, { out: t, a: t, b: t }, [1])).toThrow(ConfigError);
    expect(() => rec.dispatch(k, { n: -1 }, { out: t, a: t, b: t }, [1])).toThrow(/not a u32/);
    expect(() => rec.dispatch(k, { n: 4 }, { out: t, a: t }, [1])).toThrow(/binding "b" was not given/);
    await rec.submit();
    device.release(t);
  });
});
