// The coordinator's side of the BullMQ queue: enqueue a build's units (finding those a previous
// coordinator of the same build enqueued), wait for them, and read back every attempt. Each Redis
// call waits through reconnections up to a deadline, then fails with a message that names Redis.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { Queue, type Job } from 'bullmq';
import type { Planned } from '../plan.ts';
import { STAGES, type StageTimings } from '../record.ts';
import { connectionOptions, type RedisAddress } from './connection.ts';
import { QUEUE_NAME, finishedUnitsPath, unitJobId, type UnitData, type UnitResult } from './spec.ts';
import { parseEvents, unitAttempts, type UnitLog } from './stats.ts';

/** Redis unreachable, or units that failed on every attempt: the build stops, and a rerun resumes it. */
export class QueueError extends Error {}

const JOB_ATTEMPTS = 3;
const KEEP_JOBS_SECONDS = 7 * 24 * 3600;
/** Units looked up in one round trip while waiting. */
const POLL_CHUNK = 64;

export interface PendingUnit {
  unit: number;
  planned: Planned[];
}

type StillTodo = (planned: readonly Planned[]) => Planned[];

/** A line of .nightshift/queue-finished.jsonl: a finished unit of one build (since: when the build began). */
interface FinishedUnit {
  build: string;
  since: number;
  log: UnitLog;
  built: number;
  busy: StageTimings;
}

const NOTHING_BUSY: StageTimings = { decode: 0, translate: 0, check: 0, write: 0 };

/** The finished units recorded for this build, by unit; a line cut short by a crash is skipped. */
function readFinishedUnits(output: string, build: string, since: number): Map<number, FinishedUnit> {
  const path = finishedUnitsPath(output);
  const units = new Map<number, FinishedUnit>();
  if (!existsSync(path)) return units;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    let record: FinishedUnit;
    try {
      record = JSON.parse(line) as FinishedUnit;
    } catch {
      continue;
    }
    if (record.build === build && record.since === since) units.set(record.log.unit, record);
  }
  return units;
}

export class UnitQueue {
  private lastError = '';

  private constructor(
    private readonly queue: Queue<UnitData, UnitResult>,
    private readonly address: RedisAddress,
    private readonly timeoutMs: number,
    private readonly output: string,
  ) {}

  static async open(address: RedisAddress, timeoutMs: number, output: string, log: (line: string) => void): Promise<UnitQueue> {
    const queue = new Queue<UnitData, UnitResult>(QUEUE_NAME, { connection: connectionOptions(address) });
    const q = new UnitQueue(queue, address, timeoutMs, output);
    queue.on('error', (error) => {
      if (error.message !== q.lastError) log(`Redis at ${address.display}: ${error.message}; reconnecting`);
      q.lastError = error.message;
    });
    try {
      await q.redis('connecting', () => queue.waitUntilReady());
    } catch (error) {
      await q.close();
      throw error;
    }
    return q;
  }

  private async redis<T>(what: string, call: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QueueError(
        `Redis at ${this.address.display} did not answer for ${this.timeoutMs / 1000} s (${what}${this.lastError ? `; last error: ${this.lastError}` : ''}). ` +
        `The finished samples are kept in ${this.output}; start Redis and rerun the same command to resume.`,
      )), this.timeoutMs);
    });
    try {
      const result = await Promise.race([call(), deadline]);
      this.lastError = '';
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  private add(build: string, unit: number, planned: readonly Planned[]): Promise<Job<UnitData, UnitResult>> {
    return this.redis('enqueuing', () => this.queue.add('unit', { output: this.output, build, unit, keys: planned.map((p) => p.item.key) }, {
      jobId: unitJobId(build, unit), attempts: JOB_ATTEMPTS, backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: KEEP_JOBS_SECONDS }, removeOnFail: { age: KEEP_JOBS_SECONDS },
    }));
  }

  /**
   * Units with samples to build (todo[k]: unit k's): new ones are enqueued; those a previous
   * coordinator enqueued are waited for, not enqueued again; finished ones whose samples still need
   * building (failed samples, changed inputs) are enqueued again, as a local rerun builds them again.
   */
  async enqueue(build: string, todo: readonly Planned[][], stillTodo: StillTodo): Promise<{ pending: Map<string, PendingUnit>; enqueued: number; alreadyQueued: number }> {
    const pending = new Map<string, PendingUnit>();
    let enqueued = 0;
    let alreadyQueued = 0;
    for (let unit = 0; unit < todo.length; unit++) {
      const planned = todo[unit];
      if (planned.length === 0) continue;
      const id = unitJobId(build, unit);
      const job = await this.redis('looking up a unit', () => this.queue.getJob(id));
      const state = job ? await this.redis('looking up a unit', () => job.getState()) : undefined;
      if (job && state !== 'completed' && state !== 'failed') {
        alreadyQueued++;
        pending.set(id, { unit, planned });
        continue;
      }
      const left = job ? stillTodo(planned) : planned;
      if (left.length === 0) continue;
      if (job) await this.redis('replacing a finished unit', () => job.remove());
      await this.add(build, unit, left);
      enqueued++;
      pending.set(id, { unit, planned: left });
    }
    return { pending, enqueued, alreadyQueued };
  }

  /** Waits until every pending unit finished; returns the units that failed on every attempt. */
  async wait(build: string, since: number, pending: Map<string, PendingUnit>, stillTodo: StillTodo, pollMs: number,
    progress: (done: number, extra: string) => void, log: (line: string) => void): Promise<string[]> {
    const recorded = readFinishedUnits(this.output, build, since);
    const record = (finished: Omit<FinishedUnit, 'build' | 'since'>): void => {
      appendFileSync(finishedUnitsPath(this.output), `${JSON.stringify({ build, since, ...finished } satisfies FinishedUnit)}\n`);
      recorded.set(finished.log.unit, { build, since, ...finished });
    };
    let done = 0;
    const failed: string[] = [];
    while (pending.size > 0) {
      let inFlight = 0;
      let active = 0;
      const entries = [...pending];
      for (let i = 0; i < entries.length; i += POLL_CHUNK) {
        const chunk = entries.slice(i, i + POLL_CHUNK);
        const jobs = await this.redis('polling the units', () => Promise.all(chunk.map(([id]) => this.queue.getJob(id))));
        for (let k = 0; k < chunk.length; k++) {
          const [id, p] = chunk[k];
          const job = jobs[k];
          if (!job) {
            // Redis lost the unit (restarted without persistence): enqueue what is left of it again.
            const left = stillTodo(p.planned);
            if (left.length === 0) {
              done += p.planned.length;
              pending.delete(id);
              if (!recorded.has(p.unit)) {
                record({ log: { unit: p.unit, job: id, samples: p.planned.length, attempts: [], recordsLost: true }, built: p.planned.length, busy: NOTHING_BUSY });
              }
            } else {
              await this.add(build, p.unit, left);
              log(`unit ${p.unit} vanished from Redis; enqueued again`);
            }
            continue;
          }
          if (job.finishedOn) {
            const state = await this.redis('polling the units', () => job.getState());
            if (state === 'completed' || state === 'failed') {
              record(await this.finishedUnit(p.unit, job));
              pending.delete(id);
              done += p.planned.length;
              if (state === 'failed') failed.push(`unit ${p.unit} (${p.planned[0].item.key} …, ${p.planned.length} samples): ${job.failedReason}`);
              continue;
            }
          }
          const unitProgress = job.progress as { done?: number } | number;
          if (typeof unitProgress === 'object' && unitProgress.done) {
            inFlight += Math.min(unitProgress.done, p.planned.length);
            active++;
          }
        }
      }
      progress(done + inFlight, `${active} units in progress, ${pending.size} left`);
      if (pending.size > 0) await new Promise((r) => setTimeout(r, Math.max(pollMs, pending.size / 5)));
    }
    return failed;
  }

  private async finishedUnit(unit: number, job: Job<UnitData, UnitResult>): Promise<Omit<FinishedUnit, 'build' | 'since'>> {
    const id = job.id!;
    const events = await this.redis('reading the unit logs', () => this.queue.getJobLogs(id));
    return {
      log: { unit, job: id, samples: job.data.keys.length, attempts: unitAttempts(parseEvents(events.logs)) },
      built: job.returnvalue?.built ?? 0,
      busy: job.returnvalue?.busy ?? NOTHING_BUSY,
    };
  }

  /**
   * Every attempt of the build's units enqueued since `since` (ms), and what their last attempts built:
   * from Redis, or for units Redis no longer holds, from what the coordinators recorded as they finished.
   */
  async history(build: string, units: number, since: number): Promise<{ logs: UnitLog[]; built: number; busy: StageTimings }> {
    const recorded = readFinishedUnits(this.output, build, since);
    const logs: UnitLog[] = [];
    const busy: StageTimings = { ...NOTHING_BUSY };
    let built = 0;
    for (let unit = 0; unit < units; unit++) {
      const job = await this.redis('reading the unit logs', () => this.queue.getJob(unitJobId(build, unit)));
      const finished = job && job.timestamp >= since ? await this.finishedUnit(unit, job) : recorded.get(unit);
      if (!finished) continue;
      logs.push(finished.log);
      built += finished.built;
      for (const s of STAGES) busy[s] += finished.busy[s];
    }
    return { logs, built, busy };
  }

  /** A graceful close waits for Redis; when Redis is gone, the connection is dropped instead. */
  async close(): Promise<void> {
    const closed = this.queue.close().then(() => true, () => false);
    if (!(await Promise.race([closed, new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref())]))) await this.queue.disconnect().catch(() => {});
  }
}
