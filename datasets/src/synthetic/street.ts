// The static street: sky, ground, road markings, sidewalks, buildings, parks, fences, trees, poles, lights, signs.
import type { Rng } from './prng.ts';
import type { View } from './view.ts';
import type { Item, Light, Part, Rgb } from './types.ts';
import { makeItem, mix, part, scale } from './materials.ts';
import {
  FACADES, FOLIAGE, GLASS, GLASS_SKY, LANE_MARK, POLE, ROAD, SIDEWALK, TERRAIN, WINDOW_LIGHTS,
} from './palette.ts';

/** Lateral layout of the street in metres (camera at X = 0). */
export interface StreetLayout {
  laneWidth: number;
  lanes: number;
  /** Lanes left of this index carry oncoming traffic. */
  oncoming: number;
  /** X of the left edge of lane 0 (traffic lanes only). */
  lanesLeft: number;
  roadLeft: number;
  roadRight: number;
  parkingLeft: boolean;
  parkingRight: boolean;
  sidewalkLeft: number; // outer X of the left sidewalk (negative)
  sidewalkRight: number;
  kindLeft: 'buildings' | 'park';
  kindRight: 'buildings' | 'park';
  /** Facade line (|X|) on each side. */
  facadeLeft: number;
  facadeRight: number;
  /** Where the street ends (a row of buildings across it), or Infinity for an open horizon. */
  end: number;
  crosswalk: number | null;
  sunFromLeft: boolean;
  visibility: number;
}

export const CURB = 0.12;
const NEAR = 0.6;

export class StreetBuilder {
  readonly background: Item[] = [];
  readonly ground: Item[] = [];
  readonly sides: Item[] = [];
  readonly corridor: Item[] = [];

  constructor(
    private readonly rng: Rng,
    private readonly view: View,
    readonly layout: StreetLayout,
    private readonly width: number,
    private readonly height: number,
  ) {}

  haze(depth: number): number {
    return 1 - Math.exp(-depth / this.layout.visibility);
  }

  private get far(): number {
    return Number.isFinite(this.layout.end) ? this.layout.end : 2000;
  }

  sky(): void {
    const { rng, view, width, height } = this;
    const horizon = view.camera.horizon;
    const top: Rgb = [rng.range(60, 110), rng.range(120, 160), rng.range(200, 235)];
    const bottom: Rgb = [rng.range(190, 220), rng.range(205, 225), rng.range(220, 240)];
    const parts: Part[] = [
      part({ type: 'rect', x: 0, y: 0, w: width, h: height }, top, {
        bottom, gradient: [0, horizon], haze: 0, night: [6, 9, 24], nightBottom: [44, 36, 48],
      }),
    ];
    const clouds = rng.int(0, 5);
    for (let c = 0; c < clouds; c++) {
      const cx = rng.range(0, width), cy = rng.range(0.05, 0.7) * horizon, r = rng.range(0.03, 0.09) * width;
      const white = rng.range(225, 250);
      for (let k = 0; k < 4; k++) {
        parts.push(part(
          { type: 'ellipse', cx: cx + rng.range(-1.2, 1.2) * r, cy: cy + rng.range(-0.2, 0.2) * r, rx: r * rng.range(0.6, 1.1), ry: r * rng.range(0.25, 0.4) },
          [white, white, white + 4 > 255 ? 255 : white + 4], { bottom: [white - 30, white - 28, white - 20], gradient: [cy - r * 0.4, cy + r * 0.4], haze: 0, night: [18, 20, 32] },
        ));
      }
    }
    this.background.push(makeItem('sky', 1e6, parts, 0));
  }

  /** Ground everywhere below the horizon (seen beyond the street and between buildings). */
  baseGround(): void {
    const horizon = this.view.camera.horizon;
    this.background.push(makeItem('terrain', 1e5, [
      part({ type: 'rect', x: 0, y: horizon, w: this.width, h: this.height - horizon }, TERRAIN, { ground: true, grain: 0.12 }),
    ], 0));
  }

  /** A row of buildings across the far end of the street, or a tree line on the horizon. */
  backdrop(): void {
    const { rng, view, layout } = this;
    if (Number.isFinite(layout.end)) {
      const z = layout.end;
      const parts: Part[] = [];
      for (let x = -140; x < 140;) {
        const w = rng.range(8, 26), h = rng.range(8, 32);
        parts.push(part(view.front(x, x + w, 0, h, z), rng.pick(FACADES), { light: 0.85, grain: 0.04 }));
        x += w;
      }
      this.background.push(makeItem('building', z, parts, this.haze(z)));
    } else if (rng.chance(0.6)) {
      const z = rng.range(300, 700);
      const parts: Part[] = [];
      for (let x = -500; x < 500; x += rng.range(10, 30)) {
        const r = rng.range(8, 22);
        parts.push(part(view.ellipse(x, r * 0.5, z, r, r * rng.range(0.6, 1)), scale(rng.pick(FOLIAGE), 0.8), { grain: 0.05 }));
      }
      this.background.push(makeItem('vegetation', z, parts, this.haze(z)));
    }
  }

  road(): void {
    const { view, layout, rng } = this;
    const far = this.far;
    const road = scale(ROAD, rng.range(0.85, 1.15));
    this.ground.push(makeItem('road', far, [
      part(view.ground(layout.roadLeft, layout.roadRight, NEAR, far), road, { ground: true, grain: 0.1 }),
    ], 0));
    const marks: Part[] = [];
    const markZ = Math.min(far, 160);
    const stripe = (x: number, w: number, dashed: boolean): void => {
      if (!dashed) {
        marks.push(part(view.ground(x - w / 2, x + w / 2, NEAR, markZ), LANE_MARK, { ground: true, grain: 0.08 }));
        return;
      }
      const dash = rng.range(2.5, 4), gap = rng.range(5, 9);
      for (let z = rng.range(0, dash + gap); z < markZ; z += dash + gap) {
        marks.push(part(view.ground(x - w / 2, x + w / 2, Math.max(NEAR, z), z + dash), LANE_MARK, { ground: true, grain: 0.08 }));
      }
    };
    for (let i = 1; i < layout.lanes; i++) stripe(layout.lanesLeft + i * layout.laneWidth, 0.14, i !== layout.oncoming || rng.chance(0.4));
    if (rng.chance(0.7)) {
      stripe(layout.lanesLeft + 0.2, 0.14, false);
      stripe(layout.lanesLeft + layout.lanes * layout.laneWidth - 0.2, 0.14, false);
    }
    if (layout.crosswalk !== null) {
      const z = layout.crosswalk;
      for (let x = layout.roadLeft + 0.4; x + 0.5 < layout.roadRight; x += 1.0) {
        marks.push(part(view.ground(x, x + 0.5, z, z + 3.5), LANE_MARK, { ground: true, grain: 0.08 }));
      }
    }
    if (marks.length > 0) this.ground.push(makeItem('road', far, marks, 0));
  }

  sidewalks(): void {
    const { view, layout, rng } = this;
    const far = this.far;
    const tone = rng.range(0.85, 1.12);
    const walk = scale(SIDEWALK, tone), curb = scale(SIDEWALK, tone * 0.78);
    const outerFar = (x: number): number => x * 40;
    this.ground.push(makeItem('sidewalk', far, [
      part(view.side(layout.roadLeft, NEAR, far, 0, CURB), curb, { ground: true, light: this.sideLight(+1) }),
      part(view.ground(layout.sidewalkLeft, layout.roadLeft, NEAR, far, CURB), walk, { ground: true, grain: 0.1 }),
      part(view.side(layout.roadRight, NEAR, far, 0, CURB), curb, { ground: true, light: this.sideLight(-1) }),
      part(view.ground(layout.roadRight, layout.sidewalkRight, NEAR, far, CURB), walk, { ground: true, grain: 0.1 }),
    ], 0));
    const terrain = scale(TERRAIN, rng.range(0.85, 1.1));
    const strips: Part[] = [];
    if (layout.kindLeft === 'park' || layout.facadeLeft > -layout.sidewalkLeft + 0.3) {
      const outer = layout.kindLeft === 'park' ? outerFar(layout.sidewalkLeft) : -layout.facadeLeft;
      strips.push(part(view.ground(outer, layout.sidewalkLeft, NEAR, far, CURB), terrain, { ground: true, grain: 0.15 }));
    }
    if (layout.kindRight === 'park' || layout.facadeRight > layout.sidewalkRight + 0.3) {
      const outer = layout.kindRight === 'park' ? outerFar(layout.sidewalkRight) : layout.facadeRight;
      strips.push(part(view.ground(layout.sidewalkRight, outer, NEAR, far, CURB), terrain, { ground: true, grain: 0.15 }));
    }
    if (strips.length > 0) this.ground.push(makeItem('terrain', far, strips, 0));
  }

  /** Day light of a vertical surface whose outward normal points to +X (sign +1) or -X (sign -1). */
  sideLight(normalSign: number): number {
    const lit = this.layout.sunFromLeft ? normalSign < 0 : normalSign > 0;
    return lit ? 1 : 0.68;
  }

  buildings(sign: -1 | 1): void {
    const { rng, view, layout } = this;
    const line = sign < 0 ? layout.facadeLeft : layout.facadeRight;
    const end = Math.min(this.far, 220);
    const items: Item[] = [];
    let z = rng.range(-4, 3);
    while (z < end) {
      const length = rng.range(8, 26);
      if (rng.chance(0.18)) { z += rng.range(3, 10); continue; }
      const z0 = Math.max(NEAR, z), z1 = Math.min(z + length, end + 2);
      z += length;
      if (z1 <= z0 + 0.5) continue;
      const X = sign * (line + rng.range(0, 1.5));
      const h = rng.range(7, 26);
      const facade = rng.pick(FACADES);
      const light = this.sideLight(-sign);
      const parts: Part[] = [
        part(view.front(sign < 0 ? X - 30 : X, sign < 0 ? X : X + 30, 0, h, z0), scale(facade, 0.92), { light: 0.8, grain: 0.04 }),
        part(view.side(X, z0, z1, 0, h), facade, { light, grain: 0.05, bottom: scale(facade, 0.82), gradient: [view.y(h, z0), view.y(0, z0)] }),
        part(view.side(X, z0, z1, h - 0.6, h), scale(facade, 0.7), { light }),
      ];
      this.windows(parts, X, z0, z1, h, light);
      items.push(makeItem('building', z0, parts, this.haze((z0 + z1) / 2)));
    }
    items.sort((a, b) => b.depth - a.depth);
    this.sides.push(...items);
    // A garden wall or fence in front of buildings set back from the sidewalk.
    const outer = Math.abs(sign < 0 ? layout.sidewalkLeft : layout.sidewalkRight);
    if (line > outer + 0.8 && rng.chance(0.6)) this.barrier(sign * outer, rng.chance(0.5) ? 'fence' : 'wall');
  }

  private windows(parts: Part[], X: number, z0: number, z1: number, h: number, light: number): void {
    const { rng, view } = this;
    const bay = rng.range(2.6, 4), floor = rng.range(3, 3.6);
    const tall = rng.range(1.2, 1.8), lit = rng.range(0.08, 0.6);
    const glass = mix(GLASS, [rng.range(30, 90), rng.range(40, 90), rng.range(50, 110)], 0.4);
    const margin = (bay - rng.range(1, 1.6)) / 2;
    for (let base = floor * 0.3; base + tall + 0.4 < h - 0.6; base += floor) {
      const shop = base < floor && rng.chance(0.5);
      const wy0 = shop ? 0.4 : base + 0.8, wy1 = shop ? 2.6 : base + 0.8 + tall;
      for (let zb = z0 + 0.5; zb + bay < z1 - 0.3; zb += bay) {
        const za = zb + (shop ? 0.25 : margin), zc = zb + bay - (shop ? 0.25 : margin);
        if (view.y(wy0, za) - view.y(wy1, za) < 1.5 || Math.abs(view.x(X, za) - view.x(X, zc)) < 1) continue;
        const emit = rng.chance(lit) ? scale(rng.pick(WINDOW_LIGHTS), rng.range(0.7, 1)) : undefined;
        parts.push(part(view.side(X, za, zc, wy0, wy1), glass, {
          light, bottom: mix(glass, GLASS_SKY, 0.5), gradient: [view.y(wy1, za), view.y(wy0, za)], ...(emit ? { emit } : {}),
        }));
      }
    }
  }

  /** Park side: trees and bushes beyond the sidewalk, then a fence or wall along it. */
  park(sign: -1 | 1): void {
    const { rng, view, layout } = this;
    const outer = Math.abs(sign < 0 ? layout.sidewalkLeft : layout.sidewalkRight);
    const items: Item[] = [];
    const count = rng.int(5, 14);
    for (let i = 0; i < count; i++) {
      const z = rng.range(4, Math.min(this.far, 140));
      items.push(this.tree(sign * (outer + rng.range(1.5, 22)), z, rng.range(1.8, 4.5)));
    }
    for (let i = rng.int(0, 6); i > 0; i--) {
      const z = rng.range(3, 60), X = sign * (outer + rng.range(0.5, 4)), r = rng.range(0.6, 1.4);
      items.push(makeItem('vegetation', z, [part(view.ellipse(X, r * 0.6, z, r * 1.4, r * 0.8), rng.pick(FOLIAGE), { grain: 0.18 })], this.haze(z)));
    }
    items.sort((a, b) => b.depth - a.depth);
    this.sides.push(...items);
    if (rng.chance(0.75)) this.barrier(sign * outer, rng.chance(0.6) ? 'fence' : 'wall');
  }

  /** A fence or wall along X, drawn from far to near in one piece. */
  private barrier(X: number, kind: 'fence' | 'wall'): void {
    const { rng, view } = this;
    const z0 = Math.max(NEAR, rng.range(-5, 10)), z1 = Math.min(this.far, z0 + rng.range(20, 120));
    const h = kind === 'fence' ? rng.range(1.1, 2) : rng.range(0.6, 1.4);
    const light = this.sideLight(X < 0 ? 1 : -1);
    const color: Rgb = kind === 'fence' ? [rng.range(90, 150), rng.range(90, 140), rng.range(80, 120)] : scale(rng.pick(FACADES), 0.9);
    const parts: Part[] = [part(view.side(X, z0, z1, CURB, h), color, { light, grain: 0.12 })];
    if (kind === 'fence') {
      parts[0].material.color = scale(color, 0.55);
      for (let z = z1; z > z0; z -= 0.35) parts.push(part(view.side(X, Math.max(z0, z - 0.12), z, CURB, h), color, { light }));
      parts.push(part(view.side(X, z0, z1, h - 0.12, h), color, { light }));
    } else {
      parts.push(part(view.side(X, z0, z1, h - 0.1, h), scale(color, 1.1), { light }));
    }
    this.sides.push(makeItem(kind, z0, parts, this.haze((z0 + z1) / 2)));
  }

  tree(X: number, z: number, crown: number): Item {
    const { rng, view } = this;
    const trunkH = rng.range(1.8, 3.5);
    const bark: Rgb = [rng.range(70, 100), rng.range(60, 80), rng.range(45, 60)];
    const parts: Part[] = [part(view.segment(X, 0, X, trunkH + crown * 0.5, z, 0.28), bark, { grain: 0.1 })];
    const foliage = rng.pick(FOLIAGE);
    for (let k = rng.int(3, 6); k > 0; k--) {
      const r = crown * rng.range(0.55, 0.85);
      parts.push(part(
        view.ellipse(X + rng.range(-0.6, 0.6) * crown, trunkH + crown * rng.range(0.6, 1.3), z, r, r * rng.range(0.8, 1.1)),
        scale(foliage, rng.range(0.8, 1.15)), { grain: 0.22, bottom: scale(foliage, 0.6), gradient: [view.y(trunkH + crown * 2, z), view.y(trunkH, z)] },
      ));
    }
    return makeItem('vegetation', z, parts, this.haze(z));
  }

  /** Trees along the outer edge of a sidewalk. */
  sidewalkTrees(sign: -1 | 1): void {
    const { rng, layout } = this;
    const X = sign < 0 ? layout.sidewalkLeft + 0.8 : layout.sidewalkRight - 0.8;
    for (let z = rng.range(3, 12); z < Math.min(this.far, 120); z += rng.range(7, 15)) {
      if (rng.chance(0.2)) continue;
      this.corridor.push(this.tree(X, z, rng.range(1.5, 3)));
    }
  }

  /** Street lamps on the curb, with their arm over the road; at night a glow and a pool of light. */
  lamps(sign: -1 | 1): void {
    const { rng, view, layout } = this;
    const X = sign < 0 ? layout.roadLeft - 0.5 : layout.roadRight + 0.5;
    const h = rng.range(6.5, 9), arm = rng.range(1.2, 2.2);
    const warm: Rgb = rng.chance(0.6) ? [255, 196, 120] : [235, 240, 255];
    for (let z = rng.range(4, 20); z < Math.min(this.far, 150); z += rng.range(22, 38)) {
      const hx = X - sign * arm;
      const parts: Part[] = [
        part(view.segment(X, 0, X, h, z, 0.16), POLE, { light: 0.9 }),
        part(view.segment(X, h - 0.1, hx, h + 0.15, z, 0.1), POLE, { light: 0.9 }),
        part(view.ellipse(hx, h + 0.05, z, 0.35, 0.1), [200, 200, 196], { emit: warm }),
      ];
      const lights: Light[] = [{ kind: 'glow', cx: view.x(hx, z), cy: view.y(h, z), rx: view.size(2.2, z), ry: view.size(2.2, z), color: warm, strength: 0.55 }];
      const pz0 = Math.max(NEAR + 0.2, z - 5), pz1 = z + 5;
      lights.push({
        kind: 'pool', cx: view.x(hx, z), cy: (view.y(0, pz0) + view.y(0, pz1)) / 2,
        rx: view.size(6, z), ry: (view.y(0, pz0) - view.y(0, pz1)) / 2, color: warm, strength: 1.1,
      });
      this.corridor.push(makeItem('pole', z, parts, this.haze(z), { lights }));
    }
  }

  trafficLight(sign: -1 | 1, z: number): void {
    const { rng, view, layout } = this;
    const X = sign < 0 ? layout.roadLeft - 0.6 : layout.roadRight + 0.6;
    const overhead = rng.chance(0.5);
    const h = overhead ? rng.range(5.2, 6.2) : rng.range(2.8, 3.4);
    const boxX = overhead ? X - sign * rng.range(2.5, 5) : X;
    const boxTop = overhead ? h : h + 1.0;
    const poleParts: Part[] = [part(view.segment(X, 0, X, h, z, 0.16), POLE, { light: 0.9 })];
    if (overhead) poleParts.push(part(view.segment(X, h - 0.1, boxX, h - 0.1, z, 0.12), POLE, { light: 0.9 }));
    this.corridor.push(makeItem('pole', z, poleParts, this.haze(z)));
    const state = rng.int(0, 2);
    const lampColors: Rgb[] = [[255, 40, 30], [255, 170, 20], [40, 255, 120]];
    const parts: Part[] = [part(view.front(boxX - 0.2, boxX + 0.2, boxTop - 1.0, boxTop, z - 0.05), [38, 40, 36], { grain: 0.05 })];
    const lights: Light[] = [];
    for (let k = 0; k < 3; k++) {
      const y = boxTop - 0.18 - k * 0.32;
      const on = k === state;
      const c = lampColors[k];
      parts.push(part(view.ellipse(boxX, y, z - 0.1, 0.11, 0.11), on ? c : scale(c, 0.2), on ? { emit: c } : {}));
      if (on) lights.push({ kind: 'glow', cx: view.x(boxX, z), cy: view.y(y, z), rx: view.size(0.9, z), ry: view.size(0.9, z), color: c, strength: 0.6 });
    }
    this.corridor.push(makeItem('traffic light', z - 0.1, parts, this.haze(z), { lights }));
  }

  sign(sign: -1 | 1, z: number): void {
    const { rng, view, layout } = this;
    const X = sign < 0 ? layout.roadLeft - 0.5 : layout.roadRight + 0.5;
    const h = rng.range(2.1, 2.8), r = rng.range(0.3, 0.4);
    this.corridor.push(makeItem('pole', z, [part(view.segment(X, 0, X, h, z, 0.07), POLE, { light: 0.9 })], this.haze(z)));
    const kind = rng.int(0, 2);
    const parts: Part[] = [];
    if (kind === 0) {
      parts.push(part(view.ellipse(X, h + r, z - 0.05, r, r), [200, 30, 30]), part(view.ellipse(X, h + r, z - 0.05, r * 0.75, r * 0.75), [235, 235, 235]));
    } else if (kind === 1) {
      parts.push(part(view.front(X - r, X + r, h, h + 2 * r, z - 0.05), [30, 80, 170]), part(view.front(X - r * 0.4, X + r * 0.4, h + r * 0.6, h + r * 1.4, z - 0.05), [235, 235, 235]));
    } else {
      const tri = (s: number): number[] => [view.x(X - r * s, z), view.y(h + r * (1 - s), z), view.x(X + r * s, z), view.y(h + r * (1 - s), z), view.x(X, z), view.y(h + r * (1 + 0.73 * s), z)];
      parts.push(part({ type: 'poly', points: tri(1.1) }, [200, 30, 30]), part({ type: 'poly', points: tri(0.75) }, [235, 235, 235]));
    }
    this.corridor.push(makeItem('traffic sign', z - 0.05, parts, this.haze(z)));
  }
}
