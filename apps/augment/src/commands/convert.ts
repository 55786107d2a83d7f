import { cityscapesToCoco, cocoToCityscapes, readCocoDataset, validateCocoDataset } from '@nightshift/labels';
import { cocoSplitOf, resolveDatasetInput, type DatasetFormat } from '../dataset-input.ts';
import { checkOutputBesideInput, checkOutputEmpty } from '../output-folder.ts';
import { printProblems } from '../console.ts';
import { UsageError } from '../usage-error.ts';

export interface ConvertOptions {
  input: string;
  from: DatasetFormat;
  to: DatasetFormat;
  output: string;
  images?: string;
  split?: string;
}

/** `nightshift convert`: writes the dataset in the other format. */
export async function runConvert(opts: ConvertOptions): Promise<number> {
  if (opts.from === opts.to) throw new UsageError(`--from and --to are both ${opts.from}; nothing to convert`);
  const input = resolveDatasetInput(opts.input, opts.from, opts.images);
  const output = checkOutputEmpty(checkOutputBesideInput(opts.output, input.path));
  if (input.format === 'cityscapes') {
    const result = await cityscapesToCoco(input.path, output, { split: opts.split });
    console.log(`Wrote ${result.images} images and ${result.annotations} annotations as COCO:`);
    for (const p of result.jsonPaths) console.log(`  ${p}`);
    return 0;
  }
  const ds = await readCocoDataset(input.path);
  const problems = await validateCocoDataset(ds, input.path, input.imagesRoot);
  if (problems.length) {
    printProblems(problems);
    console.error('nightshift: not converting a COCO dataset with problems; fix them first (see `nightshift validate`)');
    return 1;
  }
  const split = opts.split ?? cocoSplitOf(input.path) ?? 'train';
  const result = await cocoToCityscapes(ds, input.imagesRoot!, output, split);
  console.log(`Wrote ${result.frames} frames as a Cityscapes root: ${output}`);
  const unmapped = Object.entries(result.unmapped);
  if (unmapped.length) {
    console.log('Annotations of categories without a Cityscapes label of the same name were left out:');
    for (const [name, n] of unmapped) console.log(`  ${name}: ${n}`);
  }
  return 0;
}
