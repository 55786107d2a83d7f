// Filled polygons exactly as Pillow 9 draws them (ImageDraw.polygon(xy, fill=v), src/libImaging/Draw.c
// polygon_generic), which is how cityscapesScripts json2labelImg / json2instanceImg made the official
// label images. Pillow computes edge crossings in single precision; Math.fround reproduces that.
// Pillow 9.x differs from current Pillow main in three ways that change pixels, all kept here: the
// coordinates are truncated to int, hline swaps reversed ends, and the "connect discontiguous
// corners" fix is the 9.x one (it writes at the other edge's table index). Checked pixel for pixel
// against Debian's Pillow 9.4 on thousands of random polygons (test/cityscapes-polygons.test.ts).

interface Edge {
  x0: number;
  y0: number;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
  /** Single-precision inverse slope, 0 for a horizontal edge. */
  dx: number;
}

const f32 = Math.fround;

/** C roundf: halves away from zero. */
function roundf(v: number): number {
  return v >= 0 ? Math.floor(v + 0.5) : -Math.floor(-v + 0.5);
}

/** Pillow's ROUND_UP on a float: floor(f + 0.5F), mirrored for negatives. */
function roundUp(f: number): number {
  return f >= 0 ? Math.floor(f32(f + 0.5)) : -Math.floor(f32(Math.abs(f) + 0.5));
}

/** Pillow's ROUND_DOWN on a float: ceil(f - 0.5F), mirrored for negatives. */
function roundDown(f: number): number {
  return f >= 0 ? Math.ceil(f32(f - 0.5)) : -Math.ceil(f32(Math.abs(f) - 0.5));
}


function makeEdge(x0: number, y0: number, x1: number, y1: number): Edge {
  return {
    x0,
    y0,
    xmin: Math.min(x0, x1),
    xmax: Math.max(x0, x1),
    ymin: Math.min(y0, y1),
    ymax: Math.max(y0, y1),
    dx: y0 === y1 ? 0 : f32(f32(x1 - x0) / f32(y1 - y0)),
  };
}

function edgeX(e: Edge, y: number): number {
  return f32(f32(f32(y - e.y0) * e.dx) + e.x0);
}

type Pixels = Uint8Array | Uint16Array | Int32Array;

function hline(target: Pixels, width: number, height: number, x0: number, y: number, x1: number, value: number): void {
  if (y < 0 || y >= height) return;
  // Pillow 9 swaps reversed ends, so a crossing pair at x+0.5 fills both neighbouring pixels.
  if (x0 > x1) [x0, x1] = [x1, x0];
  if (x0 < 0) x0 = 0;
  else if (x0 >= width) return;
  if (x1 < 0) return;
  else if (x1 >= width) x1 = width - 1;
  if (x0 <= x1) target.fill(value, y * width + x0, y * width + x1 + 1);
}

/**
 * Fills a polygon into a row-major image as Pillow 9's ImageDraw.polygon(points, fill=value) does.
 * `points` is [[x, y], ...]; Pillow 9 truncates coordinates towards zero (a C int cast), so do we.
 */
export function fillPolygonLikePil(
  target: Pixels,
  width: number,
  height: number,
  points: ReadonlyArray<readonly [number, number]>,
  value: number,
): void {
  const count = points.length;
  if (count === 0) return;
  const xy = new Int32Array(count * 2);
  for (let i = 0; i < count; i++) {
    xy[2 * i] = Math.trunc(points[i][0]);
    xy[2 * i + 1] = Math.trunc(points[i][1]);
  }
  const edges: Edge[] = [];
  let i = 0;
  for (; i < count - 1; i++) edges.push(makeEdge(xy[2 * i], xy[2 * i + 1], xy[2 * i + 2], xy[2 * i + 3]));
  if (xy[2 * i] !== xy[0] || xy[2 * i + 1] !== xy[1]) edges.push(makeEdge(xy[2 * i], xy[2 * i + 1], xy[0], xy[1]));
  fillEdges(target, width, height, edges, value);
}

/** polygon_generic: a scan line over the edge table, with Pillow's corner handling. */
function fillEdges(target: Pixels, width: number, height: number, edges: Edge[], value: number): void {
  let ymin = height - 1;
  let ymax = 0;
  const table: Edge[] = [];
  for (const e of edges) {
    if (ymin > e.ymin) ymin = e.ymin;
    if (ymax < e.ymax) ymax = e.ymax;
    if (e.ymin === e.ymax) {
      hline(target, width, height, e.xmin, e.ymin, e.xmax, value);
      continue;
    }
    table.push(e);
  }
  if (ymin < 0) ymin = 0;
  if (ymax > height) ymax = height;

  // Allocated once and never cleared, as in Pillow: the corner fix below writes at the other
  // edge's table index, which may leave a value that a later row reads.
  const xx = new Float32Array(table.length * 2);
  for (let y = ymin; y <= ymax; y++) {
    let j = 0;
    for (let t = 0; t < table.length; t++) {
      const cur = table[t];
      if (y < cur.ymin || y > cur.ymax) continue;
      xx[j++] = edgeX(cur, y);
      if (y === cur.ymax && y < ymax) {
        // Pillow: "Needed to draw consistent polygons"
        xx[j] = xx[j - 1];
        j++;
      } else if (cur.dx !== 0 && roundf(xx[j - 1]) === xx[j - 1]) {
        // Pillow: "Connect discontiguous corners"
        for (let k = 0; k < t; k++) {
          const other = table[k];
          if ((cur.dx > 0 && other.dx <= 0) || (cur.dx < 0 && other.dx >= 0)) continue;
          if (((y === cur.ymin && y === other.ymin) || (y === cur.ymax && y === other.ymax)) && xx[j - 1] === edgeX(other, y)) {
            const offset = y === ymax ? -1 : 1;
            const a = edgeX(cur, y + offset);
            const b = edgeX(other, y + offset);
            if (y === cur.ymax) xx[k] = cur.dx > 0 ? Math.max(a, b) + 1 : Math.min(a, b) - 1;
            else xx[k] = cur.dx > 0 ? Math.min(a, b) : Math.max(a, b) + 1;
            break;
          }
        }
      }
    }
    xx.subarray(0, j).sort();
    for (let q = 1; q < j; q += 2) hline(target, width, height, roundUp(xx[q - 1]), y, roundDown(xx[q]), value);
  }
}
