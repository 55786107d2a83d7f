/**
 * Full-resolution generator inference with bounded accelerator memory, and no seams: the
 * backend-independent part. The engines (tiled.ts for tfjs, onnx/tile-sessions.ts for ONNX Runtime)
 * only supply a TileBackend that runs one convolution on one input tile.
 *
 * The generator runs layer by layer. Each layer's whole activation lives in host memory (a
 * Float32Array, HWC); each convolution runs on tiles of its output, each tile fed with exactly the
 * input rows and columns its receptive field needs (padding applied by index, reflect or zero, as
 * the reference pads the whole image). Instance-norm statistics are accumulated over all tiles of a
 * layer (per-tile mean and variance from the backend, merged in float64 with Chan's formula) and
 * applied to the whole activation afterwards. Every output value is therefore the same sum as in
 * whole-image execution, only tiled: tiles do not overlap, there is nothing to blend, and there is no
 * seam; the difference to whole-image execution is float rounding (test/translate-tiled.test.ts,
 * test/onnx-tiled.test.ts).
 *
 * Accelerator memory per tile: (tile + halo)^2 x channels of one layer; tiles are `tileSize` image
 * pixels wide at full resolution and proportionally smaller in the 1/2 and 1/4 resolution layers.
 */
import { stepInputRange, stepOutputSize, type StepGeometry } from './generator-plan.ts';

const IN_EPS = 1e-5;

export interface TiledOptions {
  /** Tile side in image pixels at full resolution (deeper layers use tileSize/2, tileSize/4). Default 512. */
  readonly tileSize?: number;
}

/** One image's activation in host memory, HWC. */
export interface HostActivation {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly data: Float32Array;
}

/** One convolution on one tile, as the driver hands it to a backend. */
export interface ConvTile {
  /** The input region, HWC, `rows` x `cols` x step.inChannels, padding already applied. */
  readonly input: Float32Array;
  readonly rows: number;
  readonly cols: number;
  /**
   * The part of the 'valid' convolution (for 'conv-transpose-up': the 'valid' stride-2 transposed
   * convolution, 2 * rows + 1 by 2 * cols + 1) of `input` that is wanted: `outRows` x `outCols`
   * starting at (`top`, `left`). For 'conv' steps top and left are 0 and the sizes are the whole
   * 'valid' output.
   */
  readonly top: number;
  readonly left: number;
  readonly outRows: number;
  readonly outCols: number;
}

export interface ConvTileResult {
  /** conv + bias (then tanh where step.tanh) of the wanted window, HWC, outRows x outCols x step.outChannels. */
  readonly values: Float32Array;
  /** Where step.norm: per-channel mean and biased variance of `values`. */
  readonly mean?: ArrayLike<number>;
  readonly variance?: ArrayLike<number>;
  /** Called once the driver has copied `values` (to free backend-owned memory). */
  readonly release?: () => void;
}

/** A compute backend for tiled execution: runs one step's convolution on one tile. */
export interface TileBackend<S extends StepGeometry = StepGeometry> {
  runTile(step: S, tile: ConvTile): Promise<ConvTileResult>;
}

function reflect(i: number, n: number): number {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

/**
 * Rows [r0, r1] x columns [c0, c1] (inclusive) of `src`, with coordinates outside the image mapped by
 * reflection or read as zeros.
 */
export function gatherRegion(
  src: HostActivation, r0: number, r1: number, c0: number, c1: number, mode: 'reflect' | 'zero',
): Float32Array {
  const { height: h, width: w, channels: c, data } = src;
  const rows = r1 - r0 + 1;
  const cols = c1 - c0 + 1;
  const out = new Float32Array(rows * cols * c);
  const inside0 = Math.max(0, c0);
  const inside1 = Math.min(w - 1, c1);
  for (let r = 0; r < rows; r++) {
    let sr = r0 + r;
    if (sr < 0 || sr >= h) {
      if (mode === 'zero') continue;
      sr = reflect(sr, h);
    }
    const rowBase = sr * w * c;
    const dstRow = r * cols * c;
    if (inside1 >= inside0) {
      out.set(data.subarray(rowBase + inside0 * c, rowBase + (inside1 + 1) * c), dstRow + (inside0 - c0) * c);
    }
    if (mode === 'zero') continue;
    for (let x = c0; x < inside0; x++) out.set(data.subarray(rowBase + reflect(x, w) * c, rowBase + (reflect(x, w) + 1) * c), dstRow + (x - c0) * c);
    for (let x = inside1 + 1; x <= c1; x++) out.set(data.subarray(rowBase + reflect(x, w) * c, rowBase + (reflect(x, w) + 1) * c), dstRow + (x - c0) * c);
  }
  return out;
}

/** Per-channel count, mean and M2 merged over tiles (Chan et al.), in float64. */
class ChannelMoments {
  private n = 0;
  readonly mean: Float64Array;
  readonly m2: Float64Array;

  constructor(channels: number) {
    this.mean = new Float64Array(channels);
    this.m2 = new Float64Array(channels);
  }

  merge(count: number, mean: ArrayLike<number>, variance: ArrayLike<number>): void {
    const total = this.n + count;
    for (let ch = 0; ch < this.mean.length; ch++) {
      const delta = mean[ch] - this.mean[ch];
      this.mean[ch] += (delta * count) / total;
      this.m2[ch] += variance[ch] * count + (delta * delta * this.n * count) / total;
    }
    this.n = total;
  }

  /** Biased variance, as InstanceNorm2d uses. */
  variance(ch: number): number {
    return this.m2[ch] / this.n;
  }
}

function tileStarts(size: number, tile: number): number[] {
  const starts: number[] = [];
  for (let s = 0; s < size; s += tile) starts.push(s);
  return starts;
}

async function runStepTiled<S extends StepGeometry>(
  backend: TileBackend<S>, step: S, input: HostActivation, tileSize: number,
): Promise<{ out: HostActivation; moments: ChannelMoments | undefined }> {
  const oh = stepOutputSize(step, input.height);
  const ow = stepOutputSize(step, input.width);
  const cout = step.outChannels;
  const data = new Float32Array(oh * ow * cout);
  const moments = step.norm ? new ChannelMoments(cout) : undefined;
  const tile = Math.max(1, Math.round(tileSize * step.scale));
  const transposed = step.kind === 'conv-transpose-up';
  for (const y0 of tileStarts(oh, tile)) {
    const y1 = Math.min(oh, y0 + tile);
    for (const x0 of tileStarts(ow, tile)) {
      const x1 = Math.min(ow, x0 + tile);
      const [r0, r1] = stepInputRange(step, y0, y1, input.height);
      const [c0, c1] = stepInputRange(step, x0, x1, input.width);
      const result = await backend.runTile(step, {
        input: gatherRegion(input, r0, r1, c0, c1, step.pad?.mode ?? 'zero'),
        rows: r1 - r0 + 1,
        cols: c1 - c0 + 1,
        // Global 'valid' transposed-conv row q = o + 1 sits at local row q - 2 * r0.
        top: transposed ? y0 + 1 - 2 * r0 : 0,
        left: transposed ? x0 + 1 - 2 * c0 : 0,
        outRows: y1 - y0,
        outCols: x1 - x0,
      });
      const { values } = result;
      if (values.length !== (y1 - y0) * (x1 - x0) * cout) {
        throw new Error(`tiled ${step.name}: the backend returned ${values.length} values for a ${x1 - x0}x${y1 - y0}x${cout} tile`);
      }
      if (moments) {
        if (!result.mean || !result.variance) throw new Error(`tiled ${step.name}: the backend returned no instance-norm moments`);
        moments.merge((y1 - y0) * (x1 - x0), result.mean, result.variance);
      }
      const rowLen = (x1 - x0) * cout;
      for (let r = 0; r < y1 - y0; r++) data.set(values.subarray(r * rowLen, (r + 1) * rowLen), ((y0 + r) * ow + x0) * cout);
      result.release?.();
    }
  }
  return { out: { height: oh, width: ow, channels: cout, data }, moments };
}

/** In place: x = relu?((x - mean) / sqrt(var + eps)) (+ skip). */
function normalise(act: HostActivation, moments: ChannelMoments, relu: boolean, skip: HostActivation | undefined): void {
  const c = act.channels;
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    scale[ch] = 1 / Math.sqrt(moments.variance(ch) + IN_EPS);
    shift[ch] = -moments.mean[ch] * scale[ch];
  }
  const d = act.data;
  const s = skip?.data;
  for (let i = 0, ch = 0; i < d.length; i++) {
    let v = d[i] * scale[ch] + shift[ch];
    if (relu && v < 0) v = 0;
    if (s) v += s[i];
    d[i] = v;
    if (++ch === c) ch = 0;
  }
}

/**
 * Runs a generator plan (generatorPlan / generatorPlanGeometry) on one image held in host memory (HWC,
 * values in [-1, 1], height and width multiples of 4), tile by tile on `backend`. Returns the output
 * image (HWC, the last step's channels).
 */
export async function runPlanTiled<S extends StepGeometry>(
  plan: readonly S[], backend: TileBackend<S>, image: HostActivation, options: TiledOptions = {},
): Promise<HostActivation> {
  const tileSize = options.tileSize ?? 512;
  if (!Number.isInteger(tileSize) || tileSize < 4) throw new RangeError(`tileSize must be an integer >= 4, received ${tileSize}`);
  const inputNc = plan[0]?.inChannels;
  if (image.channels !== inputNc) throw new RangeError(`tiled execution: expected ${inputNc} channels, received ${image.channels}`);
  if (image.height % 4 !== 0 || image.width % 4 !== 0 || image.height < 8 || image.width < 8) {
    throw new RangeError(`tiled execution: height and width must be multiples of 4 and at least 8, received ${image.width}x${image.height}`);
  }
  let current = image;
  let skip: HostActivation | undefined;
  for (const step of plan) {
    if (step.saveSkip) skip = current;
    const { out, moments } = await runStepTiled(backend, step, current, tileSize);
    if (moments) normalise(out, moments, step.relu, step.addSkip ? skip : undefined);
    current = out;
  }
  return current;
}
