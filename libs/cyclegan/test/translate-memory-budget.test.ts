import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableHostMemory, fitMemoryBudget, wholeImageBudget } from '../src/translate/memory-budget.ts';

test('available host memory agrees with procps free (Linux)', { skip: !existsSync('/proc/meminfo') && 'not Linux' }, () => {
  const ours = availableHostMemory();
  // `free -b`: the "Mem:" row's last column is the kernel's MemAvailable.
  const row = execFileSync('free', ['-b'], { encoding: 'utf8' }).split('\n').find((l) => l.startsWith('Mem:'))!;
  const available = Number(row.trim().split(/\s+/).at(-1));
  if (ours.source === 'MemAvailable') assert.ok(Math.abs(ours.bytes - available) < 0.05 * available, `${ours.bytes} vs free's ${available}`);
  else assert.ok(ours.bytes <= available * 1.05, `${ours.source} ${ours.bytes} must not exceed MemAvailable ${available}`);
  assert.ok(ours.bytes > 2 ** 26);
});

test('the whole-image budget: the caller\'s, half the available host memory, the heap cap, none for device memory', () => {
  assert.deepEqual(wholeImageBudget(1234, true), { bytes: 1234, describe: 'the maxWholeImageBytes budget' });
  assert.equal(wholeImageBudget(undefined, false), undefined);
  const host = wholeImageBudget(undefined, true)!;
  const available = availableHostMemory().bytes;
  assert.ok(Math.abs(host.bytes - available / 2) < 0.05 * available, `${host.bytes} vs half of ${available}`);
  assert.match(host.describe, /^half of the [\d.]+ GiB available now/);
  const capped = wholeImageBudget(undefined, true, 1024)!;
  assert.deepEqual(capped, { bytes: 1024, describe: 'the backend\'s 0 MiB heap budget' });
});

test('a plan cuts the batch to the budget and tiles an image over it', () => {
  const budget = { bytes: 10 * 2 ** 20, describe: 'a test budget' };
  assert.deepEqual(fitMemoryBudget(3 * 2 ** 20, 64, 64, 8, budget), { mode: 'whole', batch: 3, why: 'fits' });
  assert.deepEqual(fitMemoryBudget(11 * 2 ** 20, 640, 480, 8, budget),
    { mode: 'tiled', batch: 1, why: 'a whole 640x480 image needs about 11 MiB, over 10 MiB: a test budget' });
});
