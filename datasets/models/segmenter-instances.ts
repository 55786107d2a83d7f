// How sure the shipped segmenter is of each object, the way the semantic check reads it: for every
// instance of a thing class (person, rider, car, truck, bus, bicycle) of at least --min-area label
// pixels in the held-out scenes, the mean softmax probability of its own class inside its mask, on
// the day render and on the true night render. Prints per class the instances, the share found
// (mean probability >= 0.5) and the median mean probability, by day and by night.
// Probabilities come from the semantic check's SemanticSegmenter (the card's input size, mean and std;
// softmax on the model's grid), enlarged to the label size bilinearly (half-pixel centres).
// Usage: node --import tsx datasets/models/segmenter-instances.ts <model folder> <heldout-day root> <heldout-night root> [--min-area 256]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SemanticSegmenter } from '@nightshift/consistency';
import { TRAIN_LABELS, cityscapesImagePath, listCityscapesFrames, readGrey16, readImageRgb, type RgbImage } from '@nightshift/labels';
import { resizeBilinear } from '../../apps/augment/src/evaluate/index.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'min-area': { type: 'string', default: '256' } } });
const [folder, dayRoot, nightRoot] = positionals;
if (!folder || !dayRoot || !nightRoot) {
  console.error('usage: segmenter-instances.ts <model folder> <heldout-day root> <heldout-night root> [--min-area 256]');
  process.exit(2);
}
const MIN_AREA = Number(values['min-area']);
// The semantic check's own reader of the model (its calibration is not needed to read probabilities).
const segmenter = await SemanticSegmenter.open(folder, { uncalibrated: true });
const THINGS = TRAIN_LABELS.filter((l) => l.hasInstances);

/** Class probabilities [C, H, W] at the frame's size (the model's grid, bilinearly resized). */
async function probabilities(image: RgbImage): Promise<Float32Array> {
  const p = await segmenter.probabilities(image);
  return resizeBilinear(p.data, p.classes, p.height, p.width, image.height, image.width);
}

const scores: Record<string, { day: number[]; night: number[] }> = Object.fromEntries(THINGS.map((l) => [l.name, { day: [], night: [] }]));
for (const frame of listCityscapesFrames(dayRoot)) {
  const instances = await readGrey16(frame.instanceIdsPath);
  const masks = new Map<number, number[]>();
  instances.data.forEach((v, i) => { if (v >= 1000) (masks.get(v) ?? masks.set(v, []).get(v)!).push(i); });
  for (const [domain, root] of [['day', dayRoot], ['night', nightRoot]] as const) {
    const p = await probabilities(await readImageRgb(cityscapesImagePath(root, frame)));
    const plane = instances.width * instances.height;
    for (const [instanceId, pixels] of masks) {
      const label = THINGS.find((l) => l.id === Math.floor(instanceId / 1000));
      if (!label || pixels.length < MIN_AREA) continue;
      let sum = 0;
      for (const i of pixels) sum += p[label.trainId * plane + i];
      scores[label.name][domain].push(sum / pixels.length);
    }
  }
}
await segmenter.dispose();

const median = (v: number[]): number => { const s = [...v].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : NaN; };
const pct = (x: number): string => (Number.isNaN(x) ? 'n/a' : (100 * x).toFixed(1));
console.log(`instances of at least ${MIN_AREA} label pixels; found = mean probability of its class in its mask >= 0.5`);
console.log('| class | instances | found by day % | found at night % | median probability day | night |');
console.log('|---|---|---|---|---|---|');
for (const l of THINGS) {
  const { day, night } = scores[l.name];
  if (!day.length) continue;
  const found = (v: number[]): number => v.filter((x) => x >= 0.5).length / v.length;
  console.log(`| ${l.name} | ${day.length} | ${pct(found(day))} | ${pct(found(night))} | ${median(day).toFixed(2)} | ${median(night).toFixed(2)} |`);
}
