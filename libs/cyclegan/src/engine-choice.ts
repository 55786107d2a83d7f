/**
 * Engine choice, in one place: `openTranslator` turns a model and the requested engine, backend and
 * tiling into a working Translator and says why that one. Requests:
 * - a named engine (and backend): that one, or an error that says why it cannot run here;
 * - 'auto', rule 'fastest' (default): every usable engine:backend translates the same probe image,
 *   the fastest is kept (the translator that was timed, not a second one) and the others are closed;
 * - 'auto', rule 'fixed': the first that opens of FIXED_ORDER, untimed, so that every shard of one
 *   build (on one machine or many) takes the same engine whatever the timing noise;
 * - 'auto' with `previous` (what an earlier run of the same build used): kept without measuring where
 *   it still opens, so a rerun neither measures nor rebuilds samples keyed on another engine.
 * Candidates that cannot exist here (no WebGPU adapter, a software one, tfjs-node not installed) are
 * passed over before anything starts; the WebGPU adapter is looked at in a child process.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DatasetError } from '@nightshift/labels';
import { BACKEND_NAMES, loadTensorflow, parseBackendRequest, selectBackend, type BackendName, type BackendRequest } from './backends/index.ts';
import { probeWebGpuAdapter } from './backends/webgpu-probe.ts';
import { exportGeneratorOnnx } from './onnx/export.ts';
import { generatorKind } from './networks/generator-kinds.ts';
import { OnnxTranslator } from './onnx/onnx-translator.ts';
import { ONNX_PROVIDER_NAMES, onnxProvider, onnxProviderMissing, onnxProvidersFor, type OnnxProviderName } from './onnx/providers.ts';
import type { GeneratorArchName } from './import/identify-generator.ts';
import { loadTranslationGenerator } from './pix2pix/load-translation-generator.ts';
import type { RgbImage } from './translate/image.ts';
import { TfjsTranslator, type TilingMode, type TranslatorGenerator } from './translate/tfjs-translator.ts';
import type { PlanListener, Translator, TranslatorInfo } from './translate/translator.ts';

export type EngineName = 'tfjs' | 'onnx';
export type EngineRequest = 'auto' | EngineName;
export const ENGINE_REQUESTS: readonly EngineRequest[] = Object.freeze(['auto', 'tfjs', 'onnx']);

/** Tiled inference: 'auto' (whole images where they fit), 'off' (always whole), or a tile side in pixels (always tiled). */
export type TileRequest = 'auto' | 'off' | number;

/** 'tfjs:<backend>' or 'onnx:<provider>'. */
export type EngineCandidate = `tfjs:${BackendName}` | `onnx:${OnnxProviderName}`;

export const ENGINE_CANDIDATES: readonly EngineCandidate[] = Object.freeze([
  ...ONNX_PROVIDER_NAMES.map((p) => `onnx:${p}` as EngineCandidate),
  ...BACKEND_NAMES.map((b) => `tfjs:${b}` as EngineCandidate),
]);

/**
 * The untimed order of rule 'fixed': the CPU engines every machine has, fastest first on a CPU
 * (docs/onnx.md), then the rest in ENGINE_CANDIDATES order for a --backend that excludes them.
 */
export const FIXED_ORDER: readonly EngineCandidate[] = Object.freeze(['onnx:cpu', 'tfjs:wasm', 'tfjs:cpu']);

/** How 'auto' decides: by timing a probe ('fastest') or by FIXED_ORDER ('fixed'). */
export type EngineRule = 'fastest' | 'fixed';

export interface EngineMeasurement {
  readonly candidate: EngineCandidate;
  /** Median milliseconds per probe translation after one warm-up; undefined when it failed. */
  readonly ms: number | undefined;
  readonly error?: string;
}

/** A candidate left out, with a short why for the one-line summary and the full text. */
export interface PassedOver {
  readonly candidate: EngineCandidate;
  readonly short: string;
  readonly why: string;
}

export interface EngineReason {
  readonly engine: EngineName;
  readonly backend: string;
  /** How it was decided: asked for by name, timed, fixed order, kept from the previous run, or the only engine for this model. */
  readonly how: 'requested' | 'measured' | 'fixed' | 'kept' | 'only';
  /** One line, e.g. "onnx cpu (fastest: onnx:cpu 18.7 ms, tfjs:wasm 41.9 ms; webgpu: no adapter; tensorflow: not installed)". */
  readonly line: string;
  /** The full reasons: the decision, every time and failure, each candidate passed over and why, the engine's own account. */
  readonly details: readonly string[];
  readonly measurements: readonly EngineMeasurement[];
}

export interface OpenTranslatorOptions {
  /**
   * A checkpoint folder or generator file (.safetensors, .pth/.pt, or .onnx, which only the onnx
   * engine runs), or a loaded generator, which the returned translator takes over (disposes).
   */
  readonly model: string | TranslatorGenerator;
  /** Checkpoint folders: which generator (default G_A). */
  readonly which?: 'G_A' | 'G_B';
  /** Bare weight files: the reference architecture name, instead of the one the keys show. */
  readonly arch?: GeneratorArchName;
  /**
   * The generator kind the caller expects (a registered kind's name). The kind itself comes from the
   * model (its config.json, or what its weights spell); a model of another kind is refused with a
   * DatasetError naming the file, before anything is translated. An unregistered name is a RangeError.
   */
  readonly generator?: string;
  /** Default 'auto'. */
  readonly engine?: EngineRequest;
  /** tfjs backend or ONNX Runtime provider; default 'auto'. */
  readonly backend?: BackendRequest | OnnxProviderName;
  /** Default 'auto'. */
  readonly tile?: TileRequest;
  /** Most images per generator call. Default 4. */
  readonly batch?: number;
  /** Default 'fastest'. */
  readonly rule?: EngineRule;
  /** The engine and backend an earlier run of the same build used; 'auto' keeps them where they still open. */
  readonly previous?: { readonly engine: string; readonly backend: string };
  /** Probe image side for rule 'fastest' (a multiple of 4, at least 8). Default 128. */
  readonly probeSize?: number;
  /** Timed probe translations per candidate, after one warm-up. Default 2. */
  readonly iters?: number;
  /** How a candidate is timed (ms); default: the median of `iters` probe translations. For tests and benches. */
  readonly timeCandidate?: (candidate: EngineCandidate, translator: Translator, probe: RgbImage) => Promise<number>;
  /** Told how each image size is run, once per size and plan (not for the probe). */
  readonly onPlan?: PlanListener;
}

export interface OpenedTranslator {
  readonly translator: Translator;
  readonly reason: EngineReason;
}

const split = (c: EngineCandidate): [EngineName, string] => c.split(':') as [EngineName, string];
const spaced = (c: EngineCandidate): string => split(c).join(' on ');

export function parseEngineCandidate(value: unknown): EngineCandidate {
  if (typeof value === 'string' && (ENGINE_CANDIDATES as readonly string[]).includes(value)) return value as EngineCandidate;
  throw new TypeError(`Unsupported engine ${JSON.stringify(value)}. Should be one of: auto, ${ENGINE_CANDIDATES.join(', ')}.`);
}

function tilingOf(tile: TileRequest): { tiling: TilingMode; tileSize?: number } {
  if (typeof tile === 'number') return { tiling: 'always', tileSize: tile };
  if (tile === 'auto' || tile === 'off') return { tiling: tile };
  throw new RangeError(`tile must be 'auto', 'off' or a tile side in pixels; received ${JSON.stringify(tile)}`);
}

function probeImage(size: number): RgbImage {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = (Math.imul(i + 1, 2654435761) >>> 24) & 0xff;
  return { width: size, height: size, data };
}

async function medianProbeMs(iters: number, translator: Translator, probe: RgbImage): Promise<number> {
  await translator.translate([probe]);
  const times: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await translator.translate([probe]);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

/**
 * Refuses a model whose generator kind is not `expected`, naming the file that says its kind: a
 * folder's config.json, else the weight or ONNX file.
 */
async function expectKind(model: string | TranslatorGenerator, found: string | undefined, expected: string, which: string | undefined): Promise<void> {
  if (found === expected) return;
  const wanted = `but a ${expected} generator was expected`;
  if (typeof model !== 'string') throw new RangeError(`the generator is a ${found} generator, ${wanted}`);
  const isDir = await stat(model).then((s) => s.isDirectory(), () => false);
  if (isDir) throw new DatasetError(join(model, 'config.json'), `names a ${found} generator${which ? ` for ${which}` : ''}, ${wanted}`);
  throw new DatasetError(model, found ? `holds a ${found} generator, ${wanted}` : `holds weights of no registered generator kind, ${wanted}`);
}

/** A translator that disposes the generator it runs with it. */
class OwningTranslator implements Translator {
  constructor(private readonly inner: Translator, private readonly generator: TranslatorGenerator) {}
  get info(): TranslatorInfo { return this.inner.info; }
  translate(images: readonly RgbImage[]): Promise<RgbImage[]> { return this.inner.translate(images); }
  dispose(): void {
    this.inner.dispose();
    this.generator.dispose();
  }
}

/**
 * Candidates that cannot start here, told apart without starting them: onnx on a model it cannot run,
 * providers this onnxruntime-node lacks, WebGPU without an adapter or with a software one (Mesa
 * lavapipe runs the default generator 27-32x slower than onnx cpu on a 128x128 probe, 2026-12-07),
 * tfjs-node not installed. tfjs:cpu is left out of 'fastest' (never faster than wasm).
 */
async function screen(candidates: readonly EngineCandidate[], onnxRuns: string | undefined, rule: EngineRule | 'named'): Promise<{ usable: EngineCandidate[]; passedOver: PassedOver[] }> {
  const usable: EngineCandidate[] = [];
  const passedOver: PassedOver[] = [];
  const platform = onnxProvidersFor();
  for (const c of candidates) {
    const [engine, name] = split(c);
    const skip = (short: string, why: string): void => { passedOver.push({ candidate: c, short, why }); };
    if (engine === 'onnx' && onnxRuns) { skip('not for this model', onnxRuns); continue; }
    if (engine === 'onnx' && !platform.includes(name as OnnxProviderName)) { skip('not on this platform', `onnxruntime-node has no ${name} provider for ${process.platform}/${process.arch}`); continue; }
    if (engine === 'onnx') {
      const missing = onnxProviderMissing(name as OnnxProviderName);
      if (missing) { skip('not installed', missing); continue; }
    }
    if (name === 'webgpu') {
      const adapter = await probeWebGpuAdapter();
      if (typeof adapter === 'string') { skip('no adapter', adapter); continue; }
      if (adapter.software && rule !== 'named') {
        skip('software adapter', `software adapter (${adapter.description || adapter.vendor}): far slower than the CPU engines`);
        continue;
      }
    }
    if (c === 'tfjs:tensorflow') {
      const loaded = await loadTensorflow();
      if (!loaded.package) { skip('not installed', `optional dependency absent (${loaded.failures.join('; ')})`); continue; }
    }
    if (c === 'tfjs:cpu' && rule === 'fastest' && candidates.includes('tfjs:wasm')) { skip('slower than wasm', 'the JavaScript fallback, never faster than wasm'); continue; }
    usable.push(c);
  }
  return { usable, passedOver };
}

/** The candidates a request allows: one engine, one backend, or every pair. */
function candidatesFor(engine: EngineRequest, backend: string): EngineCandidate[] {
  return ENGINE_CANDIDATES.filter((c) => {
    const [e, b] = split(c);
    return (engine === 'auto' || e === engine) && (backend === 'auto' || b === backend);
  });
}

/**
 * The one-line form of what was passed over: "webgpu: no adapter" where every engine on that backend
 * lacks it for the same reason, "onnx:webgpu: ..." otherwise; tfjs:cpu (never the fastest) is left
 * to the details.
 */
function passedOverLine(passedOver: readonly PassedOver[]): string[] {
  const byBackend = new Map<string, PassedOver[]>();
  for (const p of passedOver) {
    if (p.candidate === 'tfjs:cpu') continue;
    const backend = split(p.candidate)[1];
    byBackend.set(backend, [...(byBackend.get(backend) ?? []), p]);
  }
  return [...byBackend.entries()].flatMap(([backend, list]) => (new Set(list.map((p) => p.short)).size === 1
    ? [`${backend}: ${list[0].short}`]
    : list.map((p) => `${p.candidate}: ${p.short}`)));
}

/**
 * Opens the translator for a model as requested (see the file header), measuring at most once.
 * Option problems (an engine that cannot run this model, a backend that is not the engine's, tiling
 * this model's weights cannot do) throw a RangeError; an engine that does not work here an Error.
 */
export async function openTranslator(options: OpenTranslatorOptions): Promise<OpenedTranslator> {
  const engine = options.engine ?? 'auto';
  if (!ENGINE_REQUESTS.includes(engine)) throw new RangeError(`engine must be one of ${ENGINE_REQUESTS.join(', ')}; received ${JSON.stringify(engine)}`);
  const backend = options.backend ?? 'auto';
  const tile = tilingOf(options.tile ?? 'auto');
  const batch = options.batch ?? 4;
  const rule = options.rule ?? 'fastest';
  const common = { maxBatch: batch, ...tile };
  if (options.generator !== undefined) generatorKind(options.generator); // throws, listing the registered kinds, for an unknown name

  // An ONNX file runs on the onnx engine only, its provider as OnnxTranslator picks it (priority order).
  if (typeof options.model === 'string' && options.model.endsWith('.onnx')) {
    if (engine === 'tfjs') throw new RangeError(`${options.model} is an ONNX file, which only the onnx engine runs`);
    if (!(backend === 'auto' || (ONNX_PROVIDER_NAMES as readonly string[]).includes(backend))) {
      throw new RangeError(`the onnx engine runs on ONNX Runtime providers (auto, ${ONNX_PROVIDER_NAMES.join(', ')}), not ${backend}`);
    }
    const translator = await OnnxTranslator.create(options.model, { ...common, provider: backend as OnnxProviderName | 'auto', onPlan: options.onPlan });
    try {
      if (options.generator !== undefined) await expectKind(options.model, translator.model.kind?.name, options.generator, undefined);
    } catch (e) {
      translator.dispose();
      throw e;
    }
    const how = engine === 'auto' ? 'only' : 'requested';
    const why = engine === 'auto' ? 'an ONNX model runs on the onnx engine' : 'requested --engine onnx';
    return {
      translator,
      reason: {
        engine: 'onnx', backend: translator.info.backend, how, measurements: [],
        line: `onnx ${translator.info.backend} (${why})`,
        details: [why, `onnx on ${translator.info.backend}: ${translator.info.reason}`],
      },
    };
  }

  if (backend !== 'auto' && !(ENGINE_CANDIDATES as readonly string[]).some((c) => c.endsWith(`:${backend}`))) parseBackendRequest(backend);
  const generator = typeof options.model === 'string'
    ? await loadTranslationGenerator(options.model, { ...(options.which ? { which: options.which } : {}), ...(options.arch ? { arch: options.arch } : {}) })
    : options.model;
  const opened: Translator[] = [];
  try {
    if (options.generator !== undefined) await expectKind(options.model, generator.kind.name, options.generator, options.which);
    const onnxRuns = generator.kind.onnx ? undefined : `${generator.kind.description}: its kind has no ONNX export`;
    if (engine === 'onnx' && onnxRuns) throw new RangeError(`${typeof options.model === 'string' ? options.model : 'the generator'} is ${onnxRuns}; use the tfjs engine`);
    const allowed = candidatesFor(engine, backend);
    if (allowed.length === 0) {
      throw new RangeError(engine === 'onnx'
        ? `the onnx engine runs on ONNX Runtime providers (auto, ${ONNX_PROVIDER_NAMES.join(', ')}), not ${backend}`
        : `the tfjs engine runs on TF.js backends (auto, ${BACKEND_NAMES.join(', ')}), not ${backend}`);
    }

    let bytes: Promise<Uint8Array> | undefined;
    let gate = true; // the probe's plan is not the caller's business
    const onPlan: PlanListener | undefined = options.onPlan && ((w, h, plan) => { if (!gate) options.onPlan!(w, h, plan); });
    const accounts = new Map<Translator, string>();
    const open = async (c: EngineCandidate): Promise<Translator> => {
      const [e, name] = split(c);
      if (e === 'onnx') {
        bytes ??= exportGeneratorOnnx(generator);
        const t = await OnnxTranslator.create(await bytes, { ...common, provider: name as OnnxProviderName, onPlan });
        opened.push(t);
        accounts.set(t, `onnx on ${name}: ${onnxProvider(name as OnnxProviderName).summary} (model exported to ONNX in memory)`);
        return t;
      }
      const selection = await selectBackend(name);
      const t = await TfjsTranslator.create(generator, { ...common, onPlan });
      opened.push(t);
      accounts.set(t, `tfjs on ${name}: ${selection.detail}`);
      return t;
    };
    const keep = async (t: Translator, c: EngineCandidate, reason: Omit<EngineReason, 'engine' | 'backend' | 'details'>, details: string[]): Promise<OpenedTranslator> => {
      for (const other of opened) if (other !== t) other.dispose();
      const [e, b] = split(c);
      if (e === 'onnx') generator.dispose();
      else if (tf.getBackend() !== b) await selectBackend(b); // measuring moved TF.js to another backend
      gate = false;
      return {
        translator: e === 'tfjs' ? new OwningTranslator(t, generator) : t,
        reason: { engine: e, backend: b, ...reason, details: [...details, accounts.get(t)!] },
      };
    };

    // What the request allows and can start here; a named engine and backend is not screened for speed.
    const { usable, passedOver } = await screen(allowed, onnxRuns, engine !== 'auto' && backend !== 'auto' ? 'named' : rule);
    const skipped = passedOverLine(passedOver);
    const skippedDetails = passedOver.map((p) => `passed over ${p.candidate}: ${p.why}`);

    if (engine === 'auto' && options.previous) {
      const c = `${options.previous.engine}:${options.previous.backend}` as EngineCandidate;
      if (usable.includes(c)) {
        const t = await open(c).catch(() => undefined);
        if (t) {
          const why = `--engine auto kept ${c}, which the previous run of this build chose (pass --engine to choose again)`;
          return keep(t, c, { how: 'kept', line: `${spaced(c)} (kept from the previous run)`, measurements: [] }, [why]);
        }
      }
    }

    if (usable.length === 0) {
      throw new Error(`No translation engine works here for this request: ${passedOver.map((p) => `${p.candidate}: ${p.why}`).join('; ')}`);
    }
    const onlyOne = usable.length === 1 || (engine !== 'auto' && backend !== 'auto');
    if (onlyOne || rule === 'fixed') {
      const order = onlyOne ? usable.slice(0, 1) : [...FIXED_ORDER.filter((c) => usable.includes(c)), ...usable.filter((c) => !FIXED_ORDER.includes(c))];
      const failures: Array<{ candidate: EngineCandidate; error: string }> = [];
      for (const c of order) {
        let t: Translator;
        try {
          t = await open(c);
        } catch (e) {
          if (onlyOne || e instanceof RangeError) throw e;
          failures.push({ candidate: c, error: (e as Error).message.split('\n')[0] });
          continue;
        }
        const how = engine !== 'auto' ? 'requested' : onlyOne ? 'only' : 'fixed';
        const decided = {
          requested: `requested --engine ${engine}${backend !== 'auto' ? ` --backend ${backend}` : ''}`,
          only: `--engine auto: the only engine that can run this model here${backend !== 'auto' ? ` on --backend ${backend}` : ''}`,
          fixed: `--engine auto, rule fixed: the first that works of ${order.join(', ')}, untimed, so that every shard of a build takes the same engine`,
        }[how];
        const short = {
          requested: 'requested', only: onnxRuns ? `${generator.kind.description} runs on the tfjs engine` : 'the only one here', fixed: 'fixed order, the same in every shard',
        }[how];
        return keep(t, c, {
          how, measurements: [],
          line: `${spaced(c)} (${[short, ...failures.map((f) => `${f.candidate}: failed`), ...skipped].join('; ')})`,
        }, [decided, ...failures.map((f) => `failed ${f.candidate}: ${f.error}`), ...skippedDetails]);
      }
      throw new Error(`No translation engine works here: ${failures.map((f) => `${f.candidate}: ${f.error}`).join('; ')}`);
    }

    // Rule 'fastest': time each usable candidate on one probe image, keep the fastest open.
    const size = options.probeSize ?? 128;
    if (!Number.isInteger(size) || size < 8 || size % 4 !== 0) throw new RangeError(`probeSize must be a multiple of 4 and at least 8, received ${size}`);
    const probe = probeImage(size);
    const time = options.timeCandidate ?? ((_c, t, p) => medianProbeMs(options.iters ?? 2, t, p));
    const measurements: EngineMeasurement[] = [];
    const byCandidate = new Map<EngineCandidate, Translator>();
    for (const c of usable) {
      try {
        const t = await open(c);
        byCandidate.set(c, t);
        measurements.push({ candidate: c, ms: await time(c, t, probe) });
      } catch (e) {
        if (e instanceof RangeError) throw e;
        measurements.push({ candidate: c, ms: undefined, error: (e as Error).message.split('\n')[0] });
      }
    }
    const ok = measurements.filter((m) => m.ms !== undefined).sort((a, b) => a.ms! - b.ms!);
    const failed = measurements.filter((m) => m.ms === undefined);
    if (ok.length === 0) throw new Error(`No translation engine works here: ${[...failed.map((m) => `${m.candidate}: ${m.error}`), ...passedOver.map((p) => `${p.candidate}: ${p.why}`)].join('; ')}`);
    const best = ok[0];
    const times = ok.map((m, i) => `${m.candidate} ${m.ms!.toFixed(1)} ms${i ? ` (${(m.ms! / best.ms!).toFixed(1)}x slower)` : ''}`);
    const winner = byCandidate.get(best.candidate)!;
    return keep(winner, best.candidate, {
      how: 'measured', measurements,
      line: `${spaced(best.candidate)} (fastest: ${ok.map((m) => `${m.candidate} ${m.ms!.toFixed(1)} ms`).join(', ')}${[...failed.map((m) => `${m.candidate}: failed`), ...skipped].map((x) => `; ${x}`).join('')})`,
    }, [
      `--engine auto measured this model: fastest on a ${size}x${size} probe: ${best.candidate}; measured ${times.join(', ')}`,
      ...failed.map((m) => `failed ${m.candidate}: ${m.error}`), ...skippedDetails,
    ]);
  } catch (err) {
    for (const t of opened) t.dispose();
    generator.dispose(); // idempotent: TF.js ignores a second dispose
    throw err;
  }
}
