// The objects of a Cityscapes frame, read off its instanceIds image in one pass.
import { isInstanceValue, labelById, labelIdOf } from '../label-table.ts';
import type { SampleObject } from '../sample.ts';

/**
 * Objects of an instanceIds image: every instance value (labelIdOf, isInstanceValue) is an object; a
 * plain labelId whose label has instances is a group (iscrowd); other values are stuff and not objects.
 * Sorted by instanceId. Throws a RangeError for a value whose label is not in the table.
 */
export function objectsFromInstanceIds(instances: Uint16Array, width: number): SampleObject[] {
  if (width <= 0 || instances.length % width !== 0) throw new RangeError(`${instances.length} values are not rows of width ${width}`);
  const count = new Uint32Array(65536);
  const minX = new Uint16Array(65536).fill(0xffff);
  const minY = new Uint16Array(65536).fill(0xffff);
  const maxX = new Uint16Array(65536);
  const maxY = new Uint16Array(65536);
  const n = instances.length;
  for (let i = 0, x = 0, y = 0; i < n; i++) {
    const v = instances[i];
    count[v]++;
    if (x < minX[v]) minX[v] = x;
    if (x > maxX[v]) maxX[v] = x;
    if (y < minY[v]) minY[v] = y;
    if (y > maxY[v]) maxY[v] = y;
    if (++x === width) { x = 0; y++; }
  }
  const objects: SampleObject[] = [];
  for (let v = 0; v < 65536; v++) {
    if (count[v] === 0) continue;
    const labelId = labelIdOf(v);
    const label = labelById(labelId);
    if (!label) throw new RangeError(`instanceIds value ${v} (${count[v]} pixels) has label id ${labelId}, which is not in the label table`);
    const isInstance = isInstanceValue(v);
    if (!isInstance && !label.hasInstances) continue;
    objects.push({
      instanceId: v,
      labelId,
      name: label.name,
      bbox: [minX[v], minY[v], maxX[v] - minX[v] + 1, maxY[v] - minY[v] + 1],
      area: count[v],
      pixelCount: count[v],
      iscrowd: !isInstance,
    });
  }
  return objects;
}
