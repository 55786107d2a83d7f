// Stray lights: light sources standing on the ground. Night lights are expected where the labels put
// something that can shine (lamps on poles, lit windows in buildings, head and tail lights inside car
// masks) and pools of light on the road are not emitters (lit asphalt is far from white). A saturated
// emitter on road or sidewalk pixels, where the source is neither a light nor white paint (lane marks
// in a lamp pool saturate too), belongs to no labelled object:
// it is the head or tail light of an invented vehicle (or a spurious light the translator made up).
// Emitter pixels within `strayLightMerge` pixels of each other form one region (a pair of head lights is
// one vehicle); its score is its emitter pixel count at full resolution.
import type { LabelMaps, RgbImage } from './image.ts';
import { boxMean } from './box-filter.ts';
import { connectedComponents } from './components.ts';
import type { RegionScore } from './hallucination.ts';
import type { ConsistencyThresholds } from './thresholds.ts';

/** Emitter pixels on the ground per factor x factor block of the analysis grid. */
function groundEmitters(source: RgbImage, output: RgbImage, labels: LabelMaps, factor: number, t: ConsistencyThresholds): { count: Float32Array; w: number; h: number } {
  const { width } = source;
  const w = Math.floor(width / factor), h = Math.floor(source.height / factor);
  const ground = new Uint8Array(256);
  for (const id of t.groundLabelIds) ground[id] = 1;
  const level = t.strayLightLevel, sourceLevel = t.strayLightSourceLevel;
  const count = new Float32Array(w * h);
  const o = output.data, s = source.data, sem = labels.semantic;
  for (let y = 0; y < h * factor; y++) {
    const row = (y / factor | 0) * w;
    for (let x = 0, i = y * width; x < w * factor; x++, i++) {
      if (!ground[sem[i]]) continue;
      const p = i * 3;
      if (o[p] < level && o[p + 1] < level && o[p + 2] < level) continue;
      if (s[p] >= sourceLevel || s[p + 1] >= sourceLevel || s[p + 2] >= sourceLevel) continue;
      count[row + (x / factor | 0)]++;
    }
  }
  return { count, w, h };
}

/** `grid`: the labels sampled on the analysis grid (factor x factor blocks of the full-resolution `labels`). */
export function strayLightRegions(source: RgbImage, output: RgbImage, labels: LabelMaps, grid: LabelMaps, factor: number, t: ConsistencyThresholds): RegionScore[] {
  const { count, w, h } = groundEmitters(source, output, labels, factor, t);
  const near = new Float32Array(w * h);
  boxMean(count, w, h, Math.max(1, Math.round(t.strayLightMerge / factor)), near, new Float32Array(w * h));
  const mask = new Uint8Array(w * h);
  let any = false;
  for (let i = 0; i < mask.length; i++) if (near[i] > 0) { mask[i] = 1; any = true; }
  if (!any) return [];
  const ids = new Int32Array(w * h);
  const comps = connectedComponents(mask, w, h, count, ids);
  const out: RegionScore[] = [];
  for (const [k, c] of comps.entries()) {
    // The region stands on the ground label most of its emitters are on.
    const votes = new Map<number, number>();
    for (let y = c.y0; y < c.y1; y++) for (let i = y * w + c.x0; i < y * w + c.x1; i++) {
      if (ids[i] === k + 1 && count[i] > 0) votes.set(grid.semantic[i], (votes.get(grid.semantic[i]) ?? 0) + count[i]);
    }
    out.push({
      cue: 'light',
      bbox: [c.x0 * factor, c.y0 * factor, (c.x1 - c.x0) * factor, (c.y1 - c.y0) * factor],
      area: c.area * factor * factor,
      labelId: [...votes].sort((p, q) => q[1] - p[1] || p[0] - q[0])[0]?.[0] ?? t.groundLabelIds[0],
      score: c.sum,
    });
  }
  return out;
}
