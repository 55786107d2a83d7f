/**
 * The zip container of PyTorch >= 1.6 checkpoints, read from memory: the central directory (with
 * its ZIP64 records, which PyTorch's writer always adds) and stored entries. torch.save writes every
 * entry stored (uncompressed, data aligned to 64 bytes), so compressed entries are refused rather
 * than inflated. Each entry's CRC-32 is checked, as PyTorch's reader does.
 */
import { crc32 } from 'node:zlib';

export class ZipError extends Error {
  override readonly name = 'ZipError';
}

export interface ZipEntry {
  readonly name: string;
  /** The stored bytes (a view into the archive). */
  readonly data: Uint8Array;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const ZIP64_EXTRA = 0x0001;

/** True when the bytes start like a zip archive (a local file header). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

function findEndOfCentralDirectory(view: DataView): number {
  const last = view.byteLength - 22;
  for (let at = last; at >= 0 && at >= last - 0xffff; at--) {
    if (view.getUint32(at, true) === EOCD && at + 22 + view.getUint16(at + 20, true) === view.byteLength) return at;
  }
  throw new ZipError('no end-of-central-directory record: the zip archive is truncated or damaged');
}

function safeNumber(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`${what} ${v} is out of range`);
  return Number(v);
}

/** Lists the entries of a zip archive held in memory; checks every bound and every CRC. */
export function readZipEntries(bytes: Uint8Array): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndOfCentralDirectory(view);
  let count = view.getUint16(eocd + 10, true);
  let size = view.getUint32(eocd + 12, true);
  let offset = view.getUint32(eocd + 16, true);
  const locator = eocd - 20;
  if (locator >= 0 && view.getUint32(locator, true) === ZIP64_LOCATOR) {
    const at = safeNumber(view.getBigUint64(locator + 8, true), 'ZIP64 end record offset');
    if (at + 56 > locator || view.getUint32(at, true) !== ZIP64_EOCD) throw new ZipError('the ZIP64 end-of-central-directory record is missing or damaged');
    count = safeNumber(view.getBigUint64(at + 32, true), 'entry count');
    size = safeNumber(view.getBigUint64(at + 40, true), 'central directory size');
    offset = safeNumber(view.getBigUint64(at + 48, true), 'central directory offset');
  }
  if (offset + size > bytes.length) throw new ZipError(`the central directory (bytes ${offset} to ${offset + size}) lies past the end of the ${bytes.length}-byte file: truncated`);
  const entries = new Map<string, ZipEntry>();
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > offset + size || view.getUint32(at, true) !== CENTRAL) throw new ZipError(`central directory entry ${i} at byte ${at} is damaged`);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    let compressed = view.getUint32(at + 20, true);
    let uncompressed = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let local = view.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    // ZIP64 extra field: 8-byte values for the fields that hold 0xffffffff, in this order.
    for (let e = at + 46 + nameLength; e + 4 <= at + 46 + nameLength + extraLength;) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (id === ZIP64_EXTRA) {
        let p = e + 4;
        const next = (what: string): number => {
          if (p + 8 > e + 4 + len) throw new ZipError(`entry ${name}: ZIP64 extra field too short for ${what}`);
          const v = safeNumber(view.getBigUint64(p, true), what);
          p += 8;
          return v;
        };
        if (uncompressed === 0xffffffff) uncompressed = next('size');
        if (compressed === 0xffffffff) compressed = next('compressed size');
        if (local === 0xffffffff) local = next('local header offset');
      }
      e += 4 + len;
    }
    at += 46 + nameLength + extraLength + commentLength;
    if (method !== 0) throw new ZipError(`entry ${name} is compressed (method ${method}); torch.save stores entries uncompressed, so this archive was repacked: unzip and re-zip it with "zip -0"`);
    if (compressed !== uncompressed) throw new ZipError(`entry ${name}: stored sizes differ (${compressed} and ${uncompressed})`);
    if (local + 30 > bytes.length || view.getUint32(local, true) !== LOCAL) throw new ZipError(`entry ${name}: no local header at byte ${local}: truncated or damaged archive`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + compressed > bytes.length) {
      throw new ZipError(`entry ${name} (bytes ${start} to ${start + compressed}) lies past the end of the ${bytes.length}-byte file: truncated`);
    }
    const data = bytes.subarray(start, start + compressed);
    if (crc32(data) !== crc) throw new ZipError(`entry ${name} fails its CRC-32 check: the file is damaged`);
    entries.set(name, { name, data });
  }
  return entries;
}
