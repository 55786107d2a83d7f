/**
 * The part of a training run that is not in the checkpoint's weights, saved next to them so that a
 * resumed run continues bit-exactly: `trainer-state.json` (counters, options, data order, random
 * stream positions, pool image shapes) and `trainer-state.safetensors` (Adam moments in PyTorch
 * layout, named `optimizer_G.exp_avg.G_A.model.1.weight` as in torch's optimizer state, and the
 * pooled fake images, HWC).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError } from '@nightshift/labels';
import { writeFileAtomic } from '../atomic-write.ts';
import { tfToTorchLayout, torchToTfLayout, type ParamSpec } from '../networks/parameters.ts';
import { entryToFloat32, readSafetensors, writeSafetensors, type Float32Tensor } from '../safetensors.ts';
import type { CycleGanModel, CycleGanModelState, LossName } from './cyclegan-model.ts';
import type { AdamState } from './optimizer.ts';
import type { ImagePoolState } from './image-pool.ts';
import type { RandomStreamState } from './random-stream.ts';
import type { UnpairedDataState } from './data.ts';

export const TRAINER_STATE_FORMAT = 'nightshift-cyclegan-trainer-state';
export const TRAINER_STATE_VERSION = 1;
export const TRAINER_STATE_JSON = 'trainer-state.json';
export const TRAINER_STATE_TENSORS = 'trainer-state.safetensors';

/** Running sums of the losses since the last loss-log line. */
export interface LossAccumulator {
  readonly count: number;
  readonly sums: Readonly<Record<LossName, number>>;
}

/** Everything in trainer-state.json. */
export interface TrainerProgressState {
  /** Iterations (batches) completed. */
  readonly iteration: number;
  /** Training seconds, summed over all sessions of the run. */
  readonly elapsedSeconds: number;
  /** The options the run was started with (JSON). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly data: UnpairedDataState;
  readonly lossAccumulator: LossAccumulator;
  /** Fingerprint of the image folders: a resumed run must see the same files. */
  readonly dataset: { readonly filesA: number; readonly filesB: number; readonly sha256: string };
}

interface StateJson extends TrainerProgressState {
  readonly format: typeof TRAINER_STATE_FORMAT;
  readonly version: typeof TRAINER_STATE_VERSION;
  readonly optimizerSteps: { readonly G: number; readonly D: number };
  readonly pools: Readonly<Record<'fake_A' | 'fake_B', { poolSize: number; shapes: Array<readonly number[]>; random: RandomStreamState }>>;
}

/** (optimizer name, network prefixes, specs) in the order of the optimiser's variables. */
function optimizerLayout(model: CycleGanModel): Array<{ optimizer: 'optimizer_G' | 'optimizer_D'; names: string[]; specs: ParamSpec[] }> {
  const layout = (optimizer: 'optimizer_G' | 'optimizer_D', nets: Array<[string, { specs: readonly ParamSpec[] }]>) => ({
    optimizer,
    names: nets.flatMap(([net, n]) => n.specs.map((s) => `${net}.${s.name}`)),
    specs: nets.flatMap(([, n]) => [...n.specs]),
  });
  return [
    layout('optimizer_G', [['G_A', model.G_A], ['G_B', model.G_B]]),
    layout('optimizer_D', [['D_A', model.D_A], ['D_B', model.D_B]]),
  ];
}

export async function writeTrainerState(dir: string, model: CycleGanModel, progress: TrainerProgressState): Promise<void> {
  const modelState = await model.state();
  const tensors: Float32Tensor[] = [];
  for (const { optimizer, names, specs } of optimizerLayout(model)) {
    const adam = optimizer === 'optimizer_G' ? modelState.optimizerG : modelState.optimizerD;
    for (const [moment, values] of [['exp_avg', adam.m], ['exp_avg_sq', adam.v]] as const) {
      specs.forEach((s, i) => {
        tensors.push({ name: `${optimizer}.${moment}.${names[i]}`, shape: s.torchShape, data: tfToTorchLayout(s, values[i]) });
      });
    }
  }
  const pools = { fake_A: modelState.poolFakeA, fake_B: modelState.poolFakeB };
  for (const [pool, state] of Object.entries(pools)) {
    state.images.forEach((im, i) => tensors.push({ name: `pool.${pool}.${i}`, shape: im.shape, data: im.data }));
  }
  const json: StateJson = {
    format: TRAINER_STATE_FORMAT,
    version: TRAINER_STATE_VERSION,
    ...progress,
    optimizerSteps: { G: modelState.optimizerG.step, D: modelState.optimizerD.step },
    pools: {
      fake_A: { poolSize: pools.fake_A.poolSize, shapes: pools.fake_A.images.map((im) => im.shape), random: pools.fake_A.random },
      fake_B: { poolSize: pools.fake_B.poolSize, shapes: pools.fake_B.images.map((im) => im.shape), random: pools.fake_B.random },
    },
  };
  await writeSafetensors(join(dir, TRAINER_STATE_TENSORS), tensors, { format: TRAINER_STATE_FORMAT });
  await writeFileAtomic(join(dir, TRAINER_STATE_JSON), JSON.stringify(json) + '\n');
}

/** Reads a trainer state written by writeTrainerState for `model`'s architecture. */
export async function readTrainerState(
  dir: string,
  model: CycleGanModel,
): Promise<{ progress: TrainerProgressState; modelState: CycleGanModelState }> {
  const jsonPath = join(dir, TRAINER_STATE_JSON);
  let json: StateJson;
  try {
    json = JSON.parse(await readFile(jsonPath, 'utf8')) as StateJson;
  } catch (e) {
    throw new DatasetError(jsonPath, `cannot read the trainer state (${(e as Error).message})`);
  }
  if (json.format !== TRAINER_STATE_FORMAT) {
    throw new DatasetError(jsonPath, `expected "${TRAINER_STATE_FORMAT}", got ${JSON.stringify(json.format)}`, '/format');
  }
  if (json.version !== TRAINER_STATE_VERSION) {
    throw new DatasetError(jsonPath, `unsupported version ${JSON.stringify(json.version)}`, '/version');
  }
  const file = await readSafetensors(join(dir, TRAINER_STATE_TENSORS));
  const get = (name: string, size: number): Float32Array => {
    const entry = file.tensors.get(name);
    if (entry === undefined) throw new DatasetError(file.file, `missing tensor ${name}`);
    const data = entryToFloat32(entry, file.file);
    if (data.length !== size) throw new DatasetError(file.file, `tensor ${name} has ${data.length} values, expected ${size}`);
    return data;
  };
  const adam: Record<string, AdamState> = {};
  for (const { optimizer, names, specs } of optimizerLayout(model)) {
    const moments = (moment: string) => specs.map((s, i) => torchToTfLayout(s, get(`${optimizer}.${moment}.${names[i]}`, s.size)));
    const step = optimizer === 'optimizer_G' ? json.optimizerSteps.G : json.optimizerSteps.D;
    adam[optimizer] = { step, m: moments('exp_avg'), v: moments('exp_avg_sq') };
  }
  const pool = (name: 'fake_A' | 'fake_B'): ImagePoolState => {
    const p = json.pools[name];
    return {
      poolSize: p.poolSize,
      random: p.random,
      images: p.shapes.map((shape, i) => ({
        shape: [shape[0], shape[1], shape[2]] as const,
        data: get(`pool.${name}.${i}`, shape[0] * shape[1] * shape[2]),
      })),
    };
  };
  const { iteration, elapsedSeconds, options, data, lossAccumulator, dataset } = json;
  return {
    progress: { iteration, elapsedSeconds, options, data, lossAccumulator, dataset },
    modelState: {
      optimizerG: adam.optimizer_G,
      optimizerD: adam.optimizer_D,
      poolFakeA: pool('fake_A'),
      poolFakeB: pool('fake_B'),
    },
  };
}
