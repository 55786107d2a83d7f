// Engines behind one Translator interface, chosen by --engine: tfjs (any backend) and onnx
// (onnxruntime-node). --engine auto measures a small probe on every usable engine and backend for
// this model on this machine, and takes the fastest.
import {
  OnnxTranslator, ResnetGenerator, TfjsTranslator, chooseEngine, defaultEngineCandidates, exportGeneratorOnnx,
  loadTranslationGenerator, selectBackend, type EngineCandidate, type PlanListener, type Translator, type TranslatorGenerator,
} from '@nightshift/cyclegan';
import { UsageError } from '../usage-error.ts';
import type { ModelChoice } from './model.ts';
import type { BackendRequest, EngineRequest, TileRequest } from './options.ts';

export interface EngineOptions {
  model: ModelChoice;
  backend: BackendRequest;
  batch: number;
  tile: TileRequest;
  /**
   * The engine and backend the previous run of this build used. --engine auto keeps them when they
   * are still usable, so that a rerun neither spends time measuring nor rebuilds every sample
   * because a noisy measurement picked another engine (the engine is part of each sample's key).
   */
  previous?: { engine: string; backend: string };
  /** Told how each image size is run (whole or tiled, and why), once per size. */
  onPlan?: PlanListener;
}

export interface EngineChoice {
  translator: Translator;
  engine: 'tfjs' | 'onnx';
  backend: string;
  /** Why this engine and backend, in a sentence or two. */
  why: string;
}

const PROBE_SIZE = 128;

function onnxProvider(backend: BackendRequest): 'auto' | 'cpu' | 'webgpu' {
  if (backend === 'auto' || backend === 'cpu' || backend === 'webgpu') return backend;
  throw new UsageError(`--engine onnx runs on --backend auto, cpu or webgpu (onnxruntime providers), not ${backend}`);
}

async function createTfjs(generator: TranslatorGenerator, options: EngineOptions): Promise<EngineChoice> {
  const selection = await selectBackend(options.backend);
  const translator = await TfjsTranslator.create(generator, { maxBatch: options.batch, ...tiling(options.tile), ownsGenerator: true, onPlan: options.onPlan });
  const skipped = selection.skipped.map((s) => `${s.name}: ${s.why}`).join('; ');
  return { translator, engine: 'tfjs', backend: selection.name, why: `tfjs on ${selection.name}: ${selection.reason}${skipped ? ` (passed over: ${skipped})` : ''}` };
}

function tiling(tile: TileRequest): { tiling: 'auto' | 'never' | 'always'; tileSize?: number } {
  if (typeof tile === 'number') return { tiling: 'always', tileSize: tile };
  return { tiling: tile === 'auto' ? 'auto' : 'never' };
}

async function createOnnx(model: string | Uint8Array, options: EngineOptions, provider: 'auto' | 'cpu' | 'webgpu'): Promise<EngineChoice> {
  let translator: OnnxTranslator;
  try {
    translator = await OnnxTranslator.create(model, { provider, maxBatch: options.batch, ...tiling(options.tile), onPlan: options.onPlan });
  } catch (e) {
    // Option problems, e.g. --tile with an imported model whose weights cannot be run layer by layer.
    if (e instanceof RangeError) throw new UsageError(`--engine onnx: ${e.message}`);
    throw e;
  }
  return { translator, engine: 'onnx', backend: translator.info.backend, why: `onnx on ${translator.info.backend}: ${translator.info.reason}` };
}

/** The candidates --engine auto measures: all usable ones, or those of an explicit --backend. */
function candidatesFor(backend: BackendRequest): EngineCandidate[] {
  const all = defaultEngineCandidates();
  if (backend === 'auto') return all;
  const onnx = all.filter((c) => c === `onnx:${backend}`);
  return [...onnx, `tfjs:${backend}` as EngineCandidate];
}

/** Builds the translator for the requested engine; 'auto' measures the usable ones and says why. */
export async function createEngine(request: EngineRequest, options: EngineOptions): Promise<EngineChoice> {
  const { model } = options;
  if (model.format === 'onnx') {
    if (request === 'tfjs') throw new UsageError(`--model ${model.path} is an ONNX file, which only the onnx engine runs; use --engine onnx (or auto)`);
    const choice = await createOnnx(model.path, options, onnxProvider(options.backend));
    return { ...choice, why: `${request === 'auto' ? '--engine auto: an ONNX model runs on the onnx engine' : 'requested --engine onnx'}; ${choice.why}` };
  }
  const generator = await loadTranslationGenerator(model.path, model.which ? { which: model.which } : {});
  let engine: 'tfjs' | 'onnx' = request === 'auto' ? 'tfjs' : request;
  let backend = options.backend;
  let why = `requested --engine ${request}`;
  try {
    if (!(generator instanceof ResnetGenerator)) {
      // A pix2pix U-Net: the ONNX export covers the ResNet generator only.
      if (request === 'onnx') throw new UsageError(`--model ${model.path} is a pix2pix U-Net generator, which the onnx engine does not run yet; use --engine tfjs (or auto)`);
      if (request === 'auto') why = '--engine auto: a pix2pix U-Net generator runs on the tfjs engine';
    } else if (request === 'auto' && options.previous && candidatesFor(options.backend).includes(`${options.previous.engine}:${options.previous.backend}` as EngineCandidate)) {
      engine = options.previous.engine as 'tfjs' | 'onnx';
      backend = options.previous.backend as BackendRequest;
      why = `--engine auto kept ${engine}:${backend}, which the previous run of this build chose (pass --engine to choose again)`;
    } else if (request === 'auto') {
      const measured = await chooseEngine('auto', generator, candidatesFor(options.backend), { probeSize: PROBE_SIZE });
      engine = measured.engine;
      backend = measured.backend as BackendRequest;
      why = `--engine auto measured this model: ${measured.reason}`;
    }
    if (engine === 'tfjs' || !(generator instanceof ResnetGenerator)) {
      const choice = await createTfjs(generator, { ...options, backend });
      return { ...choice, why: `${why}; ${choice.why}` };
    }
    const bytes = await exportGeneratorOnnx(generator);
    generator.dispose();
    const choice = await createOnnx(bytes, options, onnxProvider(backend));
    return { ...choice, why: `${why} (model exported to ONNX in memory); ${choice.why}` };
  } catch (err) {
    generator.dispose(); // idempotent: TF.js ignores a second dispose
    throw err;
  }
}
