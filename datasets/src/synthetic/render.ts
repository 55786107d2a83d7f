// Day and night renders of a scene by direct shading of the part map (the same rasterisation as the
// labels, so images and labels are pixel-aligned). Deterministic: grain and sensor noise are stateless
// hashes of (scene.noiseSeed, x, y), so a scene and its fault variants share them exactly.
import { isInstanceValue } from '@nightshift/labels';
import sharp from 'sharp';
import { composeParts, type PartMap } from './compose.ts';
import { hash3 } from './prng.ts';
import type { Box, Light, Rgb, Scene } from './types.ts';

export type RenderMode = 'day' | 'night';

/** An interleaved 8-bit RGB image. */
export interface RgbImage {
  width: number;
  height: number;
  channels: 3;
  data: Uint8Array;
}

const NIGHT_AMBIENT: Rgb = [0.085, 0.1, 0.15];
const GRAIN_SALT = 0x51ed27;
const NOISE_SALT = 0x2b9a1f03;

interface PartShading {
  top: Float32Array; // 3 per part
  bottom: Float32Array;
  g0: Float32Array;
  g1: Float32Array;
  light: Float32Array;
  grain: Float32Array;
  haze: Float32Array; // < 0: ground part, haze per row
  emit: Float32Array; // 3 per part, r < 0 when the part does not emit
}

function shadingTable(materials: Scene['items'][number]['parts'][number]['material'][], mode: RenderMode): PartShading {
  const n = materials.length;
  const t: PartShading = {
    top: new Float32Array(n * 3), bottom: new Float32Array(n * 3), g0: new Float32Array(n), g1: new Float32Array(n),
    light: new Float32Array(n), grain: new Float32Array(n), haze: new Float32Array(n), emit: new Float32Array(n * 3).fill(-1),
  };
  for (let p = 0; p < n; p++) {
    const m = materials[p];
    let top: Rgb = m.color, bottom: Rgb = m.bottom ?? m.color;
    if (mode === 'night') {
      if (m.night) {
        top = m.night;
        bottom = m.nightBottom ?? m.night;
      } else {
        top = [top[0] * NIGHT_AMBIENT[0], top[1] * NIGHT_AMBIENT[1], top[2] * NIGHT_AMBIENT[2]];
        bottom = [bottom[0] * NIGHT_AMBIENT[0], bottom[1] * NIGHT_AMBIENT[1], bottom[2] * NIGHT_AMBIENT[2]];
      }
      if (m.emit) t.emit.set(m.emit, p * 3);
    }
    t.top.set(top, p * 3);
    t.bottom.set(bottom, p * 3);
    if (m.gradient && m.gradient[1] > m.gradient[0]) {
      t.g0[p] = m.gradient[0];
      t.g1[p] = m.gradient[1];
    }
    t.light[p] = mode === 'day' ? (m.light ?? 1) : 1;
    t.grain[p] = m.grain ?? 0;
    t.haze[p] = m.ground ? -1 : (m.haze ?? 0);
  }
  return t;
}

/**
 * Adds every light of the given kind, strictly inside its ellipse, into `acc` (3 floats per pixel of the
 * window `win`), except where a nearer thing object hides it (`hider` = depth of the visible part's item).
 */
function accumulateLights(
  lights: { light: Light; depth: number }[], kind: Light['kind'], acc: Float32Array, part: Uint16Array, hider: Float32Array, width: number, win: Box,
): void {
  const [wx, wy, ww, wh] = win;
  for (const { light: l, depth } of lights) {
    if (l.kind !== kind || l.rx <= 0 || l.ry <= 0) continue;
    const y0 = Math.max(wy, Math.floor(l.cy - l.ry)), y1 = Math.min(wy + wh - 1, Math.ceil(l.cy + l.ry));
    const x0 = Math.max(wx, Math.floor(l.cx - l.rx)), x1 = Math.min(wx + ww - 1, Math.ceil(l.cx + l.rx));
    const r = (l.color[0] / 255) * l.strength, g = (l.color[1] / 255) * l.strength, b = (l.color[2] / 255) * l.strength;
    for (let y = y0; y <= y1; y++) {
      const dy = (y + 0.5 - l.cy) / l.ry;
      for (let x = x0; x <= x1; x++) {
        const dx = (x + 0.5 - l.cx) / l.rx;
        const d = 1 - (dx * dx + dy * dy);
        if (d <= 0 || hider[part[y * width + x]] < depth) continue;
        const f = d * d;
        const i = ((y - wy) * ww + (x - wx)) * 3;
        acc[i] += r * f;
        acc[i + 1] += g * f;
        acc[i + 2] += b * f;
      }
    }
  }
}

/** Per part, the depth of its item when that is a thing object (vehicles, people), else Infinity: only they hide lights. */
function hiderDepth(scene: Scene, map: PartMap): Float32Array {
  const byPart = new Float32Array(map.partItem.length);
  for (let p = 0; p < byPart.length; p++) {
    const item = scene.items[map.partItem[p]];
    byPart[p] = isInstanceValue(item.instanceId) ? item.depth : Infinity;
  }
  return byPart;
}

/** Renders the scene by day or by night as 8-bit RGB of the scene's size. */
export function renderSceneSync(scene: Scene, mode: RenderMode): RgbImage {
  if (mode !== 'day' && mode !== 'night') throw new RangeError(`renderScene: mode must be 'day' or 'night', got '${String(mode)}'`);
  return shadeParts(scene, composeParts(scene), mode);
}

/** Two uniforms in [0, 1) from the two halves of a 32-bit hash. */
const lo16 = (h: number): number => (h & 0xffff) / 65536;
const hi16 = (h: number): number => (h >>> 16) / 65536;

/**
 * Shades an already composed part map (shared with the labels by callers that need both). With `patch`,
 * only the pixels inside patch.box are shaded and the rest is copied from patch.base: the fault renders
 * use this, since outside a fault's extent its render equals the clean one exactly.
 */
export function shadeParts(scene: Scene, map: PartMap, mode: RenderMode, patch?: { box: Box; base: RgbImage }): RgbImage {
  const { width, height, camera } = scene;
  const box: Box = patch ? patch.box : [0, 0, width, height];
  const wx0 = Math.max(0, box[0]), wy0 = Math.max(0, box[1]);
  const wx1 = Math.max(wx0, Math.min(width, box[0] + box[2])), wy1 = Math.max(wy0, Math.min(height, box[1] + box[3]));
  const ww = wx1 - wx0, win: Box = [wx0, wy0, ww, wy1 - wy0];
  const s = shadingTable(map.materials, mode);
  const { top, bottom, g0: G0, g1: G1, light, grain: grainOf, haze: hazeOf, emit } = s;
  const night = mode === 'night';
  const skyMat = scene.items[0]?.parts[0]?.material;
  const hazeColor: Rgb = night ? (skyMat?.nightBottom ?? [40, 34, 46]) : (skyMat?.bottom ?? [200, 210, 225]);
  const hazeR = hazeColor[0], hazeG = hazeColor[1], hazeB = hazeColor[2];
  const hazeScale = night ? 0.6 : 1;
  const rowHaze = new Float32Array(height);
  for (let y = 0; y < height; y++) {
    const depth = (camera.focal * camera.height) / Math.max(1e-3, y + 0.5 - camera.horizon);
    rowHaze[y] = y + 0.5 > camera.horizon ? 1 - Math.exp(-depth / scene.visibility) : 1;
  }
  const size = width * height;
  const glow = new Float32Array(night ? ww * win[3] * 3 : 0);
  const pool = new Float32Array(night ? ww * win[3] * 3 : 0);
  if (night) {
    const lights = scene.items.flatMap((item) => (item.lights ?? []).map((light) => ({ light, depth: item.depth - 0.5 })));
    const hider = hiderDepth(scene, map);
    accumulateLights(lights, 'glow', glow, map.part, hider, width, win);
    accumulateLights(lights, 'pool', pool, map.part, hider, width, win);
  }
  const grainSeed = (scene.noiseSeed ^ GRAIN_SALT) >>> 0, noiseSeed = (scene.noiseSeed ^ NOISE_SALT) >>> 0;
  const ambR = 1 / NIGHT_AMBIENT[0], ambG = 1 / NIGHT_AMBIENT[1], ambB = 1 / NIGHT_AMBIENT[2];
  if (patch && (patch.base.width !== width || patch.base.height !== height)) throw new RangeError('shadeParts: the patch base image must have the scene size');
  const out = patch ? patch.base.data.slice() : new Uint8Array(size * 3);
  const { part, shadow } = map;
  for (let y = wy0; y < wy1; y++) {
    const yc = y + 0.5, rowH = rowHaze[y] * hazeScale;
    for (let x = wx0, i = y * width + wx0, l = (y - wy0) * ww * 3; x < wx1; x++, i++, l += 3) {
      const p = part[i], p3 = p * 3, o = i * 3;
      const g1 = G1[p];
      let t = 0;
      if (g1 > 0) {
        const g0 = G0[p];
        t = (yc - g0) / (g1 - g0);
        t = t < 0 ? 0 : t > 1 ? 1 : t;
      }
      const tr = top[p3], tg = top[p3 + 1], tb = top[p3 + 2];
      let r = tr + (bottom[p3] - tr) * t;
      let g = tg + (bottom[p3 + 1] - tg) * t;
      let b = tb + (bottom[p3 + 2] - tb) * t;
      let k = light[p];
      const grain = grainOf[p];
      if (grain > 0) k *= 1 + grain * (lo16(hash3(grainSeed, x, y)) - 0.5) * 1.5;
      if (!night) {
        const sh = shadow[i];
        if (sh > 0) k *= 1 - 0.00243 * sh; // up to 62 % darker
      }
      r *= k; g *= k; b *= k;
      if (night) {
        if (emit[p3] >= 0) {
          r = emit[p3]; g = emit[p3 + 1]; b = emit[p3 + 2];
        } else if (hazeOf[p] < 0) {
          // Pools of light fall on the ground plane only (they are ellipses in image space).
          r += r * ambR * pool[l]; g += g * ambG * pool[l + 1]; b += b * ambB * pool[l + 2];
        }
      }
      let h = hazeOf[p];
      h = h < 0 ? rowH : h * hazeScale;
      if (h > 0) {
        r += (hazeR - r) * h; g += (hazeG - g) * h; b += (hazeB - b) * h;
      }
      if (night) {
        r += glow[l] * 255; g += glow[l + 1] * 255; b += glow[l + 2] * 255;
        // Low contrast, lifted blacks, then sensor noise that grows with the signal.
        r = 5 + 0.9 * r; g = 5 + 0.9 * g; b = 6 + 0.9 * b;
        const sigma = 2 + 0.02 * (0.3 * r + 0.59 * g + 0.11 * b);
        const h1 = hash3(noiseSeed, x, y), h2 = hash3(noiseSeed + 1, x, y);
        const n0 = (lo16(h1) + hi16(h1) + lo16(h2) - 1.5) * 2 * sigma;
        const c = (hi16(h2) - 0.5) * sigma;
        r += n0 + c; g += n0; b += n0 - c;
      }
      out[o] = r <= 0 ? 0 : r >= 255 ? 255 : Math.round(r);
      out[o + 1] = g <= 0 ? 0 : g >= 255 ? 255 : Math.round(g);
      out[o + 2] = b <= 0 ? 0 : b >= 255 ? 255 : Math.round(b);
    }
  }
  return { width, height, channels: 3, data: out };
}

/** Renders the scene by day or by night as 8-bit RGB of the scene's size (async form of renderSceneSync). */
export async function renderScene(scene: Scene, mode: RenderMode): Promise<RgbImage> {
  return renderSceneSync(scene, mode);
}

/** PNG bytes of an RGB image (deterministic for a given sharp/libpng build). */
export async function encodePng(image: RgbImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
}
