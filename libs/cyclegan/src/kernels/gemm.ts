// Single-threaded float32 matrix multiply for the cpu backend: C[M,N] += A[M,K] · B[K,N], all
// row-major. A 4x4 block of C is kept in locals while k runs over a panel of B small enough to
// stay in cache; this is what makes it ~10x faster than tfjs-cpu's naive convolution loops.

const K_PANEL = 256;

export function gemmAccumulate(
  a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number,
): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let k0 = 0; k0 < k; k0 += K_PANEL) {
    const k1 = Math.min(k, k0 + K_PANEL);
    for (let i = 0; i < m4; i += 4) {
      const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
      const c0 = i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
      for (let j = 0; j < n4; j += 4) {
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
        let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
        let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
        let bp = k0 * n + j;
        for (let p = k0; p < k1; p++, bp += n) {
          const b0 = b[bp], b1 = b[bp + 1], b2 = b[bp + 2], b3 = b[bp + 3];
          const x0 = a[a0 + p], x1 = a[a1 + p], x2 = a[a2 + p], x3 = a[a3 + p];
          s00 += x0 * b0; s01 += x0 * b1; s02 += x0 * b2; s03 += x0 * b3;
          s10 += x1 * b0; s11 += x1 * b1; s12 += x1 * b2; s13 += x1 * b3;
          s20 += x2 * b0; s21 += x2 * b1; s22 += x2 * b2; s23 += x2 * b3;
          s30 += x3 * b0; s31 += x3 * b1; s32 += x3 * b2; s33 += x3 * b3;
        }
        c[c0 + j] += s00; c[c0 + j + 1] += s01; c[c0 + j + 2] += s02; c[c0 + j + 3] += s03;
        c[c1 + j] += s10; c[c1 + j + 1] += s11; c[c1 + j + 2] += s12; c[c1 + j + 3] += s13;
        c[c2 + j] += s20; c[c2 + j + 1] += s21; c[c2 + j + 2] += s22; c[c2 + j + 3] += s23;
        c[c3 + j] += s30; c[c3 + j + 1] += s31; c[c3 + j + 2] += s32; c[c3 + j + 3] += s33;
      }
      for (let j = n4; j < n; j++) {
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let p = k0; p < k1; p++) {
          const bv = b[p * n + j];
          s0 += a[a0 + p] * bv; s1 += a[a1 + p] * bv; s2 += a[a2 + p] * bv; s3 += a[a3 + p] * bv;
        }
        c[c0 + j] += s0; c[c1 + j] += s1; c[c2 + j] += s2; c[c3 + j] += s3;
      }
    }
    for (let i = m4; i < m; i++) {
      const ar = i * k, cr = i * n;
      for (let p = k0; p < k1; p++) {
        const x = a[ar + p];
        if (x === 0) continue;
        const br = p * n;
        for (let j = 0; j < n; j++) c[cr + j] += x * b[br + j];
      }
    }
  }
}
