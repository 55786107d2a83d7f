// Checks an existing build again (nightshift check): each written sample's translated image against
// its source, through the same Checker adapter the build uses. Results go to checks.jsonl.
import { join } from 'node:path';
import sharp from 'sharp';
import { DatasetError, writeFileAtomic } from '@nightshift/labels';
import type { Checker, Flag, SemanticVerdict } from './checks.ts';
import { openSource } from './open-source.ts';
import { readManifest } from './report.ts';
import { checkSampleOf, decodeSample } from './sources.ts';
import { readRunIdentity } from './state.ts';

export const CHECKS_FILE = 'checks.jsonl';

export interface CheckedSample {
  sample: string;
  flags: Flag[];
  semantic?: SemanticVerdict;
}

export async function checkBuild(output: string, checker: Checker, onSample?: (done: number, total: number) => void): Promise<CheckedSample[]> {
  const identity = readRunIdentity(output);
  if (!identity) throw new DatasetError(join(output, '.nightshift', 'run.json'), 'missing: not a nightshift build');
  const source = await openSource({
    format: identity.input.format as 'cityscapes' | 'coco',
    path: identity.input.json ?? identity.input.root,
    imagesRoot: identity.input.root,
    imageFolder: identity.input.imageFolder,
  });
  const byKey = new Map(source.items.map((i) => [i.key, i]));
  const records = readManifest(output).filter((r) => r.status === 'written');
  const results: CheckedSample[] = [];
  for (const r of records) {
    const item = byKey.get(r.sample);
    if (!item) throw new DatasetError(identity.input.root, `sample ${r.sample} of the build is no longer in the input`);
    const sample = await decodeSample(item, source.categories);
    const outPath = r.outputs.find((o) => o.path.startsWith('cityscapes/leftImg8bit/') || o.path.startsWith('coco/images/'))!.path;
    const { data, info } = await sharp(join(output, ...outPath.split('/'))).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const { flags, semantic } = await checker.check(
      checkSampleOf(sample),
      { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) },
    );
    results.push({ sample: r.sample, flags, ...(semantic ? { semantic } : {}) });
    onSample?.(results.length, records.length);
  }
  writeFileAtomic(join(output, CHECKS_FILE), results.map((r) => `${JSON.stringify({ checker: checker.id, ...r })}\n`).join(''));
  return results;
}
