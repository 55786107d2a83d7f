// A worker told to stop while Redis cannot answer (frozen, or a connection BullMQ leaves reconnecting
// after a Redis restart) stops within its grace instead of waiting for Redis forever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { connectionOptions } from '../src/pipeline/distributed/connection.ts';
import { parseRedisUrl } from '../src/option-values.ts';
import { QUEUE_NAME } from '../src/pipeline/distributed/spec.ts';
import { CLOSE_GRACE_MS } from '../src/pipeline/distributed/worker.ts';
import { redisMissing, sleep, startRedis, stopProcess } from './queue-helpers.ts';
import { nightshiftProcess } from './process-helpers.ts';

test('SIGTERM with Redis frozen: the worker exits 0 after its close grace and says it abandoned the connections', { skip: redisMissing }, async () => {
  const redis = await startRedis();
  const worker = nightshiftProcess(['worker', '--queue', redis.url, '--name', 'frozen-redis']);
  const queue = new Queue(QUEUE_NAME, { connection: connectionOptions(parseRedisUrl(redis.url)) });
  try {
    // Connected: Redis lists the worker's connection (BullMQ names it <queue>:w:<worker name>).
    for (const deadline = Date.now() + 60_000; !(await queue.getWorkers()).some((w) => w.rawname?.endsWith(':w:frozen-redis')); await sleep(100)) {
      assert.ok(Date.now() < deadline, `the worker never connected:\n${worker.output()}`);
    }
    await queue.close();
    redis.proc.child.kill('SIGSTOP');
    const told = Date.now();
    worker.child.kill('SIGTERM');
    const bound = CLOSE_GRACE_MS + 20_000;
    const exit = await Promise.race([worker.exited, sleep(bound).then(() => null)]);
    assert.ok(exit, `the worker was still running ${bound / 1000} s after SIGTERM:\n${worker.output()}`);
    assert.equal(exit.code, 0, worker.output());
    assert.ok(Date.now() - told >= CLOSE_GRACE_MS - 100, 'it waited for its connections to close first');
    assert.match(worker.output(), /SIGTERM: finishing the unit in hand[\s\S]*stopped; its Redis connections had not closed 10 s after the last unit and were abandoned/);
  } finally {
    redis.proc.child.kill('SIGCONT');
    await queue.close();
    await stopProcess(worker, 'SIGKILL');
    await redis.stop();
  }
});
