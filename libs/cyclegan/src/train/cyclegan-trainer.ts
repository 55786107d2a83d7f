/**
 * The CycleGAN training loop (junyanz train.py): epochs epochCount .. nEpochs + nEpochsDecay over
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
 * Same seed and options give the same weights; a run stopped and resumed gives the same weights as
 * one that ran through (on the cpu backend).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve, isAbsolute } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DatasetError } from '@nightshift/labels';
import { writeFileAtomic } from '../atomic-write.ts';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint.ts';
import { resolveArchitecture, type CycleGanArchitecture } from '../config.ts';
import { hasFastKernels, registerFastKernels } from '../kernels/index.ts';
import { deriveSeed } from '../random.ts';
import {
  CycleGanModel,
  LOSS_NAMES,
  resolveModelOptions,
  type CycleGanLosses,
  type CycleGanModelOptions,
  type LossName,
} from './cyclegan-model.ts';
import { DEFAULT_PREPROCESS, listImages, PREPROCESS_MODES, UnpairedData, type PreprocessOptions, type UnpairedBatch } from './data.ts';
import { renderLossChartPng, type LossSeriesPoint } from './loss-chart.ts';
import { RandomStream } from './random-stream.ts';
import { encodeSampleGrid } from './sample-grid.ts';
import { lastEpoch, lrMultiplierForEpoch } from './schedule.ts';
import { readTrainerState, writeTrainerState, type LossAccumulator, type TrainerProgressState } from './trainer-state.ts';

/** Options that change what is learned; a resumed run must keep them. */
export interface CycleGanTrainingRecipe extends CycleGanModelOptions, PreprocessOptions {
  readonly architecture: CycleGanArchitecture;
  readonly batchSize: number;
  /** Epochs at the initial learning rate (`--n_epochs`, 100). */
  readonly nEpochs: number;
  /** Epochs of linear decay to zero (`--n_epochs_decay`, 100). */
  readonly nEpochsDecay: number;
  /** Number of the first epoch (`--epoch_count`, 1). */
  readonly epochCount: number;
}

export interface TrainCycleGanOptions extends Partial<Omit<CycleGanTrainingRecipe, 'architecture'>> {
  /** Folder of domain A images (searched recursively). */
  readonly dirA: string;
  /** Folder of domain B images. */
  readonly dirB: string;
  /** Output folder (see the module comment); must not lie inside dirA or dirB. */
  readonly outDir: string;
  readonly architecture?: Partial<CycleGanArchitecture>;
  /** Save a checkpoint every this many iterations (0: only at the end). Default 5000. */
  readonly checkpointEvery?: number;
  /** Write a sample grid every this many iterations (0: never). Default 400. */
  readonly sampleEvery?: number;
  /** Append a loss-log line (and redraw the curve) every this many iterations (0: never). Default 100. */
  readonly logEvery?: number;
  /** Stop after this many iterations in total (counting resumed ones), saving a checkpoint. */
  readonly maxIterations?: number;
  /**
   * Continue the run in `outDir` from its newest checkpoint. The recipe options are taken from the
   * saved run; given ones must agree, except nEpochs / nEpochsDecay, which may change the schedule.
   */
  readonly resume?: boolean;
  /** Use src/kernels' fast convolution kernels on the cpu / wasm backend. Default true. */
  readonly fastKernels?: boolean;
  readonly onProgress?: (progress: TrainProgress) => void;
  readonly onEvent?: (event: TrainEvent) => void;
  /** Stops after the current iteration, saving a checkpoint. */
  readonly signal?: AbortSignal;
}

export interface TrainProgress {
  readonly iteration: number;
  readonly totalIterations: number;
  readonly epoch: number;
  readonly lastEpoch: number;
  readonly lr: number;
  readonly losses: CycleGanLosses;
  /** Over this session. */
  readonly iterationsPerSecond: number;
  readonly secondsLeft: number;
}

export type TrainEvent =
  | { readonly kind: 'skipped-file'; readonly error: DatasetError }
  | { readonly kind: 'resumed'; readonly iteration: number; readonly checkpoint: string }
  | { readonly kind: 'checkpoint'; readonly iteration: number; readonly dir: string }
  | { readonly kind: 'sample'; readonly iteration: number; readonly file: string }
  | { readonly kind: 'log'; readonly line: LossLogLine };

export interface LossLogLine {
  readonly iteration: number;
  readonly epoch: number;
  readonly lr: number;
  /** Mean of each loss over the iterations since the previous line. */
  readonly losses: CycleGanLosses;
  /** Training seconds since the start of the run (summed over sessions). */
  readonly time: number;
  readonly iterationsPerSecond: number;
}

export interface TrainResult {
  readonly iteration: number;
  readonly epoch: number;
  /** Why the loop ended. */
  readonly stoppedBy: 'finished' | 'max-iterations' | 'signal';
  /** The newest checkpoint folder. */
  readonly checkpoint: string;
  readonly skipped: readonly DatasetError[];
}

export const TRAINING_DEFAULTS = Object.freeze({
  batchSize: 1,
  nEpochs: 100,
  nEpochsDecay: 100,
  epochCount: 1,
  checkpointEvery: 5000,
  sampleEvery: 400,
  logEvery: 100,
});

const RECIPE_KEYS = [
  'lambdaA', 'lambdaB', 'lambdaIdentity', 'ganMode', 'lr', 'beta1', 'poolSize', 'seed', 'initGain',
  'preprocess', 'loadSize', 'cropSize', 'flip', 'batchSize', 'epochCount',
] as const;

export const LOSS_LOG_FILE = 'loss-log.jsonl';
export const LOSS_CURVE_FILE = 'loss-curve.png';
export const LATEST_FILE = 'latest.json';

export function checkCount(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`Expected an integer >= ${min} for ${name} but received ${String(value)}`);
  }
  return value;
}

/** Defaults filled in and every option checked; errors name the option. */
export function resolveTrainingRecipe(o: Partial<Omit<CycleGanTrainingRecipe, 'architecture'>> & { architecture?: Partial<CycleGanArchitecture> }): CycleGanTrainingRecipe {
  const model = resolveModelOptions(pick(o, ['lambdaA', 'lambdaB', 'lambdaIdentity', 'ganMode', 'lr', 'beta1', 'poolSize', 'seed', 'initGain']));
  const pre = { ...DEFAULT_PREPROCESS, ...pick(o, ['preprocess', 'loadSize', 'cropSize', 'flip']) };
  if (!PREPROCESS_MODES.includes(pre.preprocess)) {
    throw new TypeError(`Unknown preprocess ${JSON.stringify(pre.preprocess)}; valid modes are: ${PREPROCESS_MODES.join(', ')}`);
  }
  checkCount('loadSize', pre.loadSize, 1);
  checkCount('cropSize', pre.cropSize, 1);
  if (typeof pre.flip !== 'boolean') throw new TypeError(`Expected a boolean for flip but received ${String(pre.flip)}`);
  const recipe: CycleGanTrainingRecipe = {
    ...model,
    ...pre,
    architecture: resolveArchitecture(o.architecture ?? {}),
    batchSize: checkCount('batchSize', o.batchSize ?? TRAINING_DEFAULTS.batchSize, 1),
    nEpochs: checkCount('nEpochs', o.nEpochs ?? TRAINING_DEFAULTS.nEpochs, 0),
    nEpochsDecay: checkCount('nEpochsDecay', o.nEpochsDecay ?? TRAINING_DEFAULTS.nEpochsDecay, 0),
    epochCount: checkCount('epochCount', o.epochCount ?? TRAINING_DEFAULTS.epochCount, 1),
  };
  return Object.freeze(recipe);
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

const pad = (n: number): string => String(n).padStart(8, '0');

export function isInside(child: string, parent: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

function datasetFingerprint(filesA: readonly string[], filesB: readonly string[], dirA: string, dirB: string) {
  const h = createHash('sha256');
  for (const f of filesA) h.update(`A\0${relative(dirA, f)}\0`);
  for (const f of filesB) h.update(`B\0${relative(dirB, f)}\0`);
  return { filesA: filesA.length, filesB: filesB.length, sha256: h.digest('hex') };
}

const zeroSums = (): Record<LossName, number> => Object.fromEntries(LOSS_NAMES.map((n) => [n, 0])) as Record<LossName, number>;

/** Trains a CycleGAN on two image folders; see the module comment for what it writes. */
export async function trainCycleGan(options: TrainCycleGanOptions): Promise<TrainResult> {
  const { dirA, dirB, outDir } = options;
  for (const dir of [dirA, dirB]) {
    if (isInside(outDir, dir)) throw new DatasetError(outDir, `the output folder lies inside the input folder ${dir}; choose another`);
  }
  const checkpointEvery = checkCount('checkpointEvery', options.checkpointEvery ?? TRAINING_DEFAULTS.checkpointEvery, 0);
  const sampleEvery = checkCount('sampleEvery', options.sampleEvery ?? TRAINING_DEFAULTS.sampleEvery, 0);
  const logEvery = checkCount('logEvery', options.logEvery ?? TRAINING_DEFAULTS.logEvery, 0);
  const maxIterations = options.maxIterations === undefined ? Infinity : checkCount('maxIterations', options.maxIterations, 0);
  const checkpointsDir = join(outDir, 'checkpoints');
  const latestPath = join(checkpointsDir, LATEST_FILE);
  const logPath = join(outDir, LOSS_LOG_FILE);

  // The run's recipe: from the options, or from the saved run when resuming.
  let latest: { iteration: number; checkpoint: string } | undefined;
  if (await exists(latestPath)) {
    if (!options.resume) {
      throw new DatasetError(outDir, 'already holds a training run (checkpoints/latest.json); resume it or choose another output folder');
    }
    latest = JSON.parse(await readFile(latestPath, 'utf8')) as { iteration: number; checkpoint: string };
  }
  const resumeDir = latest ? join(checkpointsDir, latest.checkpoint) : undefined;
  let recipe = resolveTrainingRecipe(options);
  if (resumeDir) recipe = await recipeForResume(resumeDir, options);

  const useFast = options.fastKernels ?? true;
  const backend = tf.getBackend();
  if (useFast && (backend === 'cpu' || backend === 'wasm') && !hasFastKernels(backend)) registerFastKernels(backend);

  const listingA = await listImages(dirA);
  const listingB = await listImages(dirB);
  const skipped = [...listingA.skipped, ...listingB.skipped];
  for (const error of skipped) options.onEvent?.({ kind: 'skipped-file', error });
  const dataset = datasetFingerprint(listingA.files, listingB.files, dirA, dirB);

  const model = new CycleGanModel(recipe.architecture, recipe);
  try {
    const data = new UnpairedData(
      listingA.files,
      listingB.files,
      { ...recipe, firstEpoch: recipe.epochCount },
      new RandomStream(deriveSeed(recipe.seed, 'data')),
    );
    const finalEpoch = lastEpoch(recipe);
    const totalIterations = Math.min(maxIterations, data.batchesPerEpoch * Math.max(0, finalEpoch - recipe.epochCount + 1));
    let iteration = 0;
    let elapsedBefore = 0;
    let accumulator: LossAccumulator = { count: 0, sums: zeroSums() };
    let lastSaved = -1;
    let checkpoint = '';

    if (resumeDir && latest) {
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
    const lrOf = (epoch: number): number => recipe.lr * lrMultiplierForEpoch(epoch, recipe);

    const save = async (dataState: TrainerProgressState['data'], epoch: number): Promise<void> => {
      const name = `iter-${pad(iteration)}`;
      const dir = join(checkpointsDir, name);
      await mkdir(dir, { recursive: true });
      await writeTrainerState(dir, model, {
        iteration,
        elapsedSeconds: elapsed(),
        options: { ...recipe },
        data: dataState,
        lossAccumulator: accumulator,
        dataset,
      });
      await saveCheckpoint(dir, { G_A: model.G_A, G_B: model.G_B, D_A: model.D_A, D_B: model.D_B }, {
        architecture: recipe.architecture,
        options: { training: { ...recipe, architecture: undefined }, progress: { iteration, epoch } },
      });
      await writeFileAtomic(latestPath, JSON.stringify({ iteration, checkpoint: name }) + '\n');
      // The trainer state is large (Adam moments, pool); only the newest checkpoint keeps it.
      if (checkpoint && checkpoint !== dir) {
        await rm(join(checkpoint, 'trainer-state.json'), { force: true });
        await rm(join(checkpoint, 'trainer-state.safetensors'), { force: true });
      }
      checkpoint = dir;
      lastSaved = iteration;
      options.onEvent?.({ kind: 'checkpoint', iteration, dir });
    };

    const stopReason = (dataState: TrainerProgressState['data']): TrainResult['stoppedBy'] | undefined => {
      if (dataState.epoch > finalEpoch) return 'finished';
      if (iteration >= maxIterations) return 'max-iterations';
      if (options.signal?.aborted) return 'signal';
      return undefined;
    };
    let epoch = data.state().epoch;
    let stoppedBy = stopReason(data.state());
    let pending: Promise<UnpairedBatch> | undefined = stoppedBy ? undefined : data.next();
    while (pending) {
      const batch = await pending;
      // The data state to save with this iteration: after this batch, before the prefetched one.
      const dataStateAfter = data.state();
      epoch = batch.epoch;
      pending = iteration + 1 < maxIterations && dataStateAfter.epoch <= finalEpoch ? data.next() : undefined;
      pending?.catch(() => undefined); // awaited next round; a stop must not leave it unhandled

      const lr = lrOf(batch.epoch);
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
      for (const n of LOSS_NAMES) sums[n] += result.losses[n];
      accumulator = { count: accumulator.count + 1, sums };

      const sessionSeconds = (performance.now() - sessionStart) / 1000;
      const rate = (iteration - sessionStartIteration) / Math.max(sessionSeconds, 1e-9);
      options.onProgress?.({
        iteration,
        totalIterations,
        epoch: batch.epoch,
        lastEpoch: finalEpoch,
        lr,
        losses: result.losses,
        iterationsPerSecond: rate,
        secondsLeft: Math.max(0, totalIterations - iteration) / rate,
      });

      if (result.visuals) {
        const file = join(outDir, 'samples', `iter-${pad(iteration)}.png`);
        await mkdir(join(outDir, 'samples'), { recursive: true });
        await writeFileAtomic(file, await encodeSampleGrid(result.visuals));
        options.onEvent?.({ kind: 'sample', iteration, file });
      }
      if (logEvery > 0 && iteration % logEvery === 0) {
        const means = Object.fromEntries(LOSS_NAMES.map((n) => [n, accumulator.sums[n] / accumulator.count])) as CycleGanLosses;
        const line: LossLogLine = { iteration, epoch: batch.epoch, lr, losses: means, time: elapsed(), iterationsPerSecond: rate };
        accumulator = { count: 0, sums: zeroSums() };
        await appendLine(logPath, JSON.stringify(line));
        logPoints.push({ iteration, losses: means });
        await writeFileAtomic(join(outDir, LOSS_CURVE_FILE), await renderLossChartPng(logPoints, LOSS_NAMES));
        options.onEvent?.({ kind: 'log', line });
      }
      if (options.signal?.aborted) pending = undefined;
      if (!pending) stoppedBy = stopReason(dataStateAfter) ?? 'signal';
      if ((checkpointEvery > 0 && iteration % checkpointEvery === 0) || !pending) await save(dataStateAfter, batch.epoch);
    }
    if (lastSaved !== iteration) await save(data.state(), epoch);
    return { iteration, epoch, stoppedBy: stoppedBy ?? 'finished', checkpoint, skipped };
  } finally {
    model.dispose();
  }
}

/** The saved recipe, with the caller's options checked against it. */
async function recipeForResume(dir: string, options: TrainCycleGanOptions): Promise<CycleGanTrainingRecipe> {
  const path = join(dir, 'trainer-state.json');
  let saved: { options: CycleGanTrainingRecipe };
  try {
    saved = JSON.parse(await readFile(path, 'utf8')) as { options: CycleGanTrainingRecipe };
  } catch (e) {
    throw new DatasetError(path, `cannot resume: no readable trainer state (${(e as Error).message})`);
  }
  const recipe = resolveTrainingRecipe(saved.options);
  for (const key of RECIPE_KEYS) {
    const given = options[key];
    if (given !== undefined && given !== recipe[key]) {
      throw new DatasetError(path, `the run was started with ${key} ${JSON.stringify(recipe[key])}; cannot resume it with ${JSON.stringify(given)}`, `/options/${key}`);
    }
  }
  if (options.architecture) {
    const wanted = resolveArchitecture({ ...recipe.architecture, ...options.architecture });
    if (JSON.stringify(wanted) !== JSON.stringify(recipe.architecture)) {
      throw new DatasetError(path, 'the run was started with another architecture; cannot resume it with a different one', '/options/architecture');
    }
  }
  return resolveTrainingRecipe({
    ...recipe,
    nEpochs: options.nEpochs ?? recipe.nEpochs,
    nEpochsDecay: options.nEpochsDecay ?? recipe.nEpochsDecay,
  });
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

export async function appendLine(path: string, line: string): Promise<void> {
  await writeFile(path, line + '\n', { flag: 'a' });
}

/** Drops log lines past the resumed iteration (written after the checkpoint the run resumes from). */
export async function truncateLog(path: string, iteration: number): Promise<void> {
  if (!(await exists(path))) return;
  const lines = (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  const kept = lines.filter((l) => (JSON.parse(l) as LossLogLine).iteration <= iteration);
  await writeFileAtomic(path, kept.map((l) => l + '\n').join(''));
}

export async function readLogPoints(path: string): Promise<LossSeriesPoint[]> {
  if (!(await exists(path))) return [];
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const line = JSON.parse(l) as LossLogLine;
      return { iteration: line.iteration, losses: line.losses };
    });
}
