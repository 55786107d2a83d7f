// Typed arrays that one check borrows and gives back when it ends. A 2048x1024 check works on 57 arrays
// (82 MB). Fresh ones cost more than the arithmetic on them (the page faults of their first touch,
// and the mark-compacts that so much external memory triggers), so the checks of a dataset, whose images
// mostly share one size, reuse the same buffers. What the pool keeps is bounded (POOL_BYTES), whatever the
// dataset's size.

const POOL_BYTES = 256 * 1024 * 1024;
const free: ArrayBuffer[] = [];
let freeBytes = 0;

/**
 * Buffers a check borrows. f32 and u8 hand out zeroed arrays; the *Raw ones keep what an earlier check
 * left (zeroing all 82 MB costs about 10 ms per check), for arrays the caller overwrites completely before
 * reading.
 */
export class Scratch {
  private readonly lent: ArrayBuffer[] = [];

  f32(n: number): Float32Array { return new Float32Array(this.take(n * 4, true), 0, n); }
  u8(n: number): Uint8Array { return new Uint8Array(this.take(n, true), 0, n); }
  f32Raw(n: number): Float32Array { return new Float32Array(this.take(n * 4, false), 0, n); }
  i32Raw(n: number): Int32Array { return new Int32Array(this.take(n * 4, false), 0, n); }
  u16Raw(n: number): Uint16Array { return new Uint16Array(this.take(n * 2, false), 0, n); }
  u8Raw(n: number): Uint8Array { return new Uint8Array(this.take(n, false), 0, n); }

  /** Gives every borrowed buffer back to the pool: no array this scratch handed out may be used afterwards. */
  release(): void {
    for (const b of this.lent) { free.push(b); freeBytes += b.byteLength; }
    this.lent.length = 0;
    while (freeBytes > POOL_BYTES) freeBytes -= (free.shift() as ArrayBuffer).byteLength;
  }

  private take(bytes: number, zeroed: boolean): ArrayBuffer {
    // The smallest free buffer that fits and is at most twice the size (a small plane must not pin a large one).
    let best = -1;
    for (let k = 0; k < free.length; k++) {
      const b = free[k].byteLength;
      if (b >= bytes && b <= 2 * bytes && (best < 0 || b < free[best].byteLength)) best = k;
    }
    let buffer: ArrayBuffer;
    if (best < 0) buffer = new ArrayBuffer(bytes);
    else {
      buffer = free[best];
      free[best] = free[free.length - 1];
      free.pop();
      freeBytes -= buffer.byteLength;
      if (zeroed) new Uint8Array(buffer, 0, bytes).fill(0);
    }
    this.lent.push(buffer);
    return buffer;
  }
}
