// Small helpers to build materials and items.
import { labelByName } from '@nightshift/labels';
import type { Item, Light, Material, Part, Rgb, Shape } from './types.ts';

/** The Cityscapes label id of a label name (throws on a typo: the table is the only source of ids). */
export function labelId(name: string): number {
  const label = labelByName(name);
  if (!label || label.id < 0) throw new Error(`synthetic scene: '${name}' is not a drawable Cityscapes label`);
  return label.id;
}

export function isThing(name: string): boolean {
  return labelByName(name)?.hasInstances ?? false;
}

export function scale(c: Rgb, f: number): Rgb {
  return [Math.min(255, c[0] * f), Math.min(255, c[1] * f), Math.min(255, c[2] * f)];
}

export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

export function part(shape: Shape, color: Rgb, extra: Partial<Material> = {}): Part {
  return { shape, material: { color, ...extra } };
}

/**
 * An item of the given label. Thing instance ids are assigned when the scene is assembled (in painter's
 * order), so the id here is the stuff id; `haze` is applied to every part that does not set its own.
 */
export function makeItem(name: string, depth: number, parts: Part[], haze: number, extra: { shadow?: Item['shadow']; lights?: Light[] } = {}): Item {
  const id = labelId(name);
  for (const p of parts) if (p.material.haze === undefined && !p.material.ground) p.material.haze = haze;
  const item: Item = { name, labelId: id, instanceId: id, depth, parts };
  if (extra.shadow) item.shadow = extra.shadow;
  if (extra.lights && extra.lights.length > 0) item.lights = extra.lights;
  return item;
}
