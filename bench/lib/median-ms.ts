/** Median wall milliseconds of `runs` calls of `run`, after one untimed warm-up call. */
export async function medianMs(runs: number, run: () => Promise<unknown>): Promise<number> {
  return (await interleavedMedianMs(runs, [run]))[0];
}

/**
 * Median wall milliseconds of each of `candidates`, after one untimed warm-up call of each, timed in
 * turn (one call of each per round, `runs` rounds), so that a change in the machine's load falls on
 * all of them alike.
 */
export async function interleavedMedianMs(runs: number, candidates: readonly (() => Promise<unknown>)[]): Promise<number[]> {
  for (const run of candidates) await run();
  const times = candidates.map((): number[] => []);
  for (let r = 0; r < runs; r++) {
    for (const [i, run] of candidates.entries()) {
      const t0 = performance.now();
      await run();
      times[i].push(performance.now() - t0);
    }
  }
  return times.map((t) => {
    t.sort((a, b) => a - b);
    return t[t.length >> 1];
  });
}
