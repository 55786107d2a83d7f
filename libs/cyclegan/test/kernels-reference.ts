// Independent references for the kernel tests: seeded data and naive NHWC convolution loops.

export function seededData(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export interface NaiveConv {
  x: [number, number, number, number];
  w: [number, number, number, number];
  stride: number;
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

/** Calls visit(xIndex, wIndex, yIndex) for every multiply-add of the convolution. */
function forEachTap(c: NaiveConv, visit: (xi: number, wi: number, yi: number) => void): void {
  const [n, h, w, ci] = c.x;
  const [kh, kw, , co] = c.w;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < c.outH; oy++) {
      for (let ox = 0; ox < c.outW; ox++) {
        for (let i = 0; i < kh; i++) {
          const iy = oy * c.stride - c.padTop + i;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const ix = ox * c.stride - c.padLeft + j;
            if (ix < 0 || ix >= w) continue;
            for (let a = 0; a < ci; a++) {
              for (let o = 0; o < co; o++) {
                visit(((b * h + iy) * w + ix) * ci + a, ((i * kw + j) * ci + a) * co + o, ((b * c.outH + oy) * c.outW + ox) * co + o);
              }
            }
          }
        }
      }
    }
  }
}

export function naiveConv2d(c: NaiveConv, x: Float32Array, w: Float32Array): Float64Array {
  const y = new Float64Array(c.x[0] * c.outH * c.outW * c.w[3]);
  forEachTap(c, (xi, wi, yi) => { y[yi] += x[xi] * w[wi]; });
  return y;
}

export function naiveBackpropInput(c: NaiveConv, dy: Float32Array, w: Float32Array): Float64Array {
  const dx = new Float64Array(c.x[0] * c.x[1] * c.x[2] * c.x[3]);
  forEachTap(c, (xi, wi, yi) => { dx[xi] += dy[yi] * w[wi]; });
  return dx;
}

export function naiveBackpropFilter(c: NaiveConv, x: Float32Array, dy: Float32Array): Float64Array {
  const dw = new Float64Array(c.w[0] * c.w[1] * c.w[2] * c.w[3]);
  forEachTap(c, (xi, wi, yi) => { dw[wi] += x[xi] * dy[yi]; });
  return dw;
}

/** max |a - b| / max |b|: the error measure the tests bound by 1e-4. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}
