// COCO run-length encoding: a port of cocoapi common/maskApi.c (BSD-2) and of the Python-level
// conversions in PythonAPI/pycocotools (_mask.pyx frPyObjects, coco.py annToRLE).
//
// An RLE walks the mask in COLUMN-major order (pycocotools uses Fortran arrays) and its counts
// alternate, starting with a run of zeros. Masks in this module are ROW-major Uint8Arrays
// (index y * width + x); encode and decode do the transposition.

import type { Box } from '../sample.ts';
import type { CocoSegmentation } from './types.ts';

export interface Rle {
  height: number;
  width: number;
  counts: Uint32Array;
}

/** The compressed form pycocotools' encode returns, with `counts` as an ASCII string. */
export interface CompressedRle {
  size: [number, number];
  counts: string;
}

function checkSize(height: number, width: number): void {
  if (!Number.isSafeInteger(height) || !Number.isSafeInteger(width) || height < 0 || width < 0) {
    throw new RangeError(`invalid mask size ${height}x${width} (height x width)`);
  }
  if (height * width > 0xffffffff) throw new RangeError(`mask ${height}x${width} has more pixels than an RLE count can hold`);
}

/** Sum of the counts; a well-formed RLE covers exactly height * width pixels. */
export function rlePixelTotal(rle: Rle): number {
  let total = 0;
  const c = rle.counts;
  for (let i = 0; i < c.length; i++) total += c[i];
  return total;
}

function checkCovers(rle: Rle): void {
  const total = rlePixelTotal(rle);
  if (total !== rle.height * rle.width) {
    throw new RangeError(`RLE counts sum to ${total} but the mask is ${rle.height}x${rle.width} = ${rle.height * rle.width} pixels`);
  }
}

/** rleEncode: a row-major mask (any non-zero byte is foreground) to an RLE. */
export function rleEncode(mask: Uint8Array, height: number, width: number): Rle {
  checkSize(height, width);
  if (mask.length !== height * width) throw new RangeError(`mask has ${mask.length} bytes, expected ${height}x${width}`);
  const cnts = new Uint32Array(height * width + 1);
  let k = 0;
  let p = 0;
  let c = 0;
  for (let x = 0; x < width; x++) {
    for (let i = x, end = x + height * width; i < end; i += width) {
      const v = mask[i] !== 0 ? 1 : 0;
      if (v !== p) {
        cnts[k++] = c;
        c = 0;
        p = v;
      }
      c++;
    }
  }
  cnts[k++] = c;
  return { height, width, counts: cnts.slice(0, k) };
}

/** rleDecode: an RLE to a row-major 0/1 mask. Throws if the counts do not cover the mask exactly. */
export function rleDecode(rle: Rle): Uint8Array {
  const { height: h, width: w, counts } = rle;
  checkSize(h, w);
  checkCovers(rle);
  const out = new Uint8Array(h * w);
  let x = 0;
  let y = 0;
  let v = 0;
  for (let j = 0; j < counts.length; j++) {
    let n = counts[j];
    if (v === 0) {
      // Skip a background run without touching pixels.
      const pos = x * h + y + n;
      x = Math.floor(pos / h);
      y = pos - x * h;
    } else {
      while (n > 0) {
        const run = Math.min(n, h - y);
        for (let i = y * w + x, end = (y + run) * w + x; i < end; i += w) out[i] = 1;
        n -= run;
        y += run;
        if (y === h) {
          y = 0;
          x++;
        }
      }
    }
    v = 1 - v;
  }
  return out;
}

/** rleToString: the compressed counts string (LEB128-like, 6 bits per char, ASCII 48..111). */
export function rleToString(rle: Rle): string {
  const cnts = rle.counts;
  const m = cnts.length;
  const s = new Uint8Array(m * 7);
  let p = 0;
  for (let i = 0; i < m; i++) {
    // Plain numbers, not 32-bit bit operations: deltas range over (-2^32, 2^32) like C's long.
    let x = cnts[i];
    if (i > 2) x -= cnts[i - 2];
    let more = true;
    while (more) {
      const low = x - 32 * Math.floor(x / 32); // x & 0x1f
      let c = low;
      x = Math.floor(x / 32); // arithmetic x >>= 5
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      s[p++] = c + 48;
    }
  }
  let out = '';
  const chunk = 0x8000;
  for (let i = 0; i < p; i += chunk) out += String.fromCharCode.apply(null, s.subarray(i, Math.min(p, i + chunk)) as unknown as number[]);
  return out;
}

/** rleFrString: parse a compressed counts string. Throws on characters outside '0'..'o' or a truncated value. */
export function rleFromString(counts: string, height: number, width: number): Rle {
  checkSize(height, width);
  const n = counts.length;
  const cnts = new Uint32Array(n);
  let m = 0;
  let p = 0;
  while (p < n) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= n) throw new RangeError(`compressed RLE ends inside a value (at character ${p})`);
      if (k > 7) throw new RangeError(`compressed RLE value at character ${p} is too long`);
      const code = counts.charCodeAt(p);
      if (code < 48 || code > 111) throw new RangeError(`compressed RLE has an invalid character ${JSON.stringify(counts[p])} at ${p}`);
      const c = code - 48;
      const scale = 2 ** (5 * k);
      x += (c & 0x1f) * scale;
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x -= 2 ** (5 * k); // sign-extend: x |= -1 << 5k
    }
    if (m > 2) x += cnts[m - 2];
    cnts[m++] = x; // Uint32Array stores modulo 2^32, like the C (uint) cast
  }
  return { height, width, counts: cnts.slice(0, m) };
}

/** The `{size, counts}` object pycocotools' encode returns (counts decoded to a string). */
export function rleToCompressed(rle: Rle): CompressedRle {
  return { size: [rle.height, rle.width], counts: rleToString(rle) };
}

/** rleArea: number of foreground pixels. */
export function rleArea(rle: Rle): number {
  let a = 0;
  const c = rle.counts;
  for (let j = 1; j < c.length; j += 2) a += c[j];
  return a;
}

/** rleToBbox: [x, y, width, height] of the foreground, [0,0,0,0] when empty (integers, as cocoapi's doubles). */
export function rleToBbox(rle: Rle): Box {
  const h = rle.height;
  const w = rle.width;
  const m = Math.floor(rle.counts.length / 2) * 2;
  if (m === 0 || h === 0) return [0, 0, 0, 0];
  let xs = w;
  let ys = h;
  let xe = 0;
  let ye = 0;
  let cc = 0;
  let xp = 0;
  for (let j = 0; j < m; j++) {
    cc += rle.counts[j];
    const t = cc - (j % 2);
    const y = t % h;
    const x = (t - y) / h;
    if (j % 2 === 0) xp = x;
    else if (xp < x) {
      // The run spans more than one column: the box covers the full height.
      ys = 0;
      ye = h - 1;
    }
    xs = Math.min(xs, x);
    xe = Math.max(xe, x);
    ys = Math.min(ys, y);
    ye = Math.max(ye, y);
  }
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}

/** rleMerge: union (or intersection) of RLEs of one size. An empty list gives a 0x0 RLE, as cocoapi does. */
export function rleMerge(rles: readonly Rle[], intersect = false): Rle {
  const n = rles.length;
  if (n === 0) return { height: 0, width: 0, counts: new Uint32Array(0) };
  const { height: h, width: w } = rles[0];
  if (n === 1) return { height: h, width: w, counts: rles[0].counts.slice() };
  for (const r of rles) {
    if (r.height !== h || r.width !== w) throw new RangeError(`cannot merge RLEs of sizes ${h}x${w} and ${r.height}x${r.width}`);
    if (r.counts.length === 0) throw new RangeError('cannot merge an RLE without counts');
  }
  let cnts: Uint32Array = new Uint32Array(h * w + 1);
  let m = rles[0].counts.length;
  cnts.set(rles[0].counts);
  for (let i = 1; i < n; i++) {
    const B = rles[i].counts;
    const A = cnts.slice(0, m);
    let ca = A[0];
    let cb = B[0];
    let v = 0;
    let va = 0;
    let vb = 0;
    m = 0;
    let a = 1;
    let b = 1;
    let cc = 0;
    let ct = 1;
    while (ct > 0) {
      const c = Math.min(ca, cb);
      cc += c;
      ct = 0;
      ca -= c;
      if (!ca && a < A.length) {
        ca = A[a++];
        va = 1 - va;
      }
      ct += ca;
      cb -= c;
      if (!cb && b < B.length) {
        cb = B[b++];
        vb = 1 - vb;
      }
      ct += cb;
      const vp = v;
      v = intersect ? va & vb : va | vb;
      if (v !== vp || ct === 0) {
        if (m === cnts.length) cnts = growCounts(cnts); // only reachable with malformed zero-length runs
        cnts[m++] = cc;
        cc = 0;
      }
    }
  }
  return { height: h, width: w, counts: cnts.slice(0, m) };
}

function growCounts(c: Uint32Array): Uint32Array {
  const bigger = new Uint32Array(c.length * 2 + 1);
  bigger.set(c);
  return bigger;
}

/** bbIou for one pair (boxes [x,y,w,h]); with iscrowd the union is the detection's area. */
export function bboxIou(dt: Box, gt: Box, iscrowd = false): number {
  const ww = Math.min(dt[2] + dt[0], gt[2] + gt[0]) - Math.max(dt[0], gt[0]);
  if (ww <= 0) return 0;
  const hh = Math.min(dt[3] + dt[1], gt[3] + gt[1]) - Math.max(dt[1], gt[1]);
  if (hh <= 0) return 0;
  const i = ww * hh;
  const da = dt[2] * dt[3];
  const u = iscrowd ? da : da + gt[2] * gt[3] - i;
  return i / u;
}

/** rleIou for one pair: |dt ∩ gt| / |dt ∪ gt|, or / |dt| when gt is a crowd region; -1 on a size mismatch. */
export function rleIou(dt: Rle, gt: Rle, iscrowd = false): number {
  if (bboxIou(rleToBbox(dt), rleToBbox(gt), iscrowd) <= 0) return 0;
  if (dt.height !== gt.height || dt.width !== gt.width) return -1;
  const A = dt.counts;
  const B = gt.counts;
  let ca = A[0];
  let cb = B[0];
  let va = 0;
  let vb = 0;
  let a = 1;
  let b = 1;
  let inter = 0;
  let union = 0;
  let ct = 1;
  while (ct > 0) {
    const c = Math.min(ca, cb);
    if (va || vb) {
      union += c;
      if (va && vb) inter += c;
    }
    ct = 0;
    ca -= c;
    if (!ca && a < A.length) {
      ca = A[a++];
      va = 1 - va;
    }
    ct += ca;
    cb -= c;
    if (!cb && b < B.length) {
      cb = B[b++];
      vb = 1 - vb;
    }
    ct += cb;
  }
  if (inter === 0) union = 1;
  else if (iscrowd) union = rleArea(dt);
  return inter / union;
}

/** rleFrBbox: the mask of box [x, y, w, h], rasterised as the polygon of its corners. */
export function rleFromBbox(bbox: readonly number[], height: number, width: number): Rle {
  const [xs, ys, bw, bh] = bbox;
  const xe = xs + bw;
  const ye = ys + bh;
  return rleFromPolygon([xs, ys, xs, ye, xe, ye, xe, ys], height, width);
}

const MAX_BOUNDARY_POINTS = 1 << 27;

/**
 * rleFrPoly: rasterise one polygon ring [x1, y1, x2, y2, ...] exactly as cocoapi does: vertices are
 * upsampled x5 and rounded, the boundary is walked densely, and a pixel is inside when its centre is
 * (up to that rounding). An odd trailing coordinate is ignored, as pycocotools' int(len/2) does.
 */
export function rleFromPolygon(xy: ArrayLike<number>, height: number, width: number): Rle {
  checkSize(height, width);
  const h = height;
  const w = width;
  const scale = 5;
  let k = Math.floor(xy.length / 2);
  if (k === 0) return { height: h, width: w, counts: Uint32Array.of(h * w) };
  const x = new Int32Array(k + 1);
  const y = new Int32Array(k + 1);
  for (let j = 0; j < k; j++) {
    const px = scale * xy[j * 2] + 0.5;
    const py = scale * xy[j * 2 + 1] + 0.5;
    // C casts double to int (UB out of range, cocoapi#380); refuse instead of wrapping.
    if (!(Math.abs(px) < 2 ** 31 && Math.abs(py) < 2 ** 31)) throw new RangeError(`polygon vertex ${j} (${xy[j * 2]}, ${xy[j * 2 + 1]}) is not a finite coordinate in range`);
    x[j] = Math.trunc(px);
    y[j] = Math.trunc(py);
  }
  x[k] = x[0];
  y[k] = y[0];
  let m = 0;
  for (let j = 0; j < k; j++) m += Math.max(Math.abs(x[j] - x[j + 1]), Math.abs(y[j] - y[j + 1])) + 1;
  if (m > MAX_BOUNDARY_POINTS) throw new RangeError(`polygon boundary too long to rasterise (${m} upsampled points)`);
  const u = new Int32Array(m);
  const v = new Int32Array(m);
  m = 0;
  for (let j = 0; j < k; j++) {
    let xs = x[j];
    let xe = x[j + 1];
    let ys = y[j];
    let ye = y[j + 1];
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      let t = xs;
      xs = xe;
      xe = t;
      t = ys;
      ys = ye;
      ye = t;
    }
    // For a repeated vertex s is NaN (0/0) as in C; that point's v is never read (its u equals its neighbours').
    const s = dx >= dy ? (ye - ys) / dx : (xe - xs) / dy;
    if (dx >= dy) {
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u[m] = t + xs;
        v[m] = Math.trunc(ys + s * t + 0.5);
        m++;
      }
    } else {
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v[m] = t + ys;
        u[m] = Math.trunc(xs + s * t + 0.5);
        m++;
      }
    }
  }
  // Points where the boundary crosses a column centre, downsampled back to pixel units.
  k = m;
  m = 0;
  const bx = new Int32Array(k);
  const by = new Int32Array(k);
  for (let j = 1; j < k; j++) {
    if (u[j] === u[j - 1]) continue;
    let xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
    xd = (xd + 0.5) / scale - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > w - 1) continue;
    let yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
    yd = (yd + 0.5) / scale - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > h) yd = h;
    yd = Math.ceil(yd);
    bx[m] = xd;
    by[m] = yd;
    m++;
  }
  // Each crossing toggles the mask at column-major index x*h+y; sort, difference, and cancel
  // coincident toggles (a zero difference) by folding the next run into the previous one.
  k = m;
  const a = new Uint32Array(k + 1);
  for (let j = 0; j < k; j++) a[j] = bx[j] * h + by[j];
  a[k++] = h * w;
  a.sort();
  let prev = 0;
  for (let j = 0; j < k; j++) {
    const t = a[j];
    a[j] -= prev;
    prev = t;
  }
  const b = new Uint32Array(k);
  let j = 0;
  m = 0;
  b[m++] = a[j++];
  while (j < k) {
    if (a[j] > 0) b[m++] = a[j++];
    else {
      j++;
      if (j < k) b[m - 1] += a[j++];
    }
  }
  return { height: h, width: w, counts: b.slice(0, m) };
}

/**
 * pycocotools COCO.annToRLE: polygons are rasterised ring by ring and merged (union); an
 * uncompressed RLE `{counts: number[], size}` is taken with its own size; a compressed string is
 * parsed. Deviations, where pycocotools crashes: an empty polygon list gives an empty h x w mask, and
 * a first ring of exactly 4 numbers is rasterised as a (degenerate) polygon, not passed to frBbox.
 */
export function annotationToRle(segmentation: CocoSegmentation, height: number, width: number): Rle {
  if (Array.isArray(segmentation)) {
    if (segmentation.length === 0) return { height, width, counts: Uint32Array.of(height * width) };
    const rings = segmentation.map((ring) => rleFromPolygon(ring, height, width));
    return rleMerge(rings);
  }
  const [h, w] = segmentation.size;
  if (typeof segmentation.counts === 'string') return rleFromString(segmentation.counts, h, w);
  checkSize(h, w);
  const counts = Uint32Array.from(segmentation.counts);
  return { height: h, width: w, counts };
}
