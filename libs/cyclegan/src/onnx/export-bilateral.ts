/**
 * The bilateral generator (networks/bilateral-generator.ts) as an ONNX graph, NCHW, for any image
 * size: the area-reduction and interpolation matrices are built inside the graph from the input's
 * height and width (Shape, Range and elementwise ops, the same formulas as areaMatrix and
 * bilinearMatrix), so one model serves every size with no tiling. The equalised-learning-rate scales
 * are folded into the initialisers, which therefore differ from the state_dict values; the model hash
 * in the metadata is that of the state_dict.
 */
import type { GeneratorArchitecture } from '../config.ts';
import {
  BILATERAL_GRID, BILATERAL_LIGHT_GRID, BILATERAL_LOWRES, CHANNEL_DEVIATION_MAX, CURVE_KNOTS, MEAN_OVER_CHANNELS, HINGE_FROM_SLOPES, KNOTS_PER_ROW, LIGHT_MAX, LIGHT_SHIFT,
  OFFSET_MAX, REPEAT_PER_SEGMENT, SLOPE_MAX, SLOPE_MIN, SLOPE_SHIFT, SUM_PER_CHANNEL, bilateralLayers, bilinearMatrix as bilinearMatrix0, type BilateralLayer,
} from '../networks/bilateral-generator.ts';
import type { StateDictTensor } from '../networks/network.ts';
import type { GraphBuilder } from './export.ts';

/**
 * Adds the generator's nodes to `g`, reading `input` (NCHW float, already cast for fp16) and
 * returning the name of the output. `tensors` is the state_dict by name, checked by the caller.
 */
export function bilateralGraph(
  g: GraphBuilder, input: string, tensors: ReadonlyMap<string, StateDictTensor>, architecture: GeneratorArchitecture, output: string,
): string {
  const SEGMENTS = CURVE_KNOTS.length;
  const scalar = (name: string, value: number): string => g.floats(name, [], new Float32Array([value]));
  const vector = (name: string, dims: number[], values: readonly number[]): string => g.floats(name, dims, Float32Array.from(values));
  const layers = bilateralLayers(architecture);
  const [gh, gw] = BILATERAL_GRID;
  const fixedMatrix = (name: string, rows: number, cols: number, values: Float32Array): string => g.floats(name, [rows, cols], values);
  /** [N, C, h, w] -> [N, C, rows, cols] by fixed bilinear matrices (grid sizes are fixed). */
  const enlarge = (x: string, h: number, w: number, rows: number, cols: number, name: string): string =>
    g.node('MatMul', [fixedMatrix(`${name}.rows`, rows, h, bilinearValues(rows, h)),
      g.node('MatMul', [x, fixedMatrix(`${name}.cols_t`, w, cols, transposed(bilinearValues(cols, w), cols, w))], `${name}.w`)], name);
  /** Grid size at the input of each light layer: the coefficient grid, doubled per enlargement. */
  const lightInputSize = new Map<string, [number, number]>();
  const layer = (x: string, l: BilateralLayer, extraBias = 0): string => {
    const w = tensors.get(`${l.name}.weight`)!;
    const b = tensors.get(`${l.name}.bias`)!;
    const weight = g.floats(`${l.name}.weight`, w.shape, w.data.map((v) => v * l.weightScale));
    const bias = g.floats(`${l.name}.bias`, b.shape, b.data.map((v) => v * l.biasScale + extraBias));
    let input = x;
    if (l.upsample) {
      const [h, w] = lightInputSize.get(l.name)!;
      input = enlarge(x, h, w, 2 * h, 2 * w, `${l.name}.upsample`);
    }
    return g.node('Conv', [input, weight, bias], `${l.name}.conv`, {
      kernel_shape: [l.kernel, l.kernel], strides: [l.stride, l.stride], pads: [l.pad, l.pad, l.pad, l.pad], dilations: [1, 1], group: 1,
    });
  };
  const relu = (x: string, name: string): string => g.node('Relu', [x], name);

  // Image height and width as float scalars.
  const shape = g.node('Shape', [input], 'size.shape');
  const side = (axis: number, name: string): string =>
    g.node('Cast', [g.node('Gather', [shape, g.int64s(`size.axis${axis}`, [axis])], `${name}.int`, { axis: 0 })], name, { to: 1 });
  const heightF = g.node('Squeeze', [side(2, 'size.height_v'), g.int64s('axes0', [0])], 'size.height');
  const widthF = g.node('Squeeze', [side(3, 'size.width_v'), g.int64s('axes0', [0])], 'size.width');
  const zero = scalar('c.0', 0);
  const one = scalar('c.1', 1);
  const half = scalar('c.0.5', 0.5);
  const range = (n: string, name: string): string => g.node('Range', [zero, n, one], name);

  /** areaMatrix(nOut, n) as [nOut, n]. */
  const areaMatrix = (nOut: number, n: string, name: string): string => {
    const y = g.node('Unsqueeze', [range(n, `${name}.y`), g.int64s('axes0', [0])], `${name}.row`);
    const i = vector(`${name}.i`, [nOut, 1], Array.from({ length: nOut }, (_, k) => k));
    const scale = g.node('Div', [n, scalar(`${name}.n_out`, nOut)], `${name}.scale`);
    const a = g.node('Mul', [i, scale], `${name}.a`);
    const b = g.node('Mul', [g.node('Add', [i, one], `${name}.i1`), scale], `${name}.b`);
    const hi = g.node('Min', [g.node('Add', [y, one], `${name}.y1`), b], `${name}.hi`);
    const lo = g.node('Max', [y, a], `${name}.lo`);
    return g.node('Div', [relu(g.node('Sub', [hi, lo], `${name}.overlap`), `${name}.relu`), scale], name);
  };
  /** bilinearMatrix(n, nIn) as [n, nIn]. */
  const bilinearMatrix = (n: string, nIn: number, name: string): string => {
    const y = g.node('Unsqueeze', [range(n, `${name}.y`), g.int64s('axes1', [1])], `${name}.col`);
    const ratio = g.node('Div', [scalar(`${name}.n_in`, nIn), n], `${name}.ratio`);
    const src = g.node('Sub', [g.node('Mul', [g.node('Add', [y, half], `${name}.centre`), ratio], `${name}.scaled`), half], `${name}.src`);
    const clamped = g.node('Clip', [src, zero, scalar(`${name}.last`, nIn - 1)], `${name}.clamped`);
    const i = vector(`${name}.i`, [1, nIn], Array.from({ length: nIn }, (_, k) => k));
    const dist = g.node('Abs', [g.node('Sub', [clamped, i], `${name}.diff`)], `${name}.dist`);
    return relu(g.node('Sub', [one, dist], `${name}.tent`), name);
  };
  const transpose = (m: string, name: string): string => g.node('Transpose', [m], name, { perm: [1, 0] });
  /** [N, C, h, w] -> [N, C, rows, cols] as R x X x C^T. */
  const resize = (x: string, rows: string, cols: string, name: string): string =>
    g.node('MatMul', [rows, g.node('MatMul', [x, transpose(cols, `${name}.cols_t`)], `${name}.w`)], name);

  const [lh, lw] = BILATERAL_LOWRES;
  const lowres = resize(input, areaMatrix(lh, heightF, 'down.rows'), areaMatrix(lw, widthF, 'down.cols'), 'lowres');
  const c1 = relu(layer(lowres, layers.splat[0]), 'splat.0.relu');
  const c2 = relu(layer(c1, layers.splat[1]), 'splat.1.relu');
  const c3 = relu(layer(c2, layers.splat[2]), 'splat.2.relu');
  let local = c3;
  layers.local.forEach((l, i) => {
    const y = layer(local, l);
    local = i < layers.local.length - 1 ? relu(y, `${l.name}.relu`) : y;
  });
  const pooled = g.node('GlobalAveragePool', [c3], 'global.pool');
  const global = layer(relu(layer(pooled, layers.global[0]), 'global.0.relu'), layers.global[1]);
  const fused = relu(g.node('Add', [local, global], 'fuse.add'), 'fuse.relu');
  const raw = layer(fused, layers.coeffs);
  const channels = (x: string, start: number, end: number, name: string): string =>
    g.node('Slice', [x, g.int64s(`ch.${start}`, [start]), g.int64s(`ch.${end}`, [end]), g.int64s('axes1', [1])], name);
  /** A fixed channel mixing [out, in] as a 1x1 convolution (NCHW, any size). */
  const mixChannels = (x: string, values: Float32Array, out: number, inC: number, name: string): string =>
    g.node('Conv', [x, g.floats(`${name}.weight`, [out, inC, 1, 1], values)], name, { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 });
  const slopeLogits = channels(raw, 0, 3 * SEGMENTS, 'coeffs.slopes_raw');
  const shared = mixChannels(slopeLogits, MEAN_OVER_CHANNELS, 3 * SEGMENTS, 3 * SEGMENTS, 'coeffs.slopes_shared');
  const deviationMax = scalar('slope.deviation_max', CHANNEL_DEVIATION_MAX);
  const deviation = g.node('Mul', [deviationMax, g.node('Tanh', [g.node('Div', [g.node('Sub', [slopeLogits, shared], 'coeffs.slopes_dev_raw'), deviationMax], 'coeffs.slopes_dev_scaled')], 'coeffs.slopes_dev_tanh')], 'coeffs.slopes_dev');
  const slopes = g.node('Add', [scalar('slope.min', SLOPE_MIN), g.node('Mul', [scalar('slope.range', SLOPE_MAX - SLOPE_MIN),
    g.node('Sigmoid', [g.node('Add', [g.node('Add', [shared, deviation], 'coeffs.slopes_logit'), scalar('slope.shift', SLOPE_SHIFT)], 'coeffs.slopes_shifted')], 'coeffs.slopes_sigmoid')], 'coeffs.slopes_scaled')], 'coeffs.slopes');
  const curves = mixChannels(slopes, HINGE_FROM_SLOPES, 3 * SEGMENTS, 3 * SEGMENTS, 'coeffs.hinges');
  const offsets = g.node('Mul', [scalar('offset.max', OFFSET_MAX), g.node('Tanh', [channels(raw, 3 * SEGMENTS, 3 * SEGMENTS + 3, 'coeffs.offsets_raw')], 'coeffs.offsets_tanh')], 'coeffs.offsets');
  lightInputSize.set(layers.light[0].name, [gh, gw]).set(layers.light[1].name, [2 * gh, 2 * gw]);
  const u2 = relu(g.node('Add', [c2, layer(fused, layers.light[0])], 'light.0.add'), 'light.0.relu');
  const u1 = relu(g.node('Add', [c1, layer(u2, layers.light[1])], 'light.1.add'), 'light.1.relu');
  const light = g.node('Mul', [scalar('light.max', LIGHT_MAX), g.node('Sigmoid', [layer(u1, layers.light[2], LIGHT_SHIFT)], 'light.sigmoid')], 'light.grid');

  const [qh, qw] = BILATERAL_LIGHT_GRID;
  const offsetsOnLightGrid = enlarge(offsets, gh, gw, qh, qw, 'offsets_up');
  const additive = g.node('Add', [offsetsOnLightGrid, light], 'additive.grid');
  const upRows = bilinearMatrix(heightF, gh, 'up.rows');
  const upCols = bilinearMatrix(widthF, gw, 'up.cols');
  const hingeWeights = resize(curves, upRows, upCols, 'slice.curves');
  const additiveFull = resize(additive, bilinearMatrix(heightF, qh, 'light_up.rows'), bilinearMatrix(widthF, qw, 'light_up.cols'), 'slice.additive');

  const repeated = mixChannels(input, REPEAT_PER_SEGMENT, 3 * SEGMENTS, 3, 'curve.repeat');
  const hinges = relu(g.node('Sub', [repeated, g.floats('curve.knots', [1, 3 * SEGMENTS, 1, 1], KNOTS_PER_ROW)], 'curve.shifted'), 'curve.hinges');
  const f = g.node('Sub', [mixChannels(g.node('Mul', [hingeWeights, hinges], 'curve.weighted'), SUM_PER_CHANNEL, 3, 3 * SEGMENTS, 'curve.sum'), one], 'curve');
  return g.node('Add', [f, additiveFull], output);
}

function bilinearValues(nOut: number, nIn: number): Float32Array {
  return bilinearMatrix0(nOut, nIn);
}

function transposed(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
  return t;
}
