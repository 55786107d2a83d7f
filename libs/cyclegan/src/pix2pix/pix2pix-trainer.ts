/**
 * The pix2pix trainer (junyanz train.py with --model pix2pix; the loop itself is ../train/training-loop.ts): epochs epochCount .. nEpochs +
 * nEpochsDecay over paired images (paired-data.ts), the learning rate stepped per epoch (linear
 * policy), one optimize_parameters per batch. It writes, under `outDir`, what the CycleGAN trainer
 * writes: loss-log.jsonl and loss-curve.png (losses G_GAN, G_L1, D_real, D_fake),
 * samples/iter-NNNNNNNN.png (real A | fake B | real B), checkpoints/iter-NNNNNNNN/ (pix2pix-checkpoint.ts
 * plus the trainer state, kept only in the newest) and checkpoints/latest.json. Same seed and options
 * give the same weights; a run stopped and resumed gives the same weights as one that ran through.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DatasetError, isPathInside } from '@nightshift/labels';
import { deriveSeed } from '../random.ts';
import type { TrainProgress } from '../train/cyclegan-trainer.ts';
import type { PreprocessOptions } from '../train/data.ts';
import { RandomStream } from '../train/random-stream.ts';
import { encodeGridPng } from '../train/sample-grid.ts';
import {
  findRunToResume, pick, resolveLoopCadence, runTrainingLoop, useFastKernels,
  type LoopLogLine, type LoopProgress, type TrainerEvent, type TrainerRunOptions, type TrainResult,
} from '../train/training-loop.ts';
import { recipeForResume, resolvePreprocess, resolveSchedule, type ScheduleRecipe } from '../train/training-recipe.ts';
import { loadPix2PixCheckpoint, savePix2PixCheckpoint } from './pix2pix-checkpoint.ts';
import {
  PIX2PIX_LOSS_NAMES, Pix2PixModel, resolvePix2PixArchitecture, resolvePix2PixOptions,
  type Pix2PixArchitecture, type Pix2PixLossName, type Pix2PixModelOptions,
} from './pix2pix-model.ts';
import { listPairs, PairedData, type ImagePair } from './paired-data.ts';
import { readPix2PixTrainerState, writePix2PixTrainerState, type Pix2PixProgressState } from './pix2pix-trainer-state.ts';

/** Options that change what is learned; a resumed run keeps them. */
export interface Pix2PixTrainingRecipe extends Pix2PixModelOptions, PreprocessOptions, ScheduleRecipe {
  readonly architecture: Pix2PixArchitecture;
}

export interface TrainPix2PixOptions extends Partial<Omit<Pix2PixTrainingRecipe, 'architecture'>>, TrainerRunOptions<Pix2PixLossName> {
  /** A/ and B/ folders of same-named images, or a folder of side-by-side AB images. */
  readonly pairsDir: string;
  readonly outDir: string;
  readonly architecture?: Partial<Pix2PixArchitecture>;
}

/** The CycleGAN trainer's progress report with pix2pix's losses. */
export type Pix2PixTrainProgress = LoopProgress<Pix2PixLossName>;
export type Pix2PixLossLogLine = LoopLogLine<Pix2PixLossName>;
export type Pix2PixTrainEvent = TrainerEvent<Pix2PixLossName>;

const RECIPE_KEYS = ['lambdaL1', 'ganMode', 'lr', 'beta1', 'seed', 'initGain', 'preprocess', 'loadSize', 'cropSize', 'flip', 'batchSize', 'epochCount'] as const;

export function resolvePix2PixRecipe(o: Partial<Omit<Pix2PixTrainingRecipe, 'architecture'>> & { architecture?: Partial<Pix2PixArchitecture> }): Pix2PixTrainingRecipe {
  const model = resolvePix2PixOptions(pick(o, ['lambdaL1', 'ganMode', 'lr', 'beta1', 'seed', 'initGain']));
  const pre = resolvePreprocess(o);
  return Object.freeze({ ...model, ...pre, architecture: resolvePix2PixArchitecture(o.architecture ?? {}), ...resolveSchedule(o) });
}

function pairsFingerprint(pairs: readonly ImagePair[]): Pix2PixProgressState['dataset'] {
  const h = createHash('sha256');
  for (const p of pairs) h.update(`${p.name}\0${p.b === undefined ? 'AB' : 'A|B'}\0`);
  return { pairs: pairs.length, sha256: h.digest('hex') };
}

/** Trains pix2pix on paired images; see the module comment for what it writes. */
export async function trainPix2Pix(options: TrainPix2PixOptions): Promise<TrainResult> {
  const { pairsDir, outDir } = options;
  if (isPathInside(outDir, pairsDir)) throw new DatasetError(outDir, `the output folder lies inside the pairs folder ${pairsDir}; choose another`);
  const cadence = resolveLoopCadence(options);
  const resumeDir = await findRunToResume(outDir, options.resume);
  const recipe = resumeDir
    ? await recipeForResume(resumeDir, options, { resolve: resolvePix2PixRecipe, keys: RECIPE_KEYS, resolveArchitecture: resolvePix2PixArchitecture })
    : resolvePix2PixRecipe(options);
  useFastKernels(options.fastKernels ?? true);

  const listing = await listPairs(pairsDir);
  for (const error of listing.skipped) options.onEvent?.({ kind: 'skipped-file', error });
  const dataset = pairsFingerprint(listing.pairs);

  const model = new Pix2PixModel(recipe.architecture, recipe);
  try {
    const data = new PairedData(listing.pairs, { ...recipe, firstEpoch: recipe.epochCount }, new RandomStream(deriveSeed(recipe.seed, 'data')));
    return await runTrainingLoop({
      ...cadence,
      outDir,
      resumeDir,
      schedule: recipe,
      data,
      skipped: listing.skipped,
      signal: options.signal,
      onProgress: options.onProgress,
      onEvent: options.onEvent,
      model: {
        lossNames: PIX2PIX_LOSS_NAMES,
        step: (realA, realB, lr, withVisuals) => model.optimizeParameters(realA, realB, lr, withVisuals),
        encodeSample: (v) => encodeGridPng([[[v.realA, v.channelsA], [v.fakeB, v.channelsB], [v.realB, v.channelsB]]], v.width, v.height),
        saveCheckpoint: async (dir, p, epoch) => {
          await writePix2PixTrainerState(dir, model, {
            iteration: p.iteration, elapsedSeconds: p.elapsedSeconds, options: { ...recipe }, data: p.data, lossAccumulator: p.lossAccumulator, dataset,
          });
          await savePix2PixCheckpoint(dir, { G: model.G, D: model.D }, {
            architecture: recipe.architecture,
            options: { training: { ...recipe, architecture: undefined }, progress: { iteration: p.iteration, epoch } },
          });
        },
        restoreCheckpoint: (dir) => restoreRun(dir, model, dataset),
      },
    });
  } finally {
    model.dispose();
  }
}

async function restoreRun(dir: string, model: Pix2PixModel, dataset: Pix2PixProgressState['dataset']): Promise<Pix2PixProgressState> {
  const loaded = await loadPix2PixCheckpoint(dir, { trainable: false });
  try {
    // Buffers (BatchNorm running statistics) are part of the state_dict and come back with the weights.
    model.G.loadStateDict(new Map((await loaded.G.stateDict()).map((t) => [t.name, t.data])));
    model.D.loadStateDict(new Map((await loaded.D.stateDict()).map((t) => [t.name, t.data])));
  } finally {
    loaded.G.dispose();
    loaded.D.dispose();
  }
  const { progress, modelState } = await readPix2PixTrainerState(dir, model);
  if (progress.dataset.sha256 !== dataset.sha256) {
    throw new DatasetError(join(dir, 'trainer-state.json'), `the pairs changed since the run started (${progress.dataset.pairs} then, ${dataset.pairs} now, or other names); resume with the same pairs`, '/dataset');
  }
  model.restore(modelState);
  return progress;
}
