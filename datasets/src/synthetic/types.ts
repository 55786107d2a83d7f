// The scene description: plain JSON-able data. Coordinates are pixels of the requested image size.
import type { Box } from '@nightshift/labels';

export type { Box };
export type Rgb = [number, number, number];

/** Closed filled shapes. A pixel belongs to a shape when its centre (x+0.5, y+0.5) lies inside it. */
export type Shape =
  | { type: 'poly'; points: number[] } // x0, y0, x1, y1, ... (even-odd rule)
  | { type: 'rect'; x: number; y: number; w: number; h: number }
  | { type: 'ellipse'; cx: number; cy: number; rx: number; ry: number }
  | { type: 'ring'; cx: number; cy: number; rx: number; ry: number; thickness: number };

/** How one part looks. Colours are 0..255 sRGB-ish albedo. */
export interface Material {
  color: Rgb;
  /** Vertical gradient: colour at y=gradient[0] is `color`, at y=gradient[1] is `bottom`. */
  bottom?: Rgb;
  gradient?: [number, number];
  /** Day light factor: 1 for surfaces facing the sun, less for those in shade. Default 1. */
  light?: number;
  /** Amplitude of per-pixel grain (0..0.3). */
  grain?: number;
  /** Aerial perspective: how much the day colour fades into the horizon haze (0..1). */
  haze?: number;
  /** A ground-plane part: haze follows each row's distance instead of `haze`. */
  ground?: boolean;
  /** Night colour override (sky); otherwise night colour is the ambient-lit albedo. */
  night?: Rgb;
  nightBottom?: Rgb;
  /** Light emitted at night (lit windows, lamps, head and tail lights). */
  emit?: Rgb;
}

export interface Part {
  shape: Shape;
  material: Material;
}

/**
 * Light that only exists at night, elliptic with a smooth falloff to exactly zero at the rim: a 'glow' adds
 * its colour (a lamp seen through the air), a 'pool' lights the albedo of what it falls on (a lamp's cone on the road).
 */
export interface Light {
  kind: 'glow' | 'pool';
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  color: Rgb;
  strength: number;
}

/** A drawn thing or stuff element. Items are painted in array order (far to near). */
export interface Item {
  /** Cityscapes label name of the whole item, e.g. 'car', 'building'. */
  name: string;
  labelId: number;
  /** labelId*1000+k for thing classes, labelId for stuff. */
  instanceId: number;
  /** Distance from the camera in metres (painter's order key). */
  depth: number;
  parts: Part[];
  /** Day-only darkening painted on whatever lies below, before this item's parts. */
  shadow?: { shape: Shape; strength: number };
  lights?: Light[];
}

/** One thing-class instance and its visible pixels, as rasterised. */
export interface SceneObject {
  instanceId: number;
  labelId: number;
  name: string;
  /** Tight box [x, y, w, h] around the visible pixels. */
  bbox: Box;
  /** Visible pixel count after occlusion. */
  area: number;
  depth: number;
}

export interface Camera {
  /** Focal length in pixels. */
  focal: number;
  /** Principal point x (the vanishing point of the road). */
  cx: number;
  /** Horizon row. */
  horizon: number;
  /** Camera height above the road in metres. */
  height: number;
}

/** Where objects may stand, in world metres (camera at X = 0), for adding objects later. */
export interface StreetPlan {
  /** Centre X and travel direction of each traffic lane, left to right. */
  lanes: { x: number; facing: 'away' | 'toward' }[];
  /** [inner, outer] X range of each sidewalk's walkable part. */
  sidewalks: [number, number][];
}

export interface Scene {
  version: 1;
  seed: number;
  width: number;
  height: number;
  camera: Camera;
  /** Seeds the night sensor noise and surface grain; identical for a scene and all its fault variants. */
  noiseSeed: number;
  /** Metres at which aerial haze reaches 63 %: used for ground parts, whose distance varies per row. */
  visibility: number;
  street: StreetPlan;
  /** Index of the first item of the street corridor (depth-sorted objects on road and sidewalks). */
  firstStreetItem: number;
  items: Item[];
  /** Every thing-class instance with area > 0, in item order. */
  objects: SceneObject[];
}
