// Throughput of the synthetic street-scene generator: scenes generated, labelled, rendered by day and
// night and PNG-encoded per second, with and without the two fault renders.
// Usage: npx tsx bench/synthetic-throughput.ts [count=40] [width=512] [height=256]
import { availableParallelism } from 'node:os';
import { loadavg } from 'node:os';
import { generateScene, sceneLabels, renderSceneSync, encodePng, synthesise } from '@nightshift/datasets';

const count = Number(process.argv[2] ?? 40);
const width = Number(process.argv[3] ?? 512);
const height = Number(process.argv[4] ?? 256);

// CPU time (this process, sharp's worker threads included) is reported next to wall time because a
// shared machine's load inflates wall time; the 1000-scene column extrapolates wall time.
interface Row { stage: string; msPerScene: number; cpuMsPerScene: number }

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function timeIt(stage: string, fn: (seed: number) => Promise<unknown> | unknown): Promise<Row> {
  for (let seed = 10_000; seed < 10_003; seed++) await fn(seed); // warm-up (JIT)
  const t0 = performance.now(), c0 = cpuMs();
  for (let seed = 0; seed < count; seed++) await fn(seed);
  return { stage, msPerScene: (performance.now() - t0) / count, cpuMsPerScene: (cpuMs() - c0) / count };
}

const size = { width, height };
const rows: Row[] = [];
rows.push(await timeIt('generateScene', (s) => generateScene(s, size)));
rows.push(await timeIt('scene + labels', (s) => sceneLabels(generateScene(s, size))));
rows.push(await timeIt('scene + labels + day/night RGB', (s) => {
  const scene = generateScene(s, size);
  sceneLabels(scene);
  renderSceneSync(scene, 'day');
  renderSceneSync(scene, 'night');
}));
rows.push(await timeIt('... + PNG encode (sample)', async (s) => {
  const scene = generateScene(s, size);
  sceneLabels(scene);
  await Promise.all([encodePng(renderSceneSync(scene, 'day')), encodePng(renderSceneSync(scene, 'night'))]);
}));
rows.push(await timeIt('synthesise() with 2 fault PNGs', async (s) => {
  for await (const sample of synthesise({ count: 1, firstSeed: s, width, height })) void sample;
}));

console.log(`synthetic scenes ${width}x${height}, ${count} scenes per row, ${availableParallelism()} CPUs, load average ${loadavg()[0].toFixed(1)}, node ${process.version}`);
console.log(['stage'.padEnd(34), 'ms/scene'.padStart(9), 'cpu ms'.padStart(8), 'scenes/s'.padStart(9), '1000 scenes'.padStart(12)].join(' '));
for (const r of rows) {
  console.log([
    r.stage.padEnd(34), r.msPerScene.toFixed(1).padStart(9), r.cpuMsPerScene.toFixed(1).padStart(8),
    (1000 / r.msPerScene).toFixed(1).padStart(9), `${r.msPerScene.toFixed(0)} s`.padStart(12),
  ].join(' '));
}
