// Stray lights: light sources standing on the ground. Night lights are expected where the labels put
// something that can shine (lamps on poles, lit windows in buildings, head and tail lights inside car
// masks) and pools of light on the road are not emitters (lit asphalt is far from white). A saturated
// emitter on road or sidewalk pixels, where the source is neither a light nor white paint (lane marks
// in a lamp pool saturate too), belongs to no labelled object:
// it is the head or tail light of an invented vehicle (or a spurious light the translator made up).
// The same holds inside an object mask where the source is dark (every channel below
// strayLightObjectSourceLevel): a lamp is a bright part of its object by day (lens, reflector), so a
// saturated light on a dark body is the light of another vehicle in front of it (an invented car
// partly covering a labelled one) or a spurious one.
// Emitter pixels within `strayLightMerge` pixels of each other form one region (a pair of head lights is
// one vehicle); its score is its emitter pixel count at full resolution. The count is soft: a pixel counts
// from 0 at RAMP levels below strayLightLevel to 1 at it, so that one grey level of difference between two
// translations (onnx and tfjs engines) moves a score by at most 1/RAMP per pixel instead of flipping a
// pixel in or out; the region box is the count-weighted moment box (components.ts) for the same reason.
import type { LabelMaps, RgbImage } from './image.ts';
import { boxMean } from './box-filter.ts';
import { isObjectId } from './instances.ts';
import { connectedComponents, dominantLabel, momentBox } from './components.ts';
import type { RegionScore } from './hallucination.ts';
import type { ConsistencyThresholds } from './thresholds.ts';
import type { Scratch } from './scratch.ts';

const RAMP = 8;

/** Bit 7 of each byte of a 32-bit word is set where that byte's top four bits are all set (the byte is >= 240). */
const topNibbleSet = (v: number): number => v & (v << 1) & (v << 2) & (v << 3);

/** Stray emitter pixels (on the ground, or on a dark part of an object) per factor x factor block of the analysis grid. */
function groundEmitters(source: RgbImage, output: RgbImage, labels: LabelMaps, factor: number, t: ConsistencyThresholds, scratch: Scratch): { count: Float32Array; w: number; h: number } {
  const { width } = source;
  const w = Math.floor(width / factor), h = Math.floor(source.height / factor);
  const ground = new Uint8Array(256);
  for (const id of t.groundLabelIds) ground[id] = 1;
  const sourceLevel = t.strayLightSourceLevel, objectSourceLevel = t.strayLightObjectSourceLevel;
  const lo = t.strayLightLevel - RAMP;
  const count = scratch.f32(w * h);
  const o = output.data, s = source.data, sem = labels.semantic, inst = labels.instances;
  const cell = new Int32Array(w * factor);
  for (let x = 0; x < cell.length; x++) cell[x] = (x / factor) | 0;
  // Soft emitter weight of pixel i (0 for most: night pixels are far from saturated, tested first).
  const emitter = (i: number): number => {
    const p = i * 3;
    const r = o[p], g = o[p + 1], b = o[p + 2];
    if (r <= lo && g <= lo && b <= lo) return 0;
    const m = r > g ? (r > b ? r : b) : g > b ? g : b;
    const obj = isObjectId(inst[i]);
    if (!obj && !ground[sem[i]]) return 0;
    const sl = obj ? objectSourceLevel : sourceLevel;
    if (s[p] >= sl || s[p + 1] >= sl || s[p + 2] >= sl) return 0;
    return m >= lo + RAMP ? 1 : (m - lo) / RAMP;
  };
  // Four pixels at a time are 12 bytes, three aligned 32-bit words: when every emitter byte is at least
  // 240 (lo >= 239), a word none of whose bytes has its top four bits set holds no emitter byte.
  const words = lo >= 239 && o.byteOffset % 4 === 0 ? new Uint32Array(o.buffer, o.byteOffset, o.length >> 2) : null;
  const xEnd = w * factor;
  for (let y = 0; y < h * factor; y++) {
    const row = (y / factor | 0) * w;
    for (let x = 0, i = y * width; x < xEnd;) {
      if (words !== null && (i & 3) === 0 && x + 4 <= xEnd) {
        const q = (3 * i) >> 2;
        if (((topNibbleSet(words[q]) | topNibbleSet(words[q + 1]) | topNibbleSet(words[q + 2])) & 0x80808080) === 0) {
          x += 4; i += 4;
          continue;
        }
      }
      const e = emitter(i);
      if (e > 0) count[row + cell[x]] += e;
      x++; i++;
    }
  }
  return { count, w, h };
}

/** `grid`: the labels sampled on the analysis grid (factor x factor blocks of the full-resolution `labels`). */
export function strayLightRegions(
  source: RgbImage, output: RgbImage, labels: LabelMaps, grid: LabelMaps, factor: number, t: ConsistencyThresholds, scratch: Scratch,
): RegionScore[] {
  const { count, w, h } = groundEmitters(source, output, labels, factor, t, scratch);
  const near = scratch.f32Raw(w * h);
  boxMean(count, w, h, Math.max(1, Math.round(t.strayLightMerge / factor)), near, scratch.f32Raw(w * h));
  const mask = scratch.u8(w * h);
  let any = false;
  for (let i = 0; i < mask.length; i++) if (near[i] > 0) { mask[i] = 1; any = true; }
  if (!any) return [];
  const ids = scratch.i32Raw(w * h);
  const comps = connectedComponents(mask, w, h, count, ids, scratch);
  const out: RegionScore[] = [];
  for (const [k, c] of comps.entries()) {
    const b = momentBox(c, w, h);
    out.push({
      cue: 'light',
      bbox: [b.x0 * factor, b.y0 * factor, (b.x1 - b.x0) * factor, (b.y1 - b.y0) * factor],
      area: c.area * factor * factor,
      // The region stands on the ground label most of its emitters are on.
      labelId: dominantLabel(grid.semantic, ids, k + 1, c, w, count),
      score: c.sum,
    });
  }
  return out;
}
