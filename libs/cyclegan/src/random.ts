/**
 * A small seeded PRNG: xoshiro128** (Blackman & Vigna) seeded through splitmix32, plus Box-Muller
 * normals. Same seed, same numbers, on every platform: weight initialisation must be reproducible,
 * which Math.random is not.
 */

const TWO_POW_32 = 4294967296;
const TWO_POW_31 = 2147483648;

export class SeededRandom {
  // A typed array keeps the 32-bit state unboxed (plain fields would hold heap numbers).
  private readonly s = new Uint32Array(4);
  // The second normal of a pair; a Float64Array slot avoids boxing a double per call.
  private readonly spare = new Float64Array(1);
  private hasSpare = false;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`Expected a non-negative safe integer for seed but received ${String(seed)}`);
    }
    let state = (seed >>> 0) ^ Math.imul(Math.floor(seed / TWO_POW_32) >>> 0, 0x9e3779b1);
    for (let i = 0; i < 4; i++) {
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = z ^ (z >>> 16);
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1; // all-zero is a fixed point
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const s1 = s[1];
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s[2] ^= s[0];
    s[3] ^= s1;
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1), 53 bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * Standard normal N(0, 1) by Marsaglia's polar method (Box-Muller without sin and cos, which
   * dominate the cost of drawing a generator's 11M weights); pairs are drawn, the second value is
   * kept for the next call.
   */
  nextNormal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare[0];
    }
    let u: number;
    let v: number;
    let q: number;
    do {
      u = (this.nextUint32() + 0.5) / TWO_POW_31 - 1; // (-1, 1), never exactly 0
      v = (this.nextUint32() + 0.5) / TWO_POW_31 - 1;
      q = u * u + v * v;
    } while (q >= 1);
    const f = Math.sqrt((-2 * Math.log(q)) / q);
    this.spare[0] = v * f;
    this.hasSpare = true;
    return u * f;
  }

  /**
   * Fills `out` with N(mean, std^2) samples and returns it: the numbers of out.length calls of
   * nextNormal, with the generator inlined on local state (a generator has 11M weights to draw).
   */
  fillNormal(out: Float32Array, mean: number, std: number): Float32Array {
    const n = out.length;
    let i = 0;
    if (this.hasSpare && n > 0) out[i++] = mean + std * this.nextNormal();
    const s = this.s;
    let s0 = s[0] | 0;
    let s1 = s[1] | 0;
    let s2 = s[2] | 0;
    let s3 = s[3] | 0;
    while (i + 1 < n) {
      const x = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
      let t = s1 << 9;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
      const y = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
      t = s1 << 9;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
      const u = (x + 0.5) / TWO_POW_31 - 1;
      const v = (y + 0.5) / TWO_POW_31 - 1;
      const q = u * u + v * v;
      if (q >= 1) continue;
      const f = Math.sqrt((-2 * Math.log(q)) / q);
      out[i++] = mean + std * (u * f);
      out[i++] = mean + std * (v * f);
    }
    s[0] = s0; s[1] = s1; s[2] = s2; s[3] = s3;
    if (i < n) out[i] = mean + std * this.nextNormal();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A seed for one named stream derived from a base seed (FNV-1a of the name mixed with the seed), so
 * that G_A, G_B, D_A and D_B drawn from one user seed get independent, stable weights.
 */
export function deriveSeed(seed: number, name: string): number {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`Expected a non-negative safe integer for seed but received ${String(seed)}`);
  }
  let h = 0x811c9dc5 ^ (seed >>> 0);
  h = Math.imul(h, 0x01000193);
  h ^= Math.floor(seed / TWO_POW_32) >>> 0;
  h = Math.imul(h, 0x01000193);
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
