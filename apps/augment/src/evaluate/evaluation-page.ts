// evaluation.json and evaluation.html of `nightshift evaluate`, written only once everything is
// computed, each file atomically.
import { CATEGORIES, EVAL_CLASSES } from '@nightshift/labels';
import type { DatasetEvaluation, PredictionsRecord } from './evaluate.ts';
import { confusionPicture, escape, iouBars, page, pct, table, worstFramesSection, writeJsonAndPage } from './page-parts.ts';

export const EVALUATION_JSON = 'evaluation.json';
export const EVALUATION_HTML = 'evaluation.html';

/**
 * What evaluation.json holds: every field of cityscapesScripts' evaluateImgLists result at the top
 * level (NaN written as null, as the script's json does), with what was evaluated and the worst frames.
 */
export function evaluationJson(result: DatasetEvaluation): Record<string, unknown> {
  return {
    dataset: result.dataset,
    predictions: result.predictions,
    ...result.evaluation,
    worstFrames: result.worstFrames.map((f) => f.score),
  };
}

export function describePredictions(p: PredictionsRecord): string {
  if (p.kind === 'files') return `prediction PNGs in ${p.folder} (${p.ids}: ${p.why})`;
  const s = p.segmenter;
  const windows = s.inputSize
    ? `, frames resized to ${s.inputSize.height}x${s.inputSize.width} (HxW)`
    : s.crop ? `, ${s.crop.height}x${s.crop.width} windows every ${s.stride!.height}x${s.stride!.width} px` : ', whole frames';
  return `ONNX segmenter ${s.file} on ${s.provider} (${s.reason})${windows}, mean [${s.mean.join(', ')}], std [${s.std.join(', ')}]`;
}

export function keyFigures(result: DatasetEvaluation): string {
  const e = result.evaluation;
  const figure = (name: string, v: number): string => `<div>${escape(name)}<b>${pct(v)}</b></div>`;
  return `<div class="key">${figure('mean IoU (19 classes)', e.averageScoreClasses)}${figure('mean iIoU', e.averageScoreInstClasses)}${
    figure('mean IoU (categories)', e.averageScoreCategories)}${figure('mean iIoU (categories)', e.averageScoreInstCategories)}</div>`;
}

export async function evaluationHtml(result: DatasetEvaluation): Promise<string> {
  const e = result.evaluation;
  const d = result.dataset;
  const classRows = EVAL_CLASSES.map((l) => [l.name, pct(e.classScores[l.name]), pct(e.classInstScores[l.name])]);
  const categoryRows = CATEGORIES.filter((c) => !Number.isNaN(e.categoryScores[c])).map((c) => [c, pct(e.categoryScores[c]), pct(e.categoryInstScores[c])]);
  const body = `<p>${escape(`${d.frames} frames of ${d.kind === 'build' ? `the nightshift build ${d.path} (flagged regions void: ${d.flaggedPixels} pixels)` : `the Cityscapes root ${d.path}`}`)}<br>
${escape(describePredictions(result.predictions))}</p>
<p>Scores as cityscapesScripts evalPixelLevelSemanticLabeling defines them (percent; n/a: the class is in neither truth nor prediction, and left out of the means).</p>
${keyFigures(result)}
<h2>IoU per class</h2>
${iouBars([{ name: 'IoU', scores: e.classScores }])}
<h2>Confusion matrix</h2>
${confusionPicture(e)}
<h2>Scores per class</h2>
${table(['class', 'IoU', 'iIoU'], classRows)}
<h2>Scores per category</h2>
${table(['category', 'IoU', 'iIoU'], categoryRows)}
<h2>Worst frames</h2>
${await worstFramesSection(result.worstFrames)}`;
  return page('nightshift evaluate', body);
}

/** Writes evaluation.json and evaluation.html into `output` (made if missing). Returns their paths. */
export async function writeEvaluation(output: string, result: DatasetEvaluation): Promise<{ json: string; html: string }> {
  return writeJsonAndPage(output, { json: EVALUATION_JSON, html: EVALUATION_HTML }, evaluationJson(result), await evaluationHtml(result));
}
