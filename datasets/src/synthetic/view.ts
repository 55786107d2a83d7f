// Pinhole projection of the street's world coordinates (metres: X right, Y up from the road, Z forward)
// to pixels, plus the few shape builders the scene uses.
import type { Camera, Shape } from './types.ts';

export class View {
  constructor(readonly camera: Camera) {}

  x(X: number, Z: number): number {
    return this.camera.cx + (this.camera.focal * X) / Z;
  }

  y(Y: number, Z: number): number {
    return this.camera.horizon + (this.camera.focal * (this.camera.height - Y)) / Z;
  }

  /** Metres to pixels at distance Z. */
  size(metres: number, Z: number): number {
    return (this.camera.focal * metres) / Z;
  }

  /** Road distance seen at image row y (below the horizon). */
  groundDepth(row: number): number {
    return (this.camera.focal * this.camera.height) / Math.max(1e-3, row - this.camera.horizon);
  }

  /** A rectangle facing the camera at distance Z: X in [x0, x1], Y in [y0, y1]. */
  front(x0: number, x1: number, y0: number, y1: number, Z: number): Shape {
    const left = this.x(x0, Z), top = this.y(y1, Z);
    return { type: 'rect', x: left, y: top, w: this.x(x1, Z) - left, h: this.y(y0, Z) - top };
  }

  /** A trapezoid facing the camera: bottom edge X in [b0, b1] at height y0, top edge [t0, t1] at height y1. */
  frontTrapezoid(b0: number, b1: number, t0: number, t1: number, y0: number, y1: number, Z: number): Shape {
    return {
      type: 'poly',
      points: [this.x(b0, Z), this.y(y0, Z), this.x(b1, Z), this.y(y0, Z), this.x(t1, Z), this.y(y1, Z), this.x(t0, Z), this.y(y1, Z)],
    };
  }

  /** A vertical quad in the plane X = const, from Z0 to Z1, heights y0..y1 (y may differ at each end). */
  side(X: number, z0: number, z1: number, y0: number, y1: number, y0far = y0, y1far = y1): Shape {
    return {
      type: 'poly',
      points: [this.x(X, z0), this.y(y0, z0), this.x(X, z0), this.y(y1, z0), this.x(X, z1), this.y(y1far, z1), this.x(X, z1), this.y(y0far, z1)],
    };
  }

  /** A quad on the road surface, X in [x0, x1], Z in [z0, z1], lifted by `lift` metres. */
  ground(x0: number, x1: number, z0: number, z1: number, lift = 0): Shape {
    return {
      type: 'poly',
      points: [this.x(x0, z0), this.y(lift, z0), this.x(x1, z0), this.y(lift, z0), this.x(x1, z1), this.y(lift, z1), this.x(x0, z1), this.y(lift, z1)],
    };
  }

  /** An ellipse facing the camera centred at (X, Y, Z) with radii in metres. */
  ellipse(X: number, Y: number, Z: number, rx: number, ry: number): Shape {
    return { type: 'ellipse', cx: this.x(X, Z), cy: this.y(Y, Z), rx: this.size(rx, Z), ry: this.size(ry, Z) };
  }

  /** A thick segment facing the camera between (Xa, Ya) and (Xb, Yb) at distance Z; at least `minPx` wide. */
  segment(Xa: number, Ya: number, Xb: number, Yb: number, Z: number, thick: number, minPx = 1): Shape {
    const ax = this.x(Xa, Z), ay = this.y(Ya, Z), bx = this.x(Xb, Z), by = this.y(Yb, Z);
    const len = Math.hypot(bx - ax, by - ay) || 1;
    const half = Math.max(minPx, this.size(thick, Z)) / 2;
    const nx = (-(by - ay) / len) * half, ny = ((bx - ax) / len) * half;
    return { type: 'poly', points: [ax + nx, ay + ny, bx + nx, by + ny, bx - nx, by - ny, ax - nx, ay - ny] };
  }
}
