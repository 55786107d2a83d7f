/**
 * The CycleGAN trainer (junyanz train.py; the loop itself is training-loop.ts): epochs epochCount .. nEpochs + nEpochsDecay over
 * unpaired image folders, the learning rate stepped per epoch (linear policy), one
 * optimize_parameters per batch. Along the way it writes, under `outDir`:
 *
 *   loss-log.jsonl              one line per `logEvery` iterations: iteration, epoch, lr, mean losses
 *                               since the previous line, training seconds, iterations/s
 *   loss-curve.png              the loss log as a line chart, redrawn with every log line
 *   samples/iter-NNNNNNNN.png   every `sampleEvery` iterations: real A, fake B, rec A / real B, fake A, rec B
 *   checkpoints/iter-NNNNNNNN/  every `checkpointEvery` iterations and at the end: config.json and
 *                               G_A/G_B/D_A/D_B.safetensors (src/checkpoint.ts), plus the trainer state
 *                               (kept only in the newest checkpoint) for an exact resume
 *   checkpoints/latest.json     {"iteration": N, "checkpoint": "iter-NNNNNNNN"}, written last
 *
 * Bilateral generators start at the unpaired tone prior of the two folders (tone-prior-start.ts);
 * lambdaPrior > 0 keeps their coefficient heads near it during training.
 * Same seed and options give the same weights; a run stopped and resumed gives the same weights as
 * one that ran through (on the cpu backend).
 */
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { DatasetError, isPathInside } from '@nightshift/labels';
import { loadCheckpoint } from '../checkpoint/load.ts';
import { saveCheckpoint } from '../checkpoint/config.ts';
import { resolveArchitecture, type CycleGanArchitecture } from '../config.ts';
import { deriveSeed } from '../random.ts';
import { CycleGanModel, LOSS_NAMES, PRIOR_LOSS_NAMES, resolveModelOptions, type CycleGanModelOptions, type LossName } from './cyclegan-model.ts';
import { listImages, UnpairedData, type PreprocessOptions } from './data.ts';
import { RandomStream } from './random-stream.ts';
import { encodeSampleGrid } from './sample-grid.ts';
import { headOfBias, startAtTonePrior, tonePriorBiases } from './tone-prior-start.ts';
import { readTrainerState, writeTrainerState, type TrainerProgressState } from './trainer-state.ts';
import {
  findRunToResume, pick, resolveLoopCadence, runTrainingLoop, useFastKernels,
  type LoopLogLine, type LoopProgress, type TrainerEvent, type TrainerRunOptions, type TrainResult,
} from './training-loop.ts';
import { recipeForResume, resolvePreprocess, resolveSchedule, type ScheduleRecipe } from './training-recipe.ts';

export { checkCount, LATEST_FILE, LOSS_CURVE_FILE, LOSS_LOG_FILE, TRAINING_DEFAULTS, type TrainResult } from './training-loop.ts';

/** Options that change what is learned; a resumed run must keep them. */
export interface CycleGanTrainingRecipe extends CycleGanModelOptions, PreprocessOptions, ScheduleRecipe {
  readonly architecture: CycleGanArchitecture;
}

export interface TrainCycleGanOptions extends Partial<Omit<CycleGanTrainingRecipe, 'architecture'>>, TrainerRunOptions<LossName> {
  /** Folder of domain A images (searched recursively). */
  readonly dirA: string;
  /** Folder of domain B images. */
  readonly dirB: string;
  /** Output folder (see the module comment); must not lie inside dirA or dirB. */
  readonly outDir: string;
  readonly architecture?: Partial<CycleGanArchitecture>;
}

export type TrainProgress = LoopProgress<LossName>;
export type TrainEvent = TrainerEvent<LossName>;
export type LossLogLine = LoopLogLine<LossName>;

const RECIPE_KEYS = [
  'lambdaA', 'lambdaB', 'lambdaIdentity', 'lambdaPrior', 'ganMode', 'lr', 'beta1', 'poolSize', 'seed', 'initGain',
  'preprocess', 'loadSize', 'cropSize', 'flip', 'batchSize', 'epochCount',
] as const;

/** Defaults filled in and every option checked; errors name the option. */
export function resolveTrainingRecipe(o: Partial<Omit<CycleGanTrainingRecipe, 'architecture'>> & { architecture?: Partial<CycleGanArchitecture> }): CycleGanTrainingRecipe {
  const model = resolveModelOptions(pick(o, ['lambdaA', 'lambdaB', 'lambdaIdentity', 'lambdaPrior', 'ganMode', 'lr', 'beta1', 'poolSize', 'seed', 'initGain']));
  const pre = resolvePreprocess(o);
  const recipe: CycleGanTrainingRecipe = { ...model, ...pre, architecture: resolveArchitecture(o.architecture ?? {}), ...resolveSchedule(o) };
  return Object.freeze(recipe);
}

function datasetFingerprint(filesA: readonly string[], filesB: readonly string[], dirA: string, dirB: string) {
  const h = createHash('sha256');
  for (const f of filesA) h.update(`A\0${relative(dirA, f)}\0`);
  for (const f of filesB) h.update(`B\0${relative(dirB, f)}\0`);
  return { filesA: filesA.length, filesB: filesB.length, sha256: h.digest('hex') };
}

/** Trains a CycleGAN on two image folders; see the module comment for what it writes. */
export async function trainCycleGan(options: TrainCycleGanOptions): Promise<TrainResult> {
  const { dirA, dirB, outDir } = options;
  for (const dir of [dirA, dirB]) {
    if (isPathInside(outDir, dir)) throw new DatasetError(outDir, `the output folder lies inside the input folder ${dir}; choose another`);
  }
  const cadence = resolveLoopCadence(options);
  // The run's recipe: from the options, or from the saved run when resuming.
  const resumeDir = await findRunToResume(outDir, options.resume);
  let recipe = resolveTrainingRecipe(options);
  if (resumeDir) {
    recipe = await recipeForResume(resumeDir, options, { resolve: resolveTrainingRecipe, keys: RECIPE_KEYS, resolveArchitecture });
  }
  useFastKernels(options.fastKernels ?? true);

  const listingA = await listImages(dirA);
  const listingB = await listImages(dirB);
  const skipped = [...listingA.skipped, ...listingB.skipped];
  for (const error of skipped) options.onEvent?.({ kind: 'skipped-file', error });
  const dataset = datasetFingerprint(listingA.files, listingB.files, dirA, dirB);

  const model = new CycleGanModel(recipe.architecture, recipe);
  try {
    // A resumed run needs the prior only for the anchor; its start is in the checkpoint.
    const prior = resumeDir && recipe.lambdaPrior === 0 ? undefined : await tonePriorBiases(model, listingA.files, listingB.files);
    if (prior && !resumeDir) await startAtTonePrior(model, prior);
    if (recipe.lambdaPrior > 0) {
      if (!prior) throw new TypeError('lambdaPrior (the tone prior anchor) needs the bilateral generator');
      model.anchorToPrior({ G_A: headOfBias(prior.G_A), G_B: headOfBias(prior.G_B) });
    }
    const data = new UnpairedData(
      listingA.files,
      listingB.files,
      { ...recipe, firstEpoch: recipe.epochCount },
      new RandomStream(deriveSeed(recipe.seed, 'data')),
    );
    return await runTrainingLoop({
      ...cadence,
      outDir,
      resumeDir,
      schedule: recipe,
      data,
      skipped,
      signal: options.signal,
      onProgress: options.onProgress,
      onEvent: options.onEvent,
      model: {
        lossNames: recipe.lambdaPrior > 0 ? [...LOSS_NAMES, ...PRIOR_LOSS_NAMES] : LOSS_NAMES,
        step: (realA, realB, lr, withVisuals) => model.optimizeParameters(realA, realB, lr, withVisuals),
        encodeSample: encodeSampleGrid,
        saveCheckpoint: async (dir, p, epoch) => {
          await writeTrainerState(dir, model, {
            iteration: p.iteration,
            elapsedSeconds: p.elapsedSeconds,
            options: { ...recipe },
            data: p.data,
            lossAccumulator: p.lossAccumulator,
            dataset,
          });
          await saveCheckpoint(dir, { G_A: model.G_A, G_B: model.G_B, D_A: model.D_A, D_B: model.D_B }, {
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

async function restoreRun(
  dir: string,
  model: CycleGanModel,
  dataset: TrainerProgressState['dataset'],
): Promise<TrainerProgressState> {
  const loaded = await loadCheckpoint(dir, { trainable: false });
  try {
    for (const [name, net] of model.networks()) {
      const source = loaded[name];
      if (!source) throw new DatasetError(dir, `checkpoint has no ${name}; cannot resume training`);
      net.loadStateDict(new Map((await source.stateDict()).map((t) => [t.name, t.data])));
    }
  } finally {
    for (const name of ['G_A', 'G_B', 'D_A', 'D_B'] as const) loaded[name]?.dispose();
  }
  const { progress, modelState } = await readTrainerState(dir, model);
  if (progress.dataset.sha256 !== dataset.sha256) {
    throw new DatasetError(
      join(dir, 'trainer-state.json'),
      `the image folders changed since the run started (${progress.dataset.filesA} A / ${progress.dataset.filesB} B files then, ` +
        `${dataset.filesA} / ${dataset.filesB} now, or other names); resume with the same folders`,
      '/dataset',
    );
  }
  model.restore(modelState);
  return progress;
}
