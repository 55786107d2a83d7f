// report.html: one self-contained page per build. Before/after thumbnails are inline JPEG data URIs,
// full-size outputs are linked by relative path, flagged objects are outlined (SVG over the
// thumbnail), and the tables give flag rates per class and throughput per stage.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { DatasetError, writeFileAtomic } from '@nightshift/labels';
import { MANIFEST_FILE, REPORT_FILE } from './assemble.ts';
import { readSummary, type BuildSummary } from './summary.ts';
import type { QueueSummary } from './distributed/stats.ts';
import type { ManifestRecord } from './record.ts';
import { STAGES } from './record.ts';
import type { Flag, SemanticVerdict } from './checks.ts';

/** Samples shown with thumbnails (flagged first); the rest are listed with links. */
export const REPORT_THUMBNAILS = 200;
const THUMB_WIDTH = 320;

const escape = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Scores, thresholds and rates to 3 significant digits (manifest.jsonl and summary.json keep them whole). */
const sig3 = (x: number): string => String(Number(x.toPrecision(3)));

export function readManifest(output: string): ManifestRecord[] {
  const path = join(output, MANIFEST_FILE);
  if (!existsSync(path)) throw new DatasetError(path, 'missing: not a finished nightshift build');
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').map((line, i) => {
    try {
      return JSON.parse(line) as ManifestRecord;
    } catch (error) {
      throw new DatasetError(path, `line ${i + 1} is not JSON: ${(error as Error).message}`);
    }
  });
}

async function thumbnail(path: string): Promise<{ uri: string; width: number; height: number } | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    const { data, info } = await sharp(readFileSync(path)).resize({ width: THUMB_WIDTH }).jpeg({ quality: 72 }).toBuffer({ resolveWithObject: true });
    return { uri: `data:image/jpeg;base64,${data.toString('base64')}`, width: info.width, height: info.height };
  } catch {
    return undefined;
  }
}

const translatedOutput = (r: ManifestRecord): string | undefined =>
  (r.outputs.find((o) => o.path.startsWith('cityscapes/leftImg8bit/')) ?? r.outputs.find((o) => o.path.startsWith('coco/images/')))?.path;

async function sampleFigure(output: string, summary: BuildSummary, r: ManifestRecord): Promise<string> {
  const source = r.source.files.find((f) => f.role === 'image');
  const before = source ? await thumbnail(join(summary.input.root, ...source.path.split('/'))) : undefined;
  const outPath = translatedOutput(r);
  const after = outPath ? await thumbnail(join(output, ...outPath.split('/'))) : undefined;
  const scale = after && source ? after.width / imageWidth(output, outPath!, after.width) : 1;
  const boxes = r.flags.filter((f) => f.box).map((f) => {
    const [x, y, w, h] = f.box!.map((v) => v * scale);
    return `<rect x="${x}" y="${y}" width="${w}" height="${h}" class="${f.kind}${f.cue === 'semantic' ? ' semantic' : ''}"><title>${escape(`${flagText(f)} score ${sig3(f.score)} (threshold ${sig3(f.threshold)})`)}</title></rect>`;
  }).join('');
  const img = (t: typeof before, alt: string): string => t
    ? `<img src="${t.uri}" width="${t.width}" height="${t.height}" alt="${escape(alt)}">`
    : `<div class="missing">${escape(alt)}: not found</div>`;
  const overlay = after && boxes ? `<svg class="overlay" width="${after.width}" height="${after.height}">${boxes}</svg>` : '';
  const flags = r.flags.length
    ? `<ul>${r.flags.map((f, i) => `<li>${escape(flagText(f))}${f.instanceId !== undefined ? ` #${f.instanceId}` : ''}: score ${sig3(f.score)} / ${sig3(f.threshold)} → ${escape(r.actions[i]?.action ?? '')}</li>`).join('')}</ul>`
    : '';
  const semantic = r.semantic ? `<p class="semantic-verdict">${escape(semanticVerdictText(r.semantic))}</p>` : '';
  return `<figure class="sample${r.flags.length ? ' flagged' : ''}">
<figcaption><b>${escape(r.sample)}</b> ${r.status === 'dropped' ? '(dropped)' : ''}${outPath ? ` <a href="${escape(outPath)}">full size</a>` : ''}</figcaption>
<div class="pair"><div>${img(before, 'before')}<span>before</span></div><div class="after">${img(after, 'after')}${overlay}<span>after</span></div></div>${flags}${semantic}
</figure>`;
}

/** "erased car", "hallucinated (semantic: person) road": the kind, the cue where it is not a structural one, the class. */
function flagText(f: Flag): string {
  return `${f.kind}${f.cue === 'semantic' ? ` (semantic${f.predictedClassName ? `: ${f.predictedClassName}` : ''})` : ''} ${f.className}`;
}

/** The build's semantic abstentions in one sentence (report, console). */
export function semanticSummaryText(s: NonNullable<BuildSummary['flags']['semantic']>): string {
  return `The semantic cue abstained on ${s.abstainedFrames} of ${s.frames} frames (the segmenter reads their day image under its accuracy bar) and on ${s.abstainedObjects} of the ${s.objects} objects it looked at (not found by day, or in an abstaining frame).`;
}

function semanticVerdictText(v: SemanticVerdict): string {
  if (v.abstained) return `semantic cue abstained on this frame (the segmenter reads its day image at ${sig3(v.dayAccuracy)} pixel accuracy, under its bar)`;
  const n = v.abstainedObjects.length;
  return `semantic cue judged this frame (day accuracy ${sig3(v.dayAccuracy)})${n ? `; abstained on ${n} of ${v.objects} objects its day reading does not find: ${v.abstainedObjects.map((id) => `#${id}`).join(', ')}` : ''}`;
}

/** Full width of an output PNG from its header (thumbnails are scaled from it). */
function imageWidth(output: string, rel: string, fallback: number): number {
  try {
    const head = readFileSync(join(output, ...rel.split('/'))).subarray(16, 20);
    return head.readUInt32BE(0) || fallback;
  } catch {
    return fallback;
  }
}

function table(header: string[], rows: (string | number)[][]): string {
  if (rows.length === 0) return '<p>none</p>';
  return `<table><thead><tr>${header.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead><tbody>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

export async function buildReportHtml(output: string): Promise<string> {
  const summary = readSummary(output);
  const all = readManifest(output);
  const records = all.filter((r) => r.status !== 'failed');
  const shown = [...records.filter((r) => r.flags.length), ...records.filter((r) => !r.flags.length)].slice(0, REPORT_THUMBNAILS);
  const figures: string[] = [];
  for (const r of shown) figures.push(await sampleFigure(output, summary, r));
  const rest = records.filter((r) => !shown.includes(r));
  const s = summary.samples;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nightshift ${escape(summary.direction)}: ${escape(summary.output)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
.samples{display:flex;flex-wrap:wrap;gap:16px}.sample{margin:0;padding:8px;border:1px solid #ddd}.sample.flagged{border-color:#d33}
.pair{display:flex;gap:6px}.pair>div{position:relative;display:flex;flex-direction:column}.overlay{position:absolute;left:0;top:0}
.overlay rect{fill:none;stroke-width:2}.overlay .erased{stroke:#f33}.overlay .hallucinated{stroke:#fc0}.overlay .semantic{stroke-dasharray:6 3}.semantic-verdict{color:#555;max-width:${2 * THUMB_WIDTH}px}.missing{width:${THUMB_WIDTH}px;color:#999}
dt{font-weight:bold;float:left;clear:left;width:9em}dd{margin-left:10em}
</style></head><body>
<h1>nightshift ${escape(summary.direction)}</h1>
<dl>
<dt>input</dt><dd>${escape(summary.input.format)} ${escape(summary.input.json ?? summary.input.root)}${summary.input.imageFolder && summary.input.imageFolder !== 'leftImg8bit' ? ` (images from ${escape(summary.input.imageFolder)})` : ''}</dd>
<dt>output</dt><dd>${escape(summary.output)}</dd>
<dt>model</dt><dd>${escape(summary.model.path)} (sha256 of weights ${escape(summary.model.hash.slice(0, 16))}…)</dd>
<dt>engine</dt><dd>${escape(summary.engine.name)} on ${escape(summary.engine.backend)}: ${escape(summary.engine.why)}</dd>
<dt>checks</dt><dd>${escape(summary.checks)}</dd>
<dt>on flag</dt><dd>${escape(summary.options.onFlag)}</dd>
<dt>samples</dt><dd>${all.length} in the manifest (${s.written} written, ${s.dropped} dropped, ${s.failed} failed); this run: ${s.built} built, ${s.upToDate} up to date${summary.shard ? `; shard ${summary.shard.index}/${summary.shard.count}` : ''}</dd>
</dl>
<h2>Throughput per stage (this run)</h2>
${table(['stage', 'samples', 'busy seconds', 'samples / s'], STAGES.map((st) => [st, summary.stages[st].items, summary.stages[st].seconds, summary.stages[st].perSecond]))}
<p>Wall time ${summary.wallSeconds} s; stages overlap, so busy times may add up to more.</p>
${summary.queue ? queueSection(summary.queue) : ''}
<h2>Flags per class</h2>
${/^(not available|off)/.test(summary.checks) ? `<p>Checks ${escape(summary.checks)}: no object was checked, so there are no flags.</p>` : ''}
${table(['class', 'objects', 'flagged', 'rate'], Object.entries(summary.flags.byClass).map(([c, r]) => [c, r.objects, r.flagged, r.rate === null ? '-' : sig3(r.rate)]))}
${Object.values(summary.flags.byClass).some((r) => !r.objects && r.flagged) ? '<p>A hallucinated region counts as a flag of the class it lies on; a class without labelled objects (road, sky, ...) has no rate.</p>' : ''}
${summary.flags.semantic ? `<p>${escape(semanticSummaryText(summary.flags.semantic))} Semantic flags are drawn dashed.</p>` : ''}
${summary.failures.length ? `<h2>Skipped samples</h2>${table(['sample', 'file', 'problem'], summary.failures.map((f) => [f.sample, f.pointer !== undefined ? `${f.file} at ${f.pointer}` : f.file, f.reason]))}` : ''}
<h2>Samples</h2>
<div class="samples">
${figures.join('\n')}
</div>
${rest.length ? `<h3>Further samples</h3><ul>${rest.map((r) => { const p = translatedOutput(r); return `<li>${escape(r.sample)}${p ? ` <a href="${escape(p)}">${escape(p)}</a>` : ' (dropped)'}</li>`; }).join('')}</ul>` : ''}
</body></html>
`;
}

function queueSection(q: QueueSummary): string {
  return `<h2>Queue workers</h2>
<p>${escape(q.redis)}, build ${escape(q.build)}: ${q.units.done} units of ${q.unitSize} samples, ${q.retries} retries (${q.lost} attempts lost with their worker); every attempt is in ${escape(q.log)}${q.recordsLost ? `, except those of ${q.recordsLost} units that Redis forgot when it restarted without persistence` : ''}.</p>
${table(['worker', 'units', 'samples', 'seconds', 'samples / s', 'retries', 'failures'], q.workers.map((w) => [w.id, w.units, w.samples, w.seconds, w.samplesPerSecond, w.retries, w.failures]))}`;
}

export async function writeReport(output: string): Promise<string> {
  const path = join(output, REPORT_FILE);
  writeFileAtomic(path, await buildReportHtml(output));
  return path;
}
