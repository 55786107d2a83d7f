// Pixel-level agreement between the label images of one frame. Each check is one pass over typed arrays.
import { COLOR_LUT, KNOWN_ID, TRAIN_ID_LUT, labelIdOf } from '../label-table.ts';

/** Ids in a labelIds image that are not in the label table, with their pixel counts (ascending id). */
export function unknownLabelIds(semantic: Uint8Array): { id: number; pixels: number }[] {
  const histogram = new Uint32Array(256);
  for (let i = 0; i < semantic.length; i++) histogram[semantic[i]]++;
  const unknown: { id: number; pixels: number }[] = [];
  for (let id = 0; id < 256; id++) if (histogram[id] > 0 && !KNOWN_ID[id]) unknown.push({ id, pixels: histogram[id] });
  return unknown;
}

export interface Disagreement {
  /** Pixels that disagree. */
  pixels: number;
  /** The first disagreeing pixel in raster order, or -1. */
  firstIndex: number;
}

/** Pixels whose instanceIds value's label (labelIdOf) is not their labelIds value. */
export function instanceClassDisagreement(semantic: Uint8Array, instances: Uint16Array): Disagreement {
  let pixels = 0;
  let firstIndex = -1;
  for (let i = 0; i < semantic.length; i++) {
    if (labelIdOf(instances[i]) !== semantic[i]) {
      if (pixels++ === 0) firstIndex = i;
    }
  }
  return { pixels, firstIndex };
}

/** Pixels where labelTrainIds is not TRAIN_ID_LUT[labelIds]. */
export function trainIdDisagreement(semantic: Uint8Array, trainIds: Uint8Array): Disagreement {
  let pixels = 0;
  let firstIndex = -1;
  for (let i = 0; i < semantic.length; i++) {
    if (trainIds[i] !== TRAIN_ID_LUT[semantic[i]]) {
      if (pixels++ === 0) firstIndex = i;
    }
  }
  return { pixels, firstIndex };
}

/** Pixels where a color image (RGB) is not COLOR_LUT[labelIds]. */
export function colorDisagreement(semantic: Uint8Array, rgb: Uint8Array): Disagreement {
  let pixels = 0;
  let firstIndex = -1;
  for (let i = 0; i < semantic.length; i++) {
    const c = semantic[i] * 3;
    const p = i * 3;
    if (rgb[p] !== COLOR_LUT[c] || rgb[p + 1] !== COLOR_LUT[c + 1] || rgb[p + 2] !== COLOR_LUT[c + 2]) {
      if (pixels++ === 0) firstIndex = i;
    }
  }
  return { pixels, firstIndex };
}

/** labelIds → labelTrainIds, as csCreateTrainIdLabelImgs writes it. */
export function toTrainIds(semantic: Uint8Array): Uint8Array {
  const out = new Uint8Array(semantic.length);
  for (let i = 0; i < semantic.length; i++) out[i] = TRAIN_ID_LUT[semantic[i]];
  return out;
}

/** labelIds → color image (RGB), as json2labelImg's "color" encoding writes it. */
export function toColor(semantic: Uint8Array): Uint8Array {
  const out = new Uint8Array(semantic.length * 3);
  for (let i = 0; i < semantic.length; i++) {
    const c = semantic[i] * 3;
    out[i * 3] = COLOR_LUT[c];
    out[i * 3 + 1] = COLOR_LUT[c + 1];
    out[i * 3 + 2] = COLOR_LUT[c + 2];
  }
  return out;
}
