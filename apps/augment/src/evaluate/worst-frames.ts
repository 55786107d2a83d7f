// The frames with the lowest mean IoU, kept as small label thumbnails while the evaluation streams,
// so that the page can show their prediction, truth and error overlays without a second pass.
import type { FrameScore } from '@nightshift/labels';

export const THUMB_WIDTH = 288;

export interface LabelThumb {
  readonly width: number;
  readonly height: number;
  /** labelIds, nearest-sampled. */
  readonly truth: Uint8Array;
  readonly prediction: Uint8Array;
}

export interface WorstFrame {
  readonly score: FrameScore;
  /** The frame's image, for the overlays (it may not exist: then labels are drawn on black). */
  readonly imagePath: string;
  readonly thumb: LabelThumb;
}

/** Nearest-neighbour samples of a width x height plane at thumbnail size. */
export function sampleThumb(plane: Uint8Array, width: number, height: number, tw: number, th: number): Uint8Array {
  const out = new Uint8Array(tw * th);
  for (let y = 0; y < th; y++) {
    const sy = Math.min(height - 1, Math.floor(((y + 0.5) * height) / th));
    for (let x = 0; x < tw; x++) out[y * tw + x] = plane[sy * width + Math.min(width - 1, Math.floor(((x + 0.5) * width) / tw))];
  }
  return out;
}

export function thumbSize(width: number, height: number): { width: number; height: number } {
  const tw = Math.min(THUMB_WIDTH, width);
  return { width: tw, height: Math.max(1, Math.round((height * tw) / width)) };
}

/** Keeps the `capacity` frames of lowest mean IoU (frames without a score are never worst). */
export class WorstFrames {
  private readonly kept: WorstFrame[] = [];

  constructor(private readonly capacity: number) {}

  /** Whether a frame of this score would be kept (so that its thumbnail is worth making). */
  wants(score: FrameScore): boolean {
    if (this.capacity === 0 || Number.isNaN(score.meanIou)) return false;
    return this.kept.length < this.capacity || score.meanIou < this.kept[this.kept.length - 1].score.meanIou;
  }

  offer(score: FrameScore, imagePath: string, width: number, height: number, truth: Uint8Array, prediction: Uint8Array): void {
    if (!this.wants(score)) return;
    const t = thumbSize(width, height);
    const thumb = { ...t, truth: sampleThumb(truth, width, height, t.width, t.height), prediction: sampleThumb(prediction, width, height, t.width, t.height) };
    this.kept.push({ score, imagePath, thumb });
    this.kept.sort((a, b) => a.score.meanIou - b.score.meanIou);
    if (this.kept.length > this.capacity) this.kept.pop();
  }

  get frames(): readonly WorstFrame[] {
    return [...this.kept];
  }
}
