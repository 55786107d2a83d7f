// Paints a scene's items in order into a part-index map: the one rasterisation that both the labels and
// the renders are derived from, so images and labels are pixel-aligned by construction.
import { rasterise } from './raster.ts';
import type { Material, Scene } from './types.ts';

export interface PartMap {
  width: number;
  height: number;
  /** Per pixel: index into `materials` / `partItem` of the part that is visible there. */
  part: Uint16Array;
  /** Per pixel: day shadow strength 0..255 cast onto the visible part (cleared when a later part covers it). */
  shadow: Uint8Array;
  materials: Material[];
  /** Per part: index of its item in scene.items. */
  partItem: Int32Array;
}

const MAX_PARTS = 65535;

export function composeParts(scene: Pick<Scene, 'width' | 'height' | 'items'>): PartMap {
  const { width, height, items } = scene;
  const part = new Uint16Array(width * height);
  const shadow = new Uint8Array(width * height);
  const materials: Material[] = [];
  const owners: number[] = [];
  for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
    const item = items[itemIndex];
    if (item.shadow) {
      const s = Math.round(Math.min(1, Math.max(0, item.shadow.strength)) * 255);
      rasterise(item.shadow.shape, width, height, (y, x0, x1) => {
        for (let i = y * width + x0, end = y * width + x1; i < end; i++) if (shadow[i] < s) shadow[i] = s;
      });
    }
    for (const p of item.parts) {
      const index = materials.length;
      if (index >= MAX_PARTS) throw new RangeError(`scene has more than ${MAX_PARTS} parts; use a smaller image or fewer items`);
      materials.push(p.material);
      owners.push(itemIndex);
      rasterise(p.shape, width, height, (y, x0, x1) => {
        part.fill(index, y * width + x0, y * width + x1);
        shadow.fill(0, y * width + x0, y * width + x1);
      });
    }
  }
  return { width, height, part, shadow, materials, partItem: Int32Array.from(owners) };
}
