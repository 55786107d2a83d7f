/**
 * The pix2pix training loop (junyanz train.py with --model pix2pix): epochs epochCount .. nEpochs +
 * nEpochsDecay over paired images (paired-data.ts), the learning rate stepped per epoch (linear
 * policy), one optimize_parameters per batch. It writes, under `outDir`, what the CycleGAN trainer
 * writes: loss-log.jsonl and loss-curve.png (losses G_GAN, G_L1, D_real, D_fake),
 * samples/iter-NNNNNNNN.png (real A | fake B | real B), checkpoints/iter-NNNNNNNN/ (pix2pix-checkpoint.ts
 * plus the trainer state, kept only in the newest) and checkpoints/latest.json. Same seed and options
 * give the same weights; a run stopped and resumed gives the same weights as one that ran through.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DatasetError } from '@nightshift/labels';
import { writeFileAtomic } from '../atomic-write.ts';
import { hasFastKernels, registerFastKernels } from '../kernels/index.ts';
import { deriveSeed } from '../random.ts';
import {
  appendLine, checkCount, isInside, LATEST_FILE, LOSS_CURVE_FILE, LOSS_LOG_FILE, readLogPoints, TRAINING_DEFAULTS, truncateLog,
  type TrainProgress, type TrainResult,
} from '../train/cyclegan-trainer.ts';
import { DEFAULT_PREPROCESS, PREPROCESS_MODES, type PreprocessOptions } from '../train/data.ts';
import { renderLossChartPng, type LossSeriesPoint } from '../train/loss-chart.ts';
import { RandomStream } from '../train/random-stream.ts';
import { encodeGridPng } from '../train/sample-grid.ts';
import { lastEpoch, lrMultiplierForEpoch } from '../train/schedule.ts';
import { loadPix2PixCheckpoint, savePix2PixCheckpoint } from './pix2pix-checkpoint.ts';
import {
  PIX2PIX_LOSS_NAMES, Pix2PixModel, resolvePix2PixArchitecture, resolvePix2PixOptions,
  type Pix2PixArchitecture, type Pix2PixLosses, type Pix2PixLossName, type Pix2PixModelOptions,
} from './pix2pix-model.ts';
import { listPairs, PairedData, type ImagePair, type PairedBatch } from './paired-data.ts';
import { readPix2PixTrainerState, writePix2PixTrainerState, type Pix2PixProgressState } from './pix2pix-trainer-state.ts';

/** Options that change what is learned; a resumed run keeps them. */
export interface Pix2PixTrainingRecipe extends Pix2PixModelOptions, PreprocessOptions {
  readonly architecture: Pix2PixArchitecture;
  readonly batchSize: number;
  readonly nEpochs: number;
  readonly nEpochsDecay: number;
  readonly epochCount: number;
}

export interface TrainPix2PixOptions extends Partial<Omit<Pix2PixTrainingRecipe, 'architecture'>> {
  /** A/ and B/ folders of same-named images, or a folder of side-by-side AB images. */
  readonly pairsDir: string;
  readonly outDir: string;
  readonly architecture?: Partial<Pix2PixArchitecture>;
  readonly checkpointEvery?: number;
  readonly sampleEvery?: number;
  readonly logEvery?: number;
  readonly maxIterations?: number;
  readonly resume?: boolean;
  readonly fastKernels?: boolean;
  readonly onProgress?: (progress: Pix2PixTrainProgress) => void;
  readonly onEvent?: (event: Pix2PixTrainEvent) => void;
  readonly signal?: AbortSignal;
}

/** The CycleGAN trainer's progress report with pix2pix's losses. */
export type Pix2PixTrainProgress = Omit<TrainProgress, 'losses'> & { readonly losses: Pix2PixLosses };

export interface Pix2PixLossLogLine {
  readonly iteration: number;
  readonly epoch: number;
  readonly lr: number;
  readonly losses: Pix2PixLosses;
  readonly time: number;
  readonly iterationsPerSecond: number;
}

export type Pix2PixTrainEvent =
  | { readonly kind: 'skipped-file'; readonly error: DatasetError }
  | { readonly kind: 'resumed'; readonly iteration: number; readonly checkpoint: string }
  | { readonly kind: 'checkpoint'; readonly iteration: number; readonly dir: string }
  | { readonly kind: 'sample'; readonly iteration: number; readonly file: string }
  | { readonly kind: 'log'; readonly line: Pix2PixLossLogLine };

const RECIPE_KEYS = ['lambdaL1', 'ganMode', 'lr', 'beta1', 'seed', 'initGain', 'preprocess', 'loadSize', 'cropSize', 'flip', 'batchSize', 'epochCount'] as const;

export function resolvePix2PixRecipe(o: Partial<Omit<Pix2PixTrainingRecipe, 'architecture'>> & { architecture?: Partial<Pix2PixArchitecture> }): Pix2PixTrainingRecipe {
  const model = resolvePix2PixOptions(pick(o, ['lambdaL1', 'ganMode', 'lr', 'beta1', 'seed', 'initGain']));
  const pre = { ...DEFAULT_PREPROCESS, ...pick(o, ['preprocess', 'loadSize', 'cropSize', 'flip']) };
  if (!PREPROCESS_MODES.includes(pre.preprocess)) throw new TypeError(`Unknown preprocess ${JSON.stringify(pre.preprocess)}; valid modes are: ${PREPROCESS_MODES.join(', ')}`);
  checkCount('loadSize', pre.loadSize, 1);
  checkCount('cropSize', pre.cropSize, 1);
  if (typeof pre.flip !== 'boolean') throw new TypeError(`Expected a boolean for flip but received ${String(pre.flip)}`);
  return Object.freeze({
    ...model,
    ...pre,
    architecture: resolvePix2PixArchitecture(o.architecture ?? {}),
    batchSize: checkCount('batchSize', o.batchSize ?? TRAINING_DEFAULTS.batchSize, 1),
    nEpochs: checkCount('nEpochs', o.nEpochs ?? TRAINING_DEFAULTS.nEpochs, 0),
    nEpochsDecay: checkCount('nEpochsDecay', o.nEpochsDecay ?? TRAINING_DEFAULTS.nEpochsDecay, 0),
    epochCount: checkCount('epochCount', o.epochCount ?? TRAINING_DEFAULTS.epochCount, 1),
  });
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

const pad = (n: number): string => String(n).padStart(8, '0');
const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);
const zeroSums = (): Record<Pix2PixLossName, number> => Object.fromEntries(PIX2PIX_LOSS_NAMES.map((n) => [n, 0])) as Record<Pix2PixLossName, number>;

function pairsFingerprint(pairs: readonly ImagePair[]): Pix2PixProgressState['dataset'] {
  const h = createHash('sha256');
  for (const p of pairs) h.update(`${p.name}\0${p.b === undefined ? 'AB' : 'A|B'}\0`);
  return { pairs: pairs.length, sha256: h.digest('hex') };
}

/** Trains pix2pix on paired images; see the module comment for what it writes. */
export async function trainPix2Pix(options: TrainPix2PixOptions): Promise<TrainResult> {
  const { pairsDir, outDir } = options;
  if (isInside(outDir, pairsDir)) throw new DatasetError(outDir, `the output folder lies inside the pairs folder ${pairsDir}; choose another`);
  const checkpointEvery = checkCount('checkpointEvery', options.checkpointEvery ?? TRAINING_DEFAULTS.checkpointEvery, 0);
  const sampleEvery = checkCount('sampleEvery', options.sampleEvery ?? TRAINING_DEFAULTS.sampleEvery, 0);
  const logEvery = checkCount('logEvery', options.logEvery ?? TRAINING_DEFAULTS.logEvery, 0);
  const maxIterations = options.maxIterations === undefined ? Infinity : checkCount('maxIterations', options.maxIterations, 0);
  const checkpointsDir = join(outDir, 'checkpoints');
  const latestPath = join(checkpointsDir, LATEST_FILE);
  const logPath = join(outDir, LOSS_LOG_FILE);

  let latest: { iteration: number; checkpoint: string } | undefined;
  if (await exists(latestPath)) {
    if (!options.resume) throw new DatasetError(outDir, 'already holds a training run (checkpoints/latest.json); resume it or choose another output folder');
    latest = JSON.parse(await readFile(latestPath, 'utf8')) as { iteration: number; checkpoint: string };
  }
  const resumeDir = latest ? join(checkpointsDir, latest.checkpoint) : undefined;
  const recipe = resumeDir ? await recipeForResume(resumeDir, options) : resolvePix2PixRecipe(options);

  const backend = tf.getBackend();
  if ((options.fastKernels ?? true) && (backend === 'cpu' || backend === 'wasm') && !hasFastKernels(backend)) registerFastKernels(backend);

  const listing = await listPairs(pairsDir);
  for (const error of listing.skipped) options.onEvent?.({ kind: 'skipped-file', error });
  const dataset = pairsFingerprint(listing.pairs);

  const model = new Pix2PixModel(recipe.architecture, recipe);
  try {
    const data = new PairedData(listing.pairs, { ...recipe, firstEpoch: recipe.epochCount }, new RandomStream(deriveSeed(recipe.seed, 'data')));
    const finalEpoch = lastEpoch(recipe);
    const totalIterations = Math.min(maxIterations, data.batchesPerEpoch * Math.max(0, finalEpoch - recipe.epochCount + 1));
    let iteration = 0;
    let elapsedBefore = 0;
    let accumulator: Pix2PixProgressState['lossAccumulator'] = { count: 0, sums: zeroSums() };
    let lastSaved = -1;
    let checkpoint = '';

    if (resumeDir) {
      const restored = await restoreRun(resumeDir, model, dataset);
      data.restore(restored.data);
      iteration = restored.iteration;
      elapsedBefore = restored.elapsedSeconds;
      accumulator = restored.lossAccumulator;
      lastSaved = iteration;
      checkpoint = resumeDir;
      await truncateLog(logPath, iteration);
      options.onEvent?.({ kind: 'resumed', iteration, checkpoint: resumeDir });
    } else {
      await mkdir(outDir, { recursive: true });
      await writeFile(logPath, '');
    }
    const logPoints: LossSeriesPoint[] = await readLogPoints(logPath);

    const sessionStart = performance.now();
    const sessionStartIteration = iteration;
    const elapsed = (): number => elapsedBefore + (performance.now() - sessionStart) / 1000;

    const save = async (dataState: Pix2PixProgressState['data'], epoch: number): Promise<void> => {
      const name = `iter-${pad(iteration)}`;
      const dir = join(checkpointsDir, name);
      await mkdir(dir, { recursive: true });
      await writePix2PixTrainerState(dir, model, { iteration, elapsedSeconds: elapsed(), options: { ...recipe }, data: dataState, lossAccumulator: accumulator, dataset });
      await savePix2PixCheckpoint(dir, { G: model.G, D: model.D }, {
        architecture: recipe.architecture,
        options: { training: { ...recipe, architecture: undefined }, progress: { iteration, epoch } },
      });
      await writeFileAtomic(latestPath, JSON.stringify({ iteration, checkpoint: name }) + '\n');
      if (checkpoint && checkpoint !== dir) {
        await rm(join(checkpoint, 'trainer-state.json'), { force: true });
        await rm(join(checkpoint, 'trainer-state.safetensors'), { force: true });
      }
      checkpoint = dir;
      lastSaved = iteration;
      options.onEvent?.({ kind: 'checkpoint', iteration, dir });
    };

    const stopReason = (dataState: Pix2PixProgressState['data']): TrainResult['stoppedBy'] | undefined => {
      if (dataState.epoch > finalEpoch) return 'finished';
      if (iteration >= maxIterations) return 'max-iterations';
      if (options.signal?.aborted) return 'signal';
      return undefined;
    };
    let epoch = data.state().epoch;
    let stoppedBy = stopReason(data.state());
    let pending: Promise<PairedBatch> | undefined = stoppedBy ? undefined : data.next();
    while (pending) {
      const batch = await pending;
      const dataStateAfter = data.state();
      epoch = batch.epoch;
      pending = iteration + 1 < maxIterations && dataStateAfter.epoch <= finalEpoch ? data.next() : undefined;
      pending?.catch(() => undefined);

      const lr = recipe.lr * lrMultiplierForEpoch(batch.epoch, recipe);
      const wantSample = sampleEvery > 0 && (iteration + 1) % sampleEvery === 0;
      const realA = tf.tensor4d(batch.a, [...batch.shape]);
      const realB = tf.tensor4d(batch.b, [...batch.shape]);
      let result;
      try {
        result = model.optimizeParameters(realA, realB, lr, wantSample);
      } finally {
        realA.dispose();
        realB.dispose();
      }
      iteration++;
      const sums = { ...accumulator.sums };
      for (const n of PIX2PIX_LOSS_NAMES) sums[n] += result.losses[n];
      accumulator = { count: accumulator.count + 1, sums };

      const rate = (iteration - sessionStartIteration) / Math.max((performance.now() - sessionStart) / 1000, 1e-9);
      options.onProgress?.({
        iteration, totalIterations, epoch: batch.epoch, lastEpoch: finalEpoch, lr, losses: result.losses,
        iterationsPerSecond: rate, secondsLeft: Math.max(0, totalIterations - iteration) / rate,
      });
      if (result.visuals) {
        const v = result.visuals;
        const file = join(outDir, 'samples', `iter-${pad(iteration)}.png`);
        await mkdir(join(outDir, 'samples'), { recursive: true });
        await writeFileAtomic(file, await encodeGridPng([[[v.realA, v.channelsA], [v.fakeB, v.channelsB], [v.realB, v.channelsB]]], v.width, v.height));
        options.onEvent?.({ kind: 'sample', iteration, file });
      }
      if (logEvery > 0 && iteration % logEvery === 0) {
        const means = Object.fromEntries(PIX2PIX_LOSS_NAMES.map((n) => [n, accumulator.sums[n] / accumulator.count])) as Pix2PixLosses;
        const line: Pix2PixLossLogLine = { iteration, epoch: batch.epoch, lr, losses: means, time: elapsed(), iterationsPerSecond: rate };
        accumulator = { count: 0, sums: zeroSums() };
        await appendLine(logPath, JSON.stringify(line));
        logPoints.push({ iteration, losses: means });
        await writeFileAtomic(join(outDir, LOSS_CURVE_FILE), await renderLossChartPng(logPoints, PIX2PIX_LOSS_NAMES));
        options.onEvent?.({ kind: 'log', line });
      }
      if (options.signal?.aborted) pending = undefined;
      if (!pending) stoppedBy = stopReason(dataStateAfter) ?? 'signal';
      if ((checkpointEvery > 0 && iteration % checkpointEvery === 0) || !pending) await save(dataStateAfter, batch.epoch);
    }
    if (lastSaved !== iteration) await save(data.state(), epoch);
    return { iteration, epoch, stoppedBy: stoppedBy ?? 'finished', checkpoint, skipped: listing.skipped };
  } finally {
    model.dispose();
  }
}

async function recipeForResume(dir: string, options: TrainPix2PixOptions): Promise<Pix2PixTrainingRecipe> {
  const path = join(dir, 'trainer-state.json');
  let saved: { options: Pix2PixTrainingRecipe };
  try {
    saved = JSON.parse(await readFile(path, 'utf8')) as { options: Pix2PixTrainingRecipe };
  } catch (e) {
    throw new DatasetError(path, `cannot resume: no readable trainer state (${(e as Error).message})`);
  }
  const recipe = resolvePix2PixRecipe(saved.options);
  for (const key of RECIPE_KEYS) {
    const given = options[key];
    if (given !== undefined && given !== recipe[key]) {
      throw new DatasetError(path, `the run was started with ${key} ${JSON.stringify(recipe[key])}; cannot resume it with ${JSON.stringify(given)}`, `/options/${key}`);
    }
  }
  if (options.architecture && JSON.stringify(resolvePix2PixArchitecture({ ...recipe.architecture, ...options.architecture })) !== JSON.stringify(recipe.architecture)) {
    throw new DatasetError(path, 'the run was started with another architecture; cannot resume it with a different one', '/options/architecture');
  }
  return resolvePix2PixRecipe({ ...recipe, nEpochs: options.nEpochs ?? recipe.nEpochs, nEpochsDecay: options.nEpochsDecay ?? recipe.nEpochsDecay });
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
