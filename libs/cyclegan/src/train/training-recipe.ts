/**
 * The parts of a training recipe (the options that change what is learned) both trainers share:
 * preprocessing and the epoch schedule, checked with errors that name the option, and the rules for
 * continuing a saved run (its recipe wins; given options must agree, except the schedule's length).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError } from '@nightshift/labels';
import { DEFAULT_PREPROCESS, PREPROCESS_MODES, type PreprocessOptions } from './data.ts';
import { checkCount, pick, TRAINING_DEFAULTS } from './training-loop.ts';
import { TRAINER_STATE_JSON } from './trainer-state.ts';

export interface ScheduleRecipe {
  readonly batchSize: number;
  /** Epochs at the initial learning rate (`--n_epochs`, 100). */
  readonly nEpochs: number;
  /** Epochs of linear decay to zero (`--n_epochs_decay`, 100). */
  readonly nEpochsDecay: number;
  /** Number of the first epoch (`--epoch_count`, 1). */
  readonly epochCount: number;
}

export const PREPROCESS_KEYS = ['preprocess', 'loadSize', 'cropSize', 'flip'] as const;

export function resolvePreprocess(o: Partial<PreprocessOptions>): PreprocessOptions {
  const pre = { ...DEFAULT_PREPROCESS, ...pick(o, PREPROCESS_KEYS) };
  if (!PREPROCESS_MODES.includes(pre.preprocess)) {
    throw new TypeError(`Unknown preprocess ${JSON.stringify(pre.preprocess)}; valid modes are: ${PREPROCESS_MODES.join(', ')}`);
  }
  checkCount('loadSize', pre.loadSize, 1);
  checkCount('cropSize', pre.cropSize, 1);
  if (typeof pre.flip !== 'boolean') throw new TypeError(`Expected a boolean for flip but received ${String(pre.flip)}`);
  return pre;
}

export function resolveSchedule(o: Partial<ScheduleRecipe>): ScheduleRecipe {
  return {
    batchSize: checkCount('batchSize', o.batchSize ?? TRAINING_DEFAULTS.batchSize, 1),
    nEpochs: checkCount('nEpochs', o.nEpochs ?? TRAINING_DEFAULTS.nEpochs, 0),
    nEpochsDecay: checkCount('nEpochsDecay', o.nEpochsDecay ?? TRAINING_DEFAULTS.nEpochsDecay, 0),
    epochCount: checkCount('epochCount', o.epochCount ?? TRAINING_DEFAULTS.epochCount, 1),
  };
}

export interface ResumeRules<R, K extends keyof R, A> {
  /** Fills in defaults and checks a recipe. */
  resolve(recipe: NoInfer<R>): R;
  /** The recipe options a resumed run must keep. */
  readonly keys: readonly K[];
  resolveArchitecture(architecture: Partial<A>): A;
}

/** The recipe saved in the checkpoint folder `dir`, with the caller's options checked against it. */
export async function recipeForResume<R extends ScheduleRecipe & { readonly architecture: A }, K extends Exclude<keyof R, 'architecture'>, A>(
  dir: string,
  options: NoInfer<Partial<Omit<R, 'architecture'>> & { readonly architecture?: Partial<A> }>,
  rules: ResumeRules<R, K, A>,
): Promise<R> {
  const path = join(dir, TRAINER_STATE_JSON);
  let saved: { options: R };
  try {
    saved = JSON.parse(await readFile(path, 'utf8')) as { options: R };
  } catch (e) {
    throw new DatasetError(path, `cannot resume: no readable trainer state (${(e as Error).message})`);
  }
  const recipe = rules.resolve(saved.options);
  for (const key of rules.keys) {
    const given = options[key];
    if (given !== undefined && given !== recipe[key]) {
      throw new DatasetError(path, `the run was started with ${String(key)} ${JSON.stringify(recipe[key])}; cannot resume it with ${JSON.stringify(given)}`, `/options/${String(key)}`);
    }
  }
  if (options.architecture) {
    const wanted = rules.resolveArchitecture({ ...recipe.architecture, ...options.architecture });
    if (JSON.stringify(wanted) !== JSON.stringify(recipe.architecture)) {
      throw new DatasetError(path, 'the run was started with another architecture; cannot resume it with a different one', '/options/architecture');
    }
  }
  return rules.resolve({ ...recipe, nEpochs: options.nEpochs ?? recipe.nEpochs, nEpochsDecay: options.nEpochsDecay ?? recipe.nEpochsDecay });
}
