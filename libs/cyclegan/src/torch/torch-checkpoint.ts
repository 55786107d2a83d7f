/**
 * PyTorch checkpoints (`.pth`, `.pt`) read without running any of their code, in both of
 * torch.save's serialisations (pytorch torch/serialization.py):
 *
 * - zip (PyTorch >= 1.6): `<name>/data.pkl` (the object pickle), `<name>/data/<key>` (each storage's
 *   raw bytes), `<name>/byteorder` ("little" or "big"; files before PyTorch 2.1 have none and are
 *   little-endian). Persistent ids are ('storage', storage type, key, location, numel).
 * - legacy (PyTorch 0.4 to 1.5, and `_use_new_zipfile_serialization=False`): five pickles and the
 *   storages one after another: the magic number 0x1950a86a20f9469cfc6c, the protocol version 1001,
 *   the system info ({little_endian, type_sizes, ...}), the object pickle (persistent ids
 *   ('storage', type, root key, location, numel, view metadata)), the sorted list of storage keys,
 *   then for each key an int64 element count and the raw elements.
 *
 * Tensors are `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)`
 * (or `_rebuild_parameter` around one); views with offsets and strides are copied out to contiguous
 * bytes. The result is the state_dict as safetensors-style entries (dtype names, shape, raw
 * little-endian bytes), so it flows through the same key matching as a safetensors file.
 */
import { DatasetError } from '@nightshift/labels';
import type { SafetensorsEntry } from '../safetensors.ts';
import { globalValue, PickleError, unpickle, type AllowedGlobal, type PickleValue } from './pickle.ts';
import { looksLikeZip, readZipEntries, ZipError } from './zip-archive.ts';

interface StorageType {
  readonly dtype: string;
  readonly bytes: number;
}

/** torch.<Name>Storage -> safetensors dtype name and element size. */
const STORAGE_TYPES: Readonly<Record<string, StorageType>> = {
  FloatStorage: { dtype: 'F32', bytes: 4 },
  HalfStorage: { dtype: 'F16', bytes: 2 },
  BFloat16Storage: { dtype: 'BF16', bytes: 2 },
  DoubleStorage: { dtype: 'F64', bytes: 8 },
  LongStorage: { dtype: 'I64', bytes: 8 },
  IntStorage: { dtype: 'I32', bytes: 4 },
  ShortStorage: { dtype: 'I16', bytes: 2 },
  CharStorage: { dtype: 'I8', bytes: 1 },
  ByteStorage: { dtype: 'U8', bytes: 1 },
  BoolStorage: { dtype: 'BOOL', bytes: 1 },
};

/** Where a tensor's elements live: filled in once the pickle has been read. */
class StorageRef {
  bytes: Uint8Array | undefined;

  constructor(readonly key: string, readonly type: StorageType, readonly numel: number) {}
}

class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

function isCount(v: PickleValue): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function counts(v: PickleValue, what: string): number[] {
  if (!Array.isArray(v) || !v.every(isCount)) throw new Error(`${what} is not a tuple of non-negative integers`);
  return [...v] as number[];
}

function rebuildTensor(args: readonly PickleValue[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (args.length < 4 || !(storage instanceof StorageRef)) throw new Error('expected (storage, offset, size, stride, ...)');
  if (!isCount(offset)) throw new Error('the storage offset is not a non-negative integer');
  const shape = counts(size, 'size');
  const strides = counts(stride, 'stride');
  if (strides.length !== shape.length) throw new Error(`size has ${shape.length} dimensions but stride ${strides.length}`);
  return new TensorRef(storage, offset, shape, strides);
}

/**
 * The allow-list: the globals a state_dict pickle names and nothing else. The storage types are
 * data type tags; OrderedDict builds a Map; the two rebuild functions describe a tensor.
 */
const TORCH_GLOBALS: ReadonlyMap<string, AllowedGlobal> = new Map<string, AllowedGlobal>([
  // Python 3 pickles OrderedDict() and adds the items; Python 2 passes them as [[key, value], ...].
  ['collections.OrderedDict', {
    call: (args) => {
      if (args.length === 0) return new Map();
      const [items] = args;
      if (args.length !== 1 || !Array.isArray(items) || !items.every((p) => Array.isArray(p) && p.length === 2)) {
        throw new Error('expected no arguments or a list of (key, value) pairs');
      }
      return new Map((items as Array<[PickleValue, PickleValue]>).map(([k, v]) => [k, v]));
    },
  }],
  ['torch._utils._rebuild_tensor_v2', { call: rebuildTensor }],
  ['torch._utils._rebuild_parameter', {
    call: (args) => {
      if (!(args[0] instanceof TensorRef)) throw new Error('expected (tensor, requires_grad, hooks)');
      return args[0];
    },
  }],
  ...Object.entries(STORAGE_TYPES).map(([name, type]): [string, AllowedGlobal] => [`torch.${name}`, { value: type }]),
]);

/** Makes StorageRefs for persistent ids; `shared` gives each key one storage. */
function storageLoader(shared: Map<string, StorageRef>, legacy: boolean) {
  return (pid: readonly PickleValue[]): PickleValue => {
    const [tag, typeRef, key, , numel, view] = pid;
    if (tag !== 'storage') throw new Error(`unknown persistent id ${JSON.stringify(tag)}; only storages are read`);
    const type = globalValue(typeRef as PickleValue) as StorageType | undefined;
    if (type === undefined || !('dtype' in type)) throw new Error('the storage type is not a torch.*Storage');
    if (typeof key !== 'string' || !isCount(numel)) throw new Error('expected (\'storage\', type, key, location, numel)');
    let storage = shared.get(key);
    if (storage === undefined) {
      storage = new StorageRef(key, type, numel);
      shared.set(key, storage);
    } else if (storage.type !== type || storage.numel !== numel) {
      throw new Error(`storage ${key} is declared twice with different types or sizes`);
    }
    if (!legacy || view === null || view === undefined) return storage;
    // Legacy storage view: (view key, offset, size) into the root storage.
    const [viewKey, viewOffset, viewSize] = Array.isArray(view) ? view : [];
    if (typeof viewKey !== 'string' || !isCount(viewOffset) || !isCount(viewSize) || viewOffset + viewSize > numel) {
      throw new Error(`storage ${key} has a malformed view`);
    }
    return new StorageView(storage, viewKey, viewOffset, viewSize);
  };
}

/** A legacy storage view: elements [offset, offset + numel) of its root storage. */
class StorageView extends StorageRef {
  constructor(readonly root: StorageRef, key: string, readonly elementOffset: number, numel: number) {
    super(key, root.type, numel);
  }
}

function resolveViews(storages: Iterable<StorageRef>): void {
  for (const s of storages) {
    if (s instanceof StorageView) {
      const b = s.type.bytes;
      s.bytes = s.root.bytes!.subarray(s.elementOffset * b, (s.elementOffset + s.numel) * b);
    }
  }
}

function parse(bytes: Uint8Array, start: number, storages: Map<string, StorageRef> | undefined, legacy = false) {
  return unpickle(bytes, start, {
    globals: TORCH_GLOBALS,
    persistentLoad: storages === undefined ? undefined : storageLoader(storages, legacy),
  });
}

interface RawCheckpoint {
  readonly format: 'zip' | 'legacy';
  readonly value: PickleValue;
  /** Every storage the tensors refer to, by key, with their bytes (views resolved too). */
  readonly storages: Map<string, StorageRef>;
}

function readZip(bytes: Uint8Array): RawCheckpoint {
  const entries = readZipEntries(bytes);
  const pkl = [...entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkl === undefined) throw new ZipError('a zip archive without <name>/data.pkl: not a torch.save checkpoint');
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const order = entries.get(`${prefix}byteorder`);
  if (order !== undefined) {
    const text = new TextDecoder().decode(order.data);
    if (text !== 'little') throw new ZipError(`saved with byteorder "${text}": only little-endian checkpoints are read (load and save it again on a little-endian machine)`);
  }
  const storages = new Map<string, StorageRef>();
  const { value, end } = parse(entries.get(pkl)!.data, 0, storages);
  if (end !== entries.get(pkl)!.data.length) throw new PickleError(`${pkl} has ${entries.get(pkl)!.data.length - end} bytes after its end`);
  for (const s of storages.values()) {
    const record = entries.get(`${prefix}data/${s.key}`);
    if (record === undefined) throw new ZipError(`storage ${s.key} has no record ${prefix}data/${s.key}`);
    const need = s.numel * s.type.bytes;
    if (record.data.length < need) {
      throw new ZipError(`storage ${s.key} (${prefix}data/${s.key}) holds ${record.data.length} bytes but the pickle declares ${s.numel} ${s.type.dtype} elements (${need} bytes)`);
    }
    s.bytes = record.data.subarray(0, need);
  }
  return { format: 'zip', value, storages };
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

function readLegacy(bytes: Uint8Array): RawCheckpoint {
  const magic = parse(bytes, 0, undefined);
  if (magic.value !== LEGACY_MAGIC) throw new PickleError('not a PyTorch checkpoint: the first pickle is not the magic number of torch.save');
  const protocol = parse(bytes, magic.end, undefined);
  if (protocol.value !== LEGACY_PROTOCOL) throw new PickleError(`legacy checkpoint protocol ${String(protocol.value)}; this reader knows ${LEGACY_PROTOCOL}`);
  const info = parse(bytes, protocol.end, undefined);
  if (!(info.value instanceof Map) || info.value.get('little_endian') !== true) {
    throw new PickleError('saved on a big-endian machine (system info little_endian is not True): only little-endian checkpoints are read');
  }
  const roots = new Map<string, StorageRef>();
  const object = parse(bytes, info.end, roots, true);
  const keys = parse(bytes, object.end, undefined);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) throw new PickleError('the storage key list is not a list of strings');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = keys.end;
  for (const key of keys.value as string[]) {
    const s = roots.get(key);
    if (s === undefined) throw new PickleError(`storage ${key} is listed but no tensor uses it`);
    if (at + 8 > bytes.length) throw new PickleError(`storage ${key} at byte ${at}: the file ends before its element count (truncated)`);
    const numel = view.getBigInt64(at, true);
    if (numel !== BigInt(s.numel)) throw new PickleError(`storage ${key} at byte ${at} holds ${numel} elements but the pickle declares ${s.numel}`);
    const need = s.numel * s.type.bytes;
    if (at + 8 + need > bytes.length) {
      throw new PickleError(`storage ${key} needs ${need} bytes from byte ${at + 8} but the file ends at ${bytes.length} (truncated)`);
    }
    s.bytes = bytes.subarray(at + 8, at + 8 + need);
    at += 8 + need;
  }
  const missing = [...roots.values()].filter((s) => s.bytes === undefined && !(s instanceof StorageView));
  if (missing.length > 0) throw new PickleError(`storage ${missing[0].key} is used by a tensor but not in the file`);
  resolveViews(roots.values());
  return { format: 'legacy', value: object.value, storages: roots };
}

/** The tensor's elements as contiguous little-endian bytes (a view when already contiguous). */
function tensorBytes(t: TensorRef, name: string): Uint8Array {
  const numel = t.shape.reduce((a, b) => a * b, 1);
  const b = t.storage.type.bytes;
  const data = t.storage.bytes!;
  if (numel === 0) return new Uint8Array(0);
  const last = t.offset + t.shape.reduce((sum, n, i) => sum + (n - 1) * t.stride[i], 0);
  if (last >= t.storage.numel) {
    throw new Error(`tensor ${name} ${shapeText(t.shape)} reaches element ${last + 1} of storage ${t.storage.key}, which holds only ${t.storage.numel}: the storage is shorter than its tensor`);
  }
  let expected = 1;
  let contiguous = true;
  for (let i = t.shape.length - 1; i >= 0; i--) {
    if (t.shape[i] !== 1 && t.stride[i] !== expected) contiguous = false;
    expected *= t.shape[i];
  }
  if (contiguous) return data.subarray(t.offset * b, (t.offset + numel) * b);
  const out = new Uint8Array(numel * b);
  const index = new Array<number>(t.shape.length).fill(0);
  for (let i = 0; i < numel; i++) {
    let src = t.offset;
    for (let d = 0; d < index.length; d++) src += index[d] * t.stride[d];
    out.set(data.subarray(src * b, src * b + b), i * b);
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d] < t.shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** Keys under which training scripts wrap a state_dict, in the order they are tried. */
export const STATE_DICT_WRAPPERS: readonly string[] = Object.freeze(['state_dict', 'model', 'netG_A', 'netG']);

function isTensorDict(v: PickleValue): v is Map<PickleValue, PickleValue> {
  return v instanceof Map && v.size > 0 && [...v.values()].every((x) => x instanceof TensorRef);
}

function describeValue(v: PickleValue): string {
  if (v === null) return 'None';
  if (v instanceof TensorRef) return `a tensor ${shapeText(v.shape)}`;
  if (v instanceof Map) return `a dict with keys ${[...v.keys()].slice(0, 8).map((k) => JSON.stringify(k)).join(', ')}${v.size > 8 ? ', ...' : ''}`;
  if (Array.isArray(v)) return `a ${Object.isFrozen(v) ? 'tuple' : 'list'} of ${v.length}`;
  return `a ${typeof v}`;
}

function findStateDict(value: PickleValue): { dict: Map<PickleValue, PickleValue>; wrapper?: string } {
  if (isTensorDict(value)) return { dict: value };
  if (value instanceof Map) {
    for (const key of STATE_DICT_WRAPPERS) {
      const inner = value.get(key);
      if (inner !== undefined && isTensorDict(inner)) return { dict: inner, wrapper: key };
    }
    const tensors = [...value.entries()].filter(([, v]) => v instanceof TensorRef);
    if (tensors.length > 0) {
      const other = [...value.entries()].find(([, v]) => !(v instanceof TensorRef))!;
      throw new Error(`entry ${JSON.stringify(other[0])} of the state_dict is ${describeValue(other[1])}, not a tensor`);
    }
  }
  throw new Error(`no state_dict found: the file holds ${describeValue(value)}; expected a dict of tensors, or one under ${STATE_DICT_WRAPPERS.map((k) => JSON.stringify(k)).join(', ')}`);
}

export interface TorchStateDict {
  readonly format: 'zip' | 'legacy';
  /** The key of the outer dict the state_dict was found under, if it was wrapped. */
  readonly wrapper?: string;
  /** The state_dict in file order, keys as saved (a `module.` prefix is left to the caller). */
  readonly tensors: Map<string, SafetensorsEntry>;
}

/**
 * Reads a torch.save file held in memory and returns its state_dict. Refuses any global outside the
 * allow-list before anything is built; `file` names the file in every error.
 */
export function parseTorchCheckpoint(bytes: Uint8Array, file: string): TorchStateDict {
  try {
    const raw = looksLikeZip(bytes) ? readZip(bytes) : readLegacy(bytes);
    const { dict, wrapper } = findStateDict(raw.value);
    const tensors = new Map<string, SafetensorsEntry>();
    for (const [key, t] of dict) {
      if (typeof key !== 'string') throw new Error(`the state_dict has a key that is not a string (${String(key)})`);
      const ref = t as TensorRef;
      tensors.set(key, { name: key, dtype: ref.storage.type.dtype, shape: Object.freeze([...ref.shape]), bytes: tensorBytes(ref, key) });
    }
    return { format: raw.format, wrapper, tensors };
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    const what = error instanceof ZipError ? 'zip checkpoint: ' : '';
    throw new DatasetError(file, `${what}${(error as Error).message}`);
  }
}
