// Engines behind one Translator interface, chosen by --engine: each entry of the table says whether it
// can run here and builds a translator for a generator. tfjs is built; onnx is registered so that
// `--engine onnx` explains itself, and becomes available when libs/cyclegan/src/onnx/ lands.
import { loadGenerator } from '@nightshift/cyclegan';
import { UsageError } from '../usage-error.ts';
import { TfjsTranslator, selectBackend, type Translator } from '@nightshift/cyclegan';
import type { ModelChoice } from './model.ts';
import type { BackendRequest, EngineRequest, TileRequest } from './options.ts';

export interface EngineOptions {
  model: ModelChoice;
  backend: BackendRequest;
  batch: number;
  tile: TileRequest;
}

export interface EngineChoice {
  translator: Translator;
  engine: 'tfjs' | 'onnx';
  backend: string;
  /** Why this engine and backend, in a sentence or two. */
  why: string;
}

interface EngineEntry {
  name: 'tfjs' | 'onnx';
  /** undefined when usable here, otherwise why not. */
  unavailable(): string | undefined;
  create(options: EngineOptions): Promise<EngineChoice>;
}

async function createTfjs(options: EngineOptions): Promise<EngineChoice> {
  const selection = await selectBackend(options.backend);
  const generator = await loadGenerator(options.model.path, options.model.which ? { which: options.model.which } : {});
  const tiling = options.tile === 'auto' ? 'auto' : options.tile === 'off' ? 'never' : 'always';
  const translator = await TfjsTranslator.create(generator, {
    maxBatch: options.batch,
    tiling,
    ...(typeof options.tile === 'number' ? { tileSize: options.tile } : {}),
    ownsGenerator: true,
  });
  const skipped = selection.skipped.map((s) => `${s.name}: ${s.why}`).join('; ');
  return {
    translator,
    engine: 'tfjs',
    backend: selection.name,
    why: `tfjs on ${selection.name}: ${selection.reason}${skipped ? ` (passed over: ${skipped})` : ''}`,
  };
}

const ONNX_MISSING = 'the ONNX Runtime engine is not part of nightshift yet (libs/cyclegan/src/onnx/ is being built)';

export const ENGINE_TABLE: readonly EngineEntry[] = Object.freeze([
  // Priority order for --engine auto: onnx is the faster translator on CPU once it exists.
  { name: 'onnx', unavailable: () => ONNX_MISSING, create: async () => { throw new UsageError(`--engine onnx: ${ONNX_MISSING}; use --engine tfjs`); } },
  { name: 'tfjs', unavailable: () => undefined, create: createTfjs },
]);

/** Builds the translator for the requested engine; 'auto' takes the first usable one and says why. */
export async function createEngine(request: EngineRequest, options: EngineOptions): Promise<EngineChoice> {
  if (request !== 'auto') {
    const entry = ENGINE_TABLE.find((e) => e.name === request);
    if (!entry) throw new UsageError(`--engine must be one of auto, ${ENGINE_TABLE.map((e) => e.name).join(', ')}; got "${request}"`);
    const choice = await entry.create(options);
    return { ...choice, why: `requested --engine ${request}; ${choice.why}` };
  }
  const passed: string[] = [];
  for (const entry of ENGINE_TABLE) {
    const why = entry.unavailable();
    if (why) { passed.push(`${entry.name}: ${why}`); continue; }
    const choice = await entry.create(options);
    return { ...choice, why: `--engine auto chose ${entry.name}${passed.length ? ` (${passed.join('; ')})` : ''}; ${choice.why}` };
  }
  throw new UsageError(`no translation engine is usable here: ${passed.join('; ')}`);
}
