// PNG reading and writing for label images and frames, with exact integer values.
// sharp decodes and encodes; the PNG header is read directly so that a file of the wrong kind
// (8-bit instanceIds, 16-bit labelIds, RGB labels) is refused before any value is converted.
// Paletted label PNGs are decoded here, because sharp expands a palette to colours and the
// label values are the palette indexes (what PIL and numpy return).
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { writeFileAtomic } from './atomic-file.ts';
import { DatasetError } from './errors.ts';
import { imageContentProblem, imageSizeProblem } from './image-file.ts';

export interface RgbImage {
  width: number;
  height: number;
  /** Row-major RGB, 3 bytes per pixel. */
  data: Uint8Array;
}

export interface Grey8Image {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface Grey16Image {
  width: number;
  height: number;
  data: Uint16Array;
}

/** The fields of a PNG IHDR chunk. */
export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  colorType: number;
  interlace: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const COLOR_TYPE_NAMES: Record<number, string> = { 0: 'grey', 2: 'RGB', 3: 'paletted', 4: 'grey+alpha', 6: 'RGBA' };

/** `an 8-bit grey`, `a 16-bit RGB`, ... */
function describe(h: PngHeader): string {
  return `${h.bitDepth === 8 ? 'an' : 'a'} ${h.bitDepth}-bit ${COLOR_TYPE_NAMES[h.colorType] ?? `colour type ${h.colorType}`}`;
}

function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new DatasetError(path, `cannot read file: ${(err as Error).message}`);
  }
}

/** The IHDR of a file named .png; refuses other content (naming what it is) and sizes nobody can decode. */
function parseHeader(path: string, bytes: Buffer): PngHeader {
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) {
    throw new DatasetError(path, imageContentProblem(path, bytes) ?? 'not a PNG file (missing PNG signature)');
  }
  if (bytes.length < 33 || bytes.toString('latin1', 12, 16) !== 'IHDR') throw new DatasetError(path, 'not a PNG file (missing IHDR chunk)');
  const header = {
    width: bytes.readUInt32BE(16),
    height: bytes.readUInt32BE(20),
    bitDepth: bytes[24],
    colorType: bytes[25],
    interlace: bytes[28],
  };
  const size = imageSizeProblem(header.width, header.height);
  if (size) throw new DatasetError(path, size);
  return header;
}

/** The PNG header of a file, reading only its first bytes. */
export function readPngHeader(path: string): PngHeader {
  const head = Buffer.alloc(33);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const n = readSync(fd, head, 0, head.length, 0);
    return parseHeader(path, head.subarray(0, n));
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    throw new DatasetError(path, `cannot read file: ${(err as Error).message}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function decodeError(path: string, err: unknown): DatasetError {
  return new DatasetError(path, `cannot decode PNG: ${(err as Error).message.trim()}`);
}

/** Reads a frame as 8-bit RGB (grey frames are expanded, alpha is dropped). */
export async function readRgb(path: string): Promise<RgbImage> {
  const bytes = readBytes(path);
  parseHeader(path, bytes);
  try {
    const { data, info } = await sharp(bytes).removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    throw decodeError(path, err);
  }
}

/**
 * Reads an 8-bit single-channel label image (labelIds, labelTrainIds) with its exact values.
 * Grey PNGs give their grey values, paletted PNGs their palette indexes.
 */
export async function readGrey8(path: string): Promise<Grey8Image> {
  const bytes = readBytes(path);
  const header = parseHeader(path, bytes);
  if (header.colorType === 3) return decodePalettedIndexes(path, bytes, header);
  if (header.colorType !== 0) {
    throw new DatasetError(path, `is ${describe(header)} PNG; a label image must be single-channel 8-bit grey or paletted`);
  }
  if (header.bitDepth === 16) {
    throw new DatasetError(path, 'is a 16-bit PNG; an 8-bit label image (labelIds, labelTrainIds) was expected (16-bit is the instanceIds format)');
  }
  if (header.bitDepth !== 8) {
    throw new DatasetError(path, `is ${describe(header)} PNG; 8-bit label values were expected`);
  }
  try {
    const { data, info } = await sharp(bytes).toColourspace('b-w').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new Error(`decoder returned ${info.channels} channels`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    throw decodeError(path, err);
  }
}

/**
 * Reads a 16-bit single-channel PNG (Cityscapes instanceIds) with its exact values. Anything else
 * is refused: an 8-bit instanceIds file has lost its instance ids (ids above 255 cannot be stored).
 */
export async function readGrey16(path: string): Promise<Grey16Image> {
  const bytes = readBytes(path);
  const header = parseHeader(path, bytes);
  if (header.colorType !== 0 || header.bitDepth !== 16) {
    throw new DatasetError(
      path,
      `is ${describe(header)} PNG; instanceIds must be a 16-bit single-channel PNG (labelId*1000+k does not fit in 8 bits)`,
    );
  }
  try {
    // toColourspace('grey16') keeps the values; without it sharp converts to sRGB and maps them.
    const { data, info } = await sharp(bytes).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new Error(`decoder returned ${info.channels} channels`);
    const values = new Uint16Array(info.width * info.height);
    new Uint8Array(values.buffer).set(data.subarray(0, values.byteLength));
    return { width: info.width, height: info.height, data: values };
  } catch (err) {
    throw decodeError(path, err);
  }
}

/** Decodes the palette indexes of a non-interlaced paletted PNG (bit depth 1, 2, 4 or 8). */
function decodePalettedIndexes(path: string, bytes: Buffer, header: PngHeader): Grey8Image {
  const { width, height, bitDepth } = header;
  if (header.interlace !== 0) throw new DatasetError(path, 'interlaced paletted PNG label images are not supported; re-save without interlacing');
  if (![1, 2, 4, 8].includes(bitDepth)) throw new DatasetError(path, `invalid paletted PNG bit depth ${bitDepth}`);
  const idat: Buffer[] = [];
  let offset = 8;
  let sawEnd = false;
  while (offset + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (offset + 12 + length > bytes.length) break;
    if (type === 'IDAT') idat.push(bytes.subarray(offset + 8, offset + 8 + length));
    if (type === 'IEND') { sawEnd = true; break; }
    offset += 12 + length;
  }
  if (!sawEnd) throw new DatasetError(path, 'cannot decode PNG: truncated file (no IEND chunk)');
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (err) {
    throw decodeError(path, err);
  }
  const stride = Math.ceil((width * bitDepth) / 8);
  if (raw.length < (stride + 1) * height) throw new DatasetError(path, 'cannot decode PNG: image data shorter than its size');
  const out = new Uint8Array(width * height);
  let prev = new Uint8Array(stride);
  let line = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const start = y * (stride + 1);
    unfilterLine(raw[start], raw.subarray(start + 1, start + 1 + stride), prev, line, path);
    const perByte = 8 / bitDepth;
    const mask = (1 << bitDepth) - 1;
    for (let x = 0; x < width; x++) {
      const byte = line[Math.floor(x / perByte)];
      const shift = 8 - bitDepth * ((x % perByte) + 1);
      out[y * width + x] = (byte >> shift) & mask;
    }
    [prev, line] = [line, prev];
  }
  return { width, height, data: out };
}

/** PNG filter reversal for 1-byte pixels (bpp = 1 for every paletted depth). */
function unfilterLine(filter: number, src: Uint8Array, prev: Uint8Array, out: Uint8Array, path: string): void {
  const n = src.length;
  for (let i = 0; i < n; i++) {
    const a = i > 0 ? out[i - 1] : 0;
    const b = prev[i];
    const c = i > 0 ? prev[i - 1] : 0;
    let v: number;
    switch (filter) {
      case 0: v = src[i]; break;
      case 1: v = src[i] + a; break;
      case 2: v = src[i] + b; break;
      case 3: v = src[i] + ((a + b) >> 1); break;
      case 4: {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v = src[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
        break;
      }
      default: throw new DatasetError(path, `cannot decode PNG: unknown filter type ${filter}`);
    }
    out[i] = v & 0xff;
  }
}

function checkSize(what: string, length: number, width: number, height: number, channels: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`${what}: invalid size ${width}x${height}`);
  }
  if (length !== width * height * channels) {
    throw new RangeError(`${what}: ${length} values do not match ${width}x${height}x${channels}`);
  }
}

/** Writes an 8-bit grey PNG (labelIds, labelTrainIds), atomically. */
export async function writeGrey8(path: string, image: Grey8Image): Promise<void> {
  checkSize(path, image.data.length, image.width, image.height, 1);
  const png = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } })
    .toColourspace('b-w').png().toBuffer();
  writeFileAtomic(path, png);
}

/** Writes a 16-bit grey PNG (instanceIds), atomically. PIL reads it back as the same integers. */
export async function writeGrey16(path: string, image: Grey16Image): Promise<void> {
  checkSize(path, image.data.length, image.width, image.height, 1);
  const png = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } })
    .toColourspace('grey16').png().toBuffer();
  writeFileAtomic(path, png);
}

/** Writes an 8-bit RGB PNG, atomically. */
export async function writeRgb(path: string, image: RgbImage): Promise<void> {
  checkSize(path, image.data.length, image.width, image.height, 3);
  const png = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .toColourspace('srgb').png().toBuffer();
  writeFileAtomic(path, png);
}
