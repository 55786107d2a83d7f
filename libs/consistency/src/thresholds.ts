// Every tunable number of the checks, in one place. Defaults were chosen on the fault-injection benchmark
// (bench/consistency.ts) with calibration seeds 1000..1099, disjoint from its evaluation seeds (from
// 500000); see the comment of each value for how.

export interface ConsistencyThresholds {
  /** Longest side of the analysis grid: larger images are box-averaged down by an integer factor. */
  analysisMaxWidth: number;
  /** Radius of the box pre-smoothing of both log-luminance planes (noise suppression). */
  preSmoothRadius: number;
  /** Both planes are high-passed (minus their box mean of this radius) before the window statistics; 0 = off. */
  highPassRadius: number;
  /** Radius of the SSIM-style statistics window ((2r+1)^2 pixels). */
  windowRadius: number;
  /**
   * A pixel is a night light (lamp, lit window, head/tail light, glow) when its output log-luminance
   * exceeds the global source-to-output tone curve by this much (0.35 = about 1.4x brighter).
   */
  lightExcess: number;
  /** ... and is at least this quantile of the output's log-luminance (lights are the brightest things at night). */
  lightQuantile: number;
  /** Pixels within this many analysis pixels of a light count as its glow and are excluded too. */
  lightHalo: number;
  /** Erasure: objects smaller than this many pixels (full resolution) are not scored ("too small"). */
  erasureMinArea: number;
  /**
   * Erasure: an object is flagged when its structure retention (weighted mean SSIM structure term over
   * the windows centred in its mask) is below this. Chosen as the largest value that keeps false flags
   * on clean instances >= 32x32 at or under 2 % on the calibration seeds (0.1096 on seeds 1000..1099).
   */
  erasureThreshold: number;
  /** Erasure: windows whose source variance is below this carry almost no weight (no structure to lose). */
  sourceStructureFloor: number;
  /** Hallucination: stuff classes (label ids) inside which new structure is looked for. */
  stuffLabelIds: readonly number[];
  /** Hallucination: 1 = look for new structure inside object masks too, 0 = stuff regions only. */
  hallucinationInObjects: number;
  /** Hallucination: weight of the tone deviation (departure from the global tone curve) added to the novelty; 0 = off. */
  toneDeviationWeight: number;
  /** Hallucination: per-pixel novelty (unexplained output variance over the image's noise variance) above this is new structure. */
  noveltyPixelThreshold: number;
  /** Hallucination: regions smaller than this many pixels (full resolution) are dropped. */
  hallucinationMinArea: number;
  /**
   * Hallucination: a region is flagged when its novelty mass (see hallucination.ts) is at least this.
   * Chosen as the smallest value with <= 0.05 false regions per clean image on the calibration seeds
   * (`node --import tsx bench/consistency.ts --calibrate`: 5186.8 on seeds 1000..1099, with the
   * per-brightness noise model, tone deviation and object-mask pixels included).
   */
  hallucinationThreshold: number;
}

export const DEFAULT_THRESHOLDS: Readonly<ConsistencyThresholds> = Object.freeze({
  analysisMaxWidth: 1024,
  preSmoothRadius: 1,
  highPassRadius: 0,
  windowRadius: 3,
  lightExcess: 0.35,
  lightQuantile: 0.9,
  lightHalo: 2,
  erasureMinArea: 256,
  erasureThreshold: 0.1096,
  sourceStructureFloor: 1e-3,
  // road, sidewalk, building, vegetation, terrain, sky
  stuffLabelIds: Object.freeze([7, 8, 11, 21, 22, 23]),
  hallucinationInObjects: 1,
  toneDeviationWeight: 1,
  noveltyPixelThreshold: 3,
  hallucinationMinArea: 64,
  hallucinationThreshold: 5187,
});

/** The defaults with the given values replaced; throws RangeError on a non-finite number. */
export function resolveThresholds(overrides: Partial<ConsistencyThresholds> = {}): ConsistencyThresholds {
  const t = { ...DEFAULT_THRESHOLDS, ...overrides };
  for (const [k, v] of Object.entries(t)) {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new RangeError(`consistency thresholds: ${k} must be a finite number, got ${v}`);
  }
  return t;
}
