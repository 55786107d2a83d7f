// Exact scanline rasterisation of shapes into horizontal spans. Sampling rule: pixel (x, y) is inside
// when its centre (x+0.5, y+0.5) is inside the shape; a span [x0, x1) covers centres in [xa, xb).
import type { Shape } from './types.ts';

/** Receives one covered run of pixels on row y: x0 inclusive, x1 exclusive, already clipped. */
export type SpanSink = (y: number, x0: number, x1: number) => void;

function emit(sink: SpanSink, y: number, xa: number, xb: number, width: number): void {
  const x0 = Math.max(0, Math.ceil(xa - 0.5));
  const x1 = Math.min(width, Math.ceil(xb - 0.5));
  if (x1 > x0) sink(y, x0, x1);
}

function rowRange(top: number, bottom: number, height: number): [number, number] {
  return [Math.max(0, Math.ceil(top - 0.5)), Math.min(height - 1, Math.ceil(bottom - 0.5) - 1)];
}

function polygon(points: number[], width: number, height: number, sink: SpanSink): void {
  const n = points.length >> 1;
  if (n < 3) return;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 1; i < points.length; i += 2) {
    if (points[i] < minY) minY = points[i];
    if (points[i] > maxY) maxY = points[i];
  }
  const [r0, r1] = rowRange(minY, maxY, height);
  const xs = n <= crossings.length ? crossings : (crossings = new Float64Array(n * 2));
  for (let y = r0; y <= r1; y++) {
    const yc = y + 0.5;
    let count = 0;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const ax = points[2 * j], ay = points[2 * j + 1];
      const bx = points[2 * i], by = points[2 * i + 1];
      if ((ay <= yc) !== (by <= yc)) xs[count++] = ax + ((yc - ay) * (bx - ax)) / (by - ay);
    }
    if (count === 2) {
      if (xs[0] > xs[1]) emit(sink, y, xs[1], xs[0], width);
      else emit(sink, y, xs[0], xs[1], width);
      continue;
    }
    const sorted = xs.subarray(0, count).sort();
    for (let k = 0; k + 1 < count; k += 2) emit(sink, y, sorted[k], sorted[k + 1], width);
  }
}

/** Scratch space for a row's edge crossings (a polygon with n edges crosses a row at most n times). */
let crossings = new Float64Array(64);

function ellipseHalfWidth(dy: number, rx: number, ry: number): number {
  const t = dy / ry;
  return t * t < 1 ? rx * Math.sqrt(1 - t * t) : -1;
}

/** Calls sink for every covered span of the shape inside a width x height image. */
export function rasterise(shape: Shape, width: number, height: number, sink: SpanSink): void {
  switch (shape.type) {
    case 'poly':
      polygon(shape.points, width, height, sink);
      return;
    case 'rect': {
      if (shape.w <= 0 || shape.h <= 0) return;
      const [r0, r1] = rowRange(shape.y, shape.y + shape.h, height);
      for (let y = r0; y <= r1; y++) emit(sink, y, shape.x, shape.x + shape.w, width);
      return;
    }
    case 'ellipse': {
      const { cx, cy, rx, ry } = shape;
      if (rx <= 0 || ry <= 0) return;
      const [r0, r1] = rowRange(cy - ry, cy + ry, height);
      for (let y = r0; y <= r1; y++) {
        const half = ellipseHalfWidth(y + 0.5 - cy, rx, ry);
        if (half > 0) emit(sink, y, cx - half, cx + half, width);
      }
      return;
    }
    case 'ring': {
      const { cx, cy, rx, ry, thickness } = shape;
      if (rx <= 0 || ry <= 0) return;
      const irx = rx - thickness, iry = ry - thickness;
      const [r0, r1] = rowRange(cy - ry, cy + ry, height);
      for (let y = r0; y <= r1; y++) {
        const dy = y + 0.5 - cy;
        const half = ellipseHalfWidth(dy, rx, ry);
        if (half <= 0) continue;
        const inner = irx > 0 && iry > 0 ? ellipseHalfWidth(dy, irx, iry) : -1;
        if (inner <= 0) emit(sink, y, cx - half, cx + half, width);
        else {
          emit(sink, y, cx - half, cx - inner, width);
          emit(sink, y, cx + inner, cx + half, width);
        }
      }
      return;
    }
  }
}

/** Whether the pixel centre (px+0.5, py+0.5) is inside the shape, by direct evaluation (the test oracle). */
export function containsPixel(shape: Shape, px: number, py: number): boolean {
  const x = px + 0.5, y = py + 0.5;
  switch (shape.type) {
    case 'rect':
      return x >= shape.x && x < shape.x + shape.w && y >= shape.y && y < shape.y + shape.h;
    case 'ellipse': {
      const dx = (x - shape.cx) / shape.rx, dy = (y - shape.cy) / shape.ry;
      return dx * dx + dy * dy < 1;
    }
    case 'ring': {
      const outer = containsPixel({ type: 'ellipse', cx: shape.cx, cy: shape.cy, rx: shape.rx, ry: shape.ry }, px, py);
      const irx = shape.rx - shape.thickness, iry = shape.ry - shape.thickness;
      if (!outer || irx <= 0 || iry <= 0) return outer;
      return !containsPixel({ type: 'ellipse', cx: shape.cx, cy: shape.cy, rx: irx, ry: iry }, px, py);
    }
    case 'poly': {
      const p = shape.points, n = p.length >> 1;
      let inside = false;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const ay = p[2 * j + 1], by = p[2 * i + 1];
        if ((ay <= y) !== (by <= y)) {
          const xi = p[2 * j] + ((y - ay) * (p[2 * i] - p[2 * j])) / (by - ay);
          if (xi <= x) inside = !inside;
        }
      }
      return inside;
    }
  }
}
