// The pure parts of queued builds: Redis URLs, units of the sorted list, and the attempt log that
// per-worker throughput, retries and failures are derived from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRedisUrl } from '../src/option-values.ts';
import { unitJobId, unitsOf } from '../src/pipeline/distributed/spec.ts';
import { unitAttempts, workerStats, type UnitLog } from '../src/pipeline/distributed/stats.ts';
import { UsageError } from '../src/usage-error.ts';

test('redis URLs: host, port, database and credentials; the display form hides the password', () => {
  assert.deepEqual(parseRedisUrl('redis://cache.internal:6380/2'), { host: 'cache.internal', port: 6380, db: 2, username: undefined, password: undefined, display: 'redis://cache.internal:6380/2' });
  const withPassword = parseRedisUrl('redis://:s%40cret@10.0.0.5');
  assert.equal(withPassword.password, 's@cret');
  assert.equal(withPassword.display, 'redis://10.0.0.5:6379/0');
  assert.throws(() => parseRedisUrl('localhost:6379'), UsageError);
  assert.throws(() => parseRedisUrl('http://localhost:6379'), /only redis:\/\/ URLs/);
  assert.throws(() => parseRedisUrl('redis://localhost/x'), /database number/);
});

test('units are consecutive runs of the sorted list; job ids name the build and the unit', () => {
  assert.deepEqual(unitsOf(['a', 'b', 'c', 'd', 'e'], 2), [['a', 'b'], ['c', 'd'], ['e']]);
  assert.deepEqual(unitsOf([], 3), []);
  assert.equal(unitJobId('0123456789abcdef', 7), '0123456789abcdef-7');
});

test('attempts: a start without an end is lost; per-worker units, samples, retries and failures', () => {
  const attempts = unitAttempts([
    { event: 'start', worker: 'a', attempt: 1, at: 1000 },
    { event: 'start', worker: 'b', attempt: 2, at: 9000 },
    { event: 'error', worker: 'b', attempt: 2, at: 9500, error: 'disk full' },
    { event: 'start', worker: 'c', attempt: 3, at: 12000 },
    { event: 'done', worker: 'c', attempt: 3, at: 14500, built: 4 },
  ]);
  assert.deepEqual(attempts, [
    { worker: 'a', attempt: 1, outcome: 'lost' },
    { worker: 'b', attempt: 2, outcome: 'error', seconds: 0.5, error: 'disk full' },
    { worker: 'c', attempt: 3, outcome: 'done', seconds: 2.5, built: 4 },
  ]);
  const units: UnitLog[] = [
    { unit: 0, job: 'x-0', samples: 4, attempts },
    { unit: 1, job: 'x-1', samples: 4, attempts: [{ worker: 'a', attempt: 1, outcome: 'done', seconds: 2, built: 3 }] },
  ];
  assert.deepEqual(workerStats(units), [
    { id: 'a', units: 1, samples: 3, seconds: 2, samplesPerSecond: 1.5, retries: 0, failures: 1 },
    { id: 'b', units: 0, samples: 0, seconds: 0, samplesPerSecond: 0, retries: 0, failures: 1 },
    { id: 'c', units: 1, samples: 4, seconds: 2.5, samplesPerSecond: 1.6, retries: 1, failures: 0 },
  ]);
});
