/**
 * The card beside a shipped segmenter (segmenter.json): what a consumer needs to run model.onnx the
 * way it was trained: the input size every frame is resized to (area averaging), the normalisation
 * ((x / 255 - mean) / std per RGB channel), and the class of each output channel. One file, read by
 * every consumer, so that none restates these values.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../atomic-write.ts';
import { resolveSegmenterArchitecture, type SegmenterArchitecture } from '../networks/segmenter.ts';

export const SEGMENTER_CARD_FILE = 'segmenter.json';
export const SEGMENTER_CARD_FORMAT = 'nightshift-segmenter';

export interface SegmenterCard {
  readonly format: typeof SEGMENTER_CARD_FORMAT;
  readonly version: 1;
  /** The ONNX model, relative to the card's folder. */
  readonly model: string;
  readonly architecture: SegmenterArchitecture;
  /** Every frame is resized to this (area averaging) before the network; logits come out at this size. */
  readonly input: { readonly width: number; readonly height: number };
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  /** Output channel i is the class named classes[i] (Cityscapes trainId i). */
  readonly classes: readonly string[];
  /** sha256-based hash of the weights (the ONNX metadata's modelHash). */
  readonly modelHash: string;
}

/** A card that cannot be read or does not hold: names the file and what is wrong with it. */
export class SegmenterCardError extends Error {
  constructor(readonly file: string, readonly problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'SegmenterCardError';
  }
}

/** A card read from disk, with the model's absolute path. */
export interface LoadedSegmenterCard extends SegmenterCard {
  readonly file: string;
  readonly modelPath: string;
  /** The card's "calibration" entry as written, unchecked: its owner (libs/consistency) checks it. */
  readonly calibration?: unknown;
}

export async function writeSegmenterCard(folder: string, card: SegmenterCard): Promise<void> {
  await writeFileAtomic(join(folder, SEGMENTER_CARD_FILE), new TextEncoder().encode(`${JSON.stringify(card, null, 2)}\n`));
}

const isTriple = (v: unknown): v is [number, number, number] => Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/**
 * Reads and checks a card (the file, or the folder holding segmenter.json). Throws a
 * SegmenterCardError naming the file and the field; `expectedClasses`, when given, must equal the card's class list.
 */
export async function readSegmenterCard(path: string, expectedClasses?: readonly string[]): Promise<LoadedSegmenterCard> {
  const file = path.endsWith('.json') ? path : join(path, SEGMENTER_CARD_FILE);
  let card: Record<string, unknown>;
  try {
    card = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new SegmenterCardError(file, `cannot read the segmenter card: ${(e as Error).message}`);
  }
  const fail = (problem: string): never => {
    throw new SegmenterCardError(file, problem);
  };
  if (card.format !== SEGMENTER_CARD_FORMAT || card.version !== 1) fail(`not a ${SEGMENTER_CARD_FORMAT} card of version 1 (format ${JSON.stringify(card.format)}, version ${JSON.stringify(card.version)})`);
  if (typeof card.model !== 'string' || !card.model) fail('"model" must name the ONNX file');
  let architecture: SegmenterArchitecture;
  try {
    architecture = resolveSegmenterArchitecture(card.architecture as Partial<SegmenterArchitecture>);
  } catch (e) {
    return fail(`"architecture": ${(e as Error).message}`);
  }
  const input = card.input as { width?: unknown; height?: unknown } | undefined;
  const m = 2 ** architecture.depth;
  if (!input || !Number.isInteger(input.width) || !Number.isInteger(input.height) || (input.width as number) <= 0 || (input.height as number) <= 0 ||
    (input.width as number) % m || (input.height as number) % m) {
    fail(`"input" must give a width and height that are positive multiples of ${m} (2^depth), got ${JSON.stringify(card.input)}`);
  }
  if (!isTriple(card.mean)) fail(`"mean" must be 3 numbers, got ${JSON.stringify(card.mean)}`);
  if (!isTriple(card.std) || (card.std as number[]).some((s) => s <= 0)) fail(`"std" must be 3 positive numbers, got ${JSON.stringify(card.std)}`);
  const classes = card.classes;
  if (!Array.isArray(classes) || classes.length !== architecture.classes || classes.some((c) => typeof c !== 'string')) {
    fail(`"classes" must list ${architecture.classes} class names (the architecture's classes), got ${JSON.stringify(classes)}`);
  }
  if (expectedClasses && (expectedClasses.length !== (classes as string[]).length || expectedClasses.some((c, i) => c !== (classes as string[])[i]))) {
    fail(`"classes" [${(classes as string[]).join(', ')}] differ from the ${expectedClasses.length} expected [${expectedClasses.join(', ')}]`);
  }
  if (typeof card.modelHash !== 'string') fail('"modelHash" must be a string');
  return Object.freeze({
    format: SEGMENTER_CARD_FORMAT, version: 1, model: card.model as string, architecture,
    input: { width: input!.width as number, height: input!.height as number },
    mean: card.mean as [number, number, number], std: card.std as [number, number, number],
    classes: Object.freeze([...(classes as string[])]), modelHash: card.modelHash as string,
    file, modelPath: join(dirname(file), card.model as string), calibration: card.calibration,
  });
}
