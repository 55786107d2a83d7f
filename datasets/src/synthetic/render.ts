// Day and night renders of a scene by direct shading of the part map (the same rasterisation as the
// labels, so images and labels are pixel-aligned). Deterministic: grain and sensor noise are stateless
// hashes of (scene.noiseSeed, x, y), so a scene and its fault variants share them exactly.
import sharp from 'sharp';
import { composeParts } from './compose.ts';
import { hash3 } from './prng.ts';
import type { Light, Rgb, Scene } from './types.ts';

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

/** Adds every light of the given kind into `acc` (3 floats per pixel), strictly inside its ellipse. */
function accumulateLights(lights: Light[], kind: Light['kind'], acc: Float32Array, width: number, height: number): void {
  for (const l of lights) {
    if (l.kind !== kind || l.rx <= 0 || l.ry <= 0) continue;
    const y0 = Math.max(0, Math.floor(l.cy - l.ry)), y1 = Math.min(height - 1, Math.ceil(l.cy + l.ry));
    const x0 = Math.max(0, Math.floor(l.cx - l.rx)), x1 = Math.min(width - 1, Math.ceil(l.cx + l.rx));
    const r = (l.color[0] / 255) * l.strength, g = (l.color[1] / 255) * l.strength, b = (l.color[2] / 255) * l.strength;
    for (let y = y0; y <= y1; y++) {
      const dy = (y + 0.5 - l.cy) / l.ry;
      for (let x = x0; x <= x1; x++) {
        const dx = (x + 0.5 - l.cx) / l.rx;
        const d = 1 - (dx * dx + dy * dy);
        if (d <= 0) continue;
        const f = d * d;
        const i = (y * width + x) * 3;
        acc[i] += r * f;
        acc[i + 1] += g * f;
        acc[i + 2] += b * f;
      }
    }
  }
}

/** Uniform in [0, 1) from a hash. */
const unit = (h: number): number => h / 4294967296;

/** Renders the scene by day or by night as 8-bit RGB of the scene's size. */
export function renderSceneSync(scene: Scene, mode: RenderMode): RgbImage {
  if (mode !== 'day' && mode !== 'night') throw new RangeError(`renderScene: mode must be 'day' or 'night', got '${String(mode)}'`);
  const { width, height, camera } = scene;
  const map = composeParts(scene);
  const s = shadingTable(map.materials, mode);
  const night = mode === 'night';
  const skyMat = scene.items[0]?.parts[0]?.material;
  const hazeColor: Rgb = night ? (skyMat?.nightBottom ?? [40, 34, 46]) : (skyMat?.bottom ?? [200, 210, 225]);
  const hazeScale = night ? 0.6 : 1;
  const rowHaze = new Float32Array(height);
  for (let y = 0; y < height; y++) {
    const depth = (camera.focal * camera.height) / Math.max(1e-3, y + 0.5 - camera.horizon);
    rowHaze[y] = y + 0.5 > camera.horizon ? 1 - Math.exp(-depth / scene.visibility) : 1;
  }
  let glow: Float32Array | null = null, pool: Float32Array | null = null;
  if (night) {
    const lights = scene.items.flatMap((item) => item.lights ?? []);
    glow = new Float32Array(width * height * 3);
    pool = new Float32Array(width * height * 3);
    accumulateLights(lights, 'glow', glow, width, height);
    accumulateLights(lights, 'pool', pool, width, height);
  }
  const grainSeed = (scene.noiseSeed ^ GRAIN_SALT) >>> 0, noiseSeed = (scene.noiseSeed ^ NOISE_SALT) >>> 0;
  const out = new Uint8Array(width * height * 3);
  const { part, shadow } = map;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      const p = part[i], p3 = p * 3, o = i * 3;
      const g1 = s.g1[p];
      let t = 0;
      if (g1 > 0) {
        const g0 = s.g0[p];
        t = (y + 0.5 - g0) / (g1 - g0);
        t = t < 0 ? 0 : t > 1 ? 1 : t;
      }
      let r = s.top[p3] + (s.bottom[p3] - s.top[p3]) * t;
      let g = s.top[p3 + 1] + (s.bottom[p3 + 1] - s.top[p3 + 1]) * t;
      let b = s.top[p3 + 2] + (s.bottom[p3 + 2] - s.top[p3 + 2]) * t;
      let k = s.light[p];
      const grain = s.grain[p];
      if (grain > 0) k *= 1 + grain * (unit(hash3(grainSeed, x, y)) - 0.5) * 1.5;
      if (!night && shadow[i] > 0) k *= 1 - 0.62 * (shadow[i] / 255);
      r *= k; g *= k; b *= k;
      if (night) {
        if (s.emit[p3] >= 0) {
          r = s.emit[p3]; g = s.emit[p3 + 1]; b = s.emit[p3 + 2];
        }
        const albedoR = r / NIGHT_AMBIENT[0], albedoG = g / NIGHT_AMBIENT[1], albedoB = b / NIGHT_AMBIENT[2];
        if (s.emit[p3] < 0) {
          r += albedoR * pool![o]; g += albedoG * pool![o + 1]; b += albedoB * pool![o + 2];
        }
      }
      let h = s.haze[p];
      if (h < 0) h = rowHaze[y];
      h *= hazeScale;
      if (h > 0) {
        r += (hazeColor[0] - r) * h; g += (hazeColor[1] - g) * h; b += (hazeColor[2] - b) * h;
      }
      if (night) {
        r += glow![o] * 255; g += glow![o + 1] * 255; b += glow![o + 2] * 255;
        // Low contrast, lifted blacks, then sensor noise that grows with signal.
        r = 5 + 0.9 * r; g = 5 + 0.9 * g; b = 6 + 0.9 * b;
        const luma = 0.3 * r + 0.59 * g + 0.11 * b;
        const sigma = 2 + 0.02 * luma;
        const n0 = (unit(hash3(noiseSeed, x, y)) + unit(hash3(noiseSeed + 1, x, y)) + unit(hash3(noiseSeed + 2, x, y)) - 1.5) * 2 * sigma;
        const c = (unit(hash3(noiseSeed + 3, x, y)) - 0.5) * sigma;
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
