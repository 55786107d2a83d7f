/**
 * Picks the translation engine by measuring: the same small probe image goes through the generator on
 * each candidate (tfjs backends through selectBackend, ONNX Runtime providers through OnnxTranslator),
 * and the fastest that works wins. The reason text lists every time and failure, for the CLI to print.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, selectBackend, type BackendName } from '../backends/index.ts';
import type { ResnetGenerator } from '../networks/resnet-generator.ts';
import type { RgbImage } from '../translate/image.ts';
import { TfjsTranslator } from '../translate/tfjs-translator.ts';
import type { Translator } from '../translate/translator.ts';
import { exportGeneratorOnnx } from './export.ts';
import { OnnxTranslator } from './onnx-translator.ts';
import { ONNX_PROVIDER_NAMES, onnxProviderMissing, onnxProvidersFor, type OnnxProviderName } from './providers.ts';

/** 'tfjs:<backend>' or 'onnx:<provider>'. */
export type EngineCandidate = `tfjs:${BackendName}` | `onnx:${OnnxProviderName}`;

export const ENGINE_CANDIDATES: readonly EngineCandidate[] = Object.freeze([
  ...ONNX_PROVIDER_NAMES.map((p) => `onnx:${p}` as EngineCandidate),
  ...BACKEND_NAMES.map((b) => `tfjs:${b}` as EngineCandidate),
]);

export interface EngineMeasurement {
  readonly candidate: EngineCandidate;
  /** Median milliseconds per probe translation after one warm-up; undefined when it failed. */
  readonly ms: number | undefined;
  readonly error?: string;
}

export interface EngineChoice {
  readonly candidate: EngineCandidate;
  readonly engine: 'tfjs' | 'onnx';
  readonly backend: string;
  readonly reason: string;
  readonly measurements: readonly EngineMeasurement[];
}

export interface MeasureEnginesOptions {
  /** Probe image side in pixels (a multiple of 4). Default 64. */
  readonly probeSize?: number;
  /** Timed runs after the warm-up. Default 2. */
  readonly iters?: number;
  /** The generator's ONNX model; exported from the generator (fp32) when absent. */
  readonly onnxModel?: Uint8Array;
}

export function parseEngineCandidate(value: unknown): EngineCandidate {
  if (typeof value === 'string' && (ENGINE_CANDIDATES as readonly string[]).includes(value)) return value as EngineCandidate;
  throw new TypeError(`Unsupported engine ${JSON.stringify(value)}. Should be one of: auto, ${ENGINE_CANDIDATES.join(', ')}.`);
}

/**
 * The candidates worth measuring here: every ONNX provider this onnxruntime-node can load on this
 * platform, and the tfjs backends except 'cpu' (the JavaScript fallback, never faster than wasm).
 */
export function defaultEngineCandidates(): EngineCandidate[] {
  const onnx = onnxProvidersFor().filter((p) => onnxProviderMissing(p) === undefined).map((p) => `onnx:${p}` as EngineCandidate);
  return [...onnx, ...BACKEND_NAMES.filter((b) => b !== 'cpu').map((b) => `tfjs:${b}` as EngineCandidate)];
}

function probeImage(size: number): RgbImage {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = (Math.imul(i + 1, 2654435761) >>> 24) & 0xff;
  return { width: size, height: size, data };
}

async function open(candidate: EngineCandidate, generator: ResnetGenerator, onnxModel: () => Promise<Uint8Array>): Promise<Translator> {
  const [engine, name] = candidate.split(':') as ['tfjs' | 'onnx', string];
  if (engine === 'onnx') return OnnxTranslator.create(await onnxModel(), { provider: name as OnnxProviderName, maxBatch: 1 });
  await selectBackend(name);
  return TfjsTranslator.create(generator, { maxBatch: 1 });
}

/**
 * Times one probe translation on each candidate. Leaves the TF.js backend as it found it (the
 * generator's weights move between backends as TF.js reads them).
 */
export async function measureEngines(
  generator: ResnetGenerator, candidates: readonly EngineCandidate[] = defaultEngineCandidates(), options: MeasureEnginesOptions = {},
): Promise<EngineMeasurement[]> {
  const size = options.probeSize ?? 64;
  if (!Number.isInteger(size) || size < 8 || size % 4 !== 0) throw new RangeError(`probeSize must be a multiple of 4 and at least 8, received ${size}`);
  const iters = options.iters ?? 2;
  let model = options.onnxModel;
  const onnxModel = async (): Promise<Uint8Array> => (model ??= await exportGeneratorOnnx(generator));
  const image = probeImage(size);
  const previous = tf.getBackend();
  const out: EngineMeasurement[] = [];
  for (const candidate of candidates.map(parseEngineCandidate)) {
    let translator: Translator | undefined;
    try {
      translator = await open(candidate, generator, onnxModel);
      await translator.translate([image]);
      const times: number[] = [];
      for (let i = 0; i < iters; i++) {
        const t0 = performance.now();
        await translator.translate([image]);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      out.push({ candidate, ms: times[times.length >> 1] });
    } catch (e) {
      out.push({ candidate, ms: undefined, error: (e as Error).message.split('\n')[0] });
    } finally {
      translator?.dispose();
    }
  }
  if (previous && tf.getBackend() !== previous) await tf.setBackend(previous);
  return out;
}

/**
 * 'auto': measures the candidates and returns the fastest, with a reason that lists every time
 * (and ratio to the winner) and every failure. A named candidate is returned as requested, unmeasured.
 * The chosen tfjs backend is not activated here: call selectBackend (or OnnxTranslator.create) with it.
 */
export async function chooseEngine(
  requested: string, generator: ResnetGenerator, candidates?: readonly EngineCandidate[], options: MeasureEnginesOptions = {},
): Promise<EngineChoice> {
  const split = (c: EngineCandidate): { engine: 'tfjs' | 'onnx'; backend: string } => {
    const [engine, backend] = c.split(':') as ['tfjs' | 'onnx', string];
    return { engine, backend };
  };
  if (requested !== 'auto') {
    const candidate = parseEngineCandidate(requested);
    return { candidate, ...split(candidate), reason: 'requested explicitly', measurements: [] };
  }
  const measurements = await measureEngines(generator, candidates, options);
  const ok = measurements.filter((m) => m.ms !== undefined).sort((a, b) => a.ms! - b.ms!);
  const failed = measurements.filter((m) => m.ms === undefined);
  if (ok.length === 0) throw new Error(`No translation engine works here: ${failed.map((m) => `${m.candidate}: ${m.error}`).join('; ')}`);
  const best = ok[0];
  const size = options.probeSize ?? 64;
  const times = ok.map((m, i) => `${m.candidate} ${m.ms!.toFixed(1)} ms${i ? ` (${(m.ms! / best.ms!).toFixed(1)}x slower)` : ''}`);
  const reason = `fastest on a ${size}x${size} probe: ${best.candidate}; measured ${times.join(', ')}` +
    (failed.length ? `; not usable: ${failed.map((m) => `${m.candidate} (${m.error})`).join(', ')}` : '');
  return { candidate: best.candidate, ...split(best.candidate), reason, measurements };
}
