import { describe, expect, it } from 'vitest';
import { loadWasm, utf8InvalidOffset } from '../../src/wasm/module.js';
import { mulberry32 } from '../helpers/rand.js';

// Reference: TextDecoder({fatal: true}), the WHATWG UTF-8 decoder. It reports validity only, so the offset
// is checked by its defining property: the prefix before it decodes.
function validByTextDecoder(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

describe('wasm utf8Validate (AssemblyScript)', () => {
  it('agrees with TextDecoder({fatal:true}) on 20,000 random byte strings biased to tricky sequences', async () => {
    await loadWasm();
    const r = mulberry32(7);
    const tricky = [0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x90, 0x8f];
    for (let t = 0; t < 20_000; t++) {
      const n = Math.floor(r() * 12);
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) bytes[i] = r() < 0.5 ? tricky[Math.floor(r() * tricky.length)]! : Math.floor(r() * 256);
      const off = utf8InvalidOffset(bytes);
      expect(off === -1, `bytes [${Array.from(bytes, (b) => b.toString(16)).join(' ')}]`).toBe(validByTextDecoder(bytes));
      if (off >= 0) {
        // Everything before the reported offset is valid, and the sequence starting there is not.
        expect(validByTextDecoder(bytes.subarray(0, off)), 'prefix before the offset decodes').toBe(true);
      }
    }
  });

  it('accepts real multilingual text and points at the first bad byte', async () => {
    await loadWasm();
    const good = new TextEncoder().encode('naïve café — 北京 🚀 \u0301e');
    expect(utf8InvalidOffset(good)).toBe(-1);
    const bad = new Uint8Array([...good.subarray(0, 5), 0xed, 0xa0, 0x80, ...good.subarray(5)]); // an encoded surrogate
    expect(utf8InvalidOffset(bad)).toBe(5);
  });
});
