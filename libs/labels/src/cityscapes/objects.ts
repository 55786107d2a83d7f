// The objects of a Cityscapes frame, read off its instanceIds image in one pass.
import { labelById } from '../label-table.ts';
import type { SampleObject } from '../sample.ts';

/** The label id an instanceIds value belongs to: labelId*1000+k → labelId, a plain labelId → itself. */
export function instanceClass(value: number): number {
  return value >= 1000 ? Math.floor(value / 1000) : value;
}

/**
 * Objects of an instanceIds image: every value >= 1000 is an instance of label floor(v/1000); a value
 * below 1000 whose label has instances is a group (iscrowd); other values are stuff and not objects.
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
    const labelId = instanceClass(v);
    const label = labelById(labelId);
    if (!label) throw new RangeError(`instanceIds value ${v} (${count[v]} pixels) has label id ${labelId}, which is not in the label table`);
    const isInstance = v >= 1000;
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
