/**
 * The loss curves as a picture: an SVG line chart (one line per loss, iterations on x, a shared
 * linear y axis from 0), rendered to PNG by sharp.
 */
import sharp from 'sharp';

export interface LossSeriesPoint {
  readonly iteration: number;
  readonly losses: Readonly<Record<string, number>>;
}

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Ticks at 1, 2 or 5 times a power of ten, about `count` of them from 0 to at least `max`. */
function niceTicks(max: number, count: number): number[] {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = 0; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

export function lossChartSvg(points: readonly LossSeriesPoint[], names: readonly string[], width = 900, height = 500): string {
  const left = 60;
  const right = 150;
  const top = 20;
  const bottom = 40;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const finite = (v: number | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
  const values = points.flatMap((p) => names.map((n) => p.losses[n]).filter(finite));
  const yTicks = niceTicks(Math.max(1e-6, ...values), 5);
  const yMax = yTicks[yTicks.length - 1];
  const x0 = points.length > 0 ? points[0].iteration : 0;
  const x1 = points.length > 1 ? points[points.length - 1].iteration : x0 + 1;
  const sx = (it: number): number => left + ((it - x0) / (x1 - x0)) * plotW;
  const sy = (v: number): number => top + plotH - (v / yMax) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<g font-family="sans-serif" font-size="12" fill="#333">`,
  ];
  for (const t of yTicks) {
    const y = sy(t).toFixed(1);
    parts.push(`<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${t}</text>`);
  }
  for (const t of niceTicks(x1 - x0, 6)) {
    const it = x0 + t;
    if (it > x1) break;
    const x = sx(it).toFixed(1);
    parts.push(`<line x1="${x}" y1="${top + plotH}" x2="${x}" y2="${top + plotH + 4}" stroke="#333"/>`);
    parts.push(`<text x="${x}" y="${top + plotH + 18}" text-anchor="middle">${it}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle">iteration</text>`);
  names.forEach((name, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const coords = points
      .filter((p) => finite(p.losses[name]))
      .map((p) => `${sx(p.iteration).toFixed(1)},${sy(p.losses[name]).toFixed(1)}`);
    if (coords.length > 1) {
      parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${coords.join(' ')}"/>`);
    } else if (coords.length === 1) {
      const [x, y] = coords[0].split(',');
      parts.push(`<circle cx="${x}" cy="${y}" r="2.5" fill="${colour}"/>`);
    }
    const ly = top + 10 + i * 18;
    parts.push(`<line x1="${left + plotW + 12}" y1="${ly}" x2="${left + plotW + 32}" y2="${ly}" stroke="${colour}" stroke-width="3"/>`);
    parts.push(`<text x="${left + plotW + 38}" y="${ly}" dominant-baseline="middle">${escapeXml(name)}</text>`);
  });
  parts.push('</g></svg>');
  return parts.join('\n');
}

export async function renderLossChartPng(points: readonly LossSeriesPoint[], names: readonly string[]): Promise<Buffer> {
  return sharp(Buffer.from(lossChartSvg(points, names))).png().toBuffer();
}
