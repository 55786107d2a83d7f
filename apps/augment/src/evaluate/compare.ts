// `nightshift evaluate --compare <build>`: one segmenter on a build's source frames (e.g. day) and on
// their twins (night), both scored against the source's ground truth, once on every pixel and once
// with the checks' flagged regions void. The drop per class on both says how much of the drop the
// flagged objects explain.
import { CATEGORIES, EVAL_CLASSES, type SemanticEvaluation } from '@nightshift/labels';
import { openPredictions, scoreFrames, type PredictionsRecord, type ScoredVariant } from './evaluate.ts';
import { confusionPicture, escape, iouBars, page, pct, table, worstFramesSection, writeJsonAndPage } from './page-parts.ts';
import type { SegmenterOptions } from './segmenter.ts';
import { describePredictions } from './evaluation-page.ts';
import { buildSourceTruth } from './truth.ts';

export const COMPARISON_JSON = 'comparison.json';
export const COMPARISON_HTML = 'comparison.html';

export interface CompareOptions {
  /** The build folder (nightshift night|day output, built from a Cityscapes root). */
  readonly build: string;
  readonly segmenter: string;
  readonly segmenterOptions?: SegmenterOptions;
  readonly split?: string;
  readonly worstFrames?: number;
  readonly onFrame?: (done: number, total: number) => void;
}

/** The source side minus the twin side, per class and for the mean (positive: the twin scores lower). */
export interface Drop {
  readonly classes: Record<string, number>;
  readonly meanIou: number;
}

export interface Side {
  /** Every pixel the source's ground truth labels. */
  readonly all: ScoredVariant;
  /** The flagged regions void. */
  readonly flagsVoid: ScoredVariant;
}

export interface BuildComparison {
  readonly build: string;
  /** What the two sides are called: the build's input and its direction (day and night for a night build). */
  readonly sourceName: string;
  readonly twinName: string;
  readonly frames: number;
  /** Frames with at least one flag, and the pixels their flagged regions cover. */
  readonly flaggedFrames: number;
  readonly flaggedPixels: number;
  readonly predictions: PredictionsRecord;
  readonly source: Side;
  readonly twin: Side;
  readonly drop: { readonly all: Drop; readonly flagsVoid: Drop };
  /** Share of the mean-IoU drop on every pixel that voiding the flagged regions removes (NaN without a drop). */
  readonly explainedByFlags: number;
}

function drop(source: SemanticEvaluation, twin: SemanticEvaluation): Drop {
  const classes: Record<string, number> = {};
  for (const l of EVAL_CLASSES) classes[l.name] = source.classScores[l.name] - twin.classScores[l.name];
  return { classes, meanIou: source.averageScoreClasses - twin.averageScoreClasses };
}

export async function compareBuild(options: CompareOptions): Promise<BuildComparison> {
  const { source, twin } = buildSourceTruth(options.build, options.split);
  const direction = twin.build!.direction;
  const opened = await openPredictions({ segmenter: options.segmenter, segmenterOptions: options.segmenterOptions }, [...source.frames, ...twin.frames]);
  try {
    const total = source.frames.length * 2;
    const worst = options.worstFrames ?? 6;
    const [sourceAll, sourceVoid] = await scoreFrames(source.frames, opened.predict, [false, true], worst, (d) => options.onFrame?.(d, total));
    const [twinAll, twinVoid] = await scoreFrames(twin.frames, opened.predict, [false, true], worst, (d) => options.onFrame?.(source.frames.length + d, total));
    const all = drop(sourceAll.evaluation, twinAll.evaluation);
    const flagsVoid = drop(sourceVoid.evaluation, twinVoid.evaluation);
    return {
      build: options.build,
      sourceName: direction === 'night' ? 'day' : 'night',
      twinName: direction,
      frames: source.frames.length,
      flaggedFrames: source.frames.filter((f) => f.flags.length > 0).length,
      flaggedPixels: sourceVoid.flaggedPixels,
      predictions: opened.record,
      source: { all: sourceAll, flagsVoid: sourceVoid },
      twin: { all: twinAll, flagsVoid: twinVoid },
      drop: { all, flagsVoid },
      explainedByFlags: all.meanIou > 0 ? (all.meanIou - flagsVoid.meanIou) / all.meanIou : NaN,
    };
  } finally {
    await opened.close();
  }
}

/** A drop shown as the change it is (a drop of 0.2 reads −20.0). */
const signed = (v: number): string => (Number.isNaN(v) ? 'n/a' : `${v > 0 ? '−' : v < 0 ? '+' : '±'}${Math.abs(100 * v).toFixed(1)}`);
const dropCell = (v: number): string => `<span class="${v > 0 ? 'neg' : v < 0 ? 'pos' : ''}">${signed(v)}</span>`;

/** comparison.json: both sides' scores (the script's fields), the drops, and the share the flags explain. */
export function comparisonJson(c: BuildComparison): Record<string, unknown> {
  const side = (s: Side) => ({
    all: { ...s.all.evaluation, worstFrames: s.all.worstFrames.map((f) => f.score) },
    flagsVoid: { ...s.flagsVoid.evaluation, worstFrames: s.flagsVoid.worstFrames.map((f) => f.score) },
  });
  return {
    build: c.build, sourceName: c.sourceName, twinName: c.twinName, frames: c.frames,
    flaggedFrames: c.flaggedFrames, flaggedPixels: c.flaggedPixels, predictions: c.predictions,
    drop: c.drop, explainedByFlags: c.explainedByFlags,
    source: side(c.source), twin: side(c.twin),
  };
}

export async function comparisonHtml(c: BuildComparison): Promise<string> {
  const { sourceName: a, twinName: b } = c;
  const m = (s: Side, k: keyof Side): number => s[k].evaluation.averageScoreClasses;
  const key = `<div class="key"><div>${escape(a)} mean IoU<b>${pct(m(c.source, 'all'))}</b></div><div>${escape(b)} mean IoU<b>${pct(m(c.twin, 'all'))}</b></div>
<div>${escape(b)} − ${escape(a)}<b>${signed(c.drop.all.meanIou)}</b></div><div>${escape(b)} − ${escape(a)}, flagged regions void<b>${signed(c.drop.flagsVoid.meanIou)}</b></div>
<div>share of the drop the flags explain<b>${pct(c.explainedByFlags)}${Number.isNaN(c.explainedByFlags) ? '' : '%'}</b></div></div>`;
  const rows = EVAL_CLASSES.map((l) => [
    escape(l.name),
    pct(c.source.all.evaluation.classScores[l.name]), pct(c.twin.all.evaluation.classScores[l.name]), dropCell(c.drop.all.classes[l.name]),
    pct(c.source.flagsVoid.evaluation.classScores[l.name]), pct(c.twin.flagsVoid.evaluation.classScores[l.name]), dropCell(c.drop.flagsVoid.classes[l.name]),
  ]);
  rows.push(['<b>mean</b>', pct(m(c.source, 'all')), pct(m(c.twin, 'all')), dropCell(c.drop.all.meanIou),
    pct(m(c.source, 'flagsVoid')), pct(m(c.twin, 'flagsVoid')), dropCell(c.drop.flagsVoid.meanIou)]);
  const catRows = CATEGORIES.filter((k) => !Number.isNaN(c.source.all.evaluation.categoryScores[k])).map((k) => {
    const sa = c.source.all.evaluation.categoryScores[k];
    const ta = c.twin.all.evaluation.categoryScores[k];
    const sv = c.source.flagsVoid.evaluation.categoryScores[k];
    const tv = c.twin.flagsVoid.evaluation.categoryScores[k];
    return [escape(k), pct(sa), pct(ta), dropCell(sa - ta), pct(sv), pct(tv), dropCell(sv - tv)];
  });
  const header = ['', a, b, `${b} − ${a}`, `${a}, flags void`, `${b}, flags void`, `${b} − ${a}, flags void`];
  const dayScores = new Map(c.source.all.evaluation.frames.map((f) => [f.name, f.meanIou]));
  const body = `<p>${escape(`The same segmenter on ${c.frames} frames of the build ${c.build}: the ${a} frames it was built from, and their ${b} twins. Both are scored against the ${a} ground truth, once on every labelled pixel and once with the flagged regions void (${c.flaggedPixels} pixels in ${c.flaggedFrames} frames).`)}<br>
${escape(describePredictions(c.predictions))}</p>
${key}
<h2>IoU per class (every pixel)</h2>
${iouBars([{ name: a, scores: c.source.all.evaluation.classScores, fill: '#f2b134' }, { name: b, scores: c.twin.all.evaluation.classScores, fill: '#34495e' }])}
<h2>Drop per class</h2>
<p>Percent IoU; the differences are ${escape(b)} minus ${escape(a)} (red: lower on ${escape(b)}).</p>
${table(header, rows, true)}
<h2>Drop per category</h2>
${table(header, catRows, true)}
<h2>Confusion matrices (every pixel)</h2>
<div class="row"><div>${escape(a)}${confusionPicture(c.source.all.evaluation)}</div><div>${escape(b)}${confusionPicture(c.twin.all.evaluation)}</div></div>
<h2>Worst ${escape(b)} frames</h2>
${await worstFramesSection(c.twin.all.worstFrames, (f) => ` (${escape(a)}: ${pct(dayScores.get(f.score.name))})`)}`;
  return page(`nightshift evaluate --compare: ${a} against ${b}`, body);
}

export async function writeComparison(output: string, c: BuildComparison): Promise<{ json: string; html: string }> {
  return writeJsonAndPage(output, { json: COMPARISON_JSON, html: COMPARISON_HTML }, comparisonJson(c), await comparisonHtml(c));
}
