// Erasing a labelled instance from a translated image: its mask (dilated by a small margin, so that no
// outline survives) is inpainted from the surroundings.
import { labelIdOf } from '@nightshift/labels';
import type { LabelMaps, RgbImage } from '../image.ts';
import { inpaint } from './inpaint.ts';

export interface EraseTruth {
  kind: 'erased';
  instanceId: number;
  labelId: number;
  bbox: [number, number, number, number];
  area: number;
}

export function eraseInstance(image: RgbImage, labels: LabelMaps, instanceId: number, options: { margin?: number; noiseSeed?: number } = {}): { image: RgbImage; truth: EraseTruth } | null {
  const { width, height } = labels;
  const margin = options.margin ?? 2;
  const mask = new Uint8Array(width * height);
  let x0 = width, y0 = height, x1 = 0, y1 = 0, area = 0;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    if (labels.instances[y * width + x] !== instanceId) continue;
    area++;
    if (x < x0) x0 = x;
    if (x >= x1) x1 = x + 1;
    if (y < y0) y0 = y;
    if (y >= y1) y1 = y + 1;
    for (let dy = -margin; dy <= margin; dy++) for (let dx = -margin; dx <= margin; dx++) {
      const xx = x + dx, yy = y + dy;
      if (xx >= 0 && yy >= 0 && xx < width && yy < height) mask[yy * width + xx] = 1;
    }
  }
  if (area === 0) return null;
  return {
    image: inpaint(image, mask, { noiseSeed: options.noiseSeed }),
    truth: { kind: 'erased', instanceId, labelId: labelIdOf(instanceId), bbox: [x0, y0, x1 - x0, y1 - y0], area },
  };
}
