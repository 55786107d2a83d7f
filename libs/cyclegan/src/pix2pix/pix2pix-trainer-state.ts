/**
 * What a pix2pix run needs beyond the checkpoint's weights to resume exactly: trainer-state.json
 * (counters, options, data order, random stream position, dataset fingerprint, dropout iteration) and
 * trainer-state.safetensors (Adam moments, PyTorch layout, named `optimizer_G.exp_avg.<key>` as the
 * CycleGAN trainer's state does).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError } from '@nightshift/labels';
import { writeFileAtomic } from '../atomic-write.ts';
import type { Network } from '../networks/network.ts';
import { tfToTorchLayout, torchToTfLayout, isBufferSpec } from '../networks/parameters.ts';
import { entryToFloat32, readSafetensors, writeSafetensors, type Float32Tensor } from '../safetensors.ts';
import type { UnpairedDataState } from '../train/data.ts';
import { TRAINER_STATE_JSON, TRAINER_STATE_TENSORS } from '../train/trainer-state.ts';
import type { AdamState } from '../train/optimizer.ts';
import type { Pix2PixLossName, Pix2PixModel, Pix2PixModelState } from './pix2pix-model.ts';

export const PIX2PIX_TRAINER_STATE_FORMAT = 'nightshift-pix2pix-trainer-state';

export interface Pix2PixProgressState {
  readonly iteration: number;
  readonly elapsedSeconds: number;
  readonly options: Readonly<Record<string, unknown>>;
  readonly data: UnpairedDataState;
  readonly lossAccumulator: { readonly count: number; readonly sums: Readonly<Record<Pix2PixLossName, number>> };
  readonly dataset: { readonly pairs: number; readonly sha256: string };
}

const optimizers = (model: Pix2PixModel): Array<['optimizer_G' | 'optimizer_D', Network<unknown>]> => [['optimizer_G', model.G], ['optimizer_D', model.D]];

export async function writePix2PixTrainerState(dir: string, model: Pix2PixModel, progress: Pix2PixProgressState): Promise<void> {
  const state = await model.state();
  const tensors: Float32Tensor[] = [];
  for (const [name, net] of optimizers(model)) {
    const adam = name === 'optimizer_G' ? state.optimizerG : state.optimizerD;
    const specs = net.specs.filter((s) => !isBufferSpec(s));
    for (const [moment, values] of [['exp_avg', adam.m], ['exp_avg_sq', adam.v]] as const) {
      specs.forEach((s, i) => tensors.push({ name: `${name}.${moment}.${s.name}`, shape: s.torchShape, data: tfToTorchLayout(s, values[i]) }));
    }
  }
  await writeSafetensors(join(dir, TRAINER_STATE_TENSORS), tensors, { format: PIX2PIX_TRAINER_STATE_FORMAT });
  const json = {
    format: PIX2PIX_TRAINER_STATE_FORMAT, version: 1, ...progress,
    optimizerSteps: { G: state.optimizerG.step, D: state.optimizerD.step }, modelIterations: state.iterations,
  };
  await writeFileAtomic(join(dir, TRAINER_STATE_JSON), JSON.stringify(json) + '\n');
}

export async function readPix2PixTrainerState(dir: string, model: Pix2PixModel): Promise<{ progress: Pix2PixProgressState; modelState: Pix2PixModelState }> {
  const path = join(dir, TRAINER_STATE_JSON);
  let json: Pix2PixProgressState & { format: string; optimizerSteps: { G: number; D: number }; modelIterations: number };
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as typeof json;
  } catch (e) {
    throw new DatasetError(path, `cannot read the trainer state (${(e as Error).message})`);
  }
  if (json.format !== PIX2PIX_TRAINER_STATE_FORMAT) throw new DatasetError(path, `expected "${PIX2PIX_TRAINER_STATE_FORMAT}", got ${JSON.stringify(json.format)}`, '/format');
  const file = await readSafetensors(join(dir, TRAINER_STATE_TENSORS));
  const adam: Record<string, AdamState> = {};
  for (const [name, net] of optimizers(model)) {
    const specs = net.specs.filter((s) => !isBufferSpec(s));
    const moments = (moment: string): Float32Array[] => specs.map((s) => {
      const key = `${name}.${moment}.${s.name}`;
      const entry = file.tensors.get(key);
      if (entry === undefined) throw new DatasetError(file.file, `missing tensor ${key}`);
      const data = entryToFloat32(entry, file.file);
      if (data.length !== s.size) throw new DatasetError(file.file, `tensor ${key} has ${data.length} values, expected ${s.size}`);
      return torchToTfLayout(s, data);
    });
    adam[name] = { step: name === 'optimizer_G' ? json.optimizerSteps.G : json.optimizerSteps.D, m: moments('exp_avg'), v: moments('exp_avg_sq') };
  }
  const { iteration, elapsedSeconds, options, data, lossAccumulator, dataset } = json;
  return {
    progress: { iteration, elapsedSeconds, options, data, lossAccumulator, dataset },
    modelState: { optimizerG: adam.optimizer_G, optimizerD: adam.optimizer_D, iterations: json.modelIterations },
  };
}
