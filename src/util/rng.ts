// PCG32 (O'Neill 2014, XSH-RR output), the same generator as assembly/shuffle.ts, so a seed gives the
// same stream in TS and in wasm, in Node and in browsers. BigInt keeps the 64-bit state exact.

const MUL = 6364136223846793005n;
const MASK64 = (1n << 64n) - 1n;

export class Pcg32 {
  private state = 0n;
  private readonly inc: bigint;

  constructor(seed: number | bigint, stream: number | bigint = 54) {
    this.inc = ((BigInt(stream) << 1n) | 1n) & MASK64;
    this.nextU32();
    this.state = (this.state + (BigInt(seed) & MASK64)) & MASK64;
    this.nextU32();
  }

  nextU32(): number {
    const old = this.state;
    this.state = (old * MUL + this.inc) & MASK64;
    const xorshifted = Number((((old >> 18n) ^ old) >> 27n) & 0xffffffffn);
    const rot = Number(old >> 59n);
    return ((xorshifted >>> rot) | (xorshifted << (-rot & 31))) >>> 0;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, bound) without modulo bias (Lemire's rejection on the low word). */
  nextBelow(bound: number): number {
    if (!(bound > 0 && bound <= 4294967296)) throw new RangeError(`nextBelow: bound ${bound} out of range`);
    const threshold = (4294967296 - bound) % bound;
    for (;;) {
      const r = this.nextU32();
      if (r >= threshold) return r % bound;
    }
  }

  /** Standard normal by Box–Muller (one value per two uniforms; deterministic order). */
  nextNormal(): number {
    const u1 = 1 - this.nextFloat();
    const u2 = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

/** Fills a Float32Array with N(0, std²) values from a seeded stream. */
export function normalFill(out: Float32Array, std: number, rng: Pcg32): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = rng.nextNormal() * std;
  return out;
}
