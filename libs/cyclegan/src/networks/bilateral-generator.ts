/**
 * The structure-preserving generator kind `bilateral`: a small network looks at a fixed-size,
 * area-averaged copy of the image and predicts, on a coarse grid of cells (8 x 16), a tone curve per
 * colour channel; the curves are interpolated bilinearly to every pixel ("sliced", as in HDRNet,
 * Gharbi et al. 2017, with each channel's own value as the range coordinate) and applied to that
 * pixel's own colour. A smooth additive layer, predicted on a finer grid (32 x 64), adds an offset and
 * light (glow) bounded to [0, LIGHT_MAX]. Per pixel p and channel c, with input x in [-1, 1]:
 *
 *   out_c(p) = f_c(p, x_c(p)) + a_c(p)
 *   f_c(p, .)  piecewise-linear, f(-1) = -1, 8 segments between CURVE_KNOTS, each with a slope in
 *              [SLOPE_MIN, SLOPE_MAX] (flat below -1): strictly increasing on [-1, 1]; the three
 *              channels' slope logits lie within CHANNEL_DEVIATION_MAX of their mean
 *   a_c(p)     offset in [-OFFSET_MAX, OFFSET_MAX] (coarse grid, taken to the light grid) plus light
 *              in [0, LIGHT_MAX], interpolated from the light grid
 *
 * Every coefficient is bounded where it is predicted and interpolated with convex weights, so the
 * bounds hold at every pixel. docs/bilateral-generator.md states the property this gives (no object
 * erased or invented: bounded contrast ratio, smooth everything else) and tests/property checks it.
 * The network runs natively at any size (2048x1024 included): the only full-resolution work is the
 * area reduction, the two interpolations and the per-pixel arithmetic.
 *
 * Layer weights are stored at 1/50 of their He scale and multiplied back in the forward pass
 * (an "equalised learning rate", Karras et al. 2018): the reference init N(0, 0.02) then gives
 * He-initialised layers and Adam's step, which is about lr per weight whatever the gradient, moves
 * the effective weights 50x sqrt(2/fanIn) faster; the coefficient heads' biases get a 10x multiplier.
 * state_dict keys read like a PyTorch module (splat.N, local.N, global.N, coeffs, light.N).
 */
import * as tf from '@tensorflow/tfjs-core';
import { resolveGeneratorArchitecture, type GeneratorArchitecture } from '../config.ts';
import { Generator, generatorSpecs, type GeneratorKind, type StateDictShapes } from './generator.ts';
import type { GeneratorStep } from './generator-steps.ts';
import type { NetworkOptions } from './network.ts';
import type { ParamSpec } from './parameters.ts';
import { convShape, resolveInferred } from './state-dict-shapes.ts';
// The ONNX graph lives beside the exporter; it reads this file's constants only when it runs.
import { bilateralGraph } from '../onnx/export-bilateral.ts';

/** Size of the area-averaged context image the network sees (rows, columns). */
export const BILATERAL_LOWRES = Object.freeze([64, 128] as const);
/** Coefficient grid (rows, columns): the low-res image after three stride-2 convs. */
export const BILATERAL_GRID = Object.freeze([8, 16] as const);
/** Light grid (rows, columns): after one stride-2 conv. */
export const BILATERAL_LIGHT_GRID = Object.freeze([32, 64] as const);
/** Curve knots t_0..t_7 in [-1, 1], denser in the dark where night images live: -1 + 2 (d/8)^2. */
export const CURVE_KNOTS: readonly number[] = Object.freeze(Array.from({ length: 8 }, (_, d) => -1 + 2 * (d / 8) ** 2));
export const SLOPE_MIN = 1 / 16;
export const SLOPE_MAX = 8;
export const OFFSET_MAX = 1;
export const LIGHT_MAX = 1.5;
/** Light logits are shifted by this so that a fresh network adds almost no light (sigmoid(-4) = 0.018). */
export const LIGHT_SHIFT = -4;
/** Coefficient channels per cell: 3 x 8 slopes, 3 offsets. */
export const COEFF_CHANNELS = 27;
const SEGMENTS = CURVE_KNOTS.length;
/** The weight init the equalised scales assume (reference `--init_gain`). */
const INIT_REFERENCE = 0.02;
const HEAD_WEIGHT_GAIN = 0.25;
/** Multiplier of the coefficient heads' stored biases (bilateral-tone-prior.ts writes them in these units). */
export const HEAD_BIAS_GAIN = 10;
/**
 * Bound of each channel's slope logit around the mean of the three channels' logits for the same
 * segment: the curves share a luminance shape and may differ per channel only this much, so a grey
 * or white region keeps a near-neutral hue (per-channel curves alone turned white skies orange).
 */
export const CHANNEL_DEVIATION_MAX = 0.5;
/** [24, 24]: the mean of the three channels' rows for the same segment. */
export const MEAN_OVER_CHANNELS = matrixOf(3 * SEGMENTS, 3 * SEGMENTS, (r, c) => (r % SEGMENTS === c % SEGMENTS ? 1 / 3 : 0));
/** Slope logit offset so that a zero logit gives slope 1 (the identity curve). */
export const SLOPE_SHIFT = Math.log((1 - SLOPE_MIN) / (SLOPE_MAX - 1));

export interface BilateralLayer {
  readonly name: string;
  /** Bilinear x2 enlargement (half-pixel centres) before the convolution. */
  readonly upsample: boolean;
  readonly kernel: number;
  readonly stride: 1 | 2;
  readonly pad: number;
  readonly inChannels: number;
  readonly outChannels: number;
  /** Multiplier of the stored weight and bias in the forward pass. */
  readonly weightScale: number;
  readonly biasScale: number;
}

/** The layers of a bilateral generator, by state_dict prefix. */
export function bilateralLayers(architecture: Partial<GeneratorArchitecture> = {}): {
  splat: BilateralLayer[]; local: BilateralLayer[]; global: BilateralLayer[]; coeffs: BilateralLayer; light: BilateralLayer[];
} {
  const { inputNc, ngf, nBlocks } = resolveGeneratorArchitecture(architecture);
  const body = (name: string, kernel: number, stride: 1 | 2, inC: number, outC: number, upsample = false): BilateralLayer => {
    const fanIn = inC * kernel * kernel;
    return { name, upsample, kernel, stride, pad: (kernel - 1) / 2, inChannels: inC, outChannels: outC, weightScale: Math.sqrt(2 / fanIn) / INIT_REFERENCE, biasScale: 1 };
  };
  const head = (layer: BilateralLayer): BilateralLayer => ({
    ...layer, weightScale: (HEAD_WEIGHT_GAIN * Math.sqrt(1 / (layer.inChannels * layer.kernel * layer.kernel))) / INIT_REFERENCE, biasScale: HEAD_BIAS_GAIN,
  });
  const c = [ngf, 2 * ngf, 4 * ngf];
  return {
    splat: [body('splat.0', 3, 2, inputNc, c[0]), body('splat.1', 3, 2, c[0], c[1]), body('splat.2', 3, 2, c[1], c[2])],
    local: Array.from({ length: nBlocks }, (_, i) => body(`local.${i}`, 3, 1, c[2], c[2])),
    global: [body('global.0', 1, 1, c[2], c[2]), body('global.1', 1, 1, c[2], c[2])],
    coeffs: head(body('coeffs', 1, 1, c[2], COEFF_CHANNELS)),
    // Bilinear enlargement then a 3x3 conv, not a stride-2 transposed conv: the latter's kernel
    // repeats every 2 cells and left a periodic checker in the light grid of dark regions.
    light: [body('light.0', 3, 1, c[2], c[1], true), body('light.1', 3, 1, c[1], c[0], true), head(body('light.2', 3, 1, c[0], 3))],
  };
}

function layerList(architecture: Partial<GeneratorArchitecture>): BilateralLayer[] {
  const l = bilateralLayers(architecture);
  return [...l.splat, ...l.local, ...l.global, l.coeffs, ...l.light];
}

function resolveBilateral(options: Partial<GeneratorArchitecture>): GeneratorArchitecture {
  const arch = resolveGeneratorArchitecture({ ...options, generator: 'bilateral' });
  if (arch.inputNc !== 3 || arch.outputNc !== 3) {
    throw new RangeError(`the bilateral generator maps RGB to RGB; received inputNc ${arch.inputNc}, outputNc ${arch.outputNc}`);
  }
  return arch;
}

/** The parameterised layers as a step table (the registry reads parameters off it; the forward pass is BilateralGenerator.apply). */
function bilateralSteps(architecture: GeneratorArchitecture): GeneratorStep[] {
  return layerList(architecture).map((l): GeneratorStep => (
    { op: 'conv', name: l.name, inC: l.inChannels, outC: l.outChannels, kernel: l.kernel, stride: l.stride, zeroPad: l.pad, bias: true }));
}

/** ngf and the grid-level convs read off a bilateral generator's state_dict. */
function inferBilateral(tensors: StateDictShapes, file: string): GeneratorArchitecture {
  const first = convShape(tensors, 'splat.0.weight', file, 'bilateral generator');
  let nBlocks = 0;
  while (tensors.has(`local.${nBlocks}.weight`)) nBlocks++;
  return resolveInferred(file, 'generator', resolveBilateral, { ngf: first[0], inputNc: first[1], outputNc: 3, nBlocks });
}

export const BILATERAL_GENERATOR: GeneratorKind<GeneratorArchitecture> = Object.freeze({
  name: 'bilateral',
  className: 'BilateralGenerator',
  description: 'a structure-preserving bilateral-grid generator',
  resolve: resolveBilateral,
  steps: bilateralSteps,
  inputSize: () => ({ multiple: 1, min: 1, rule: 'at least 1' }),
  infer: inferBilateral,
  wholeImageOnly: 'a bilateral generator runs on whole images (its grids span the image)',
  onnx: {
    graphName: ({ ngf, nBlocks }: GeneratorArchitecture) => `bilateral_ngf${ngf}_${nBlocks}local`,
    doc: 'Bilateral-grid CycleGAN generator (per-channel tone curves and bounded light on coarse grids, sliced per pixel)',
    io: 'NCHW RGB float32 in [-1, 1] -> NCHW RGB float32, [-1, 1] up to the bounded light (clip when converting to 8 bits)',
    precisions: ['fp32'] as const,
    graph: bilateralGraph,
  },
  info: ({ nBlocks }: GeneratorArchitecture) => ({ nBlocks }),
  create: (architecture: GeneratorArchitecture, options: NetworkOptions) => new BilateralGenerator(architecture, options),
});

/** Every parameter, in state_dict order. */
export function bilateralGeneratorSpecs(architecture: Partial<GeneratorArchitecture> = {}): ParamSpec[] {
  return generatorSpecs(BILATERAL_GENERATOR, architecture);
}

/**
 * Area-average weights [nOut, nIn]: row i averages input cells [i nIn/nOut, (i+1) nIn/nOut) with
 * fractional overlaps. The ONNX export builds the same matrix from the same formula.
 */
export function areaMatrix(nOut: number, nIn: number): Float32Array {
  const m = new Float32Array(nOut * nIn);
  const scale = nIn / nOut;
  for (let i = 0; i < nOut; i++) {
    const a = i * scale;
    const b = (i + 1) * scale;
    for (let y = 0; y < nIn; y++) m[i * nIn + y] = Math.max(0, Math.min(y + 1, b) - Math.max(y, a)) / scale;
  }
  return m;
}

/**
 * Bilinear interpolation weights [nOut, nIn] with half-pixel centres and clamped edges (what
 * tf.image.resizeBilinear(halfPixelCenters) and ONNX Resize linear/half_pixel do when enlarging).
 */
export function bilinearMatrix(nOut: number, nIn: number): Float32Array {
  const m = new Float32Array(nOut * nIn);
  for (let y = 0; y < nOut; y++) {
    const src = Math.min(Math.max((y + 0.5) * (nIn / nOut) - 0.5, 0), nIn - 1);
    for (let i = 0; i < nIn; i++) m[y * nIn + i] = Math.max(0, 1 - Math.abs(src - i));
  }
  return m;
}

/** [N, H, W, C] -> [N, rows.length/H, cols.length/W, C] with out = R x X x C^T per channel. */
function resizeWith(x: tf.Tensor4D, rows: Float32Array, outH: number, cols: Float32Array, outW: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const ry = tf.tensor2d(rows, [outH, h]);
  const rx = tf.tensor2d(cols, [outW, w]);
  let t: tf.Tensor = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n * c * h, w]);
  t = tf.matMul(t, rx, false, true); // [N C H, outW]
  t = tf.reshape(tf.transpose(tf.reshape(t, [n * c, h, outW]), [0, 2, 1]), [n * c * outW, h]);
  t = tf.matMul(t, ry, false, true); // [N C outW, outH]
  return tf.transpose(tf.reshape(t, [n, c, outW, outH]), [0, 3, 2, 1]) as tf.Tensor4D;
}

/**
 * [N, gh, gw, C] grid -> [N, C, W, H]: the grid interpolated to the image with rows [H, gh] and cols
 * [W, gw], left in the transposed channels-first layout (the columns pass runs on the gh grid rows).
 */
function sliceChannelsFirst(grid: tf.Tensor4D, rows: Float32Array, outH: number, cols: Float32Array, outW: number): tf.Tensor4D {
  const [n, gh, gw, c] = grid.shape;
  let t: tf.Tensor = tf.reshape(tf.transpose(grid, [0, 3, 1, 2]), [n * c * gh, gw]);
  t = tf.matMul(t, tf.tensor2d(cols, [outW, gw]), false, true); // [N C gh, W]
  t = tf.reshape(tf.transpose(tf.reshape(t, [n * c, gh, outW]), [0, 2, 1]), [n * c * outW, gh]);
  t = tf.matMul(t, tf.tensor2d(rows, [outH, gh]), false, true); // [N C W, H]
  return tf.reshape(t, [n, c, outW, outH]);
}

function matrixOf(rowsOut: number, colsIn: number, entry: (r: number, c: number) => number): Float32Array {
  const m = new Float32Array(rowsOut * colsIn);
  for (let r = 0; r < rowsOut; r++) for (let c = 0; c < colsIn; c++) m[r * colsIn + c] = entry(r, c);
  return m;
}

/**
 * The curve as hinges: f(x) = -1 + sum_d h_d relu(x - t_d) with h_0 = s_0 and h_d = s_d - s_{d-1},
 * which has slope s_d on segment d. [24 slopes] x this [24, 24] = [24 hinge weights].
 */
const HINGE_FROM_SLOPES = matrixOf(3 * SEGMENTS, 3 * SEGMENTS, (r, c) => (r === c ? 1 : r === c + 1 && c % SEGMENTS !== SEGMENTS - 1 ? -1 : 0));
/** [24, 3]: channel k's value at rows k * 8 + d. */
const REPEAT_PER_SEGMENT = matrixOf(3 * SEGMENTS, 3, (r, c) => (Math.floor(r / SEGMENTS) === c ? 1 : 0));
/** The knot of each of those rows. */
const KNOTS_PER_ROW = Float32Array.from({ length: 3 * SEGMENTS }, (_, r) => CURVE_KNOTS[r % SEGMENTS]);
/** [3, 24]: sums each channel's 8 rows. */
const SUM_PER_CHANNEL = matrixOf(3, 3 * SEGMENTS, (r, c) => (Math.floor(c / SEGMENTS) === r ? 1 : 0));

export class BilateralGenerator extends Generator<GeneratorArchitecture> {
  private readonly layers: ReturnType<typeof bilateralLayers>;

  constructor(architecture: Partial<GeneratorArchitecture> = {}, options: NetworkOptions = {}) {
    super(BILATERAL_GENERATOR, architecture, options);
    this.layers = bilateralLayers(this.architecture);
  }

  /** The bilateral generator has no BatchNorm or Dropout: forward is apply. */
  override forward(x: tf.Tensor4D): tf.Tensor4D {
    return this.apply(x);
  }

  private layer(x: tf.Tensor4D, l: BilateralLayer): tf.Tensor4D {
    const w = tf.mul(this.weight(l.name), l.weightScale) as tf.Tensor4D;
    const b = tf.mul(this.bias(l.name), l.biasScale) as tf.Tensor1D;
    const [, h, wd] = x.shape;
    const input = l.upsample ? resizeWith(x, bilinearMatrix(2 * h, h), 2 * h, bilinearMatrix(2 * wd, wd), 2 * wd) : x;
    const padded = l.pad > 0 ? tf.pad(input, [[0, 0], [l.pad, l.pad], [l.pad, l.pad], [0, 0]]) : input;
    return tf.add(tf.conv2d(padded, w, l.stride, 'valid'), b);
  }

  /**
   * The grids, bounded, for an NHWC input in [-1, 1]: curve hinge weights [N, 8, 16, 24] (channel k,
   * knot d at k * 8 + d: the slope of segment d less that of segment d - 1, see HINGE_FROM_SLOPES),
   * the additive term [N, 32, 64, 3]: the offsets interpolated to the light grid plus the light in [0, LIGHT_MAX],
   * and the coefficient head's output before the bounds [N, 8, 16, 27] (slope logits, then offset logits).
   */
  grids(x: tf.Tensor4D): { curves: tf.Tensor4D; additive: tf.Tensor4D; head: tf.Tensor4D } {
    this.checkInput(x);
    return tf.tidy(() => {
      const [, h, w] = x.shape;
      const [lh, lw] = BILATERAL_LOWRES;
      const [qh, qw] = BILATERAL_LIGHT_GRID;
      const lowres = resizeWith(x, areaMatrix(lh, h), lh, areaMatrix(lw, w), lw);
      const l = this.layers;
      const c1 = tf.relu(this.layer(lowres, l.splat[0]));
      const c2 = tf.relu(this.layer(c1, l.splat[1]));
      const c3 = tf.relu(this.layer(c2, l.splat[2]));
      let local: tf.Tensor4D = c3;
      l.local.forEach((layer, i) => {
        const y = this.layer(local, layer);
        local = i < l.local.length - 1 ? tf.relu(y) : y;
      });
      const pooled = tf.mean(c3, [1, 2], true) as tf.Tensor4D;
      const global = this.layer(tf.relu(this.layer(pooled, l.global[0])), l.global[1]);
      const fused = tf.relu(tf.add(local, global)) as tf.Tensor4D;
      const raw = this.layer(fused, l.coeffs);
      const [n, gh, gw] = raw.shape;
      const slopeLogits = tf.reshape(tf.slice(raw, [0, 0, 0, 0], [-1, -1, -1, 3 * SEGMENTS]), [-1, 3 * SEGMENTS]);
      const shared = tf.matMul(slopeLogits, tf.tensor2d(MEAN_OVER_CHANNELS, [3 * SEGMENTS, 3 * SEGMENTS]), false, true);
      const deviation = tf.mul(CHANNEL_DEVIATION_MAX, tf.tanh(tf.div(tf.sub(slopeLogits, shared), CHANNEL_DEVIATION_MAX)));
      const slopes = tf.add(SLOPE_MIN, tf.mul(SLOPE_MAX - SLOPE_MIN, tf.sigmoid(tf.add(tf.add(shared, deviation), SLOPE_SHIFT))));
      const hingeWeights = tf.matMul(slopes, tf.tensor2d(HINGE_FROM_SLOPES, [3 * SEGMENTS, 3 * SEGMENTS]), false, true);
      const curves = tf.reshape(hingeWeights, [n, gh, gw, 3 * SEGMENTS]) as tf.Tensor4D;
      const offsets = tf.mul(OFFSET_MAX, tf.tanh(tf.slice(raw, [0, 0, 0, 3 * SEGMENTS], [-1, -1, -1, 3]))) as tf.Tensor4D;
      const u2 = tf.relu(tf.add(c2, this.layer(fused, l.light[0]))) as tf.Tensor4D;
      const u1 = tf.relu(tf.add(c1, this.layer(u2, l.light[1]))) as tf.Tensor4D;
      const light = tf.mul(LIGHT_MAX, tf.sigmoid(tf.add(this.layer(u1, l.light[2]), LIGHT_SHIFT)));
      const additive = tf.add(resizeWith(offsets, bilinearMatrix(qh, gh), qh, bilinearMatrix(qw, gw), qw), light) as tf.Tensor4D;
      return { curves, additive, head: raw };
    });
  }

  /** x: [N, H, W, 3] in [-1, 1], any size. Returns [N, H, W, 3] (not clipped; see the module comment). */
  override apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.render(x, this.grids(x)));
  }

  /** apply's output and the coefficient head's output of the same pass (the trainer's prior anchor reads the head). */
  applyWithHead(x: tf.Tensor4D): { output: tf.Tensor4D; head: tf.Tensor4D } {
    return tf.tidy(() => {
      const grids = this.grids(x);
      return { output: this.render(x, grids), head: grids.head };
    });
  }

  private render(x: tf.Tensor4D, { curves, additive }: { curves: tf.Tensor4D; additive: tf.Tensor4D }): tf.Tensor4D {
    return tf.tidy(() => {
      const [n, h, w] = x.shape;
      const [gh, gw] = BILATERAL_GRID;
      const [qh, qw] = BILATERAL_LIGHT_GRID;
      const q = w * h;
      // Per-pixel work runs channels-first over the transposed plane [N, C, W * H], where the
      // interpolation leaves its result, so only the 3-channel input and output are transposed.
      const rows = bilinearMatrix(h, gh);
      const cols = bilinearMatrix(w, gw);
      const up = (grid: tf.Tensor4D, r: Float32Array, c: Float32Array): tf.Tensor3D =>
        tf.reshape(sliceChannelsFirst(grid, r, h, c, w), [n, grid.shape[3], q]);
      const constant = (values: Float32Array, rowsOut: number, colsIn: number): tf.Tensor3D =>
        tf.broadcastTo(tf.tensor2d(values, [rowsOut, colsIn]), [n, rowsOut, colsIn]) as tf.Tensor3D;
      const pixels = tf.reshape(tf.transpose(x, [0, 3, 2, 1]), [n, 3, q]);
      const hinges = tf.relu(tf.sub(tf.matMul(constant(REPEAT_PER_SEGMENT, 3 * SEGMENTS, 3), pixels), tf.tensor2d(KNOTS_PER_ROW, [3 * SEGMENTS, 1])));
      const f = tf.sub(tf.matMul(constant(SUM_PER_CHANNEL, 3, 3 * SEGMENTS), tf.mul(up(curves, rows, cols), hinges)), 1);
      const out = tf.add(f, up(additive, bilinearMatrix(h, qh), bilinearMatrix(w, qw)));
      return tf.transpose(tf.reshape(out, [n, 3, w, h]), [0, 3, 2, 1]) as tf.Tensor4D;
    });
  }

}
