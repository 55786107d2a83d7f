// A queue worker: takes units from Redis, opens the unit's build (source, engine, checks) from the spec
// in the shared output, plans the unit's samples again (a unit done twice skips what is already
// built and leaves the same bytes) and builds them with buildSamples, the code path of a local run.
// A worker never takes the output lock: the coordinator holds it for the whole build.
import { Worker, UnrecoverableError, type Job } from 'bullmq';
import { CITYSCAPES_COCO_CATEGORIES, DatasetError } from '@nightshift/labels';
import { buildSamples, type SampleBuilder } from '../build-samples.ts';
import { loadChecker } from '../checks.ts';
import { createEngine } from '../engine.ts';
import { openSource } from '../open-source.ts';
import type { BackendRequest } from '../options.ts';
import { cocoCategoriesFor, planItems, selectItems } from '../plan.ts';
import type { SourceItem } from '../sources.ts';
import { writeSampleState } from '../state.ts';
import { connectionOptions, type RedisAddress } from './connection.ts';
import { QUEUE_NAME, readQueueFile, type AttemptEvent, type BuildSpec, type UnitData, type UnitResult } from './spec.ts';

export interface WorkerSettings {
  address: RedisAddress;
  /** Recorded with every attempt: per-worker throughput and failures in summary.json and the report. */
  name: string;
  /** A unit whose worker stops renewing this lock (killed, frozen, cut off) goes to another worker. */
  lockMs: number;
  /** How often workers look for units whose lock expired. */
  stalledCheckMs: number;
  /** A unit that stalls more often than this fails (e.g. it kills every worker that takes it). */
  maxStalls: number;
  log: (line: string) => void;
}

interface QueuedBuild {
  build: string;
  spec: BuildSpec;
  items: Map<string, SourceItem>;
  builder: SampleBuilder;
  dispose(): void;
}

/** The build a queue spec describes, opened on this worker: its source, engine and checks. */
async function openQueuedBuild(build: string, spec: BuildSpec): Promise<QueuedBuild> {
  const source = await openSource(spec.input);
  const { listed } = selectItems(source.items, spec.limit, undefined);
  const engine = await createEngine(spec.engine.name, { model: spec.model, backend: spec.engine.backend as BackendRequest, batch: spec.batch, tile: spec.tile });
  try {
    const hash = engine.translator.info.modelHash;
    if (hash !== spec.modelRecord.hash) throw new UnrecoverableError(`${spec.model.path}: this worker reads weights with sha256 ${hash.slice(0, 16)}…, the coordinator ${spec.modelRecord.hash.slice(0, 16)}…; workers must see the same model file`);
    if (engine.backend !== spec.engine.backend) throw new Error(`the coordinator chose ${spec.engine.name} on ${spec.engine.backend}, but this worker got ${engine.backend}`);
    const checker = spec.checks ? (await loadChecker({ seed: spec.seed, ...spec.checks })).checker : undefined;
    if ((checker?.id ?? spec.options.checks) !== spec.options.checks) throw new UnrecoverableError(`this worker's checks are ${checker?.id}, the build's ${spec.options.checks}`);
    return {
      build, spec,
      items: new Map(listed.map((item) => [item.key, item])),
      builder: {
        source, output: spec.output, formats: spec.formats, policy: spec.policy, batch: spec.batch,
        cocoCategories: cocoCategoriesFor(source, spec.formats, CITYSCAPES_COCO_CATEGORIES), translator: engine.translator,
        checker, model: spec.modelRecord, options: spec.options, onError: spec.onError,
      },
      dispose: () => engine.translator.dispose(),
    };
  } catch (error) {
    engine.translator.dispose();
    throw error;
  }
}

/** Plans and builds the samples of one unit; samples already up to date are skipped. */
async function buildUnit(open: QueuedBuild, keys: readonly string[], progress: (done: number, total: number) => void): Promise<Omit<UnitResult, 'worker' | 'seconds'>> {
  const { spec } = open;
  const items = keys.map((key) => {
    const item = open.items.get(key);
    if (!item) throw new UnrecoverableError(`sample ${key} is no longer in ${spec.input.path}; rerun the coordinator to plan the build again`);
    return item;
  });
  const { kept, todo, unreadable } = planItems(items, spec.output, spec.modelRecord, spec.options, spec.input.format);
  for (const state of unreadable) writeSampleState(spec.output, state);
  let done = 0;
  progress(0, todo.length);
  const result = await buildSamples(open.builder, todo, () => progress(++done, todo.length));
  return { built: result.built.length, upToDate: kept.length, failed: unreadable.length + result.failed.length, busy: result.busy };
}

export interface RunningWorker {
  /**
   * Finishes the unit in hand, then disconnects. Resolves true once closed, or false when the
   * connections have not closed CLOSE_GRACE_MS after the unit in hand finished (see there).
   */
  close(): Promise<boolean>;
}

/**
 * BullMQ's Worker.close() can wait forever once the unit in hand is finished: for a blocking connection
 * left reconnecting by a Redis restart (taskforcesh/bullmq#4656, open for bullmq 6.7), or for the answer
 * of a Redis that is frozen. Past this grace the worker stops without them: the unit's result, if Redis
 * has not recorded it, is lost as after a crash (its lock expires and another worker builds it again).
 */
export const CLOSE_GRACE_MS = 10_000;

export function startWorker(settings: WorkerSettings): RunningWorker {
  const { log, name } = settings;
  let open: QueuedBuild | undefined;
  let opening: Promise<QueuedBuild> | undefined;

  // One build open at a time: a unit of another build closes the previous one's engine.
  const buildFor = async (data: UnitData): Promise<QueuedBuild> => {
    if (open?.build === data.build) return open;
    const file = readQueueFile(data.output);
    if (!file || file.build !== data.build) {
      throw new UnrecoverableError(`${data.output}: this unit belongs to build ${data.build}, but the output's .nightshift/queue.json is ${file ? `build ${file.build}` : 'missing'} (its coordinator restarted with other settings); the unit is dropped`);
    }
    open?.dispose();
    open = undefined;
    opening ??= openQueuedBuild(data.build, file.spec);
    try {
      open = await opening;
    } finally {
      opening = undefined;
    }
    log(`build ${data.build}: ${file.spec.input.path} → ${file.spec.output}, ${open.spec.engine.name} on ${open.spec.engine.backend}`);
    return open;
  };

  const event = (job: Job, e: Omit<AttemptEvent, 'worker' | 'attempt' | 'at'>): Promise<unknown> =>
    job.log(JSON.stringify({ ...e, worker: name, attempt: job.attemptsStarted, at: Date.now() } satisfies AttemptEvent));

  // Settles when the unit in hand (at most one: concurrency 1) is finished.
  let inHand: Promise<unknown> = Promise.resolve();
  const worker = new Worker<UnitData, UnitResult>(QUEUE_NAME, (job) => (inHand = buildJob(job)), {
    connection: connectionOptions(settings.address),
    name,
    concurrency: 1,
    lockDuration: settings.lockMs,
    stalledInterval: settings.stalledCheckMs,
    maxStalledCount: settings.maxStalls,
    drainDelay: 1,
  });

  async function buildJob(job: Job<UnitData, UnitResult>): Promise<UnitResult> {
    const started = performance.now();
    await event(job, { event: 'start' });
    log(`unit ${job.id} started (${job.data.keys.length} samples, attempt ${job.attemptsStarted})`);
    try {
      const b = await buildFor(job.data);
      const r = await buildUnit(b, job.data.keys, (done, total) => { void job.updateProgress({ done, total }).catch(() => {}); });
      const result: UnitResult = { worker: name, ...r, seconds: Math.round(performance.now() - started) / 1000 };
      await event(job, { event: 'done', built: result.built });
      log(`unit ${job.id} done: ${result.built} built, ${result.upToDate} up to date, ${result.failed} failed, ${result.seconds.toFixed(2)} s`);
      return result;
    } catch (error) {
      const message = (error as Error).message;
      await event(job, { event: 'error', error: message }).catch(() => {});
      log(`unit ${job.id} failed: ${message}`);
      // --on-error fail: a bad sample stops the build; trying the unit again cannot help.
      if (error instanceof DatasetError) throw new UnrecoverableError(message);
      throw error;
    }
  }

  // BullMQ reconnects by itself; an outage is reported every 10 s while it lasts.
  let reported = 0;
  worker.on('error', (error) => {
    if (Date.now() - reported < 10_000) return;
    reported = Date.now();
    log(`Redis at ${settings.address.display}: ${error.message}; reconnecting`);
  });

  return {
    close: async () => {
      const closing = worker.close().then(() => true);
      await inHand.catch(() => {});
      let grace: NodeJS.Timeout | undefined;
      const closed = await Promise.race([closing, new Promise<false>((resolve) => { grace = setTimeout(resolve, CLOSE_GRACE_MS, false); })]);
      clearTimeout(grace);
      open?.dispose();
      open = undefined;
      return closed;
    },
  };
}
