// The memory side of an execution plan: how many bytes one whole-image run may take, and whether a
// batch of whole images fits in them. On the host (CPU providers and backends) the default is measured
// when the plan is made: half of what the machine, or the container's cgroup, still has available, so
// that a large image is tiled instead of the process being killed.
import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import type { ExecutionPlan } from './translator.ts';

export interface HostMemory {
  /** Bytes this process could still allocate. */
  readonly bytes: number;
  /** Where the figure comes from, for the plan's reason. */
  readonly source: string;
}

/** Share of the available memory one whole-image run may take; the rest is for the pipeline around it. */
const WHOLE_IMAGE_SHARE_OF_AVAILABLE = 0.5;

function readNumber(path: string, pattern?: RegExp): number | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    const raw = pattern ? pattern.exec(text)?.[1] : text.trim();
    if (raw === undefined || raw === 'max') return undefined;
    const value = Number(raw);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The smaller of the kernel's MemAvailable (free memory plus reclaimable cache) and the cgroup v2
 * limit less its usage; os.freemem() where neither is readable (not Linux).
 */
export function availableHostMemory(): HostMemory {
  const candidates: HostMemory[] = [];
  const meminfoKb = readNumber('/proc/meminfo', /^MemAvailable:\s+(\d+) kB$/m);
  if (meminfoKb !== undefined) candidates.push({ bytes: meminfoKb * 1024, source: 'MemAvailable' });
  const limit = readNumber('/sys/fs/cgroup/memory.max');
  const usage = readNumber('/sys/fs/cgroup/memory.current');
  if (limit !== undefined && usage !== undefined) candidates.push({ bytes: Math.max(0, limit - usage), source: 'the cgroup limit less its usage' });
  if (!candidates.length) return { bytes: freemem(), source: 'free memory' };
  return candidates.reduce((a, b) => (b.bytes < a.bytes ? b : a));
}

export interface MemoryBudget {
  readonly bytes: number;
  /** How it was set, for the plan's reason. */
  readonly describe: string;
}

const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MiB`;

/**
 * The budget of one whole-image run: the caller's, else (on the host) half of the available memory,
 * capped by `hostCap` where the backend has a heap limit of its own; undefined for device memory.
 */
export function wholeImageBudget(explicit: number | undefined, onHost: boolean, hostCap?: number): MemoryBudget | undefined {
  if (explicit !== undefined) return { bytes: explicit, describe: 'the maxWholeImageBytes budget' };
  if (!onHost) return undefined;
  const available = availableHostMemory();
  const share = Math.floor(available.bytes * WHOLE_IMAGE_SHARE_OF_AVAILABLE);
  if (hostCap !== undefined && hostCap < share) return { bytes: hostCap, describe: `the backend's ${mib(hostCap)} heap budget` };
  return { bytes: share, describe: `half of the ${(available.bytes / 2 ** 30).toFixed(1)} GiB available now (${available.source})` };
}

/** Tiled when one whole w x h image (perImage bytes) exceeds the budget, else whole with the batch cut to fit. */
export function fitMemoryBudget(perImage: number, w: number, h: number, batch: number, budget: MemoryBudget): ExecutionPlan {
  if (perImage > budget.bytes) {
    return { mode: 'tiled', batch: 1, why: `a whole ${w}x${h} image needs about ${mib(perImage)}, over ${mib(budget.bytes)}: ${budget.describe}` };
  }
  return { mode: 'whole', batch: Math.max(1, Math.min(batch, Math.floor(budget.bytes / perImage))), why: 'fits' };
}
