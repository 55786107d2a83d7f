// Pictures of what the shipped segmenter predicts, for looking at (evaluate-segmenter.sh runs it):
//   <work>/previews/heldout.png  per held-out scene (first 4 of <work>/heldout-day): day render,
//                                its prediction, true night render, its prediction, the truth
//   <work>/previews/real.png     per real frame (when <real> is there): image, prediction, truth
// Predictions run as `nightshift evaluate --segmenter <folder>` runs them (OnnxSegmenter with the
// card's input size, mean and std), coloured with the Cityscapes palette; tiles are 256x128.
// Usage: node --import tsx datasets/models/segmenter-previews.ts <model folder> <work> [<real root>]
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readSegmenterCard } from '@nightshift/cyclegan';
import {
  TRAIN_LABELS, cityscapesImagePath, listCityscapesFrames, readGrey8, readImageRgb, resizeLabelsNearest, resizeRgbArea, toColor, writeRgb, type RgbImage,
} from '@nightshift/labels';
import { OnnxSegmenter } from '../../apps/augment/src/evaluate/index.ts';

const [folder, work, real] = process.argv.slice(2);
if (!folder || !work) {
  console.error('usage: segmenter-previews.ts <model folder> <work> [<real root>]');
  process.exit(2);
}
const TILE = { width: 256, height: 128 };
const card = await readSegmenterCard(folder);
const segmenter = await OnnxSegmenter.create(card.modelPath, {
  provider: 'cpu', mean: card.mean, std: card.std, inputSize: { height: card.input.height, width: card.input.width },
});
const trainIdToLabelId = Uint8Array.from(TRAIN_LABELS.map((l) => l.id));

/** labelIds of a frame's labels (or of a prediction's trainIds) coloured at the tile size. */
function colouredTile(labelIds: Uint8Array, width: number, height: number): RgbImage {
  return { ...TILE, data: toColor(resizeLabelsNearest(labelIds, width, height, TILE.width, TILE.height)) };
}

async function predictionTile(image: RgbImage, file: string): Promise<RgbImage> {
  const trainIds = await segmenter.predict(image, image, file);
  return colouredTile(trainIds.map((t) => trainIdToLabelId[t]), image.width, image.height);
}

/** Rows of tiles, one row per entry, side by side. */
async function writeGrid(path: string, rows: RgbImage[][]): Promise<void> {
  const columns = rows[0].length;
  const width = columns * TILE.width;
  const data = new Uint8Array(width * rows.length * TILE.height * 3);
  rows.forEach((row, r) => row.forEach((tile, c) => {
    for (let y = 0; y < TILE.height; y++) {
      data.set(tile.data.subarray(y * TILE.width * 3, (y + 1) * TILE.width * 3), ((r * TILE.height + y) * width + c * TILE.width) * 3);
    }
  }));
  await writeRgb(path, { width, height: rows.length * TILE.height, data });
  console.log(`wrote ${path}`);
}

mkdirSync(join(work, 'previews'), { recursive: true });
const heldout: RgbImage[][] = [];
for (const frame of listCityscapesFrames(join(work, 'heldout-day')).slice(0, 4)) {
  const day = await readImageRgb(frame.imagePath);
  const nightFile = cityscapesImagePath(join(work, 'heldout-night'), frame);
  const night = await readImageRgb(nightFile);
  const truth = await readGrey8(frame.labelIdsPath);
  heldout.push([
    resizeRgbArea(day, TILE.width, TILE.height), await predictionTile(day, frame.imagePath),
    resizeRgbArea(night, TILE.width, TILE.height), await predictionTile(night, nightFile),
    colouredTile(truth.data, truth.width, truth.height),
  ]);
}
await writeGrid(join(work, 'previews', 'heldout.png'), heldout);
if (real && existsSync(real)) {
  const rows: RgbImage[][] = [];
  for (const frame of listCityscapesFrames(real)) {
    const image = await readImageRgb(frame.imagePath);
    const truth = await readGrey8(frame.labelIdsPath);
    rows.push([resizeRgbArea(image, TILE.width, TILE.height), await predictionTile(image, frame.imagePath), colouredTile(truth.data, truth.width, truth.height)]);
  }
  await writeGrid(join(work, 'previews', 'real.png'), rows);
}
await segmenter.dispose();
