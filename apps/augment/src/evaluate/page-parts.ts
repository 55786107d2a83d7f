// Pieces of the evaluation pages: self-contained HTML (inline SVG and PNG data URIs, no script), the
// per-class IoU bars, the confusion matrix picture, and the overlays of the worst frames.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { COLOR_LUT, EVAL_CLASSES, labelById, writeFileAtomic, type SemanticEvaluation } from '@nightshift/labels';
import type { WorstFrame } from './worst-frames.ts';

export const escape = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A score as a percentage with one decimal, or "n/a" for NaN/null. */
export const pct = (v: number | null | undefined): string => (v === null || v === undefined || Number.isNaN(v) ? 'n/a' : (100 * v).toFixed(1));

export const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px}table{border-collapse:collapse;margin:8px 0}
td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}
.key{display:flex;gap:24px;flex-wrap:wrap}.key div{background:#f4f4f4;padding:8px 12px;border-radius:4px}.key b{font-size:20px;display:block}
figure{margin:16px 0}figcaption{margin-bottom:4px}.row{display:flex;gap:8px;flex-wrap:wrap}.row div{display:flex;flex-direction:column;font-size:12px;color:#555}
.neg{color:#b00}.pos{color:#070}svg text{font:11px system-ui,sans-serif}`;

export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escape(title)}</h1>
${body}
</body></html>
`;
}

export function table(header: string[], rows: (string | number)[][], raw = false): string {
  const cell = (c: string | number): string => (raw ? String(c) : escape(c));
  return `<table><thead><tr>${header.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead><tbody>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

const rgb = (id: number): string => `rgb(${COLOR_LUT[id * 3]},${COLOR_LUT[id * 3 + 1]},${COLOR_LUT[id * 3 + 2]})`;

export interface BarSeries {
  readonly name: string;
  readonly scores: Record<string, number>;
  /** Bar fill; default the class colour. */
  readonly fill?: string;
}

/** Horizontal IoU bars per evaluated class, one bar per series; NaN classes read n/a. */
export function iouBars(series: readonly BarSeries[]): string {
  const barH = 12;
  const rowH = series.length * (barH + 2) + 6;
  const left = 110;
  const width = 420;
  const legend = series.length > 1 ? 20 : 0;
  const height = legend + EVAL_CLASSES.length * rowH;
  const parts: string[] = [];
  if (series.length > 1) {
    series.forEach((s, k) => {
      parts.push(`<rect x="${left + k * 170}" y="2" width="12" height="12" fill="${s.fill}"/><text x="${left + k * 170 + 16}" y="12">${escape(s.name)}</text>`);
    });
  }
  EVAL_CLASSES.forEach((label, i) => {
    const y = legend + i * rowH;
    parts.push(`<text x="${left - 6}" y="${y + rowH / 2 + 4}" text-anchor="end">${escape(label.name)}</text>`);
    series.forEach((s, k) => {
      const v = s.scores[label.name];
      const by = y + 3 + k * (barH + 2);
      const value = v === null || v === undefined || Number.isNaN(v) ? undefined : v;
      if (value !== undefined) {
        parts.push(`<rect x="${left}" y="${by}" width="${(value * width).toFixed(1)}" height="${barH}" fill="${s.fill ?? rgb(label.id)}" stroke="#555" stroke-width="0.5"><title>${escape(`${label.name} ${s.name}: IoU ${pct(value)}`)}</title></rect>`);
      }
      parts.push(`<text x="${left + (value ?? 0) * width + 4}" y="${by + barH - 2}">${pct(value)}</text>`);
    });
  });
  return `<svg class="bars" width="${left + width + 60}" height="${height}" role="img" aria-label="IoU per class">${parts.join('')}</svg>`;
}

/**
 * The confusion matrix of the 19 classes as a picture: rows are the truth, columns the prediction,
 * each row scaled to its own total (the diagonal is the class's recall); a last column counts the
 * pixels predicted as a label outside the 19. Each cell's title gives the pixel count.
 */
export function confusionPicture(evaluation: SemanticEvaluation): string {
  const ids = EVAL_CLASSES.map((l) => l.id);
  const evalSet = new Set(ids);
  const cell = 22;
  const left = 110;
  const top = 110;
  const n = ids.length;
  const parts: string[] = [];
  ids.forEach((id, c) => {
    const x = left + c * cell + cell / 2;
    parts.push(`<text transform="translate(${x + 4},${top - 6}) rotate(-60)">${escape(labelById(id)!.name)}</text>`);
  });
  parts.push(`<text transform="translate(${left + n * cell + cell / 2 + 4},${top - 6}) rotate(-60)">other</text>`);
  ids.forEach((t, r) => {
    const row = evaluation.confMatrix[t];
    const other = row.reduce((s, v, p) => (evalSet.has(p) ? s : s + v), 0);
    const total = row.reduce((s, v) => s + v, 0);
    const y = top + r * cell;
    parts.push(`<text x="${left - 6}" y="${y + cell / 2 + 4}" text-anchor="end">${escape(labelById(t)!.name)}</text>`);
    const counts = [...ids.map((p) => row[p]), other];
    counts.forEach((count, c) => {
      const share = total === 0 ? 0 : count / total;
      const shade = Math.round(255 * (1 - share));
      const fill = c === r ? `rgb(${shade},${Math.round(255 - 0.55 * (255 - shade))},${shade})` : `rgb(255,${shade},${shade})`;
      const to = c < n ? labelById(ids[c])!.name : 'a label outside the 19';
      parts.push(`<rect x="${left + c * cell}" y="${y}" width="${cell}" height="${cell}" fill="${total === 0 ? '#eee' : fill}" stroke="#fff" stroke-width="1"><title>${escape(`truth ${labelById(t)!.name}, predicted ${to}: ${count} pixels (${pct(share)}% of the row)`)}</title></rect>`);
    });
  });
  parts.push(`<text x="${left}" y="${top + n * cell + 16}">columns: predicted; rows: truth, each scaled to its own pixels</text>`);
  return `<svg class="confusion" width="${left + (n + 1) * cell + 60}" height="${top + n * cell + 24}" role="img" aria-label="confusion matrix">${parts.join('')}</svg>`;
}

async function jpegUri(data: Uint8Array, width: number, height: number): Promise<string> {
  const jpeg = await sharp(data, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

/** The frame's image at thumbnail size, or black where it cannot be read. */
async function thumbImage(path: string, width: number, height: number): Promise<Uint8Array> {
  if (existsSync(path)) {
    try {
      const { data } = await sharp(path).removeAlpha().resize(width, height, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
      if (data.length === width * height * 3) return new Uint8Array(data);
    } catch {
      // drawn on black
    }
  }
  return new Uint8Array(width * height * 3);
}

const isEvaluated = (id: number): boolean => labelById(id)?.ignoreInEval === false;

/** Prediction, truth and error overlays of one worst frame, as data URIs. */
export async function overlays(frame: WorstFrame): Promise<{ image: string; prediction: string; truth: string; error: string }> {
  const { width, height, truth, prediction } = frame.thumb;
  const image = await thumbImage(frame.imagePath, width, height);
  const blend = (labels: Uint8Array): Uint8Array => {
    const out = new Uint8Array(image.length);
    for (let i = 0; i < labels.length; i++) {
      for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(0.35 * image[i * 3 + c] + 0.65 * COLOR_LUT[labels[i] * 3 + c]);
    }
    return out;
  };
  const error = new Uint8Array(image.length);
  for (let i = 0; i < truth.length; i++) {
    const grey = (image[i * 3] + image[i * 3 + 1] + image[i * 3 + 2]) / 3;
    // Wrong: red; right: the image, dimmed and tinted green; void or ignored truth: dark grey.
    const colour = !isEvaluated(truth[i]) ? [0.25 * grey + 20, 0.25 * grey + 20, 0.25 * grey + 20]
      : prediction[i] !== truth[i] ? [230, 30, 30]
        : [0.5 * grey, 0.5 * grey + 60, 0.5 * grey];
    error.set(colour.map(Math.round), i * 3);
  }
  return {
    image: await jpegUri(image, width, height),
    prediction: await jpegUri(blend(prediction), width, height),
    truth: await jpegUri(blend(truth), width, height),
    error: await jpegUri(error, width, height),
  };
}

/** The worst frames, each with its image, prediction, truth and error overlays. */
export async function worstFramesSection(frames: readonly WorstFrame[], caption: (f: WorstFrame) => string = () => ''): Promise<string> {
  if (frames.length === 0) return '<p>No frame has a score (every frame is void).</p>';
  const figures: string[] = [];
  for (const f of frames) {
    const o = await overlays(f);
    const { width, height } = f.thumb;
    const img = (uri: string, alt: string): string => `<div><img src="${uri}" width="${width}" height="${height}" alt="${escape(`${f.score.name} ${alt}`)}"><span>${escape(alt)}</span></div>`;
    figures.push(`<figure><figcaption><b>${escape(f.score.name)}</b>: mean IoU ${pct(f.score.meanIou)}, pixel accuracy ${pct(f.score.pixelAccuracy)}${caption(f)}</figcaption>
<div class="row">${img(o.image, 'image')}${img(o.prediction, 'prediction')}${img(o.truth, 'truth')}${img(o.error, 'error (red: wrong, green: right, grey: void)')}</div></figure>`);
  }
  return figures.join('\n');
}

/**
 * Writes the json and the page into `output` (made if missing), each atomically; called only once
 * both are made, so a failed evaluation leaves nothing behind. Returns their paths.
 */
export function writeJsonAndPage(output: string, names: { json: string; html: string }, json: unknown, html: string): { json: string; html: string } {
  const text = `${JSON.stringify(json, null, 1)}\n`;
  mkdirSync(output, { recursive: true });
  const paths = { json: join(output, names.json), html: join(output, names.html) };
  writeFileAtomic(paths.json, text);
  writeFileAtomic(paths.html, html);
  return paths;
}
