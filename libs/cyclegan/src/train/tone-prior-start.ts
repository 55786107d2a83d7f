// A fresh run of bilateral generators starts their curves at the unpaired tone prior of its two image
// folders (networks/bilateral-tone-prior.ts); other generator kinds start as initialised.
import { BilateralGenerator, HEAD_BIAS_GAIN } from '../networks/bilateral-generator.ts';
import {
  BRIGHTENING_CONTRAST, channelHistograms, coefficientBias, histogramMean, LIGHT_LIFT, LIGHT_MASS, liftedToMean, matchedCurve, pulledToMean,
  type ChannelHistograms,
} from '../networks/bilateral-tone-prior.ts';
import type { CycleGanModel } from './cyclegan-model.ts';
import { decodeRgb } from './data.ts';

/** Images read per folder for the histograms. */
const PRIOR_IMAGES = 64;

/** The images of a folder's sorted listing that its histograms are taken from: PRIOR_IMAGES, evenly spaced. */
export function priorImageFiles(files: readonly string[]): string[] {
  const step = Math.max(1, files.length / PRIOR_IMAGES);
  const picked: string[] = [];
  for (let i = 0; i < files.length; i += step) picked.push(files[Math.floor(i)]);
  return picked;
}

async function folderHistograms(files: readonly string[]): Promise<ChannelHistograms> {
  const images: Uint8Array[] = [];
  for (const file of priorImageFiles(files)) images.push((await decodeRgb(file)).data);
  return channelHistograms(images);
}

/**
 * The coefficient head's bias set to the prior and its weights to zero, so the curves start at the
 * prior in every cell (the random head added cell-to-cell noise of its own: 12.5 dB instead of 16.6
 * night→day at the start, 10 validation scenes); the head's weights get gradients from the first step.
 */
async function startCurvesAt(generator: BilateralGenerator, bias: Float32Array): Promise<void> {
  const tensors = await generator.stateDict();
  generator.loadStateDict(new Map(tensors.map((t) => [t.name,
    t.name === 'coeffs.bias' ? bias : t.name === 'coeffs.weight' ? new Float32Array(t.data.length) : t.data])));
}

/**
 * The coefficient head biases (stored units) of the tone prior of each generator, or undefined when
 * the generators are not bilateral ones. The generator into the darker folder (night) gets the match
 * with the brightest LIGHT_MASS of its target left to the light layer, lifted by LIGHT_LIFT of the mean
 * that leaves out; the one into the brighter folder (day) the match pulled to the target's mean
 * (BRIGHTENING_CONTRAST).
 */
export async function tonePriorBiases(
  model: CycleGanModel, filesA: readonly string[], filesB: readonly string[],
): Promise<{ G_A: Float32Array; G_B: Float32Array } | undefined> {
  if (!(model.G_A instanceof BilateralGenerator) || !(model.G_B instanceof BilateralGenerator)) return undefined;
  const [a, b] = [await folderHistograms(filesA), await folderHistograms(filesB)];
  const prior = (from: ChannelHistograms, to: ChannelHistograms): Float32Array => {
    const darkening = histogramMean(...to) < histogramMean(...from);
    return coefficientBias([0, 1, 2].map((c) => (darkening
      ? liftedToMean(matchedCurve(from[c], to[c], LIGHT_MASS), from[c], to[c], LIGHT_LIFT)
      : pulledToMean(matchedCurve(from[c], to[c]), to[c], BRIGHTENING_CONTRAST))) as [Float64Array, Float64Array, Float64Array]);
  };
  return { G_A: prior(a, b), G_B: prior(b, a) };
}

/** Both generators' curves started at their prior (biases from tonePriorBiases). */
export async function startAtTonePrior(model: CycleGanModel, biases: { G_A: Float32Array; G_B: Float32Array }): Promise<void> {
  await startCurvesAt(model.G_A as BilateralGenerator, biases.G_A);
  await startCurvesAt(model.G_B as BilateralGenerator, biases.G_B);
}

/** The head's output [27] of a bias with zero head weights: what the prior anchor holds the head to. */
export const headOfBias = (bias: Float32Array): Float32Array => bias.map((v) => v * HEAD_BIAS_GAIN);
