// Image files as nightshift accepts them: the content must be the format the extension says, and the
// size the header claims must be decodable. Both are checked before sharp decodes a pixel, so a
// decompression bomb or a renamed file is refused with what it is, not with a decoder message.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import sharp from 'sharp';
import { DatasetError } from './errors.ts';
import type { RgbImage } from './png.ts';

/** The most pixels an image may claim: sharp's own default limitInputPixels (0x3FFF squared). */
export const MAX_IMAGE_PIXELS = 0x3fff * 0x3fff;

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'tiff' | 'gif';

const FORMAT_NAMES: Readonly<Record<ImageFormat, string>> = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP', tiff: 'TIFF', gif: 'GIF' };

const EXTENSIONS: Readonly<Record<string, ImageFormat>> = {
  '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp', '.tif': 'tiff', '.tiff': 'tiff', '.gif': 'gif',
};

const startsWith = (bytes: Uint8Array, magic: readonly number[], at = 0): boolean =>
  bytes.length >= at + magic.length && magic.every((b, i) => bytes[at + i] === b);
const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/** The image format of a file's first bytes (12 are enough), or undefined. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'webp';
  if (startsWith(bytes, ascii('II*\0')) || startsWith(bytes, ascii('MM\0*'))) return 'tiff';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'gif';
  return undefined;
}

/** Why `bytes` (the file's start is enough) cannot be the image file `path`, or undefined when they can. */
export function imageContentProblem(path: string, bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return 'empty file (0 bytes)';
  const format = sniffImageFormat(bytes);
  if (format === undefined) return `not an image nightshift reads: the content is none of ${Object.values(FORMAT_NAMES).join(', ')}`;
  const ext = extname(path).toLowerCase();
  const named = EXTENSIONS[ext];
  if (named === undefined) return `${FORMAT_NAMES[format]} data in a file named ${ext || 'without an extension'}; image files must end in ${Object.keys(EXTENSIONS).join(', ')}`;
  return named === format ? undefined : `${FORMAT_NAMES[format]} data in a file named ${ext}`;
}

/** Why an image claiming width x height is refused (more pixels than MAX_IMAGE_PIXELS), or undefined. */
export function imageSizeProblem(width: number, height: number): string | undefined {
  const pixels = width * height;
  return pixels > MAX_IMAGE_PIXELS
    ? `claims ${width}x${height} pixels (${pixels}), more than the ${MAX_IMAGE_PIXELS} nightshift decodes: a decompression bomb or a corrupt header`
    : undefined;
}

/** Reads an image file of any accepted format as 8-bit sRGB (alpha dropped), after the checks above. */
export async function readImageRgb(path: string): Promise<RgbImage> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new DatasetError(path, `cannot read image: ${(err as Error).message}`);
  }
  const content = imageContentProblem(path, bytes);
  if (content) throw new DatasetError(path, content);
  let meta: sharp.Metadata;
  try {
    // Headers only: without a limit here, so that a bomb is refused below with the size it claims.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new DatasetError(path, `cannot decode image: ${(err as Error).message.trim()}`);
  }
  const size = imageSizeProblem(meta.width ?? 0, meta.height ?? 0);
  if (size) throw new DatasetError(path, size);
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS }).removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    throw new DatasetError(path, `cannot decode image: ${(err as Error).message.trim()}`);
  }
}
