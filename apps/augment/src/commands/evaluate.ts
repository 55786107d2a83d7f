// `nightshift evaluate`: Cityscapes semantic-segmentation scores of a dataset against prediction PNGs
// or an ONNX segmenter (evaluation.json, evaluation.html and a table), or with --compare a build's
// source frames against their twins (comparison.json, comparison.html).
import { Option, type Command } from 'commander';
import { CATEGORIES, DatasetError, EVAL_CLASSES, PREDICTION_IDS, type PredictionIds, type SemanticEvaluation } from '@nightshift/labels';
import { ONNX_PROVIDER_REQUESTS, SegmenterCardError, readSegmenterCard, type OnnxProviderRequest } from '@nightshift/cyclegan';
import { printTable } from '../console.ts';
import { REPO_ROOT } from '../defaults.ts';
import { EXIT } from '../exit-codes.ts';
import { checkOutputBesideInput } from '../output-folder.ts';
import { Progress } from '../progress.ts';
import { UsageError } from '../usage-error.ts';
import { parseInteger } from '../option-values.ts';
import {
  compareBuild, evaluateDataset, writeComparison, writeEvaluation,
  type SegmenterOptions, type WindowSize,
} from '../evaluate/index.ts';
import { describePredictions } from '../evaluate/evaluation-page.ts';
import { statSync } from 'node:fs';
import { join } from 'node:path';

export interface EvaluateCommandOptions {
  dataset?: string;
  compare?: string;
  predictions?: string;
  predictionIds?: PredictionIds;
  segmenter?: string;
  mean?: [number, number, number];
  std?: [number, number, number];
  crop?: WindowSize;
  stride?: WindowSize;
  inputSize?: WindowSize;
  provider: OnnxProviderRequest;
  split?: string;
  output?: string;
  worst: number;
}

function parseTriple(flag: string) {
  return (value: string): [number, number, number] => {
    const parts = value.split(',').map((v) => Number(v.trim()));
    if (parts.length !== 3 || parts.some((n) => !Number.isFinite(n))) throw new UsageError(`${flag} takes three numbers (R,G,B of pixel values scaled to 0..1), got "${value}"`);
    return parts as [number, number, number];
  };
}

function parseWindow(flag: string) {
  return (value: string): WindowSize => {
    const m = /^(\d+)(?:x(\d+))?$/.exec(value.trim());
    const height = m ? Number(m[1]) : NaN;
    const width = m ? Number(m[2] ?? m[1]) : NaN;
    if (!(height >= 1 && width >= 1)) throw new UsageError(`${flag} takes a side in pixels or HxW, got "${value}"`);
    return { height, width };
  };
}

export function registerEvaluateCommand(program: Command, setExit: (code: number) => void): void {
  program.command('evaluate')
    .description('Score semantic segmentation as cityscapesScripts does (IoU, iIoU per class and category, confusion matrix) against prediction PNGs or an ONNX segmenter; writes evaluation.json and evaluation.html. With --compare, the same segmenter on a build\'s source frames and their twins, side by side.')
    .option('--dataset <root-or-build>', 'the ground truth: a Cityscapes root (gtFine labelIds and instanceIds), or a nightshift build (its flagged regions count as void)')
    .option('--compare <build>', 'a nightshift build: evaluate --segmenter on its input frames and on its translated twins, against the input\'s labels, with and without the flagged regions void')
    .option('--predictions <dir>', 'prediction PNGs (labelIds or trainIds), each named with its frame\'s <city>_<seq>_<frame>, at any depth')
    .addOption(new Option('--prediction-ids <kind>', 'what the prediction PNGs hold (default: told from their values)').choices(PREDICTION_IDS as string[]))
    .option('--segmenter <model.onnx|folder>', 'an ONNX semantic-segmentation model: float32 NCHW RGB input, logits [N, 19, H, W] over the Cityscapes trainIds; or a folder with a segmenter.json card (datasets/models/segmenter), which gives the model, its input size, mean and std')
    .option('--mean <r,g,b>', '--segmenter: per-channel mean of the 0..1 RGB values (default ImageNet 0.485,0.456,0.406)', parseTriple('--mean'))
    .option('--std <r,g,b>', '--segmenter: per-channel std (default ImageNet 0.229,0.224,0.225)', parseTriple('--std'))
    .option('--crop <px|HxW>', '--segmenter: sliding-window inference with windows of this size (default: whole frames, or the model\'s fixed input size)', parseWindow('--crop'))
    .option('--stride <px|HxW>', '--segmenter: step between windows (default two thirds of --crop)', parseWindow('--stride'))
    .option('--input-size <px|HxW>', '--segmenter: resize every frame to this (area averaging) before the model, the logits back to the label size (for a model trained at one size; not with --crop)', parseWindow('--input-size'))
    .addOption(new Option('--provider <name>', '--segmenter: ONNX Runtime provider (auto: cuda, then webgpu on a hardware adapter, then cpu, as the translation engine picks)').choices(ONNX_PROVIDER_REQUESTS as string[]).default('auto'))
    .option('--split <split>', 'only this split (default: every split)')
    .option('--output <dir>', 'where evaluation.json/.html (or comparison.json/.html) go (default: dist/evaluate)')
    .option('--worst <n>', 'worst frames shown on the page', (v) => parseInteger(v, '--worst', 0), 6)
    .action(async (opts) => setExit(await runEvaluate(opts as EvaluateCommandOptions)));
}

/** The model file and how to run it: from the options, or from the card of a segmenter folder. */
async function resolveSegmenter(opts: EvaluateCommandOptions): Promise<{ segmenter: string; segmenterOptions: SegmenterOptions }> {
  if (opts.stride && !opts.crop) throw new UsageError('--stride needs --crop');
  if (opts.inputSize && opts.crop) throw new UsageError('--input-size (resize every frame) and --crop (windows of the frame) exclude each other');
  const path = opts.segmenter!;
  const isCard = path.endsWith('.json') || (() => { try { return statSync(path).isDirectory(); } catch { return false; } })();
  if (isCard) {
    const given = (['mean', 'std', 'inputSize', 'crop', 'stride'] as const).filter((k) => opts[k]);
    if (given.length) throw new UsageError(`the segmenter card of ${path} gives the input size, mean and std; leave out ${given.map((k) => `--${k === 'inputSize' ? 'input-size' : k}`).join(', ')}`);
    const card = await readSegmenterCard(path).catch((e: unknown) => {
      throw e instanceof SegmenterCardError ? new DatasetError(e.file, e.problem) : e;
    });
    return {
      segmenter: card.modelPath,
      segmenterOptions: { provider: opts.provider, mean: card.mean, std: card.std, inputSize: { height: card.input.height, width: card.input.width } },
    };
  }
  return {
    segmenter: path,
    segmenterOptions: {
      provider: opts.provider,
      ...(opts.mean ? { mean: opts.mean } : {}),
      ...(opts.std ? { std: opts.std } : {}),
      ...(opts.crop ? { crop: opts.crop } : {}),
      ...(opts.stride ? { stride: opts.stride } : {}),
      ...(opts.inputSize ? { inputSize: opts.inputSize } : {}),
    },
  };
}

function printScores(e: SemanticEvaluation): void {
  const p = (v: number): string => (Number.isNaN(v) ? 'n/a' : (100 * v).toFixed(1));
  printTable(['class', 'IoU', 'iIoU'], EVAL_CLASSES.map((l) => [l.name, p(e.classScores[l.name]), p(e.classInstScores[l.name])]));
  console.log('');
  printTable(['category', 'IoU', 'iIoU'], CATEGORIES.filter((c) => !Number.isNaN(e.categoryScores[c])).map((c) => [c, p(e.categoryScores[c]), p(e.categoryInstScores[c])]));
  console.log('');
  console.log(`mean IoU ${p(e.averageScoreClasses)}, mean iIoU ${p(e.averageScoreInstClasses)} (classes); ${p(e.averageScoreCategories)}, ${p(e.averageScoreInstCategories)} (categories)`);
}

export async function runEvaluate(opts: EvaluateCommandOptions): Promise<number> {
  const output = opts.output ?? join(REPO_ROOT, 'dist', 'evaluate');
  if (opts.compare) {
    if (opts.dataset) throw new UsageError('--compare reads the ground truth from the build\'s input; leave out --dataset');
    if (!opts.segmenter || opts.predictions) throw new UsageError('--compare runs one segmenter on both sides: give --segmenter (not --predictions)');
    checkOutputBesideInput(output, opts.compare);
    const progress = new Progress('evaluate --compare', 1);
    const c = await compareBuild({
      build: opts.compare, ...(await resolveSegmenter(opts)), split: opts.split, worstFrames: opts.worst,
      onFrame: (d) => progress.update(d),
    }).finally(() => progress.stop());
    const paths = await writeComparison(output, c);
    const p = (v: number): string => (Number.isNaN(v) ? 'n/a' : (100 * v).toFixed(1));
    console.log(describePredictions(c.predictions));
    printTable(['class', c.sourceName, c.twinName, 'drop', `${c.sourceName} (flags void)`, `${c.twinName} (flags void)`, 'drop (flags void)'],
      [...EVAL_CLASSES.map((l) => [l.name,
        p(c.source.all.evaluation.classScores[l.name]), p(c.twin.all.evaluation.classScores[l.name]), p(c.drop.all.classes[l.name]),
        p(c.source.flagsVoid.evaluation.classScores[l.name]), p(c.twin.flagsVoid.evaluation.classScores[l.name]), p(c.drop.flagsVoid.classes[l.name])]),
      ['mean IoU', p(c.source.all.evaluation.averageScoreClasses), p(c.twin.all.evaluation.averageScoreClasses), p(c.drop.all.meanIou),
        p(c.source.flagsVoid.evaluation.averageScoreClasses), p(c.twin.flagsVoid.evaluation.averageScoreClasses), p(c.drop.flagsVoid.meanIou)]]);
    console.log(`\n${c.frames} frames, ${c.flaggedFrames} with flags (${c.flaggedPixels} flagged pixels); the flags explain ${p(c.explainedByFlags)}% of the mean-IoU drop.`);
    console.log(`Wrote ${paths.json} and ${paths.html}`);
    return EXIT.ok;
  }
  if (!opts.dataset) throw new UsageError('give --dataset (a Cityscapes root or a nightshift build), or --compare <build>');
  if (Boolean(opts.predictions) === Boolean(opts.segmenter)) throw new UsageError('give one of --predictions <dir> and --segmenter <model.onnx>');
  if (opts.predictionIds && !opts.predictions) throw new UsageError('--prediction-ids goes with --predictions');
  checkOutputBesideInput(output, opts.dataset);
  let progress: Progress | undefined;
  const spec = opts.predictions
    ? { predictions: opts.predictions, ...(opts.predictionIds ? { predictionIds: opts.predictionIds } : {}) }
    : await resolveSegmenter(opts);
  const result = await evaluateDataset({
    dataset: opts.dataset, split: opts.split, worstFrames: opts.worst, ...spec,
    onFrame: (done, total) => { progress ??= new Progress('evaluate', total); progress.update(done); },
  }).finally(() => progress?.stop());
  const paths = await writeEvaluation(output, result);
  console.log(`${result.dataset.frames} frames; ${describePredictions(result.predictions)}`);
  printScores(result.evaluation);
  console.log(`Wrote ${paths.json} and ${paths.html}`);
  return EXIT.ok;
}
