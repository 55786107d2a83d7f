import { writeSyntheticCityscapes } from '@nightshift/datasets';
import { checkOutputEmpty } from '../output-folder.ts';
import { Progress } from '../progress.ts';

export interface SynthOptions {
  output: string;
  count: number;
  seed: number;
  width: number;
  height: number;
  split: string;
  faults: boolean;
}

/** `nightshift synth`: writes procedural street scenes as a Cityscapes root with true night renders. */
export async function runSynth(opts: SynthOptions): Promise<number> {
  const output = checkOutputEmpty(opts.output);
  const progress = new Progress('synth', opts.count);
  const ids = await writeSyntheticCityscapes(output, {
    count: opts.count, firstSeed: opts.seed, width: opts.width, height: opts.height, split: opts.split, faults: opts.faults,
    onSample: (done) => progress.update(done),
  });
  progress.stop();
  console.log(`Wrote ${ids.length} synthetic scenes (${opts.width}x${opts.height}, seeds ${opts.seed}..${opts.seed + ids.length - 1}) to ${output}`);
  console.log('  leftImg8bit/        day renders');
  console.log('  leftImg8bit_night/  true night renders of the same scenes');
  console.log('  gtFine/             labelIds, instanceIds, color, labelTrainIds, polygons');
  if (opts.faults) console.log('  faults/             night renders with one object erased or added, truth in *_faults.json');
  return 0;
}
