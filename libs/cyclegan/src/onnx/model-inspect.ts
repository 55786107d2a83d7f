/**
 * What an ONNX file holds, read with onnx-proto before a session is made: its single image input and
 * output (name, element type, NCHW shape with fixed or symbolic dims), producer, our metadata, and
 * its generator kind and weights as a PyTorch state_dict when the initialisers carry the reference's
 * names (our export and a plain torch.onnx.export of the reference generator both do). Layouts other than the
 * reference's (RGB, NCHW, [-1, 1]) are refused with a message that says what was found.
 */
import { createHash } from 'node:crypto';
import { DatasetError } from '@nightshift/labels';
import onnxProto from 'onnx-proto';
import { generatorSpecs, type BaseGeneratorArchitecture, type GeneratorKind } from '../networks/generator.ts';
import { generatorKinds } from '../networks/generator-kinds.ts';
import type { StateDictTensor } from '../networks/network.ts';
import { modelHash } from '../translate/model-hash.ts';
import { ONNX_METADATA_KEYS } from './export.ts';
import { halfToFloat32 } from './float16.ts';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;

/** protobufjs gives int64 fields as numbers, or as Long objects when long.js is around. */
function int(v: unknown): number {
  return typeof v === 'number' ? v : Number(String(v));
}

/** One dim: a number when fixed, the dim_param name (or '?') when symbolic. */
export type OnnxDim = number | string;

export interface OnnxImageValue {
  readonly name: string;
  readonly type: 'float32' | 'float16';
  /** [batch, channels, height, width]. */
  readonly shape: readonly OnnxDim[];
}

export interface OnnxGeneratorModel {
  readonly input: OnnxImageValue;
  readonly output: OnnxImageValue;
  readonly producer: string;
  readonly opset: number | undefined;
  /** metadata_props as a plain record. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The generator kind when the weights map onto one's state_dict (see referenceWeights). */
  readonly kind: GeneratorKind | undefined;
  /** That kind's architecture. */
  readonly architecture: BaseGeneratorArchitecture | undefined;
  /** The weights in PyTorch layout (float32) when they map onto the reference's state_dict. */
  readonly stateDict: readonly StateDictTensor[] | undefined;
  /** modelHash() of the state_dict; else sha256 of the file's bytes (see hashSource). */
  readonly modelHash: string;
  readonly hashSource: 'metadata' | 'weights' | 'file';
}

const EXPECTED = 'nightshift expects the reference convention: one input [batch, 3, height, width] (NCHW, RGB, float in [-1, 1]) and one output of the same layout';

function elementType(code: number | null | undefined, what: string, file: string): 'float32' | 'float16' {
  if (code === DT.FLOAT) return 'float32';
  if (code === DT.FLOAT16) return 'float16';
  const name = Object.entries(DT).find(([, v]) => v === code)?.[0] ?? String(code);
  throw new DatasetError(file, `${what} has element type ${name}; expected float (float32) or float16. ${EXPECTED}`);
}

function imageValue(v: onnxProto.onnx.IValueInfoProto, what: string, file: string): OnnxImageValue {
  const tensorType = v.type?.tensorType;
  if (!tensorType) throw new DatasetError(file, `${what} '${v.name}' is not a tensor. ${EXPECTED}`);
  const type = elementType(tensorType.elemType, `${what} '${v.name}'`, file);
  const shape: OnnxDim[] = (tensorType.shape?.dim ?? []).map((d) =>
    d.dimValue !== undefined && d.dimValue !== null && int(d.dimValue) > 0 ? int(d.dimValue) : d.dimParam || '?');
  const shown = `[${shape.join(', ')}]`;
  if (shape.length !== 4) throw new DatasetError(file, `${what} '${v.name}' has rank ${shape.length} ${shown}; expected rank 4. ${EXPECTED}`);
  const [, c, , w] = shape;
  if (c !== 3 && w === 3) {
    throw new DatasetError(file, `${what} '${v.name}' ${shown} looks channels-last (NHWC); re-export it channels-first (NCHW, e.g. torch.onnx.export of the PyTorch module) or insert a Transpose. ${EXPECTED}`);
  }
  if (typeof c === 'number' && c !== 3) {
    throw new DatasetError(file, `${what} '${v.name}' ${shown} has ${c} channel${c === 1 ? '' : 's'}; nightshift translates RGB images (3 channels). ${EXPECTED}`);
  }
  return { name: v.name ?? '', type, shape };
}

function tensorToFloat32(t: onnxProto.onnx.ITensorProto): Float32Array | undefined {
  const raw = t.rawData && t.rawData.length ? t.rawData : undefined;
  if (t.dataType === DT.FLOAT) {
    if (raw) return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    return t.floatData ? Float32Array.from(t.floatData) : undefined;
  }
  if (t.dataType === DT.FLOAT16) {
    if (raw) return halfToFloat32(new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)));
    // float16 without raw_data is stored as the bit patterns in int32_data.
    return t.int32Data ? halfToFloat32(Uint16Array.from(t.int32Data)) : undefined;
  }
  return undefined;
}

/** The initialisers as the state_dict of `kind` / `architecture` (float32, PyTorch layout), if they spell it. */
function stateDictOf(
  byName: ReadonlyMap<string, onnxProto.onnx.ITensorProto>, kind: GeneratorKind, architecture: BaseGeneratorArchitecture,
): StateDictTensor[] | undefined {
  const stateDict: StateDictTensor[] = [];
  for (const spec of generatorSpecs(kind, architecture)) {
    const t = byName.get(spec.name);
    if (!t || (t.dims ?? []).map(int).join(',') !== spec.torchShape.join(',')) return undefined;
    const data = tensorToFloat32(t);
    if (!data || data.length !== spec.size) return undefined;
    stateDict.push({ name: spec.name, shape: spec.torchShape, data });
  }
  return stateDict;
}

/**
 * The generator kind and architecture whose state_dict the initialisers spell, with the weights, if
 * any: the one our export's metadata names, else the first registered kind with an ONNX export that
 * reads an architecture off the initialisers' shapes (a plain torch.onnx.export keeps the names).
 */
function referenceWeights(initializers: readonly onnxProto.onnx.ITensorProto[], metadata: Readonly<Record<string, string>>, file: string):
  { kind: GeneratorKind; architecture: BaseGeneratorArchitecture; stateDict: StateDictTensor[] } | undefined {
  const byName = new Map(initializers.map((t) => [t.name ?? '', t]));
  const shapes = new Map([...byName].map(([name, t]) => [name, { shape: (t.dims ?? []).map(int) }]));
  const candidates: Array<() => [GeneratorKind, BaseGeneratorArchitecture]> = [];
  const declared = metadata[ONNX_METADATA_KEYS.architecture];
  if (declared !== undefined) {
    candidates.push(() => {
      const { kind: className, ...architecture } = JSON.parse(declared) as { kind: string };
      const kind = generatorKinds().find((k) => k.className === className)!;
      return [kind, kind.resolve(architecture)];
    });
  }
  for (const kind of generatorKinds()) {
    if (kind.onnx && kind.infer) candidates.push(() => [kind, kind.infer!(shapes, file)]);
  }
  for (const candidate of candidates) {
    let found: [GeneratorKind, BaseGeneratorArchitecture];
    try {
      found = candidate();
    } catch {
      continue; // not this kind
    }
    const [kind, architecture] = found;
    const stateDict = stateDictOf(byName, kind, architecture);
    if (stateDict) return { kind, architecture, stateDict };
  }
  return undefined;
}

/**
 * Reads an ONNX generator and checks its layout; `file` names it in errors (a path, or a label for
 * bytes). Throws a DatasetError that says what was found and what is expected.
 */
export function inspectGeneratorOnnx(bytes: Uint8Array, file: string): OnnxGeneratorModel {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new DatasetError(file, `not an ONNX model (${(e as Error).message})`);
  }
  const graph = model.graph;
  if (!graph) throw new DatasetError(file, 'not an ONNX model (no graph)');
  const initializers = graph.initializer ?? [];
  const initialised = new Set(initializers.map((t) => t.name));
  const inputs = (graph.input ?? []).filter((v) => !initialised.has(v.name));
  const outputs = graph.output ?? [];
  if (inputs.length !== 1 || outputs.length !== 1) {
    throw new DatasetError(file, `has ${inputs.length} inputs (${inputs.map((v) => v.name).join(', ')}) and ${outputs.length} outputs (${outputs.map((v) => v.name).join(', ')}); ${EXPECTED}`);
  }
  const input = imageValue(inputs[0], 'input', file);
  const output = imageValue(outputs[0], 'output', file);
  const metadata = Object.fromEntries(model.metadataProps.map((p) => [p.key ?? '', p.value ?? '']));
  const weights = referenceWeights(initializers, metadata, file);
  const fromMetadata = metadata[ONNX_METADATA_KEYS.modelHash];
  const hash = fromMetadata ?? (weights ? modelHash(weights.stateDict) : createHash('sha256').update(bytes).digest('hex'));
  return {
    input, output,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    opset: ((v) => (v === undefined || v === null ? undefined : int(v)))(model.opsetImport.find((o) => !o.domain)?.version),
    metadata,
    kind: weights?.kind,
    architecture: weights?.architecture,
    stateDict: weights?.stateDict,
    modelHash: hash,
    hashSource: fromMetadata ? 'metadata' : weights ? 'weights' : 'file',
  };
}
