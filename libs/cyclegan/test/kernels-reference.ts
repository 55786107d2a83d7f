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

type Tap = 'forward' | 'input' | 'filter';

/** One loop over every multiply-add of the convolution, accumulating the requested product. */
function convLoop(c: NaiveConv, kind: Tap, a: Float32Array, b: Float32Array): Float64Array {
  const [n, h, w, ci] = c.x;
  const [kh, kw, , co] = c.w;
  const size = kind === 'forward' ? n * c.outH * c.outW * co : kind === 'input' ? n * h * w * ci : kh * kw * ci * co;
  const out = new Float64Array(size);
  for (let bi = 0; bi < n; bi++) {
    for (let oy = 0; oy < c.outH; oy++) {
      for (let ox = 0; ox < c.outW; ox++) {
        const yBase = ((bi * c.outH + oy) * c.outW + ox) * co;
        for (let i = 0; i < kh; i++) {
          const iy = oy * c.stride - c.padTop + i;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const ix = ox * c.stride - c.padLeft + j;
            if (ix < 0 || ix >= w) continue;
            const xBase = ((bi * h + iy) * w + ix) * ci;
            const wBase = (i * kw + j) * ci * co;
            for (let q = 0; q < ci; q++) {
              const wRow = wBase + q * co;
              if (kind === 'forward') {
                const xv = a[xBase + q];
                for (let o = 0; o < co; o++) out[yBase + o] += xv * b[wRow + o];
              } else if (kind === 'input') {
                let s = 0;
                for (let o = 0; o < co; o++) s += a[yBase + o] * b[wRow + o];
                out[xBase + q] += s;
              } else {
                const xv = a[xBase + q];
                for (let o = 0; o < co; o++) out[wRow + o] += xv * b[yBase + o];
              }
            }
          }
        }
      }
    }
  }
  return out;
}

export function naiveConv2d(c: NaiveConv, x: Float32Array, w: Float32Array): Float64Array {
  return convLoop(c, 'forward', x, w);
}

export function naiveBackpropInput(c: NaiveConv, dy: Float32Array, w: Float32Array): Float64Array {
  return convLoop(c, 'input', dy, w);
}

export function naiveBackpropFilter(c: NaiveConv, x: Float32Array, dy: Float32Array): Float64Array {
  return convLoop(c, 'filter', x, dy);
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
