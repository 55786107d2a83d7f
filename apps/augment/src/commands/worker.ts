// `nightshift worker --queue redis://...`: serves the units of queued builds (nightshift night|day
// --queue) until SIGTERM or SIGINT, which finish the unit in hand and disconnect; a second signal
// stops at once (the unit goes to another worker, as after a crash).
import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { RedisAddress } from '../pipeline/distributed/connection.ts';
import { CLOSE_GRACE_MS, startWorker } from '../pipeline/distributed/worker.ts';
import { parseInteger, parseRedisUrl } from '../option-values.ts';
import { EXIT } from '../exit-codes.ts';

export interface WorkerCommandOptions {
  queue: RedisAddress;
  name?: string;
  lockMs: number;
  stallCheckMs: number;
  maxStalls: number;
}

export function registerWorkerCommand(program: Command, setExit: (code: number) => void): void {
  program.command('worker')
    .description('Build the units of queued builds (nightshift night|day --queue) from a BullMQ queue in Redis, until SIGTERM or SIGINT. Needs the build\'s input, model and output at the same paths as the coordinator.')
    .requiredOption('--queue <redis-url>', 'the Redis of the queue, redis://host:port/db', parseRedisUrl)
    .option('--name <id>', 'this worker in summary.json, queue.jsonl and the report (default: host:pid)')
    .option('--lock-ms <ms>', 'a unit whose worker stops renewing its lock this long is given to another worker', (v) => parseInteger(v, '--lock-ms', 100), 30_000)
    .option('--stall-check-ms <ms>', 'how often to look for such units', (v) => parseInteger(v, '--stall-check-ms', 100), 15_000)
    .option('--max-stalls <n>', 'a unit that stalls more often than this fails (it keeps killing its workers)', (v) => parseInteger(v, '--max-stalls', 0), 3)
    .action(async (opts) => setExit(await runWorker(opts as WorkerCommandOptions)));
}

export async function runWorker(opts: WorkerCommandOptions): Promise<number> {
  const name = opts.name ?? `${hostname()}:${process.pid}`;
  const log = (line: string): void => console.log(`worker ${name}: ${line}`);
  const worker = startWorker({ address: opts.queue, name, lockMs: opts.lockMs, stalledCheckMs: opts.stallCheckMs, maxStalls: opts.maxStalls, log });
  log(`waiting for units on ${opts.queue.display}`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log(`${signal}: finishing the unit in hand (send it again to stop at once)`);
  const again = (): void => process.exit(130);
  process.once('SIGTERM', again);
  process.once('SIGINT', again);
  const closed = await worker.close();
  process.off('SIGTERM', again);
  process.off('SIGINT', again);
  if (closed) {
    log('stopped');
    return EXIT.ok;
  }
  // The connections that did not close keep reconnect timers alive: the process would not end by itself.
  log(`stopped; its Redis connections had not closed ${CLOSE_GRACE_MS / 1000} s after the last unit and were abandoned`);
  process.exit(EXIT.ok);
}
