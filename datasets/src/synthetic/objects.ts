// Thing-class objects: cars, trucks, buses, persons, riders and bicycles, built as camera-facing boxes
// and billboards in world coordinates.
import type { Rng } from './prng.ts';
import type { View } from './view.ts';
import type { Item, Light, Part, Rgb } from './types.ts';
import { makeItem, mix, part, scale } from './materials.ts';
import { BUS_PAINTS, CAR_PAINTS, CLOTHES, GLASS, GLASS_SKY, HAIR, SKIN, TROUSERS, TRUCK_PAINTS, TYRE } from './palette.ts';

export type VehicleKind = 'car' | 'truck' | 'bus';
export type Facing = 'away' | 'toward';

const TAIL: Rgb = [170, 24, 24];
const TAIL_EMIT: Rgb = [255, 40, 30];
const HEAD: Rgb = [225, 225, 215];
const HEAD_EMIT: Rgb = [255, 250, 235];

export class ObjectBuilder {
  constructor(private readonly rng: Rng, private readonly view: View, private readonly haze: (z: number) => number) {}

  /** A wheel in the side plane X = const: an ellipse narrowed by perspective. */
  private wheel(X: number, Z: number, r: number): Part {
    const v = this.view;
    const rx = Math.max(0.5, Math.abs(v.x(X, Z - r) - v.x(X, Z + r)) / 2);
    return part({ type: 'ellipse', cx: v.x(X, Z), cy: v.y(r, Z), rx, ry: v.size(r, Z) }, TYRE);
  }

  vehicle(kind: VehicleKind, Xc: number, z: number, facing: Facing): Item {
    const { rng, view } = this;
    const dims = kind === 'car'
      ? { W: rng.range(1.7, 1.9), L: rng.range(3.9, 4.8), H: rng.range(1.38, 1.6) }
      : kind === 'truck'
        ? { W: 2.45, L: rng.range(7, 9.5), H: rng.range(3.2, 3.8) }
        : { W: 2.55, L: rng.range(11, 13), H: rng.range(3.0, 3.3) };
    const { W, L, H } = dims;
    const paint = rng.pick(kind === 'car' ? CAR_PAINTS : kind === 'bus' ? BUS_PAINTS : TRUCK_PAINTS);
    const left = Xc - W / 2, right = Xc + W / 2;
    const sideX = left > 0.05 ? left : right < -0.05 ? right : null;
    const sideLight = 0.72;
    const parts: Part[] = [];
    const lights: Light[] = [];
    const glass = mix(GLASS, [rng.range(30, 70), rng.range(40, 70), rng.range(50, 90)], 0.3);
    const glassMat = { bottom: mix(glass, GLASS_SKY, 0.45), grain: 0.03 };
    const shade = (c: Rgb, f: number): Rgb => scale(c, f);

    if (kind === 'car') {
      const hb = H * rng.range(0.52, 0.6);
      if (sideX !== null) {
        parts.push(part(view.side(sideX, z, z + L, 0.3, hb), paint, { light: sideLight, grain: 0.03 }));
        parts.push(part({ type: 'poly', points: [
          view.x(sideX, z + 0.1 * L), view.y(hb, z + 0.1 * L), view.x(sideX, z + 0.3 * L), view.y(H, z + 0.3 * L),
          view.x(sideX, z + 0.75 * L), view.y(H, z + 0.75 * L), view.x(sideX, z + 0.9 * L), view.y(hb, z + 0.9 * L),
        ] }, paint, { light: sideLight }));
        parts.push(part({ type: 'poly', points: [
          view.x(sideX, z + 0.17 * L), view.y(hb + 0.06, z + 0.17 * L), view.x(sideX, z + 0.32 * L), view.y(H - 0.07, z + 0.32 * L),
          view.x(sideX, z + 0.73 * L), view.y(H - 0.07, z + 0.73 * L), view.x(sideX, z + 0.84 * L), view.y(hb + 0.06, z + 0.84 * L),
        ] }, glass, { ...glassMat, gradient: [view.y(H, z + 0.5 * L), view.y(hb, z + 0.5 * L)] }));
        parts.push(this.wheel(sideX, z + 0.18 * L, 0.32), this.wheel(sideX, z + 0.8 * L, 0.32));
      }
      parts.push(part(view.front(left + 0.06, left + 0.32, 0, 0.4, z + 0.3), TYRE), part(view.front(right - 0.32, right - 0.06, 0, 0.4, z + 0.3), TYRE));
      parts.push(part(view.front(left, right, 0.28, hb, z), paint, { light: 0.86, grain: 0.03, bottom: shade(paint, 0.8), gradient: [view.y(hb, z), view.y(0.28, z)] }));
      parts.push(part(view.front(left, right, 0.26, 0.42, z - 0.02), shade(paint, 0.45)));
      parts.push(part(view.frontTrapezoid(left + 0.06, right - 0.06, left + 0.28, right - 0.28, hb, H, z + 0.15), paint, { light: 0.86 }));
      parts.push(part(view.frontTrapezoid(left + 0.14, right - 0.14, left + 0.32, right - 0.32, hb + 0.05, H - 0.06, z + 0.15), glass, { ...glassMat, gradient: [view.y(H, z), view.y(hb, z)] }));
      parts.push(part(view.front(Xc - 0.26, Xc + 0.26, 0.45, 0.57, z - 0.03), facing === 'away' ? [230, 230, 226] : [226, 226, 222]));
      this.lamps(parts, lights, left, right, hb - 0.24, hb - 0.06, z, facing, 0.3);
    } else if (kind === 'bus') {
      if (sideX !== null) {
        parts.push(part(view.side(sideX, z, z + L, 0.35, H), paint, { light: sideLight, grain: 0.03 }));
        for (let zz = z + 0.5; zz + 1.3 < z + L - 0.3; zz += 1.5) {
          parts.push(part(view.side(sideX, zz, zz + 1.3, 1.3, H - 0.35), glass, { ...glassMat, gradient: [view.y(H, zz), view.y(1.3, zz)] }));
        }
        parts.push(this.wheel(sideX, z + 0.15 * L, 0.5), this.wheel(sideX, z + 0.78 * L, 0.5));
      }
      parts.push(part(view.front(left + 0.1, left + 0.45, 0, 0.5, z + 0.5), TYRE), part(view.front(right - 0.45, right - 0.1, 0, 0.5, z + 0.5), TYRE));
      parts.push(part(view.front(left, right, 0.3, H, z), paint, { light: 0.86, grain: 0.03 }));
      parts.push(part(view.front(left + 0.12, right - 0.12, facing === 'toward' ? 1.1 : 1.5, H - 0.45, z - 0.02), glass, { ...glassMat, gradient: [view.y(H, z), view.y(1.1, z)] }));
      parts.push(part(view.front(left + 0.4, right - 0.4, H - 0.38, H - 0.08, z - 0.02), [30, 30, 30], { emit: [255, 160, 40] }));
      this.lamps(parts, lights, left, right, 0.55, 0.8, z, facing, 0.35);
    } else {
      const cabL = 2.2, cargoTop = H, cabTop = 2.9;
      if (sideX !== null) {
        const cargo0 = facing === 'away' ? z : z + cabL, cargo1 = facing === 'away' ? z + L - cabL : z + L;
        const cab0 = facing === 'away' ? z + L - cabL : z, cab1 = cab0 + cabL;
        if (facing === 'away') parts.push(part(view.side(sideX, cab0, cab1, 0.5, cabTop), scale(paint, 0.9), { light: sideLight }));
        parts.push(part(view.side(sideX, cargo0, cargo1, 0.9, cargoTop), paint, { light: sideLight, grain: 0.04 }));
        if (facing === 'toward') {
          parts.push(part(view.side(sideX, cab0, cab1, 0.5, cabTop), scale(paint, 0.9), { light: sideLight }));
          parts.push(part(view.side(sideX, cab0 + 0.3, cab1 - 0.7, 1.7, cabTop - 0.2), glass, glassMat));
        }
        parts.push(this.wheel(sideX, z + 0.6, 0.48), this.wheel(sideX, z + L - 1.3, 0.48), this.wheel(sideX, z + L - 2.4, 0.48));
      }
      parts.push(part(view.front(left + 0.1, left + 0.5, 0, 0.55, z + 0.6), TYRE), part(view.front(right - 0.5, right - 0.1, 0, 0.55, z + 0.6), TYRE));
      if (facing === 'away') {
        parts.push(part(view.front(left, right, 0.9, cargoTop, z), paint, { light: 0.86, grain: 0.05 }));
        parts.push(part(view.front(Xc - 0.03, Xc + 0.03, 1.0, cargoTop - 0.1, z - 0.01), scale(paint, 0.6), { light: 0.86 }));
        parts.push(part(view.front(left + 0.2, right - 0.2, 0.35, 0.5, z), [40, 40, 40]));
        this.lamps(parts, lights, left, right, 0.6, 0.85, z, facing, 0.3);
      } else {
        parts.push(part(view.front(left, right, cabTop + 0.1, cargoTop, z + cabL), paint, { light: 0.86, grain: 0.05 }));
        parts.push(part(view.front(left, right, 0.5, cabTop, z), scale(paint, 0.9), { light: 0.86, grain: 0.03 }));
        parts.push(part(view.front(left + 0.12, right - 0.12, 1.7, cabTop - 0.15, z - 0.01), glass, { ...glassMat, gradient: [view.y(cabTop, z), view.y(1.7, z)] }));
        parts.push(part(view.front(left + 0.5, right - 0.5, 0.6, 1.3, z - 0.01), [50, 50, 52]));
        this.lamps(parts, lights, left, right, 0.75, 0.98, z, facing, 0.35);
      }
    }
    const shadow = { shape: view.ground(left - 0.15, right + 0.15, z - 0.25, z + L + 0.2), strength: 0.6 };
    return makeItem(kind, z, parts, this.haze(z), { shadow, lights });
  }

  /** Head or tail lamps on both corners of the near face, and their night lights. */
  private lamps(parts: Part[], lights: Light[], left: number, right: number, y0: number, y1: number, z: number, facing: Facing, w: number): void {
    const view = this.view;
    const away = facing === 'away';
    for (const [a, b] of [[left + 0.06, left + 0.06 + w], [right - 0.06 - w, right - 0.06]]) {
      parts.push(part(view.front(a, b, y0, y1, z - 0.03), away ? TAIL : HEAD, { emit: away ? TAIL_EMIT : HEAD_EMIT }));
      const cx = view.x((a + b) / 2, z), cy = view.y((y0 + y1) / 2, z);
      const r = view.size(away ? 0.45 : 0.65, z);
      lights.push({ kind: 'glow', cx, cy, rx: r, ry: r, color: away ? TAIL_EMIT : HEAD_EMIT, strength: away ? 0.5 : 0.7 });
    }
    if (!away && z > 8) {
      const z0 = z - 3, z1 = z - 0.3;
      lights.push({
        kind: 'pool', cx: view.x((left + right) / 2, z), cy: (view.y(0, z0) + view.y(0, z1)) / 2,
        rx: view.size((right - left) * 0.8, z), ry: (view.y(0, z0) - view.y(0, z1)) / 2, color: HEAD_EMIT, strength: 0.8,
      });
    }
  }

  /** A standing or walking person, 1.5–1.95 m, as a camera-facing billboard at (X, z). */
  person(X: number, z: number, name: 'person' | 'rider' = 'person'): Item {
    const { rng, view } = this;
    const h = rng.range(1.5, 1.95), skin = rng.pick(SKIN), shirt = rng.pick(CLOTHES), trousers = rng.pick(TROUSERS);
    const stride = rng.range(-0.22, 0.22), sway = rng.range(-0.12, 0.12);
    const hip = 0.5 * h, shoulder = 0.82 * h, halfHip = 0.13, halfShoulder = rng.range(0.17, 0.22);
    const parts: Part[] = [
      part(view.segment(X - 0.07, hip, X - 0.07 + stride, 0.04, z, 0.13), trousers, { light: 0.9 }),
      part(view.segment(X + 0.07, hip, X + 0.07 - stride, 0.04, z, 0.13), trousers, { light: 0.9 }),
      part(view.segment(X - halfShoulder, shoulder - 0.05, X - halfShoulder - 0.04 + sway, hip - 0.05, z, 0.09), shirt, { light: 0.85 }),
      part(view.segment(X + halfShoulder, shoulder - 0.05, X + halfShoulder + 0.04 - sway, hip - 0.05, z, 0.09), shirt, { light: 0.85 }),
      part(view.frontTrapezoid(X - halfHip, X + halfHip, X - halfShoulder, X + halfShoulder, hip - 0.04, shoulder, z), shirt, {
        light: 0.95, grain: 0.05, bottom: scale(shirt, 0.8), gradient: [view.y(shoulder, z), view.y(hip, z)],
      }),
      part(view.segment(X, shoulder - 0.02, X, shoulder + 0.06, z, 0.08), skin),
      part(view.ellipse(X, 0.9 * h, z, 0.085, 0.11), skin, { light: 0.95 }),
      part(view.ellipse(X, 0.935 * h, z, 0.085, 0.07), rng.pick(HAIR)),
    ];
    const shadow = { shape: view.ground(X - 0.35, X + 0.35, z - 0.2, z + 0.5), strength: 0.5 };
    return makeItem(name, z, parts, this.haze(z), { shadow });
  }

  /** A bicycle seen from the side (crossing the view) with its front to +X or -X; returns its frame points. */
  bicycle(X: number, z: number, dir: 1 | -1): { item: Item; seat: [number, number]; bar: [number, number]; crank: [number, number] } {
    const { rng, view } = this;
    const r = 0.34, base = 1.05, thick = 0.045;
    const frame: Rgb = rng.pick([[30, 30, 30], [170, 30, 30], [30, 60, 140], [200, 200, 200], [40, 110, 60]]);
    const rear: [number, number] = [X - dir * base / 2, r], front: [number, number] = [X + dir * base / 2, r];
    const crank: [number, number] = [X - dir * 0.08, 0.3], seat: [number, number] = [X - dir * 0.28, 0.92], bar: [number, number] = [X + dir * 0.42, 1.0];
    const seg = (a: [number, number], b: [number, number], t = thick): Part => part(view.segment(a[0], a[1], b[0], b[1], z, t), frame, { light: 0.9 });
    const parts: Part[] = [
      part({ type: 'ring', cx: view.x(rear[0], z), cy: view.y(r, z), rx: view.size(r, z), ry: view.size(r, z), thickness: Math.max(1, view.size(0.05, z)) }, TYRE),
      part({ type: 'ring', cx: view.x(front[0], z), cy: view.y(r, z), rx: view.size(r, z), ry: view.size(r, z), thickness: Math.max(1, view.size(0.05, z)) }, TYRE),
      seg(rear, crank), seg(crank, seat), seg(rear, seat), seg(seat, [bar[0] - dir * 0.06, 0.85]), seg(crank, [bar[0] - dir * 0.06, 0.85]),
      seg([bar[0] - dir * 0.06, 0.85], front), seg([bar[0] - dir * 0.06, 0.85], bar),
      part(view.segment(seat[0] - 0.1, seat[1] + 0.03, seat[0] + 0.1, seat[1] + 0.03, z, 0.05), [20, 20, 20]),
    ];
    const shadow = { shape: view.ground(X - 0.7, X + 0.7, z - 0.1, z + 0.3), strength: 0.4 };
    return { item: makeItem('bicycle', z, parts, this.haze(z), { shadow }), seat, bar, crank };
  }

  /** A rider sitting on a bicycle at the same place; drawn just in front of the bicycle. */
  rider(X: number, z: number, dir: 1 | -1): Item[] {
    const { rng, view } = this;
    const bike = this.bicycle(X, z, dir);
    const skin = rng.pick(SKIN), shirt = rng.pick(CLOTHES), trousers = rng.pick(TROUSERS);
    const [sx, sy] = bike.seat, [bx, by] = bike.bar, [cx, cy] = bike.crank;
    const shoulder: [number, number] = [sx + dir * 0.22, sy + 0.6];
    const knee: [number, number] = [cx + dir * 0.22, cy + 0.42];
    const pedal = rng.range(-0.15, 0.15);
    const parts: Part[] = [
      part(view.segment(sx, sy + 0.05, knee[0], knee[1], z - 0.02, 0.14), trousers),
      part(view.segment(knee[0], knee[1], cx + pedal, cy - 0.05, z - 0.02, 0.11), trousers),
      part(view.segment(sx, sy + 0.05, shoulder[0], shoulder[1], z - 0.02, 0.3), shirt, { light: 0.95, grain: 0.05 }),
      part(view.segment(shoulder[0], shoulder[1] - 0.03, bx, by + 0.02, z - 0.02, 0.08), shirt, { light: 0.85 }),
      part(view.ellipse(shoulder[0] + dir * 0.06, shoulder[1] + 0.17, z - 0.02, 0.09, 0.11), skin),
      part(view.ellipse(shoulder[0] + dir * 0.05, shoulder[1] + 0.23, z - 0.02, 0.11, 0.07), rng.chance(0.5) ? rng.pick(HAIR) : rng.pick(CLOTHES)),
    ];
    return [bike.item, makeItem('rider', z - 0.02, parts, this.haze(z))];
  }
}
