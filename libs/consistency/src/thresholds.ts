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
  /** For the hallucination check, a light must also have at least this luminance (8-bit, on the analysis grid); 0 = off. */
  lightMinLuminance: number;
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
  /** Hallucination (structure): both planes minus their box mean of this radius (illumination drops out). */
  hallucinationBandRadius: number;
  /** Hallucination (structure): windows within this many analysis pixels of a light's halo are not looked at. */
  lightMargin: number;
  /**
   * Hallucination (structure): novelty is divided by (1 + this x source texture / its image median): a
   * textured source (foliage, facades) changes more under translation than a plain one. 0 = off.
   */
  textureAllowance: number;
  /** Hallucination (structure): per-pixel novelty (unexplained output energy over the noise expected at its brightness) above this is new structure. */
  noveltyPixelThreshold: number;
  /** Hallucination: regions smaller than this many pixels (full resolution) are dropped. */
  hallucinationMinArea: number;
  /**
   * Hallucination (structure): regions whose box is narrower or lower than this many pixels (full
   * resolution) are dropped: too thin to be an object of interest (the bands of far lights and cars
   * where the road meets the horizon, lane marks).
   */
  hallucinationMinSide: number;
  /**
   * Hallucination (structure): a region is flagged when its novelty evidence (see hallucination.ts) is
   * at least this. Chosen together with strayLightThreshold by
   * `node --import tsx bench/consistency.ts --calibrate`: of every split of the 0.05 false regions per
   * clean image allowed on the calibration seeds (1000..1099) between the two cues, the pair with the best
   * recall; a cue with fewer clean regions than its share goes just above its worst one. No clean
   * calibration image has a structure region that passes noveltyPixelThreshold, hallucinationMinArea and
   * hallucinationMinSide, so the threshold is 0: every such region is flagged.
   */
  hallucinationThreshold: number;
  /** Hallucination (light): label ids of the ground, where no light source stands (road, sidewalk). */
  groundLabelIds: readonly number[];
  /** Hallucination (light): an emitter is a pixel with a channel at or above this (8-bit)... */
  strayLightLevel: number;
  /** ... whose source pixel has every channel below this (not a light, not white paint such as lane marks). */
  strayLightSourceLevel: number;
  /** Hallucination (light): emitters within this many pixels (full resolution) form one region (a pair of head lights). */
  strayLightMerge: number;
  /**
   * Hallucination (light): a region is flagged when it holds at least this many emitter pixels (full
   * resolution). Calibrated together with hallucinationThreshold (see there): the clean calibration
   * images have only 2 stray-light regions, of 1 pixel each, so the threshold goes just above them (2).
   */
  strayLightThreshold: number;
}

export const DEFAULT_THRESHOLDS: Readonly<ConsistencyThresholds> = Object.freeze({
  analysisMaxWidth: 1024,
  preSmoothRadius: 1,
  highPassRadius: 0,
  windowRadius: 3,
  lightExcess: 0.35,
  lightQuantile: 0.9,
  lightMinLuminance: 60,
  lightHalo: 2,
  erasureMinArea: 256,
  erasureThreshold: 0.1096,
  sourceStructureFloor: 1e-3,
  // road, sidewalk, building, vegetation, terrain, sky
  stuffLabelIds: Object.freeze([7, 8, 11, 21, 22, 23]),
  hallucinationInObjects: 1,
  hallucinationBandRadius: 2,
  lightMargin: 3,
  textureAllowance: 1,
  noveltyPixelThreshold: 3,
  hallucinationMinArea: 64,
  hallucinationMinSide: 24,
  hallucinationThreshold: 0,
  // road, sidewalk
  groundLabelIds: Object.freeze([7, 8]),
  strayLightLevel: 250,
  strayLightSourceLevel: 200,
  strayLightMerge: 8,
  strayLightThreshold: 2,
});

/** The defaults with the given values replaced; throws RangeError on a non-finite number. */
export function resolveThresholds(overrides: Partial<ConsistencyThresholds> = {}): ConsistencyThresholds {
  const t = { ...DEFAULT_THRESHOLDS, ...overrides };
  for (const [k, v] of Object.entries(t)) {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new RangeError(`consistency thresholds: ${k} must be a finite number, got ${v}`);
  }
  return t;
}
