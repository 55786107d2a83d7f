// --engine, --backend, --tile and --batch mapped onto the library's openTranslator, which measures
// (or not), opens the translator and says why. A --shard build decides by the fixed order instead of
// timing, so that every shard of one build, here or on other machines, takes the same engine.
import { openTranslator, type EngineReason, type PlanListener, type Translator } from '@nightshift/cyclegan';
import { BuildRequestError } from './errors.ts';
import type { ModelChoice } from './model.ts';
import type { BackendRequest, EngineRequest, TileRequest } from './options.ts';

export interface EngineOptions {
  model: ModelChoice;
  backend: BackendRequest;
  batch: number;
  tile: TileRequest;
  /** A --shard build: choose without timing (the same engine in every shard). */
  sharded?: boolean;
  /**
   * The engine and backend the previous run of this build used. --engine auto keeps them when they
   * are still usable, so that a rerun neither spends time measuring nor rebuilds every sample
   * because a noisy measurement picked another engine (the engine is part of each sample's key).
   */
  previous?: { engine: string; backend: string };
  /** Told how each image size is run (whole or tiled, and why), once per size. */
  onPlan?: PlanListener;
  /** --generator: the kind the model must be (the model's own config or weights decide its kind). */
  generator?: string;
}

export interface EngineChoice {
  translator: Translator;
  engine: 'tfjs' | 'onnx';
  backend: string;
  /** Why this engine and backend: one line, and the full reasons. */
  reason: EngineReason;
}

/** Opens the translator for the requested engine; option problems are usage errors (exit 2). */
export async function createEngine(request: EngineRequest, options: EngineOptions): Promise<EngineChoice> {
  const { model } = options;
  if (model.format === 'onnx' && request === 'tfjs') throw new BuildRequestError(`--model ${model.path} is an ONNX file, which only the onnx engine runs; use --engine onnx (or auto)`);
  try {
    const { translator, reason } = await openTranslator({
      model: model.path, which: model.which, arch: model.arch, engine: request, backend: options.backend, tile: options.tile, batch: options.batch,
      rule: options.sharded ? 'fixed' : 'fastest', previous: options.previous, onPlan: options.onPlan, generator: options.generator,
    });
    return { translator, engine: reason.engine, backend: reason.backend, reason };
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const flags = `--engine ${request}${options.backend !== 'auto' ? ` --backend ${options.backend}` : ''}${options.tile !== 'auto' ? ` --tile ${options.tile}` : ''}`;
    throw new BuildRequestError(`--model ${model.path} with ${flags}: ${e.message}`);
  }
}
