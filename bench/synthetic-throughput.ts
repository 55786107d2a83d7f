// Throughput of the synthetic street-scene generator: scenes generated, labelled, rendered by day and
// night and PNG-encoded per second, with and without the two fault renders.
// Usage: npx tsx bench/synthetic-throughput.ts [count=40] [width=512] [height=256]
import { availableParallelism } from 'node:os';
import { generateScene, sceneLabels, renderSceneSync, encodePng, renderFaults } from '@nightshift/datasets';

const count = Number(process.argv[2] ?? 40);
const width = Number(process.argv[3] ?? 512);
const height = Number(process.argv[4] ?? 256);

interface Row { stage: string; msPerScene: number }

async function timeIt(stage: string, fn: (seed: number) => Promise<unknown> | unknown): Promise<Row> {
  for (let seed = 10_000; seed < 10_003; seed++) await fn(seed); // warm-up (JIT)
  const t0 = performance.now();
  for (let seed = 0; seed < count; seed++) await fn(seed);
  return { stage, msPerScene: (performance.now() - t0) / count };
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
rows.push(await timeIt('... + 2 fault night PNGs', async (s) => {
  const scene = generateScene(s, size);
  sceneLabels(scene);
  const f = await renderFaults(scene);
  await Promise.all([
    encodePng(renderSceneSync(scene, 'day')), encodePng(renderSceneSync(scene, 'night')),
    ...[f.erased, f.added].flatMap((r) => (r ? [encodePng(r.image)] : [])),
  ]);
}));

console.log(`synthetic scenes ${width}x${height}, ${count} scenes per row, ${availableParallelism()} CPUs, node ${process.version}`);
console.log(['stage'.padEnd(34), 'ms/scene'.padStart(9), 'scenes/s'.padStart(9), '1000 scenes'.padStart(12)].join(' '));
for (const r of rows) {
  console.log([r.stage.padEnd(34), r.msPerScene.toFixed(1).padStart(9), (1000 / r.msPerScene).toFixed(1).padStart(9), `${(r.msPerScene).toFixed(0).padStart(8)} s`.padStart(12)].join(' '));
}
