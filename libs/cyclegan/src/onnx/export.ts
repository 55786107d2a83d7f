/**
 * Our generators as ONNX models (opset 17), written with onnx-proto from the kind's step table
 * (networks/generator-steps.ts): Pad(reflect), Conv, InstanceNormalization (scale 1, bias 0, eps
 * 1e-5), Relu, Add, ConvTranspose (stride 2, pads 1, output_padding 1), Tanh. Initialisers carry the
 * PyTorch state_dict names and layout (ONNX Conv and ConvTranspose use PyTorch's weight layouts).
 * Kinds with steps outside that list (the U-Net's batch statistics and dropout) have no export.
 *
 * I/O: `input` [batch, 3, height, width] float32 RGB in [-1, 1] -> `output` the same shape, tanh.
 * fp16: weights and all compute in float16, with a Cast at each end so that the I/O stays float32
 * (the translator code is the same for both; ONNX Runtime CPU inserts its own fp32 casts around
 * kernels it lacks in fp16, the WebGPU provider runs the graph in f16).
 */
import { createRequire } from 'node:module';
import onnxProto from 'onnx-proto';
import type { GeneratorArchitecture } from '../config.ts';
import type { BaseGeneratorArchitecture, Generator, GeneratorKind } from '../networks/generator.ts';
import { BLUR_DOWN_SIZE, BLUR_UP_SIZE, stepSpecs, type GeneratorStep } from '../networks/generator-steps.ts';
import type { StateDictTensor } from '../networks/network.ts';
import type { ParamSpec } from '../networks/parameters.ts';
import { RESNET_GENERATOR } from '../networks/resnet-generator.ts';
import { modelHash } from '../translate/model-hash.ts';
import { writeFileAtomic } from '../atomic-write.ts';
import { float32ToHalf } from './float16.ts';

const { onnx } = onnxProto;

export type OnnxPrecision = 'fp32' | 'fp16';
export const ONNX_PRECISIONS: readonly OnnxPrecision[] = Object.freeze(['fp32', 'fp16']);

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;
export const ONNX_PRODUCER = 'nightshift';
export const ONNX_INPUT_NAME = 'input';
export const ONNX_OUTPUT_NAME = 'output';
/** metadata_props keys written by the export. */
export const ONNX_METADATA_KEYS = Object.freeze({
  architecture: 'nightshift.architecture',
  modelHash: 'nightshift.model_hash',
  precision: 'nightshift.precision',
  io: 'nightshift.io',
});

const PRODUCER_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export interface OnnxExportOptions {
  /** 'fp32' (default) or 'fp16' (float16 weights and compute, float32 I/O). */
  readonly precision?: OnnxPrecision;
}

const DT = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;

type Attr = number | number[] | string;

function attribute(name: string, value: Attr): onnxProto.onnx.IAttributeProto {
  if (typeof value === 'string') return { name, type: AT.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AT.INTS, ints: value };
  return Number.isInteger(value) ? { name, type: AT.INT, i: value } : { name, type: AT.FLOAT, f: value };
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Builds the graph in order; names are unique and read like the layer they belong to. */
export class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly known = new Set<string>();

  constructor(private readonly precision: OnnxPrecision) {}

  node(op: string, inputs: string[], output: string, attrs: Record<string, Attr> = {}): string {
    this.nodes.push({
      opType: op, name: output, input: inputs, output: [output],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return output;
  }

  /** A float initialiser (float16 in the fp16 model). */
  floats(name: string, dims: readonly number[], data: Float32Array): string {
    if (!this.known.has(name)) {
      this.known.add(name);
      const fp16 = this.precision === 'fp16';
      this.initializers.push({
        name, dims: [...dims], dataType: fp16 ? DT.FLOAT16 : DT.FLOAT,
        rawData: fp16 ? bytesOf(float32ToHalf(data)) : bytesOf(Float32Array.from(data)),
      });
    }
    return name;
  }

  /** The serialised ModelProto (opset ONNX_OPSET, producer nightshift) of the graph built so far. */
  encode(model: {
    docString: string;
    graphName: string;
    input: onnxProto.onnx.IValueInfoProto;
    output: onnxProto.onnx.IValueInfoProto;
    metadata: Record<keyof typeof ONNX_METADATA_KEYS, string>;
  }): Uint8Array {
    return onnx.ModelProto.encode(onnx.ModelProto.create({
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      producerName: ONNX_PRODUCER,
      producerVersion: PRODUCER_VERSION,
      docString: model.docString,
      graph: { name: model.graphName, node: this.nodes, initializer: this.initializers, input: [model.input], output: [model.output] },
      metadataProps: (Object.keys(ONNX_METADATA_KEYS) as Array<keyof typeof ONNX_METADATA_KEYS>)
        .map((k) => ({ key: ONNX_METADATA_KEYS[k], value: model.metadata[k] })),
    })).finish();
  }

  int64s(name: string, values: number[]): string {
    if (!this.known.has(name)) {
      this.known.add(name);
      this.initializers.push({ name, dims: [values.length], dataType: DT.INT64, rawData: bytesOf(BigInt64Array.from(values.map(BigInt))) });
    }
    return name;
  }
}

export function checkLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('ONNX export needs a little-endian host (raw_data is little-endian)');
}

/** An NCHW float32 image value with symbolic batch, height and width. */
export function imageValueInfo(name: string, channels: number): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DT.FLOAT,
        shape: { dim: [{ dimParam: 'batch' }, { dimValue: channels }, { dimParam: 'height' }, { dimParam: 'width' }] },
      },
    },
  };
}

/**
 * The graph of a step table: one ONNX node per step, named after the step's layer (`model.1.conv`,
 * `model.1.norm`, `model.0.pad`, `model.10.add`); the last step writes `output`. Returns the output.
 */
function stepsToGraph(g: GraphBuilder, steps: readonly GeneratorStep[], input: string, output: string, param: (name: string) => string): string {
  let h = input;
  let layer = '';
  const saved: string[] = [];
  steps.forEach((s, i) => {
    const out = (name: string): string => (i === steps.length - 1 ? output : name);
    switch (s.op) {
      case 'reflect-pad':
        h = g.node('Pad', [h, g.int64s(`pads_${s.size}`, [0, 0, s.size, s.size, 0, 0, s.size, s.size])], out(`${s.name}.pad`), { mode: 'reflect' });
        break;
      case 'conv':
        layer = s.name;
        h = g.node('Conv', [h, param(`${s.name}.weight`), ...(s.bias ? [param(`${s.name}.bias`)] : [])], out(`${s.name}.conv`), {
          kernel_shape: [s.kernel, s.kernel], strides: [s.stride, s.stride], pads: [s.zeroPad, s.zeroPad, s.zeroPad, s.zeroPad], dilations: [1, 1], group: 1,
        });
        break;
      case 'conv-transpose-up':
        if (s.kernel !== 3) throw new RangeError(`ONNX export: no kernel ${s.kernel} transposed conv (${s.name}) yet`);
        layer = s.name;
        h = g.node('ConvTranspose', [h, param(`${s.name}.weight`), ...(s.bias ? [param(`${s.name}.bias`)] : [])], out(`${s.name}.conv_transpose`), {
          kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1], dilations: [1, 1], group: 1,
        });
        break;
      case 'instance-norm':
        h = g.node('InstanceNormalization', [h, g.floats(`in_scale_${s.channels}`, [s.channels], new Float32Array(s.channels).fill(1)),
          g.floats(`in_bias_${s.channels}`, [s.channels], new Float32Array(s.channels))], out(`${layer}.norm`), { epsilon: 1e-5 });
        break;
      case 'relu':
        h = g.node('Relu', [h], out(`${layer}.relu`));
        break;
      case 'tanh':
        h = g.node('Tanh', [h], out(`${layer}.tanh`));
        break;
      case 'save':
        saved.push(h);
        break;
      case 'add-saved': {
        const skip = saved.pop();
        if (skip === undefined) throw new RangeError(`ONNX export: ${s.name} adds an activation that no step saved`);
        h = g.node('Add', [skip, h], out(`${s.name}.add`));
        break;
      }
      case 'blur-down':
        layer = s.name;
        h = g.node('Pad', [h, g.int64s('pads_1', [0, 0, 1, 1, 0, 0, 1, 1])], `${s.name}.pad`, { mode: 'reflect' });
        h = g.node('Conv', [h, param(`${s.name}.filt`)], out(`${s.name}.blur`), {
          kernel_shape: [BLUR_DOWN_SIZE, BLUR_DOWN_SIZE], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], group: s.channels,
        });
        break;
      case 'blur-up':
        layer = s.name;
        h = g.node('Pad', [h, g.int64s('pads_1', [0, 0, 1, 1, 0, 0, 1, 1])], `${s.name}.pad`, { mode: 'edge' });
        h = g.node('ConvTranspose', [h, param(`${s.name}.filt`)], `${s.name}.blur`, {
          kernel_shape: [BLUR_UP_SIZE, BLUR_UP_SIZE], strides: [2, 2], pads: [2, 2, 2, 2], dilations: [1, 1], group: s.channels,
        });
        // [1:-1] on height and width, as the reference's Upsample crops.
        h = g.node('Slice', [h, g.int64s('crop_starts', [1, 1]), g.int64s('crop_ends', [-1, -1]), g.int64s('crop_axes', [2, 3])], out(`${s.name}.crop`));
        break;
      default:
        throw new RangeError(`ONNX export: no ${s.op} step yet`);
    }
  });
  if (h !== output) throw new RangeError('ONNX export: the step table ends with a step that writes no node');
  return h;
}

/**
 * The ONNX model (serialised ModelProto) of a generator of `kind` given by its state_dict (PyTorch
 * names, shapes and layout, as Network.stateDict() returns it) and architecture: its step table
 * walked by stepsToGraph.
 */
export function generatorToOnnx<A extends BaseGeneratorArchitecture = GeneratorArchitecture>(
  stateDict: readonly StateDictTensor[],
  architecture: NoInfer<Partial<A>>,
  options: OnnxExportOptions = {},
  kind: GeneratorKind<A> = RESNET_GENERATOR as unknown as GeneratorKind<A>,
): Uint8Array {
  checkLittleEndian();
  if (!kind.onnx) throw new RangeError(`generatorToOnnx: ${kind.description} (${kind.className}) has no ONNX export`);
  const arch = kind.resolve(architecture);
  const precision = options.precision ?? 'fp32';
  if (!ONNX_PRECISIONS.includes(precision)) {
    throw new TypeError(`Unsupported ONNX precision ${JSON.stringify(precision)}. Should be one of: ${ONNX_PRECISIONS.join(', ')}.`);
  }
  if (kind.onnx.precisions && !kind.onnx.precisions.includes(precision)) {
    throw new RangeError(`generatorToOnnx: ${kind.description} exports in ${kind.onnx.precisions.join(', ')} only; received ${precision}`);
  }
  const steps = kind.steps(arch);
  const specs = stepSpecs(steps);
  const tensors = checkExportTensors('generatorToOnnx', stateDict, specs, arch);
  const { inputNc, outputNc } = arch;
  const g = new GraphBuilder(precision);
  const param = (name: string): string => g.floats(name, tensors.get(name)!.shape, tensors.get(name)!.data);
  const input = precision === 'fp16' ? g.node('Cast', [ONNX_INPUT_NAME], 'input_fp16', { to: DT.FLOAT16 }) : ONNX_INPUT_NAME;
  const output = precision === 'fp16' ? 'output_fp16' : ONNX_OUTPUT_NAME;
  const h = kind.onnx.graph ? kind.onnx.graph(g, input, tensors, arch, output) : stepsToGraph(g, steps, input, output, param);
  if (precision === 'fp16') g.node('Cast', [h], ONNX_OUTPUT_NAME, { to: DT.FLOAT });

  return g.encode({
    docString: `${kind.onnx.doc}, exported by nightshift`,
    graphName: `${kind.onnx.graphName(arch)}_${precision}`,
    input: imageValueInfo(ONNX_INPUT_NAME, inputNc),
    output: imageValueInfo(ONNX_OUTPUT_NAME, outputNc),
    metadata: {
      architecture: JSON.stringify({ kind: kind.className, ...arch }),
      modelHash: modelHash(specs.map((s) => tensors.get(s.name)!)),
      precision,
      io: kind.onnx.io ?? 'NCHW RGB float32 in [-1, 1] -> NCHW RGB float32 in [-1, 1] (tanh)',
    },
  });
}

/** The ONNX model of a loaded generator. */
export async function exportGeneratorOnnx(generator: Generator, options: OnnxExportOptions = {}): Promise<Uint8Array> {
  return generatorToOnnx(await generator.stateDict(), generator.architecture, options, generator.kind);
}

/** Writes the ONNX model of a generator to `path` (temporary name, fsync, rename). Returns its bytes. */
export async function writeGeneratorOnnx(generator: Generator, path: string, options: OnnxExportOptions = {}): Promise<Uint8Array> {
  const bytes = await exportGeneratorOnnx(generator, options);
  await writeFileAtomic(path, bytes);
  return bytes;
}

/** `stateDict` by name, once every spec's tensor is found in it with its PyTorch shape; a RangeError prefixed with `who` otherwise. */
export function checkExportTensors(who: string, stateDict: readonly StateDictTensor[], specs: readonly ParamSpec[], arch: unknown): Map<string, StateDictTensor> {
  const tensors = new Map(stateDict.map((t) => [t.name, t]));
  for (const spec of specs) {
    const t = tensors.get(spec.name);
    if (!t) throw new RangeError(`${who}: the state_dict has no tensor ${spec.name}`);
    if (t.shape.join(',') !== spec.torchShape.join(',')) {
      throw new RangeError(`${who}: ${spec.name} has shape [${t.shape}], expected [${spec.torchShape}] for ${JSON.stringify(arch)}`);
    }
  }
  return tensors;
}
