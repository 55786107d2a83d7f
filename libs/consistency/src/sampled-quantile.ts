// Quantiles of a plane from a regular subsample of about 20000 pixels: enough for a threshold or a
// normalising scale, at a fraction of a full sort's cost.

const SAMPLES = 20000;

/** The q-quantile of `v` over every step-th pixel (only those where `valid` is set, when given); 0 when none. */
export function sampledQuantile(v: Float32Array, q: number, valid?: Uint8Array): number {
  const step = Math.max(1, Math.floor(v.length / SAMPLES));
  const s = new Float32Array(Math.ceil(v.length / step));
  let m = 0;
  for (let i = 0; i < v.length; i += step) if (!valid || valid[i]) s[m++] = v[i];
  const sorted = s.subarray(0, m).sort();
  return sorted[Math.min(m - 1, Math.floor(q * m))] ?? 0;
}
