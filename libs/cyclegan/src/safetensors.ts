/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
 * header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}}, then
 * the raw little-endian tensor bytes, which the offsets must cover without holes or overlaps.
 * Reads F32, F16, BF16 and F64 as float32 (other dtypes are listed but not converted); writes F32.
 */
import { readFile } from 'node:fs/promises';
import { DatasetError } from '@nightshift/labels';
import { writeFileAtomic } from './atomic-write.ts';

const DTYPE_BYTES: Readonly<Record<string, number>> = Object.freeze({
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, I64: 8, U64: 8, F64: 8,
});

/** The header length the reference implementation accepts at most. */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** The tensor's raw little-endian bytes (a view into the file). */
  readonly bytes: Uint8Array;
}

export interface SafetensorsFile {
  /** The file name used in error messages. */
  readonly file: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensors in header order. */
  readonly tensors: ReadonlyMap<string, SafetensorsEntry>;
}

export interface Float32Tensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

function pointer(...parts: string[]): string {
  return parts.map((p) => '/' + p.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Parses and validates a whole safetensors file held in memory; `file` names it in errors. */
export function parseSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  if (bytes.length < 8) {
    throw new DatasetError(file, `truncated safetensors file: ${bytes.length} bytes, less than the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBig = view.getBigUint64(0, true);
  if (headerBig > BigInt(bytes.length - 8)) {
    throw new DatasetError(file, `safetensors header length ${headerBig} exceeds the ${bytes.length - 8} bytes after the length field: truncated or not a safetensors file`);
  }
  const headerLength = Number(headerBig);
  if (headerLength > MAX_HEADER_BYTES) {
    throw new DatasetError(file, `safetensors header of ${headerLength} bytes is larger than the ${MAX_HEADER_BYTES} allowed`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw new DatasetError(file, `safetensors header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new DatasetError(file, 'safetensors header must be a JSON object', '');
  }
  const data = bytes.subarray(8 + headerLength);
  let metadata: Record<string, string> = {};
  const ranges: Array<{ name: string; begin: number; end: number }> = [];
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (info === null || typeof info !== 'object' || Array.isArray(info)) {
        throw new DatasetError(file, '__metadata__ must be an object of strings', pointer(name));
      }
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== 'string') throw new DatasetError(file, `metadata values must be strings, got ${typeof v}`, pointer(name, k));
      }
      metadata = info as Record<string, string>;
      continue;
    }
    if (info === null || typeof info !== 'object') throw new DatasetError(file, 'tensor entry must be an object', pointer(name));
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (typeof dtype !== 'string' || DTYPE_BYTES[dtype] === undefined) {
      throw new DatasetError(file, `unknown dtype ${JSON.stringify(dtype)}; valid: ${Object.keys(DTYPE_BYTES).join(', ')}`, pointer(name, 'dtype'));
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) {
      throw new DatasetError(file, `shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`, pointer(name, 'shape'));
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
      throw new DatasetError(file, `data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`, pointer(name, 'data_offsets'));
    }
    const [begin, end] = offsets as [number, number];
    const expected = (shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    if (end - begin !== expected) {
      throw new DatasetError(file, `data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype} [${shape.join(', ')}] needs ${expected}`, pointer(name, 'data_offsets'));
    }
    if (end > data.length) {
      throw new DatasetError(file, `tensor data ends at byte ${end} but the file holds only ${data.length} data bytes: truncated file`, pointer(name, 'data_offsets'));
    }
    ranges.push({ name, begin, end });
    tensors.set(name, { name, dtype, shape: Object.freeze([...shape]), bytes: data.subarray(begin, end) });
  }
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const r of ranges) {
    if (r.begin !== covered) {
      const what = r.begin > covered ? `a hole of ${r.begin - covered} bytes before` : 'an overlap with';
      throw new DatasetError(file, `tensor data has ${what} tensor ${JSON.stringify(r.name)} (offset ${r.begin}, expected ${covered})`, pointer(r.name, 'data_offsets'));
    }
    covered = r.end;
  }
  if (covered !== data.length) {
    throw new DatasetError(file, `${data.length - covered} bytes after the last tensor are not described by the header`);
  }
  return { file, metadata: Object.freeze({ ...metadata }), tensors };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A tensor's values as float32 (from F32, F16, BF16 or F64). */
export function entryToFloat32(entry: SafetensorsEntry, file: string): Float32Array {
  const { bytes, dtype } = entry;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / (DTYPE_BYTES[dtype] ?? 1);
  const out = new Float32Array(n);
  switch (dtype) {
    case 'F32':
      // Aligned data on a little-endian host is copied as is; otherwise read value by value.
      if (LITTLE_ENDIAN_HOST && bytes.byteOffset % 4 === 0) out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n));
      else for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    case 'BF16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return out;
    }
    default:
      throw new DatasetError(file, `tensor ${JSON.stringify(entry.name)} has dtype ${dtype}; only F32, F16, BF16 and F64 can be read as weights`);
  }
}

/** Encodes float32 tensors (in the given order) as a safetensors file. */
export function encodeSafetensors(tensors: readonly Float32Tensor[], metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name in header) throw new RangeError(`tensor name ${JSON.stringify(t.name)} is reserved or used twice`);
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every(isCount) || size !== t.data.length) {
      throw new RangeError(`tensor ${t.name}: shape [${t.shape.join(', ')}] does not match its ${t.data.length} values`);
    }
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + 4 * size] };
    offset += 4 * size;
  }
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json);
  // Pad the header with spaces so that tensor data starts 8-byte aligned, as the reference writer does.
  const padded = Math.ceil(jsonBytes.length / 8) * 8;
  json += ' '.repeat(padded - jsonBytes.length);
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(new TextEncoder().encode(json), 8);
  let pos = 8 + padded;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, pos += 4) view.setFloat32(pos, t.data[i], true);
  }
  return out;
}

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new DatasetError(path, `cannot read safetensors file (${(error as Error).message})`);
  }
  return parseSafetensors(bytes, path);
}

/** Writes F32 tensors atomically; returns the bytes written (for hashing). */
export async function writeSafetensors(
  path: string,
  tensors: readonly Float32Tensor[],
  metadata: Readonly<Record<string, string>> = {},
): Promise<Uint8Array> {
  const bytes = encodeSafetensors(tensors, metadata);
  await writeFileAtomic(path, bytes);
  return bytes;
}
