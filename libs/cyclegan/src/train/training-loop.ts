/**
 * The training loop both trainers share (junyanz train.py): epochs epochCount .. nEpochs +
 * nEpochsDecay, the learning rate stepped per epoch (linear policy), one optimize_parameters per
 * batch. It owns progress and timing, the loss log and curve, sample grids, checkpoint cadence and
 * the latest.json pointer, resume and abort; a small model adapter supplies what differs (the step,
 * the loss names, the sample grid, the checkpoint contents). Under `outDir` it writes:
 *
 *   loss-log.jsonl              one line per `logEvery` iterations: iteration, epoch, lr, mean losses
 *                               since the previous line, training seconds, iterations/s
 *   loss-curve.png              the loss log as a line chart, redrawn with every log line
 *   samples/iter-NNNNNNNN.png   every `sampleEvery` iterations
 *   checkpoints/iter-NNNNNNNN/  every `checkpointEvery` iterations and at the end (the adapter's
 *                               files; the trainer state is kept only in the newest checkpoint)
 *   checkpoints/latest.json     {"iteration": N, "checkpoint": "iter-NNNNNNNN"}, written last
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DatasetError } from '@nightshift/labels';
import { writeFileAtomic } from '../atomic-write.ts';
import { hasFastKernels, registerFastKernels } from '../kernels/index.ts';
import type { UnpairedDataState } from './data.ts';
import { renderLossChartPng, type LossSeriesPoint } from './loss-chart.ts';
import { lastEpoch, lrMultiplierForEpoch, type LinearScheduleOptions } from './schedule.ts';
import { TRAINER_STATE_JSON, TRAINER_STATE_TENSORS } from './trainer-state.ts';

export const TRAINING_DEFAULTS = Object.freeze({
  batchSize: 1,
  nEpochs: 100,
  nEpochsDecay: 100,
  epochCount: 1,
  checkpointEvery: 5000,
  sampleEvery: 400,
  logEvery: 100,
});

export const LOSS_LOG_FILE = 'loss-log.jsonl';
export const LOSS_CURVE_FILE = 'loss-curve.png';
export const LATEST_FILE = 'latest.json';

export interface TrainResult {
  readonly iteration: number;
  readonly epoch: number;
  /** Why the loop ended. */
  readonly stoppedBy: 'finished' | 'max-iterations' | 'signal';
  /** The newest checkpoint folder. */
  readonly checkpoint: string;
  readonly skipped: readonly DatasetError[];
}

type Losses<L extends string> = Readonly<Record<L, number>>;

export interface LoopProgress<L extends string> {
  readonly iteration: number;
  readonly totalIterations: number;
  readonly epoch: number;
  readonly lastEpoch: number;
  readonly lr: number;
  readonly losses: Losses<L>;
  readonly iterationsPerSecond: number;
  readonly secondsLeft: number;
}

export interface LoopLogLine<L extends string> {
  readonly iteration: number;
  readonly epoch: number;
  readonly lr: number;
  /** Mean of each loss over the iterations since the previous line. */
  readonly losses: Losses<L>;
  /** Training seconds since the start of the run (summed over sessions). */
  readonly time: number;
  readonly iterationsPerSecond: number;
}

export type LoopEvent<L extends string> =
  | { readonly kind: 'resumed'; readonly iteration: number; readonly checkpoint: string }
  | { readonly kind: 'checkpoint'; readonly iteration: number; readonly dir: string }
  | { readonly kind: 'sample'; readonly iteration: number; readonly file: string }
  | { readonly kind: 'log'; readonly line: LoopLogLine<L> };

/** How a trainer runs, whatever it trains: cadence, resume, kernels, reporting and stopping. */
export interface TrainerRunOptions<L extends string> {
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
  readonly onProgress?: (progress: LoopProgress<L>) => void;
  readonly onEvent?: (event: TrainerEvent<L>) => void;
  /** Stops after the current iteration, saving a checkpoint. */
  readonly signal?: AbortSignal;
}

/** What a trainer reports: the loop's events, and input files it skipped. */
export type TrainerEvent<L extends string> = LoopEvent<L> | { readonly kind: 'skipped-file'; readonly error: DatasetError };

/** What the loop keeps besides the weights and the model's own state, saved with each checkpoint. */
export interface LoopProgressState<L extends string> {
  readonly iteration: number;
  readonly elapsedSeconds: number;
  readonly data: UnpairedDataState;
  readonly lossAccumulator: { readonly count: number; readonly sums: Losses<L> };
}

/** One batch of training images: domain A and B (or input and target), NHWC in [-1, 1]. */
export interface LoopBatch {
  /** Training epoch of this batch (numbered from the data source's first epoch). */
  readonly epoch: number;
  /** 0-based index of this batch within its epoch. */
  readonly indexInEpoch: number;
  readonly isLastOfEpoch: boolean;
  readonly shape: readonly [number, number, number, number];
  readonly a: Float32Array;
  readonly b: Float32Array;
}

export interface TrainingData<B extends LoopBatch> {
  readonly batchesPerEpoch: number;
  state(): UnpairedDataState;
  restore(state: UnpairedDataState): void;
  /** The next batch; its random choices are drawn synchronously, so prefetching keeps the sequence. */
  next(): Promise<B>;
}

/** What differs between the models the loop trains. */
export interface TrainingModelAdapter<L extends string, V> {
  /** In the order of the loss log and chart. */
  readonly lossNames: readonly L[];
  /** One optimize_parameters step on realA, realB; visuals only when asked for. */
  step(realA: tf.Tensor4D, realB: tf.Tensor4D, lr: number, withVisuals: boolean): Promise<{ readonly losses: Losses<L>; readonly visuals?: V }>;
  encodeSample(visuals: V): Promise<Uint8Array>;
  /** Writes the weights and the trainer state (with `progress`) into the checkpoint folder `dir`. */
  saveCheckpoint(dir: string, progress: LoopProgressState<L>, epoch: number): Promise<void>;
  /** Loads weights and model state from `dir` and returns the saved progress. */
  restoreCheckpoint(dir: string): Promise<LoopProgressState<L>>;
}

/** How often the loop logs, samples and saves, and where it stops. */
export interface LoopCadence {
  readonly checkpointEvery: number;
  readonly sampleEvery: number;
  readonly logEvery: number;
  readonly maxIterations: number;
}

export interface TrainingLoopOptions<L extends string, V, B extends LoopBatch> extends LoopCadence {
  readonly outDir: string;
  /** The checkpoint folder to continue from (see findRunToResume). */
  readonly resumeDir: string | undefined;
  readonly schedule: LinearScheduleOptions & { readonly lr: number };
  readonly data: TrainingData<B>;
  readonly model: TrainingModelAdapter<L, V>;
  readonly skipped: readonly DatasetError[];
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: LoopProgress<L>) => void;
  readonly onEvent?: (event: LoopEvent<L>) => void;
}

export function checkCount(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`Expected an integer >= ${min} for ${name} but received ${String(value)}`);
  }
  return value;
}

/** Defaults filled in and each option checked; errors name the option. */
export function resolveLoopCadence(o: Partial<LoopCadence>): LoopCadence {
  return {
    checkpointEvery: checkCount('checkpointEvery', o.checkpointEvery ?? TRAINING_DEFAULTS.checkpointEvery, 0),
    sampleEvery: checkCount('sampleEvery', o.sampleEvery ?? TRAINING_DEFAULTS.sampleEvery, 0),
    logEvery: checkCount('logEvery', o.logEvery ?? TRAINING_DEFAULTS.logEvery, 0),
    maxIterations: o.maxIterations === undefined ? Infinity : checkCount('maxIterations', o.maxIterations, 0),
  };
}

/** The newest checkpoint of the run in `outDir`, if it holds one; one that is there must be resumed. */
export async function findRunToResume(outDir: string, resume: boolean | undefined): Promise<string | undefined> {
  const checkpointsDir = join(outDir, 'checkpoints');
  const latestPath = join(checkpointsDir, LATEST_FILE);
  if (!(await exists(latestPath))) return undefined;
  if (!resume) throw new DatasetError(outDir, 'already holds a training run (checkpoints/latest.json); resume it or choose another output folder');
  const latest = JSON.parse(await readFile(latestPath, 'utf8')) as { iteration: number; checkpoint: string };
  return join(checkpointsDir, latest.checkpoint);
}

/** Switches to src/kernels' fast convolution kernels on the cpu / wasm backend (once). */
export function useFastKernels(enabled: boolean): void {
  const backend = tf.getBackend();
  if (enabled && (backend === 'cpu' || backend === 'wasm') && !hasFastKernels(backend)) registerFastKernels(backend);
}

export function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

const pad = (n: number): string => String(n).padStart(8, '0');

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

function zeroSums<L extends string>(names: readonly L[]): Record<L, number> {
  return Object.fromEntries(names.map((n) => [n, 0])) as Record<L, number>;
}

/** Runs (or continues) a training run; see the module comment for what it writes. */
export async function runTrainingLoop<L extends string, V, B extends LoopBatch>(o: TrainingLoopOptions<L, V, B>): Promise<TrainResult> {
  const { outDir, resumeDir, schedule, data, model, checkpointEvery, sampleEvery, logEvery, maxIterations } = o;
  const names = model.lossNames;
  const checkpointsDir = join(outDir, 'checkpoints');
  const latestPath = join(checkpointsDir, LATEST_FILE);
  const logPath = join(outDir, LOSS_LOG_FILE);
  const finalEpoch = lastEpoch(schedule);
  const totalIterations = Math.min(maxIterations, data.batchesPerEpoch * Math.max(0, finalEpoch - schedule.epochCount + 1));
  let iteration = 0;
  let elapsedBefore = 0;
  let accumulator: LoopProgressState<L>['lossAccumulator'] = { count: 0, sums: zeroSums(names) };
  let lastSaved = -1;
  let checkpoint = '';

  if (resumeDir) {
    const restored = await model.restoreCheckpoint(resumeDir);
    data.restore(restored.data);
    iteration = restored.iteration;
    elapsedBefore = restored.elapsedSeconds;
    accumulator = restored.lossAccumulator;
    lastSaved = iteration;
    checkpoint = resumeDir;
    await truncateLog(logPath, iteration);
    o.onEvent?.({ kind: 'resumed', iteration, checkpoint: resumeDir });
  } else {
    await mkdir(outDir, { recursive: true });
    await writeFile(logPath, '');
  }
  const logPoints: LossSeriesPoint[] = await readLogPoints(logPath);

  const sessionStart = performance.now();
  const sessionStartIteration = iteration;
  const elapsed = (): number => elapsedBefore + (performance.now() - sessionStart) / 1000;

  const save = async (dataState: UnpairedDataState, epoch: number): Promise<void> => {
    const name = `iter-${pad(iteration)}`;
    const dir = join(checkpointsDir, name);
    await mkdir(dir, { recursive: true });
    await model.saveCheckpoint(dir, { iteration, elapsedSeconds: elapsed(), data: dataState, lossAccumulator: accumulator }, epoch);
    await writeFileAtomic(latestPath, JSON.stringify({ iteration, checkpoint: name }) + '\n');
    // The trainer state is large (Adam moments, pools); only the newest checkpoint keeps it.
    if (checkpoint && checkpoint !== dir) {
      await rm(join(checkpoint, TRAINER_STATE_JSON), { force: true });
      await rm(join(checkpoint, TRAINER_STATE_TENSORS), { force: true });
    }
    checkpoint = dir;
    lastSaved = iteration;
    o.onEvent?.({ kind: 'checkpoint', iteration, dir });
  };

  const stopReason = (dataState: UnpairedDataState): TrainResult['stoppedBy'] | undefined => {
    if (dataState.epoch > finalEpoch) return 'finished';
    if (iteration >= maxIterations) return 'max-iterations';
    if (o.signal?.aborted) return 'signal';
    return undefined;
  };
  let epoch = data.state().epoch;
  let stoppedBy = stopReason(data.state());
  let pending: Promise<B> | undefined = stoppedBy ? undefined : data.next();
  while (pending) {
    const batch = await pending;
    // The data state to save with this iteration: after this batch, before the prefetched one.
    const dataStateAfter = data.state();
    epoch = batch.epoch;
    pending = iteration + 1 < maxIterations && dataStateAfter.epoch <= finalEpoch ? data.next() : undefined;
    pending?.catch(() => undefined); // awaited next round; a stop must not leave it unhandled

    const lr = schedule.lr * lrMultiplierForEpoch(batch.epoch, schedule);
    const wantSample = sampleEvery > 0 && (iteration + 1) % sampleEvery === 0;
    const realA = tf.tensor4d(batch.a, [...batch.shape]);
    const realB = tf.tensor4d(batch.b, [...batch.shape]);
    let result;
    try {
      result = await model.step(realA, realB, lr, wantSample);
    } finally {
      realA.dispose();
      realB.dispose();
    }
    iteration++;
    const sums: Record<L, number> = { ...accumulator.sums };
    for (const n of names) sums[n] += result.losses[n];
    accumulator = { count: accumulator.count + 1, sums };

    const rate = (iteration - sessionStartIteration) / Math.max((performance.now() - sessionStart) / 1000, 1e-9);
    o.onProgress?.({
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
      await writeFileAtomic(file, await model.encodeSample(result.visuals));
      o.onEvent?.({ kind: 'sample', iteration, file });
    }
    if (logEvery > 0 && iteration % logEvery === 0) {
      const means = Object.fromEntries(names.map((n) => [n, accumulator.sums[n] / accumulator.count])) as Losses<L>;
      const line: LoopLogLine<L> = { iteration, epoch: batch.epoch, lr, losses: means, time: elapsed(), iterationsPerSecond: rate };
      accumulator = { count: 0, sums: zeroSums(names) };
      await appendLine(logPath, JSON.stringify(line));
      logPoints.push({ iteration, losses: means });
      await writeFileAtomic(join(outDir, LOSS_CURVE_FILE), await renderLossChartPng(logPoints, names));
      o.onEvent?.({ kind: 'log', line });
    }
    if (o.signal?.aborted) pending = undefined;
    if (!pending) stoppedBy = stopReason(dataStateAfter) ?? 'signal';
    if ((checkpointEvery > 0 && iteration % checkpointEvery === 0) || !pending) await save(dataStateAfter, batch.epoch);
  }
  if (lastSaved !== iteration) await save(data.state(), epoch);
  return { iteration, epoch, stoppedBy: stoppedBy ?? 'finished', checkpoint, skipped: o.skipped };
}

async function appendLine(path: string, line: string): Promise<void> {
  await writeFile(path, line + '\n', { flag: 'a' });
}

/** Drops log lines past the resumed iteration (written after the checkpoint the run resumes from). */
async function truncateLog(path: string, iteration: number): Promise<void> {
  if (!(await exists(path))) return;
  const lines = (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  const kept = lines.filter((l) => (JSON.parse(l) as LoopLogLine<string>).iteration <= iteration);
  await writeFileAtomic(path, kept.map((l) => l + '\n').join(''));
}

async function readLogPoints(path: string): Promise<LossSeriesPoint[]> {
  if (!(await exists(path))) return [];
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const line = JSON.parse(l) as LoopLogLine<string>;
      return { iteration: line.iteration, losses: line.losses };
    });
}
