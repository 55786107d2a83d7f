// Per-unit attempts and per-worker throughput of a queued build, from the attempt events the workers
// log on each BullMQ job: an attempt that started but neither finished nor failed was lost (its worker
// died or was cut off) and the unit was given to another worker.
import type { AttemptEvent } from './spec.ts';

export interface AttemptRecord {
  worker: string;
  attempt: number;
  outcome: 'done' | 'error' | 'lost';
  seconds?: number;
  built?: number;
  error?: string;
}

/** One line of queue.jsonl. */
export interface UnitLog {
  unit: number;
  job: string;
  samples: number;
  attempts: AttemptRecord[];
  /** Redis lost the unit (restarted without persistence) after it finished, before the coordinator read its attempts. */
  recordsLost?: true;
}

export interface WorkerStats {
  id: string;
  /** Units this worker finished. */
  units: number;
  /** Samples it built (not counting samples it found up to date). */
  samples: number;
  /** Seconds spent on the units it finished. */
  seconds: number;
  samplesPerSecond: number;
  /** Units it finished that another attempt had started before. */
  retries: number;
  /** Attempts it started and did not finish: lost (killed, stalled) or failed. */
  failures: number;
}

export interface QueueSummary {
  redis: string;
  queue: string;
  build: string;
  unitSize: number;
  units: { inBuild: number; enqueued: number; alreadyQueued: number; done: number };
  /** Attempts beyond the first, over all units. */
  retries: number;
  /** Attempts whose worker vanished mid-unit. */
  lost: number;
  /** Units whose attempt records Redis lost (restarted without persistence) before the coordinator read them. */
  recordsLost: number;
  workers: WorkerStats[];
  /** The per-unit attempt log, beside manifest.jsonl. */
  log: string;
}

export function unitAttempts(events: readonly AttemptEvent[]): AttemptRecord[] {
  const starts = events.filter((e) => e.event === 'start');
  return starts.map((s) => {
    const end = events.find((e) => e.event !== 'start' && e.worker === s.worker && e.attempt === s.attempt);
    if (!end) return { worker: s.worker, attempt: s.attempt, outcome: 'lost' };
    return {
      worker: s.worker, attempt: s.attempt, outcome: end.event === 'done' ? 'done' : 'error',
      seconds: Math.round(end.at - s.at) / 1000,
      ...(end.built !== undefined ? { built: end.built } : {}),
      ...(end.error !== undefined ? { error: end.error } : {}),
    };
  });
}

export function parseEvents(lines: readonly string[]): AttemptEvent[] {
  return lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as AttemptEvent];
    } catch {
      return [];
    }
  });
}

export function workerStats(units: readonly UnitLog[]): WorkerStats[] {
  const byId = new Map<string, WorkerStats>();
  const row = (id: string): WorkerStats => {
    let w = byId.get(id);
    if (!w) byId.set(id, w = { id, units: 0, samples: 0, seconds: 0, samplesPerSecond: 0, retries: 0, failures: 0 });
    return w;
  };
  for (const u of units) {
    u.attempts.forEach((a, k) => {
      const w = row(a.worker);
      if (a.outcome !== 'done') {
        w.failures++;
        return;
      }
      w.units++;
      w.samples += a.built ?? 0;
      w.seconds += a.seconds ?? 0;
      if (k > 0) w.retries++;
    });
  }
  for (const w of byId.values()) {
    w.seconds = Math.round(w.seconds * 1000) / 1000;
    w.samplesPerSecond = w.seconds > 0 ? Math.round((w.samples / w.seconds) * 1000) / 1000 : 0;
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export const queueLogText = (units: readonly UnitLog[]): string => units.map((u) => `${JSON.stringify(u)}\n`).join('');
