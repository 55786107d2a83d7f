// Polygons traced from label masks, for writing a polygons json that json2labelImg turns back into
// (nearly) the same labelIds. One polygon per 8-connected component of each instanceIds value,
// through the centres of its outer boundary pixels (Pillow fills a polygon including its edges).
// A component with holes is drawn whole, so polygons are ordered by enclosed area, largest first:
// whatever lies in a hole has a smaller outline and is drawn over it later.
import { isInstanceValue, labelById, labelIdOf } from '../label-table.ts';
import type { CityscapesPolygonObject, CityscapesPolygons } from './polygons.ts';

// 8 neighbours, clockwise on screen (y down): E, SE, S, SW, W, NW, N, NE.
const DX = [1, 1, 0, -1, -1, -1, 0, 1];
const DY = [0, 1, 1, 1, 0, -1, -1, -1];
const WEST = 4;

/** Direction index of a unit step (dx, dy). */
function directionOf(dx: number, dy: number): number {
  for (let d = 0; d < 8; d++) if (DX[d] === dx && DY[d] === dy) return d;
  throw new Error(`not a unit step: ${dx},${dy}`);
}

/**
 * The value each pixel is traced as: the instanceIds value where its class agrees with labelIds,
 * otherwise the labelIds value (so that the polygons always reproduce labelIds).
 */
function traceKeys(semantic: Uint8Array, instances: Uint16Array): Uint16Array {
  const keys = new Uint16Array(instances.length);
  for (let i = 0; i < keys.length; i++) {
    const v = instances[i];
    keys[i] = labelIdOf(v) === semantic[i] ? v : semantic[i];
  }
  return keys;
}

/** 8-connected components of equal keys; returns component ids and each component's first pixel. */
function components(keys: Uint16Array, width: number, height: number): { comp: Int32Array; starts: number[] } {
  const n = keys.length;
  const comp = new Int32Array(n).fill(-1);
  const stack = new Int32Array(n);
  const starts: number[] = [];
  for (let s = 0; s < n; s++) {
    if (comp[s] !== -1) continue;
    const id = starts.length;
    starts.push(s);
    const key = keys[s];
    comp[s] = id;
    let top = 0;
    stack[top++] = s;
    while (top > 0) {
      const p = stack[--top];
      const x = p % width;
      const y = (p - x) / width;
      for (let d = 0; d < 8; d++) {
        const nx = x + DX[d];
        const ny = y + DY[d];
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const q = ny * width + nx;
        if (comp[q] === -1 && keys[q] === key) {
          comp[q] = id;
          stack[top++] = q;
        }
      }
    }
  }
  return { comp, starts };
}

/**
 * Outer border of the component containing `start` (its first pixel in raster order), followed
 * as in Suzuki & Abe (1985): a closed list of boundary pixel centres, flat [x0, y0, x1, y1, ...].
 */
function traceBorder(comp: Int32Array, width: number, height: number, start: number): number[] {
  const id = comp[start];
  const inside = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < width && y < height && comp[y * width + x] === id;
  const sx = start % width;
  const sy = (start - sx) / width;
  // First neighbour clockwise from the west one (the west pixel is outside: start is the first pixel).
  let first = -1;
  for (let t = 0; t < 8; t++) {
    const d = (WEST + t) % 8;
    if (inside(sx + DX[d], sy + DY[d])) { first = d; break; }
  }
  if (first === -1) return [sx, sy];
  const fx = sx + DX[first];
  const fy = sy + DY[first];
  const points = [sx, sy];
  let cx = sx, cy = sy, px = fx, py = fy;
  for (let guard = 0; guard < 4 * comp.length + 8; guard++) {
    const back = directionOf(px - cx, py - cy);
    let nx = cx, ny = cy;
    // Counter-clockwise from the neighbour after the one we came from.
    for (let t = 1; t <= 8; t++) {
      const d = (back - t + 8) % 8;
      if (inside(cx + DX[d], cy + DY[d])) { nx = cx + DX[d]; ny = cy + DY[d]; break; }
    }
    if (nx === sx && ny === sy && cx === fx && cy === fy) return points;
    points.push(nx, ny);
    px = cx; py = cy; cx = nx; cy = ny;
  }
  throw new Error('border following did not close');
}

/** Drops points in the middle of straight runs (same unit step in and out). */
function simplify(points: number[]): [number, number][] {
  const m = points.length / 2;
  if (m <= 2) return m === 1 ? [[points[0], points[1]], [points[0], points[1]]] : [[points[0], points[1]], [points[2], points[3]]];
  const out: [number, number][] = [];
  for (let i = 0; i < m; i++) {
    const a = (i + m - 1) % m, c = (i + 1) % m;
    const inX = points[2 * i] - points[2 * a], inY = points[2 * i + 1] - points[2 * a + 1];
    const outX = points[2 * c] - points[2 * i], outY = points[2 * c + 1] - points[2 * i + 1];
    if (inX !== outX || inY !== outY) out.push([points[2 * i], points[2 * i + 1]]);
  }
  if (out.length === 0) out.push([points[0], points[1]]);
  if (out.length === 1) out.push(out[0]);
  return out;
}

function enclosedArea(polygon: [number, number][]): number {
  let twice = 0;
  for (let i = 0; i < polygon.length; i++) {
    const [x0, y0] = polygon[i];
    const [x1, y1] = polygon[(i + 1) % polygon.length];
    twice += x0 * y1 - x1 * y0;
  }
  return Math.abs(twice) / 2;
}

/** The polygons-json label name of an instanceIds value: "car", or "cargroup" for a car group. */
function polygonLabel(key: number): string {
  const label = labelById(labelIdOf(key));
  if (!label) throw new RangeError(`label id ${labelIdOf(key)} (instanceIds value ${key}) is not in the label table`);
  return !isInstanceValue(key) && label.hasInstances ? `${label.name}group` : label.name;
}

/**
 * Polygons json traced from labelIds and instanceIds. Rasterising it (json2labelImg) reproduces
 * labelIds up to pixels of 1-pixel-thin diagonal structures; instance indexes are renumbered by
 * json2instanceImg in file order, so instanceIds are reproduced up to that renumbering.
 */
export function tracePolygons(semantic: Uint8Array, instances: Uint16Array, width: number, height: number): CityscapesPolygons {
  const n = width * height;
  if (semantic.length !== n || instances.length !== n) {
    throw new RangeError(`tracePolygons: ${semantic.length} labelIds and ${instances.length} instanceIds values for ${width}x${height}`);
  }
  const keys = traceKeys(semantic, instances);
  const { comp, starts } = components(keys, width, height);
  const traced = starts.map((start) => {
    const polygon = simplify(traceBorder(comp, width, height, start));
    return { start, polygon, area: enclosedArea(polygon), label: polygonLabel(keys[start]) };
  });
  traced.sort((a, b) => b.area - a.area || a.start - b.start);
  const objects: CityscapesPolygonObject[] = traced.map(({ label, polygon }) => ({ label, polygon }));
  return { imgHeight: height, imgWidth: width, objects };
}
