import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedQueue, runStages } from '../src/pipeline/queue.ts';

test('a producer waits while the queue is full: at most capacity items are ever queued', async () => {
  const q = new BoundedQueue<number>(3);
  let most = 0;
  const seen: number[] = [];
  await runStages([q as BoundedQueue<unknown>], [
    async () => {
      for (let i = 0; i < 50; i++) {
        await q.push(i);
        most = Math.max(most, (q as unknown as { items: number[] }).items.length);
      }
      q.close();
    },
    async () => {
      for (;;) {
        const batch = await q.takeBatch(2);
        if (batch.length === 0) break;
        await new Promise((r) => setTimeout(r, 1));
        seen.push(...batch);
      }
    },
  ]);
  assert.ok(most <= 3, `queued ${most}`);
  assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => i));
});

test('a failing stage stops the others and its error is rethrown', async () => {
  const q = new BoundedQueue<number>(1);
  await assert.rejects(runStages([q as BoundedQueue<unknown>], [
    async () => { for (let i = 0; ; i++) await q.push(i); },
    async () => { await q.take(); throw new Error('boom'); },
  ]), /boom/);
});
