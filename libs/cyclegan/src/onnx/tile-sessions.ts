/**
 * Tiled full-resolution inference on ONNX Runtime: the TileBackend (translate/tile-driver.ts) that
 * runs each convolution of the generator plan as its own tiny ONNX model, one session per step,
 * opened on first use on the translator's execution provider.
 *
 * A step's model (written with export.ts's GraphBuilder, fp32, height and width symbolic):
 *   x [1, rows, cols, in] (HWC, as the driver holds activations) -> Transpose -> Conv 'valid'
 *   (or ConvTranspose stride 2, pads 0: the 'valid' transposed conv, then Slice to the wanted window,
 *   whose bounds come in as inputs `starts` / `ends`) -> [Tanh] -> Transpose -> y [1, outRows, outCols, out];
 *   with instance norm also `mean` and `variance` (ReduceMean over the tile, biased) per channel.
 * Weights are the state_dict's tensors in PyTorch layout, which ONNX Conv and ConvTranspose share.
 */
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import type { BaseGeneratorArchitecture, GeneratorKind } from '../networks/generator.ts';
import type { StateDictTensor } from '../networks/network.ts';
import { RESNET_GENERATOR } from '../networks/resnet-generator.ts';
import { generatorPlanGeometry, type StepGeometry } from '../translate/generator-plan.ts';
import type { ConvTile, ConvTileResult, TileBackend } from '../translate/tile-driver.ts';
import { GraphBuilder, ONNX_IR_VERSION, ONNX_OPSET, ONNX_PRODUCER, checkLittleEndian } from './export.ts';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;

function valueInfo(name: string, type: number, dims: Array<number | string>): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: type, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/** The ONNX model of one plan step (see the file comment). */
export function stepToOnnx(step: StepGeometry, weight: StateDictTensor, bias: StateDictTensor): Uint8Array {
  checkLittleEndian();
  const g = new GraphBuilder('fp32');
  const k = step.kernel;
  const w = g.floats(`${step.name}.weight`, weight.shape, weight.data);
  const b = g.floats(`${step.name}.bias`, bias.shape, bias.data);
  let h = g.node('Transpose', ['x'], 'x_nchw', { perm: [0, 3, 1, 2] });
  const transposed = step.kind === 'conv-transpose-up';
  if (transposed) {
    h = g.node('ConvTranspose', [h, w, b], 'conv_transpose', {
      kernel_shape: [k, k], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1,
    });
    h = g.node('Slice', [h, 'starts', 'ends', g.int64s('slice_axes', [2, 3])], 'window');
  } else {
    h = g.node('Conv', [h, w, b], 'conv', {
      kernel_shape: [k, k], strides: [step.stride, step.stride], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1,
    });
  }
  if (step.tanh) h = g.node('Tanh', [h], 'tanh');
  g.node('Transpose', [h], 'y', { perm: [0, 2, 3, 1] });
  const outputs = [valueInfo('y', DT.FLOAT, [1, 'out_rows', 'out_cols', step.outChannels])];
  if (step.norm) {
    const mean = g.node('ReduceMean', [h], 'mean', { axes: [0, 2, 3], keepdims: 1 });
    const d = g.node('Sub', [h, mean], 'centred');
    g.node('ReduceMean', [g.node('Mul', [d, d], 'squared')], 'variance', { axes: [0, 2, 3], keepdims: 1 });
    outputs.push(valueInfo('mean', DT.FLOAT, [1, step.outChannels, 1, 1]), valueInfo('variance', DT.FLOAT, [1, step.outChannels, 1, 1]));
  }
  const inputs = [valueInfo('x', DT.FLOAT, [1, 'rows', 'cols', step.inChannels])];
  if (transposed) inputs.push(valueInfo('starts', DT.INT64, [2]), valueInfo('ends', DT.INT64, [2]));
  return onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: ONNX_PRODUCER,
    docString: `one tile of generator step ${step.name} (tiled inference)`,
    graph: { name: step.name, node: g.nodes, initializer: g.initializers, input: inputs, output: outputs },
  })).finish();
}

/** Runs generator plan steps as per-step ONNX Runtime sessions (opened on first use, kept until release). */
export class OnnxTileBackend implements TileBackend<StepGeometry> {
  /** The generator's plan, for runPlanTiled. */
  readonly plan: readonly StepGeometry[];
  private readonly tensors: ReadonlyMap<string, StateDictTensor>;
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  private readonly sessionOptions: ort.InferenceSession.SessionOptions;

  /**
   * A generator of `kind` (default the ResNet) and `architecture` with the weights `stateDict`
   * (PyTorch names and layout, as inspectGeneratorOnnx recovers them); `sessionOptions`: the
   * provider and threads of the translator.
   */
  constructor(
    architecture: BaseGeneratorArchitecture, stateDict: readonly StateDictTensor[], sessionOptions: ort.InferenceSession.SessionOptions,
    kind: GeneratorKind = RESNET_GENERATOR,
  ) {
    // Between two tile runs the host gathers the next tile: ONNX Runtime's intra-op threads spinning
    // for work meanwhile take the cores from it (2-3x slower measured on 2 cores at 128-512 px tiles).
    // No CPU memory arena: each session would keep one as large as its biggest tile, ~25 sessions in
    // all (at 1024x512, ngf 64, 256 px tiles: peak RSS 1.53 GiB with arenas, 0.82 GiB without, no slower).
    this.sessionOptions = {
      ...sessionOptions,
      enableCpuMemArena: false,
      enableMemPattern: false,
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    };
    const plan = generatorPlanGeometry(kind, architecture);
    if (typeof plan === 'string') throw new RangeError(`tiled ONNX execution: ${kind.className} runs on whole images only: ${plan}`);
    this.plan = plan;
    this.tensors = new Map(stateDict.map((t) => [t.name, t]));
    for (const step of this.plan) {
      for (const part of ['weight', 'bias']) {
        if (!this.tensors.has(`${step.name}.${part}`)) throw new RangeError(`tiled ONNX execution: the weights have no tensor ${step.name}.${part}`);
      }
    }
  }

  private session(step: StepGeometry): Promise<ort.InferenceSession> {
    let s = this.sessions.get(step.name);
    if (!s) {
      const bytes = stepToOnnx(step, this.tensors.get(`${step.name}.weight`)!, this.tensors.get(`${step.name}.bias`)!);
      s = ort.InferenceSession.create(bytes, this.sessionOptions);
      this.sessions.set(step.name, s);
    }
    return s;
  }

  async runTile(step: StepGeometry, tile: ConvTile): Promise<ConvTileResult> {
    const session = await this.session(step);
    const feeds: Record<string, ort.Tensor> = { x: new ort.Tensor('float32', tile.input, [1, tile.rows, tile.cols, step.inChannels]) };
    if (step.kind === 'conv-transpose-up') {
      feeds.starts = new ort.Tensor('int64', BigInt64Array.from([tile.top, tile.left].map(BigInt)), [2]);
      feeds.ends = new ort.Tensor('int64', BigInt64Array.from([tile.top + tile.outRows, tile.left + tile.outCols].map(BigInt)), [2]);
    }
    const out = await session.run(feeds);
    const { y, mean, variance } = out;
    if (y.dims.join(',') !== [1, tile.outRows, tile.outCols, step.outChannels].join(',')) {
      Object.values(out).forEach((t) => t.dispose());
      throw new Error(`tiled ${step.name}: the step model returned [${y.dims.join(', ')}] for a ${tile.outCols}x${tile.outRows} tile`);
    }
    return {
      values: y.data as Float32Array,
      ...(step.norm ? { mean: mean.data as Float32Array, variance: variance.data as Float32Array } : {}),
      release: () => Object.values(out).forEach((t) => t.dispose()),
    };
  }

  /** Closes the step sessions opened so far. */
  async release(): Promise<void> {
    const opened = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(opened.map(async (s) => (await s).release()));
  }
}
