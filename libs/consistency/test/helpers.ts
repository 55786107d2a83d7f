// Synthetic scenes shared by the consistency tests, at the benchmark size (512x256: tens of ms per check).
import { generateScene, sceneLabels, renderSceneSync, renderFaults } from '@nightshift/datasets';
import type { LabelMaps, RgbImage } from '@nightshift/consistency';

export const SIZE = { width: 512, height: 256 };

export async function scene(seed: number): Promise<{ labels: LabelMaps; day: RgbImage; night: RgbImage; faults: Awaited<ReturnType<typeof renderFaults>> }> {
  const s = generateScene(seed, SIZE);
  return { labels: sceneLabels(s), day: renderSceneSync(s, 'day'), night: renderSceneSync(s, 'night'), faults: await renderFaults(s) };
}

export const overlaps = (a: number[], b: number[]): boolean => a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
