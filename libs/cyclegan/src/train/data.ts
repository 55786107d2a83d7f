/**
 * Unpaired training data as the reference's UnalignedDataset + get_transform: two folders of
 * images, read in sorted order; each epoch walks a shuffled order of max(|A|, |B|) indices, pairs
 * A[i mod |A|] with a random B, and preprocesses each image with a random crop and flip. Every
 * random choice comes from one seeded stream, so the order and the crops are reproducible and the
 * state can be saved and resumed.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { DatasetError } from '@nightshift/labels';
import { resizeBicubicLikePil } from './pil-resize.ts';
import { EpochCursor } from './epoch-cursor.ts';
import type { RandomStream, RandomStreamState } from './random-stream.ts';
import type { LoopBatch } from './training-loop.ts';

export type Preprocess = 'resize_and_crop' | 'scale_width_and_crop' | 'scale_width' | 'crop' | 'none';
export const PREPROCESS_MODES: readonly Preprocess[] = Object.freeze([
  'resize_and_crop',
  'scale_width_and_crop',
  'scale_width',
  'crop',
  'none',
]);

export interface PreprocessOptions {
  readonly preprocess: Preprocess;
  /** Reference `--load_size` (286). */
  readonly loadSize: number;
  /** Reference `--crop_size` (256). */
  readonly cropSize: number;
  /** Random horizontal flip (reference default; `--no_flip` turns it off). */
  readonly flip: boolean;
}

export const DEFAULT_PREPROCESS: Readonly<PreprocessOptions> = Object.freeze({
  preprocess: 'resize_and_crop',
  loadSize: 286,
  cropSize: 256,
  flip: true,
});

export interface ImageListing {
  /** Readable images, sorted by path. */
  readonly files: readonly string[];
  /** Files that are not images sharp can read, each with the reason. */
  readonly skipped: readonly DatasetError[];
}

/** Every image under `dir` (recursively, like the reference's make_dataset), sorted by path. */
export async function listImages(dir: string): Promise<ImageListing> {
  const all: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(d);
    } catch (e) {
      throw new DatasetError(d, `cannot read the image folder (${(e as Error).message})`);
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const path = join(d, name);
      const s = await stat(path);
      if (s.isDirectory()) await walk(path);
      else if (s.isFile()) all.push(path);
    }
  };
  await walk(dir);
  all.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const files: string[] = [];
  const skipped: DatasetError[] = [];
  for (const file of all) {
    try {
      const meta = await sharp(file).metadata();
      if (!meta.width || !meta.height) throw new Error('no image size in the header');
      files.push(file);
    } catch (e) {
      skipped.push(new DatasetError(file, `not an image that can be read, skipped (${(e as Error).message})`));
    }
  }
  if (files.length === 0) {
    throw new DatasetError(dir, `no readable images in the folder (${skipped.length} other files skipped)`);
  }
  return { files, skipped };
}

/** Random choices for one image, drawn before it is loaded. */
export interface TransformParams {
  /** Crop position in the resized image, as fractions drawn in [0, 1). */
  readonly cropU: number;
  readonly cropV: number;
  readonly flip: boolean;
}

export function drawTransformParams(random: RandomStream, o: PreprocessOptions): TransformParams {
  const usesCrop = o.preprocess.endsWith('crop');
  const cropU = usesCrop ? random.float() : 0;
  const cropV = usesCrop ? random.float() : 0;
  const flip = o.flip ? random.float() > 0.5 : false;
  return { cropU, cropV, flip };
}

/** An image as float32 NHWC-ready values in [-1, 1] (ToTensor + Normalize(0.5, 0.5)). */
export interface TrainingImage {
  readonly width: number;
  readonly height: number;
  /** Row-major RGB, 3 values per pixel. */
  readonly data: Float32Array;
}

/** Size after the resize step of the reference's get_transform. */
export function resizedSize(width: number, height: number, o: PreprocessOptions): [number, number] {
  switch (o.preprocess) {
    case 'resize_and_crop':
      return [o.loadSize, o.loadSize];
    case 'scale_width':
    case 'scale_width_and_crop':
      if (width === o.loadSize && height >= o.cropSize) return [width, height];
      return [o.loadSize, Math.trunc(Math.max((o.loadSize * height) / width, o.cropSize))];
    case 'crop':
      return [width, height];
    case 'none':
      return [roundHalfEven(width / 4) * 4, roundHalfEven(height / 4) * 4];
    default:
      throw new TypeError(
        `Unknown preprocess ${JSON.stringify(o.preprocess)}; valid modes are: ${PREPROCESS_MODES.join(', ')}`,
      );
  }
}

/** Python 3's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Loads one image and applies resize (PIL bicubic), crop and flip as the reference does. */
export async function loadTrainingImage(
  file: string,
  params: TransformParams,
  o: PreprocessOptions,
): Promise<TrainingImage> {
  let decoded: DecodedRgb;
  try {
    decoded = await decodeRgb(file);
  } catch (e) {
    throw new DatasetError(file, `cannot read the image (${(e as Error).message})`);
  }
  return preprocessRgb(decoded, params, o, file);
}

/** 8-bit RGB pixels of a decoded image. */
export interface DecodedRgb {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Decodes an image file to 8-bit sRGB, alpha dropped (PIL's convert('RGB')). */
export async function decodeRgb(file: string): Promise<DecodedRgb> {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
  return { width: info.width, height: info.height, data };
}

/** get_transform on decoded pixels: resize (PIL bicubic), crop and flip; `file` names errors. */
export function preprocessRgb(image: DecodedRgb, params: TransformParams, o: PreprocessOptions, file: string): TrainingImage {
  let rgb: Uint8Array;
  let w: number;
  let h: number;
  try {
    [w, h] = resizedSize(image.width, image.height, o);
    rgb = resizeBicubicLikePil(image.data, image.width, image.height, 3, w, h);
  } catch (e) {
    throw new DatasetError(file, `cannot read the image (${(e as Error).message})`);
  }
  let x0 = 0;
  let y0 = 0;
  let cw = w;
  let ch = h;
  if (o.preprocess.endsWith('crop')) {
    if (w < o.cropSize || h < o.cropSize) {
      throw new DatasetError(file, `image is ${w}x${h} after resizing, smaller than the crop size ${o.cropSize}`);
    }
    // torchvision RandomCrop: top-left uniform over every position that fits.
    x0 = Math.floor(params.cropU * (w - o.cropSize + 1));
    y0 = Math.floor(params.cropV * (h - o.cropSize + 1));
    cw = ch = o.cropSize;
  }
  const out = new Float32Array(cw * ch * 3);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const sx = params.flip ? x0 + cw - 1 - x : x0 + x;
      const src = ((y0 + y) * w + sx) * 3;
      const dst = (y * cw + x) * 3;
      for (let c = 0; c < 3; c++) out[dst + c] = (rgb[src + c] / 255 - 0.5) / 0.5;
    }
  }
  return { width: cw, height: ch, data: out };
}

export interface UnpairedBatch extends LoopBatch {
  readonly pathsA: readonly string[];
  readonly pathsB: readonly string[];
}

export interface UnpairedDataState {
  readonly epoch: number;
  /** Samples of the current epoch's order already handed out. */
  readonly position: number;
  readonly order: readonly number[];
  readonly random: RandomStreamState;
}

export interface UnpairedDataOptions extends PreprocessOptions {
  readonly batchSize: number;
  /** First epoch number (reference `--epoch_count`). */
  readonly firstEpoch: number;
}

/**
 * Batches of unpaired images. `next()` draws all of a batch's random choices synchronously, so a
 * caller may start loading the next batch while it trains on the current one and the sequence
 * stays the same.
 */
export class UnpairedData {
  private readonly cursor: EpochCursor;

  constructor(
    readonly filesA: readonly string[],
    readonly filesB: readonly string[],
    readonly options: UnpairedDataOptions,
    random: RandomStream,
  ) {
    if (filesA.length === 0 || filesB.length === 0) throw new RangeError('Both domains need at least one image');
    this.cursor = new EpochCursor(this.epochSize, options.batchSize, options.firstEpoch, random);
  }

  /** Samples per epoch: the larger domain (reference UnalignedDataset.__len__). */
  get epochSize(): number {
    return Math.max(this.filesA.length, this.filesB.length);
  }

  /** Batches per epoch; the last one may be short (DataLoader drop_last=False). */
  get batchesPerEpoch(): number {
    return this.cursor.batchesPerEpoch;
  }

  state(): UnpairedDataState {
    return this.cursor.state();
  }

  restore(state: UnpairedDataState): void {
    this.cursor.restore(state, (saved) => `Saved data order has ${saved} samples but the folders now give ${this.epochSize}; resume with the same image folders`);
  }

  next(): Promise<UnpairedBatch> {
    const { picks, epoch, indexInEpoch, isLastOfEpoch } = this.cursor.take((index, random) => {
      const a = this.filesA[index % this.filesA.length];
      const b = this.filesB[random.int(0, this.filesB.length - 1)];
      const pa = drawTransformParams(random, this.options);
      const pb = drawTransformParams(random, this.options);
      return { a, b, pa, pb };
    });
    return this.load(picks, epoch, indexInEpoch, isLastOfEpoch);
  }

  private async load(
    picks: Array<{ a: string; b: string; pa: TransformParams; pb: TransformParams }>,
    epoch: number,
    indexInEpoch: number,
    isLastOfEpoch: boolean,
  ): Promise<UnpairedBatch> {
    const imagesA = await Promise.all(picks.map((p) => loadTrainingImage(p.a, p.pa, this.options)));
    const imagesB = await Promise.all(picks.map((p) => loadTrainingImage(p.b, p.pb, this.options)));
    const first = imagesA[0];
    const all = [...imagesA, ...imagesB];
    const paths = [...picks.map((p) => p.a), ...picks.map((p) => p.b)];
    all.forEach((im, i) => {
      if (im.width !== first.width || im.height !== first.height) {
        throw new DatasetError(
          paths[i],
          `is ${im.width}x${im.height} after preprocessing but ${paths[0]} is ${first.width}x${first.height}; ` +
            'images in a batch must have one size (use a crop preprocess or batch size 1)',
        );
      }
    });
    const per = first.data.length;
    const stack = (ims: TrainingImage[]): Float32Array => {
      const out = new Float32Array(per * ims.length);
      ims.forEach((im, i) => out.set(im.data, i * per));
      return out;
    };
    return {
      epoch,
      indexInEpoch,
      isLastOfEpoch,
      shape: [picks.length, first.height, first.width, 3],
      a: stack(imagesA),
      b: stack(imagesB),
      pathsA: picks.map((p) => p.a),
      pathsB: picks.map((p) => p.b),
    };
  }
}
