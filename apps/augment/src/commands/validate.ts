import { readCocoDataset, validateCityscapes, validateCocoDataset } from '@nightshift/labels';
import { resolveDatasetInput, type DatasetFormat } from '../dataset-input.ts';
import { printProblems, printTable } from '../console.ts';

export interface ValidateOptions {
  input: string;
  format?: DatasetFormat;
  images?: string;
  split?: string;
}

/** `nightshift validate`: prints a summary and every problem; exit code 1 when there are problems. */
export async function runValidate(opts: ValidateOptions): Promise<number> {
  const input = resolveDatasetInput(opts.input, opts.format, opts.images);
  if (input.format === 'cityscapes') {
    const { summary, problems } = await validateCityscapes(input.path, { split: opts.split });
    console.log(`Cityscapes root ${input.path}`);
    console.log(`  images: ${summary.images} (${Object.entries(summary.splits).map(([s, n]) => `${s} ${n}`).join(', ') || 'none'}), readable: ${summary.readable}`);
    console.log(`  optional files: polygons ${summary.withPolygons}, labelTrainIds ${summary.withLabelTrainIds}, color ${summary.withColor}`);
    const classes = [...new Set([...Object.keys(summary.objectsPerClass), ...Object.keys(summary.groupsPerClass)])].sort();
    printTable(['class', 'instances', 'groups'], classes.map((c) => [c, summary.objectsPerClass[c] ?? 0, summary.groupsPerClass[c] ?? 0]));
    printProblems(problems);
    return problems.length ? 1 : 0;
  }
  const ds = await readCocoDataset(input.path);
  const problems = await validateCocoDataset(ds, input.path, input.imagesRoot);
  const names = new Map(ds.categories.map((c) => [c.id, c.name]));
  const perClass = new Map<string, { objects: number; crowd: number }>();
  for (const a of ds.annotations) {
    const name = names.get(a.category_id) ?? `category ${a.category_id}`;
    const row = perClass.get(name) ?? { objects: 0, crowd: 0 };
    if (a.iscrowd) row.crowd++; else row.objects++;
    perClass.set(name, row);
  }
  console.log(`COCO instances ${input.path} (images in ${input.imagesRoot})`);
  console.log(`  images: ${ds.images.length}, annotations: ${ds.annotations.length}, categories: ${ds.categories.length}`);
  printTable(['class', 'objects', 'crowd'], [...perClass.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([c, r]) => [c, r.objects, r.crowd]));
  printProblems(problems);
  return problems.length ? 1 : 0;
}
