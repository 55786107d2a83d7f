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
  BILATERAL_GRID, BILATERAL_LIGHT_GRID, BILATERAL_LOWRES, CHANNEL_DEVIATION_MAX, CURVE_KNOTS, MEAN_OVER_CHANNELS, LIGHT_MAX, LIGHT_SHIFT,
  OFFSET_MAX, SLOPE_MAX, SLOPE_MIN, SLOPE_SHIFT, bilateralLayers, bilinearMatrix as fixedBilinearMatrix, type BilateralLayer,
} from '../networks/bilateral-generator.ts';
import type { StateDictTensor } from '../networks/network.ts';
import type { GraphBuilder } from './export.ts';
import { transposeMatrix } from '../transpose-matrix.ts';

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
    g.node('MatMul', [fixedMatrix(`${name}.rows`, rows, h, fixedBilinearMatrix(rows, h)),
      g.node('MatMul', [x, fixedMatrix(`${name}.cols_t`, w, cols, transposeMatrix(fixedBilinearMatrix(cols, w), cols, w))], `${name}.w`)], name);
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
  /** [n, 1]: where output pixel y samples an input of nIn cells (half-pixel centres, clamped), as in bilinearMatrix. */
  const bilinearSource = (n: string, nIn: number, name: string): string => {
    const y = g.node('Unsqueeze', [range(n, `${name}.y`), g.int64s('axes1', [1])], `${name}.col`);
    const ratio = g.node('Div', [scalar(`${name}.n_in`, nIn), n], `${name}.ratio`);
    const src = g.node('Sub', [g.node('Mul', [g.node('Add', [y, half], `${name}.centre`), ratio], `${name}.scaled`), half], `${name}.src`);
    return g.node('Clip', [src, zero, scalar(`${name}.last`, nIn - 1)], `${name}.clamped`);
  };
  /** bilinearMatrix(n, nIn) as [n, nIn]. */
  const bilinearMatrix = (n: string, nIn: number, name: string): string => {
    const clamped = bilinearSource(n, nIn, name);
    const i = vector(`${name}.i`, [1, nIn], Array.from({ length: nIn }, (_, k) => k));
    const dist = g.node('Abs', [g.node('Sub', [clamped, i], `${name}.diff`)], `${name}.dist`);
    return relu(g.node('Sub', [one, dist], `${name}.tent`), name);
  };
  const transpose = (m: string, name: string): string => g.node('Transpose', [m], name, { perm: [1, 0] });
  /** [N, C, h, w] -> [N, C, rows, cols] as R x X x C^T. */
  const resize = (x: string, rows: string, cols: string, name: string): string =>
    g.node('MatMul', [rows, g.node('MatMul', [x, transpose(cols, `${name}.cols_t`)], `${name}.w`)], name);

  const [lh, lw] = BILATERAL_LOWRES;
  // Rows first: [64, H] x [N, 3, H, W] then x [W, 128] is half the multiply-adds of columns first.
  const lowres = g.node('MatMul', [g.node('MatMul', [areaMatrix(lh, heightF, 'down.rows'), input], 'lowres.h'), transpose(areaMatrix(lw, widthF, 'down.cols'), 'lowres.cols_t')], 'lowres');
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
  const offsets = g.node('Mul', [scalar('offset.max', OFFSET_MAX), g.node('Tanh', [channels(raw, 3 * SEGMENTS, 3 * SEGMENTS + 3, 'coeffs.offsets_raw')], 'coeffs.offsets_tanh')], 'coeffs.offsets');
  lightInputSize.set(layers.light[0].name, [gh, gw]).set(layers.light[1].name, [2 * gh, 2 * gw]);
  const u2 = relu(g.node('Add', [c2, layer(fused, layers.light[0])], 'light.0.add'), 'light.0.relu');
  const u1 = relu(g.node('Add', [c1, layer(u2, layers.light[1])], 'light.1.add'), 'light.1.relu');
  const light = g.node('Mul', [scalar('light.max', LIGHT_MAX), g.node('Sigmoid', [layer(u1, layers.light[2], LIGHT_SHIFT)], 'light.sigmoid')], 'light.grid');

  const [qh, qw] = BILATERAL_LIGHT_GRID;
  const offsetsOnLightGrid = enlarge(offsets, gh, gw, qh, qw, 'offsets_up');
  const additive = g.node('Add', [offsetsOnLightGrid, light], 'additive.grid');
  const additiveFull = resize(additive, bilinearMatrix(heightF, qh, 'light_up.rows'), bilinearMatrix(widthF, qw, 'light_up.cols'), 'slice.additive');
  const f = sliceCurves(g, input, slopes, heightF, widthF, bilinearMatrix, bilinearSource);
  return g.node('Add', [f, additiveFull], output);
}

/**
 * The tone curves applied per pixel, f_c(p, x_c(p)), with O(1) work per pixel and channel instead of
 * one term per knot. On segment k (t_k <= x < t_{k+1}) a curve is P_k + Q_k v with v = 32 (x + 1),
 * and since the knots are t_d = -1 + d^2 / 32, k = floor(sqrt(v)). P_k and Q_k are linear in the
 * slopes, so they are interpolated as the slopes would be: the grid's rows to the image's height
 * first (a table [N, 3, H, 16 columns x 8 segments], small), then per pixel the entries of its
 * segment at the two grid columns around it are gathered along the table's last axis and blended with
 * its column weights. Below -1 the curve is flat (v clamped at 0); above 1 the last segment continues,
 * as the hinge sum does. So the ops that touch every pixel are elementwise on 3 channels or
 * GatherElements along the innermost axis, where the sum over the 8 hinges (the tfjs forward pass)
 * would move 24 channels per pixel through several ops (docs/bilateral-generator.md has the timing).
 */
function sliceCurves(
  g: GraphBuilder, input: string, slopes: string, heightF: string, widthF: string,
  bilinearMatrix: (n: string, nIn: number, name: string) => string, bilinearSource: (n: string, nIn: number, name: string) => string,
): string {
  const SEGMENTS = CURVE_KNOTS.length;
  const scale = (SEGMENTS * SEGMENTS) / 2; // v = scale (x + 1) is d^2 at knot d
  CURVE_KNOTS.forEach((t, d) => {
    if (Math.abs(t - (-1 + (d * d) / scale)) > 1e-7) throw new Error(`bilateral ONNX export: knot ${d} is ${t}, not -1 + ${d}^2/${scale}; the segment index needs knots at -1 + d^2/${scale}`);
  });
  const [gh, gw] = BILATERAL_GRID;
  const scalar = (name: string, value: number): string => g.floats(name, [], new Float32Array([value]));
  // [2 x 24, 24] from the slopes (channel c, segment d at c * 8 + d): P_k at rows c * 8 + k, Q_k at 24 + c * 8 + k.
  const fromSlopes = new Float32Array(2 * 3 * SEGMENTS * 3 * SEGMENTS);
  const bias = new Float32Array(2 * 3 * SEGMENTS);
  for (let c = 0; c < 3; c++) {
    for (let k = 0; k < SEGMENTS; k++) {
      const p = c * SEGMENTS + k;
      const q = 3 * SEGMENTS + p;
      for (let d = 0; d < k; d++) fromSlopes[p * 3 * SEGMENTS + c * SEGMENTS + d] = CURVE_KNOTS[d + 1] - CURVE_KNOTS[d];
      fromSlopes[p * 3 * SEGMENTS + p] = -(CURVE_KNOTS[k] + 1);
      fromSlopes[q * 3 * SEGMENTS + p] = 1 / scale;
      bias[p] = -1;
    }
  }
  const pq = g.node('Conv', [slopes, g.floats('curve.pq.weight', [2 * 3 * SEGMENTS, 3 * SEGMENTS, 1, 1], fromSlopes), g.floats('curve.pq.bias', [2 * 3 * SEGMENTS], bias)],
    'curve.pq', { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 });
  // [N, 48, H, 16] -> [2, N, 3, H, 16 x 8]: (P or Q, n, c, y, column j and segment k at j * 8 + k).
  const rows = g.node('MatMul', [bilinearMatrix(heightF, gh, 'curve.rows'), pq], 'curve.pq_rows');
  const split = g.node('Reshape', [rows, g.int64s('curve.split_shape', [0, 2, 3, SEGMENTS, -1, gw])], 'curve.split');
  const table = g.node('Reshape', [g.node('Transpose', [split], 'curve.by_column', { perm: [1, 0, 2, 4, 5, 3] }),
    g.int64s('curve.table_shape', [2, 0, 3, -1, gw * SEGMENTS])], 'curve.table');
  // Entries at the left grid column of each pixel's pair (j = 0..14) and at the right one (j + 1).
  const part = (which: number, start: number, name: string): string => g.node('Slice', [table,
    g.int64s(`curve.part${which}_${start}.starts`, [which, start]), g.int64s(`curve.part${which}_${start}.ends`, [which + 1, start + (gw - 1) * SEGMENTS]),
    g.int64s('axes0_4', [0, 4])], name);

  // Per image column: the left grid column of its pair times 8, and the weight of the right one.
  const src = bilinearSource(widthF, gw, 'curve.cols'); // [W, 1]
  const left = g.node('Min', [g.node('Floor', [src], 'curve.col_floor'), scalar('curve.last_pair', gw - 2)], 'curve.col_left');
  const rightWeight = g.node('Reshape', [g.node('Sub', [src, left], 'curve.col_w'), g.int64s('curve.row_shape', [1, 1, 1, 1, -1])], 'curve.w'); // [1, 1, 1, 1, W]
  const toInt = (x: string, name: string): string => g.node('Cast', [x], name, { to: 6 });
  const columnOffset = toInt(g.node('Reshape', [g.node('Mul', [left, scalar('curve.segments', SEGMENTS)], 'curve.col_offset_f'), g.int64s('curve.row_shape', [1, 1, 1, 1, -1])], 'curve.col_offset_r'), 'curve.col_offset');

  // Per pixel and channel: v, its segment (Cast truncates; v >= 0), the entry index, the four entries.
  const pixels = g.node('Unsqueeze', [input, g.int64s('axes0', [0])], 'curve.x'); // [1, N, 3, H, W], as the table parts
  const v = g.node('Relu', [g.node('Add', [g.node('Mul', [pixels, scalar('curve.scale', scale)], 'curve.v_scaled'), scalar('curve.scale_shift', scale)], 'curve.v_raw')], 'curve.v');
  const segment = toInt(g.node('Clip', [g.node('Sqrt', [v], 'curve.sqrt_v'), scalar('curve.zero', 0), scalar('curve.last_segment', SEGMENTS - 1)], 'curve.k_f'), 'curve.k');
  const index = g.node('Add', [segment, columnOffset], 'curve.index');
  const at = (data: string, name: string): string => g.node('GatherElements', [data, index], name, { axis: 4 });
  const atColumns = (which: number, name: string): [string, string] => [at(part(which, 0, `${name}.left_part`), `${name}.left`), at(part(which, SEGMENTS, `${name}.right_part`), `${name}.right`)];
  const [pl, pr] = atColumns(0, 'curve.p');
  const [ql, qr] = atColumns(1, 'curve.q');
  const value = (p: string, q: string, name: string): string => g.node('Add', [p, g.node('Mul', [q, v], `${name}.qv`)], name);
  const a = value(pl, ql, 'curve.left');
  const b = value(pr, qr, 'curve.right');
  const blended = g.node('Add', [a, g.node('Mul', [rightWeight, g.node('Sub', [b, a], 'curve.step')], 'curve.step_w')], 'curve.blended');
  return g.node('Squeeze', [blended, g.int64s('axes0', [0])], 'curve');
}
