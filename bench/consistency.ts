// Fault-injection benchmark of the consistency checks (libs/consistency).
//   node --import tsx bench/consistency.ts [--calibrate] [--scenes N] [--overlays DIR] [--curves] [--no-real] [--no-parity] [--model DIR]
//     [--segmenter DIR | --no-semantic] [--set name=value] [--write-card] [--misses]
// (a) synthetic: source = day render, output = night render of the fault scene (erased / added object,
//     exact truth); clean = night render. Evaluation seeds from 500000, calibration seeds 1000..1299.
// (b) real Cityscapes frames (../shared/data/real/cityscapes): night = the default generator
//     (datasets/models/default G_A, onnx engine on cpu; --model DIR for another), then faults injected with
//     the library's own tooling. Also printed: engine parity (the tfjs engine's translation must give the
//     same flags) and the clean flags of a photometric stand-in translation of the frames (control).
// Prints recall, false flags and ROC AUC per fault kind, clean flag rates, and the time per 2048x1024 check;
// --misses lists the pasted objects no cue flags, with each cue's best score over them, and draws each
// (day, clean night, night with the object, brightened) into the overlay folder.
// Hallucination has two cues with a threshold each (new structure, stray lights on the ground): a pasted
// object counts as found when either cue's best overlapping region reaches its threshold; --calibrate picks
// the pair with the best recall at <= 0.05 false regions per clean image (calibrateRegions).
// The semantic cue (datasets/models/segmenter, or --segmenter DIR) is a third cue for both fault kinds,
// ORed with the structural ones: rows for structural only, semantic only and fused. --calibrate keeps the
// structural thresholds as they are and gives the semantic cue what they leave of the false-flag budget
// (calibrateSemantic); its frame bar is the 5 % quantile of the calibration frames' day accuracy. The semantic
// thresholds belong to the segmenter's weights and live in its card (segmenter.json, "calibration"):
// --calibrate --write-card writes the values it prints there, with the sha256 of the model file.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import { generateScene, sceneLabels, renderSceneSync, renderFaults } from '@nightshift/datasets';
import { isInstanceValue, listCityscapesFrames, readCityscapesSample, readRgb } from '@nightshift/labels';
import {
  SemanticSegmenter, checkConsistency, drawOverlay, eraseInstance, pasteObject, photometricNight, listInstances, resolveThresholds,
  writeSemanticCalibration, type CheckThresholds, type ClassProbabilities, type ConsistencyFlag, type SemanticInput, type SemanticThresholds, type ConsistencyResult, type LabelMaps, type RegionScore, type RgbImage,
} from '@nightshift/consistency';
import { OnnxTranslator, TfjsTranslator, exportGeneratorOnnx, loadGenerator, selectBackend } from '@nightshift/cyclegan';
import { timeCheckOnOneCore, type CheckTiming } from './lib/check-timing.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const calibrate = args.includes('--calibrate');
const nScenes = Number(opt('--scenes', calibrate ? '300' : '100'));
const overlayDir = opt('--overlays', '/tmp/consistency-overlays');
const SEED0 = calibrate ? 1000 : 500000;
const MIN_AREA = 32 * 32; // "objects >= 32x32": at least 1024 mask pixels
// Scores are collected with permissive thresholds; flags at the defaults are derived from the scores.
// --set name=value (repeatable) overrides a threshold for the whole run (for exploring; defaults stay in thresholds.ts).
const SET: Partial<CheckThresholds> = {};
args.forEach((a, i) => { if (a === '--set') { const [k, v] = args[i + 1].split('='); (SET as Record<string, number>)[k] = Number(v); } });
const T = resolveThresholds(SET);
// The frame and object bars are applied by the benchmark (from each trial's day accuracy and coverage), so that --calibrate can choose them.
const COLLECT = { ...SET, erasureThreshold: 2, hallucinationThreshold: 0, strayLightThreshold: 0, semanticFrameAccuracy: 0, semanticObjectCoverage: 0 } as Partial<CheckThresholds>;
const SEGMENTER = opt('--segmenter', join(import.meta.dirname, '../datasets/models/segmenter'));
const segmenter = args.includes('--no-semantic') || !existsSync(SEGMENTER) ? undefined : await SemanticSegmenter.open(SEGMENTER, { uncalibrated: calibrate });
const writeCard = args.includes('--write-card');
if (writeCard && !(calibrate && segmenter)) throw new Error('--write-card writes the calibration of a segmenter: it needs --calibrate and a segmenter');
/**
 * The semantic cue's thresholds: the card's calibration (with --set overrides). --calibrate chooses all of
 * them but the pixel threshold, a design choice it takes from a valid calibration of the card or --set, and
 * collects the scores flagging nothing semantic.
 */
const S: SemanticThresholds = (() => {
  if (!calibrate) return { ...segmenter?.calibration?.thresholds, ...SET } as SemanticThresholds;
  const pixel = SET.semanticPixelThreshold ?? segmenter?.calibration?.thresholds.semanticPixelThreshold;
  if (segmenter && pixel === undefined) throw new Error(`${SEGMENTER}: the card has no valid calibration to take semanticPixelThreshold from; give it with --set semanticPixelThreshold=V`);
  return { semanticPixelThreshold: pixel ?? 0, semanticHallucinationThreshold: Infinity, semanticErasureThreshold: Infinity, semanticFrameAccuracy: 0, semanticObjectCoverage: 0 };
})();
/** The segmenter's reading of the day image and of an output, for checkConsistency's semantic input. */
async function semanticOf(dayProbabilities: ClassProbabilities | undefined, output: RgbImage): Promise<SemanticInput | undefined> {
  return segmenter && dayProbabilities ? { day: dayProbabilities, night: await segmenter.probabilities(output), thresholds: S } : undefined;
}

interface Trials { pos: number[]; neg: number[]; negImages: number }
type Cue = RegionScore['cue'];
const CUES: readonly Cue[] = ['structure', 'light', 'semantic'];
const STRUCTURAL: readonly Cue[] = ['structure', 'light'];
/**
 * Hallucination trials: per cue, the best region score over each pasted object and every region score of
 * clean images; with the segmenter's day accuracy of the frame (acc), so that the frame bar can be applied.
 */
interface RegionTrials { pos: (Record<Cue, number> & { acc: number; fault?: PastedFault })[]; neg: Record<Cue, number[]>; negAcc: number[]; negImages: number }
/** A synthetic pasted object: its scene's seed, class name and box (for --misses). */
interface PastedFault { seed: number; name: string; bbox: number[] }
const regionTrials = (): RegionTrials => ({ pos: [], neg: { structure: [], light: [], semantic: [] }, negAcc: [], negImages: 0 });
/**
 * Erasure trials over every object >= 32x32 for the fused rule: structural retention (1 when not comparable:
 * never flagged) and semantic drop (-Infinity where the object abstains), with the frame's day accuracy.
 */
interface ObjectTrial { retention: number; drop: number; acc: number; dayCoverage: number }
interface ErasureTrials { pos: ObjectTrial[]; neg: ObjectTrial[]; negImages: number }
const erasureTrials = (): ErasureTrials => ({ pos: [], neg: [], negImages: 0 });

function auc(pos: number[], neg: number[], higherIsPositive: boolean): number {
  if (!pos.length || !neg.length) return NaN;
  const all = [...pos.map((v) => [v, 1]), ...neg.map((v) => [v, 0])].sort((a, b) => (higherIsPositive ? a[0] - b[0] : b[0] - a[0]));
  let rank = 0, sumPos = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j][0] === all[i][0]) j++;
    const r = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k][1]) sumPos += r;
    rank = j; i = j;
  }
  void rank;
  return (sumPos - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

/** Median and quartiles of the pinned child's wall times (its CPU time beside them), in seconds. */
function formatTiming(t: CheckTiming): string {
  const q = (v: number[], f: number): string => (v[Math.round(f * (v.length - 1))] / 1000).toFixed(3);
  const where = t.core === null ? 'unpinned (no taskset)' : `pinned to core ${t.core}`;
  return `${q(t.wallMs, 0.5)} s median of ${t.wallMs.length} (quartiles ${q(t.wallMs, 0.25)}-${q(t.wallMs, 0.75)}, fastest ${q(t.wallMs, 0)}), one process ${where}; its CPU time ${q(t.cpuMs, 0.5)} s`;
}

const iou = (p: number[], q: number[]): number => {
  const w = Math.min(p[0] + p[2], q[0] + q[2]) - Math.max(p[0], q[0]), h = Math.min(p[1] + p[3], q[1] + q[3]) - Math.max(p[1], q[1]);
  return w > 0 && h > 0 ? (w * h) / (p[2] * p[3] + q[2] * q[3] - w * h) : 0;
};
const overlaps = (a: number[], b: number[]): boolean => a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];

// Erasure: positive = retention of the erased object; negative = retention of each clean object.
// Hallucination: positive = best region score overlapping the pasted object (0 if none); negative =
// every region score in clean images (false regions are counted per image).
const erased: Trials = { pos: [], neg: [], negImages: 0 };
const added = regionTrials();
const erasedFused = erasureTrials();
/** The segmenter's day accuracy of each clean frame (the frame bar's input). */
const frameAcc: Record<'synthetic' | 'real', number[]> = { synthetic: [], real: [] };
const real = { erased: { pos: [], neg: [], negImages: 0 } as Trials, added: regionTrials(), erasedFused: erasureTrials() };
let cleanFlags: { set: string; id: string; flags: ConsistencyResult['flags']; image: RgbImage; semantic?: ConsistencyResult['semantic'] }[] = [];

function bigObjects(r: ConsistencyResult): number[] {
  return r.objects.filter((o) => o.area >= MIN_AREA && o.comparable).map((o) => o.retention);
}

function bestOverlap(r: ConsistencyResult, box: number[]): Record<Cue, number> & { acc: number } {
  // -Infinity: no region of that cue over the object (not found at any threshold).
  const best = { structure: -Infinity, light: -Infinity, semantic: -Infinity, acc: r.semantic?.dayAccuracy ?? 0 };
  for (const g of r.regions) if (overlaps(g.bbox, box)) best[g.cue] = Math.max(best[g.cue], g.score);
  return best;
}

function addNegatives(t: RegionTrials, r: ConsistencyResult): void {
  for (const g of r.regions) {
    t.neg[g.cue].push(g.score);
    if (g.cue === 'semantic') t.negAcc.push(r.semantic!.dayAccuracy);
  }
  t.negImages++;
}

function objectTrial(r: ConsistencyResult, instanceId: number): ObjectTrial {
  const o = r.objects.find((q) => q.instanceId === instanceId), so = r.semantic?.objects.find((q) => q.instanceId === instanceId);
  return { retention: o && o.comparable ? o.retention : 1, drop: so ? so.drop : -Infinity, acc: r.semantic?.dayAccuracy ?? 0, dayCoverage: so ? so.dayCoverage : 0 };
}

/** Clean objects >= 32x32 of a frame (all but `skip`) as erasure negatives, and the cue's abstentions among them. */
function addObjectNegatives(t: ErasureTrials, r: ConsistencyResult, labels: LabelMaps, skip?: number): void {
  for (const o of listInstances(labels.instances, labels.width)) {
    if (o.area < MIN_AREA || o.instanceId === skip) continue;
    t.neg.push(objectTrial(r, o.instanceId));
  }
  t.negImages++;
}

// Engine noise: the onnx and tfjs engines' translations of a frame differ by one grey level on a few
// pixels (0.2 % of the bytes on the real frames). Calibration adds +-1 to 1 % of the bytes of each clean
// output and measures how much each region score moves: the threshold of each cue is placed that much
// (relative) above the clean score it must stay above, so that the noise cannot push a clean region over.
// Each clean region's shift is kept with its score: the margin is taken over the regions that could reach
// the threshold (marginNear).
const regionShift: Record<Cue, { score: number; shift: number }[]> = { structure: [], light: [], semantic: [] };
/** Absolute retention shift of clean objects >= 32x32 under the same noise (the erasure threshold's margin). */
const retentionShift: number[] = [];
/** Absolute semantic drop shift of the same objects (the semantic erasure threshold's margin). */
const dropShift: number[] = [];
function levelNoise(image: RgbImage, seed: number): RgbImage {
  const data = new Uint8Array(image.data);
  let st = seed >>> 0;
  const rnd = (): number => { st = (Math.imul(st, 1664525) + 1013904223) >>> 0; return st / 4294967296; };
  for (let i = 0; i < data.length; i++) {
    if (rnd() >= 0.01) continue;
    data[i] = rnd() < 0.5 ? Math.max(0, data[i] - 1) : Math.min(255, data[i] + 1);
  }
  return { ...image, data };
}
function noiseSensitivity(a: ConsistencyResult, b: ConsistencyResult): void {
  for (const g of a.regions) {
    let best: RegionScore | undefined, bi = 0.5;
    for (const h of b.regions) if (h.cue === g.cue && iou(g.bbox, h.bbox) >= bi) { best = h; bi = iou(g.bbox, h.bbox); }
    if (!best) continue;
    const shift = Math.abs(g.score - best.score) / Math.max(g.score, best.score, 1e-9);
    regionShift[g.cue].push({ score: Math.max(g.score, best.score), shift });
  }
  for (const o of a.objects) {
    const q = b.objects.find((p) => p.instanceId === o.instanceId);
    if (q && o.area >= MIN_AREA && o.comparable && q.comparable) retentionShift.push(Math.abs(o.retention - q.retention));
  }
  for (const o of a.semantic?.objects ?? []) {
    const q = b.semantic?.objects.find((p) => p.instanceId === o.instanceId);
    if (q && o.area >= MIN_AREA) dropShift.push(Math.abs(o.drop - q.drop));
  }
}
const p99 = (values: number[]): number => {
  const v = [...values].sort((x, y) => x - y);
  return v.length ? v[Math.min(v.length - 1, Math.floor(0.99 * v.length))] : 0;
};
/**
 * A cue's relative score shift under engine noise near a clean score: the 99th percentile over the matched
 * clean regions scoring at least half of it. The many small regions far below a threshold shift by more,
 * relatively (a light region of two pixels on the emitter ramp, scoring 1/4, moves by half when one of
 * them moves by a grey level), and say nothing about a score near it.
 */
function marginNear(c: Cue, clean: number): { margin: number; regions: number } {
  const relevant = regionShift[c].filter((r) => r.score >= clean / 2).map((r) => r.shift);
  return { margin: p99(relevant), regions: relevant.length };
}

const W = 512, H = 256;
for (let s = SEED0; s < SEED0 + nScenes; s++) {
  const scene = generateScene(s, { width: W, height: H });
  const labels: LabelMaps = { ...sceneLabels(scene) };
  const day = renderSceneSync(scene, 'day'), night = renderSceneSync(scene, 'night');
  const faults = await renderFaults(scene);
  const dayP = segmenter ? await segmenter.probabilities(day) : undefined;
  const semantic = await semanticOf(dayP, night);
  const clean = checkConsistency({ sampleId: `syn-${s}`, source: day, output: night, labels, semantic }, COLLECT);
  const victim = faults.erased?.truth.instanceId;
  erased.neg.push(...bigObjects({ ...clean, objects: clean.objects.filter((o) => o.instanceId !== victim) }));
  erased.negImages++;
  addObjectNegatives(erasedFused, clean, labels, victim);
  if (clean.semantic) frameAcc.synthetic.push(clean.semantic.dayAccuracy);
  addNegatives(added, clean);
  if (calibrate) {
    const noisy = levelNoise(night, s);
    noiseSensitivity(clean, checkConsistency({ sampleId: `syn-${s}-noisy`, source: day, output: noisy, labels, semantic: await semanticOf(dayP, noisy) }, COLLECT));
  }
  if (s < SEED0 + 50) cleanFlags.push({ set: 'synthetic', id: `syn-${s}`, flags: checkConsistency({ sampleId: `syn-${s}`, source: day, output: night, labels, semantic }, SET).flags, image: night });
  if (faults.erased && faults.erased.truth.area >= MIN_AREA) {
    const r = checkConsistency({ sampleId: `syn-${s}-erased`, source: day, output: faults.erased.image, labels, semantic: await semanticOf(dayP, faults.erased.image) }, COLLECT);
    const o = r.objects.find((q) => q.instanceId === victim);
    if (o) erased.pos.push(o.comparable ? o.retention : 1);
    erasedFused.pos.push(objectTrial(r, victim!));
  }
  if (faults.added.truth.area >= MIN_AREA) {
    const r = checkConsistency({ sampleId: `syn-${s}-added`, source: day, output: faults.added.image, labels, semantic: await semanticOf(dayP, faults.added.image) }, COLLECT);
    const t = faults.added.truth;
    added.pos.push({ ...bestOverlap(r, t.bbox), fault: { seed: s, name: t.name, bbox: t.bbox } });
  }
}

// Real frames: each translated once by the default generator (G_A through onnx, cpu), kept in memory for
// the run; faults are injected into that translation. The same frames translated by the tfjs engine (wasm)
// must give the same flags (engine parity line), and the photometric stand-in translation is a control:
// it has no generator defects, so its flags are false alarms of the checks.
const REAL_ROOT = join(import.meta.dirname, '../../shared/data/real/cityscapes');
const MODEL = opt('--model', join(import.meta.dirname, '../datasets/models/default'));
const timings: CheckTiming[] = [];
const TIMED_RUNS = 15;
const parity: string[] = [];
const flagKey = (g: ConsistencyFlag): string => `${g.kind} (${g.cue}) ${g.className} ${g.instanceId ?? '-'} ${g.bbox.join(',')}`;
if (!calibrate && !args.includes('--no-real') && existsSync(REAL_ROOT)) {
  const samples = [];
  for (const frame of listCityscapesFrames(REAL_ROOT)) {
    const sample = await readCityscapesSample(frame);
    const rgb = await readRgb(frame.imagePath);
    const day: RgbImage = { width: rgb.width, height: rgb.height, data: rgb.data };
    samples.push({ sample, day, dayP: segmenter ? await segmenter.probabilities(day) : undefined });
  }
  await selectBackend('wasm');
  const generator = await loadGenerator(MODEL, { which: 'G_A' });
  const onnx = await OnnxTranslator.create(await exportGeneratorOnnx(generator), { provider: 'cpu' });
  const nights: RgbImage[] = [];
  for (const { day } of samples) nights.push((await onnx.translate([day]))[0]);
  onnx.dispose();
  if (!args.includes('--no-parity')) {
    // Engine parity: the tfjs engine's translation differs by a grey level on a few pixels; the flags must not.
    const tfjs = await TfjsTranslator.create(generator);
    let matched = 0, sameBox = 0, total = 0, maxShift = 0, maxRel = 0, maxAbs = 0;
    for (const [fi, { sample, day, dayP }] of samples.entries()) {
      const other = (await tfjs.translate([day]))[0];
      let bytes = 0;
      for (let i = 0; i < other.data.length; i++) if (other.data[i] !== nights[fi].data[i]) bytes++;
      const labels: LabelMaps = { width: sample.width, height: sample.height, semantic: sample.semantic, instances: sample.instances };
      const a = checkConsistency({ sampleId: sample.id, source: day, output: nights[fi], labels, semantic: await semanticOf(dayP, nights[fi]) }, SET).flags;
      const b = checkConsistency({ sampleId: sample.id, source: day, output: other, labels, semantic: await semanticOf(dayP, other) }, SET).flags;
      total += Math.max(a.length, b.length);
      // The same decision: kind, class and instance equal and the boxes overlapping (IoU >= 0.5), one to one.
      const free = new Set(b.keys());
      const unmatched: string[] = [];
      for (const f of a) {
        const j = [...free].find((k) => b[k].kind === f.kind && b[k].cue === f.cue && b[k].className === f.className && b[k].instanceId === f.instanceId && iou(b[k].bbox, f.bbox) >= 0.5);
        if (j === undefined) { unmatched.push(`onnx only: ${flagKey(f)} score ${f.score.toFixed(3)}`); continue; }
        free.delete(j);
        matched++;
        const g = b[j];
        if (flagKey(g) === flagKey(f)) sameBox++;
        maxShift = Math.max(maxShift, ...f.bbox.map((v, k) => Math.abs(v - g.bbox[k])));
        if (f.kind === 'erased') maxAbs = Math.max(maxAbs, Math.abs(f.score - g.score));
        else maxRel = Math.max(maxRel, Math.abs(f.score - g.score) / Math.max(1e-9, Math.abs(f.score)));
      }
      for (const k of free) unmatched.push(`tfjs only: ${flagKey(b[k])} score ${b[k].score.toFixed(3)}`);
      parity.push(`  ${sample.id}: ${(100 * bytes / other.data.length).toFixed(2)} % of the bytes differ (by 1 level); flags onnx ${a.length}, tfjs ${b.length}${unmatched.length ? '\n    ' + unmatched.join('\n    ') : ''}`);
    }
    parity.unshift(`engine parity (onnx cpu vs tfjs wasm, default G_A, 3 real frames${segmenter ? ', all cues' : ', structural cues'}): ${matched} of ${total} flags the same decision (kind, cue, class, instance, box IoU >= 0.5), ${sameBox} with identical boxes; largest box edge shift ${maxShift} px, score difference ${maxAbs.toFixed(3)} (erased retention), ${(100 * maxRel).toFixed(1)} % (hallucinated, relative)`);
    tfjs.dispose();
  }
  generator.dispose();
  const control = photometricNight({ seed: 7 });
  for (const [fi, { sample, day, dayP }] of samples.entries()) {
    const labels: LabelMaps = { width: sample.width, height: sample.height, semantic: sample.semantic, instances: sample.instances };
    const night = nights[fi];
    const semantic = await semanticOf(dayP, night);
    const clean = checkConsistency({ sampleId: sample.id, source: day, output: night, labels, semantic }, COLLECT);
    // On each core in turn: on this shared virtual machine the cores are not equally fast.
    if (fi === 0) {
      for (const core of availableParallelism() > 1 ? [0, 1] : [0]) {
        timings.push(timeCheckOnOneCore({ sampleId: sample.id, source: day, output: night, labels }, TIMED_RUNS, core));
        if (segmenter) timings.push(timeCheckOnOneCore({ sampleId: sample.id, source: day, output: night, labels }, TIMED_RUNS, core, SEGMENTER));
      }
    }
    const full = checkConsistency({ sampleId: sample.id, source: day, output: night, labels, semantic }, SET);
    cleanFlags.push({ set: 'real', id: sample.id, flags: full.flags, image: night, semantic: full.semantic });
    const stand = control(day);
    const standCheck = checkConsistency({ sampleId: sample.id, source: day, output: stand, labels, semantic: await semanticOf(dayP, stand) }, SET);
    cleanFlags.push({ set: 'real-control', id: `${sample.id}-photometric`, flags: standCheck.flags, image: stand, semantic: standCheck.semantic });
    addNegatives(real.added, clean);
    addObjectNegatives(real.erasedFused, clean, labels);
    if (clean.semantic) frameAcc.real.push(clean.semantic.dayAccuracy);
    const objects = listInstances(labels.instances, labels.width).filter((o) => o.area >= MIN_AREA);
    for (const o of objects) {
      const r0 = clean.objects.find((q) => q.instanceId === o.instanceId);
      if (r0) real.erased.neg.push(r0.comparable ? r0.retention : 1);
      const fault = eraseInstance(night, labels, o.instanceId, { noiseSeed: o.instanceId });
      if (!fault) continue;
      const r = checkConsistency({ sampleId: `${sample.id}-erased-${o.instanceId}`, source: day, output: fault.image, labels, semantic: await semanticOf(dayP, fault.image) }, COLLECT);
      const q = r.objects.find((p) => p.instanceId === o.instanceId);
      if (q) real.erased.pos.push(q.comparable ? q.retention : 1);
      real.erasedFused.pos.push(objectTrial(r, o.instanceId));
    }
    real.erased.negImages++;
    // Paste objects of the other frames (cars, persons, riders, bicycles >= 32x32, not cut by the border).
    let k = 0;
    for (const [di, donor] of samples.entries()) {
      if (di === fi) continue;
      const donors = listInstances(donor.sample.instances, donor.sample.width)
        .filter((o) => isInstanceValue(o.instanceId) && o.area >= MIN_AREA && o.x0 > 0 && o.x1 < donor.sample.width && o.y1 < donor.sample.height && o.y1 - o.y0 < 300)
        .slice(0, 6);
      for (const d of donors) {
        const pasted = pasteObject(night, labels, { image: donor.day, instances: donor.sample.instances, instanceId: d.instanceId }, 1000 * fi + k++);
        if (!pasted) continue;
        const pastedSemantic = await semanticOf(dayP, pasted.image);
        const r = checkConsistency({ sampleId: `${sample.id}-added-${k}`, source: day, output: pasted.image, labels, semantic: pastedSemantic }, COLLECT);
        real.added.pos.push(bestOverlap(r, pasted.truth.bbox));
        if (k <= 2) {
          const flags = checkConsistency({ sampleId: `${sample.id}-added-${k}`, source: day, output: pasted.image, labels, semantic: pastedSemantic }, SET).flags;
          await writeOverlay(`${sample.id}-added-${k}`, pasted.image, flags);
        }
      }
    }
  }
}

/**
 * A missed pasted object (--misses) side by side, cropped around its box with a margin and enlarged 2x:
 * the day render, the clean night, the night with the object, and that 3x brighter. The scene is
 * rendered again from its seed.
 */
async function writeMissStrip({ seed, bbox: box }: PastedFault): Promise<string> {
  const scene = generateScene(seed, { width: W, height: H });
  const faults = await renderFaults(scene);
  const night = faults.added.image;
  const images = [renderSceneSync(scene, 'day'), renderSceneSync(scene, 'night'), night, brightened(night)];
  const m = 16;
  const left = Math.max(0, box[0] - m), top = Math.max(0, box[1] - m);
  const width = Math.min(W, box[0] + box[2] + m) - left, height = Math.min(H, box[1] + box[3] + m) - top;
  const crops = await Promise.all(images.map((im) => sharp(im.data, { raw: { width: im.width, height: im.height, channels: 3 } })
    .extract({ left, top, width, height }).resize(2 * width, 2 * height, { kernel: 'nearest' }).png().toBuffer()));
  mkdirSync(overlayDir, { recursive: true });
  const file = join(overlayDir, `missed-${seed}.png`);
  await sharp({ create: { width: 4 * 2 * width + 3 * 4, height: 2 * height, channels: 3, background: '#fff' } })
    .composite(crops.map((input, k) => ({ input, left: k * (2 * width + 4), top: 0 }))).png().toFile(file);
  return file;
}

/** A night image 3x brighter, for looking at (a declaration: the top-level loops above call it). */
function brightened(image: RgbImage): RgbImage {
  return { ...image, data: image.data.map((v) => Math.min(255, v * 3)) };
}

async function writeOverlay(name: string, image: RgbImage, flags: ConsistencyResult['flags']): Promise<void> {
  mkdirSync(overlayDir, { recursive: true });
  const boost = drawOverlay(brightened(image), flags);
  writeFileSync(join(overlayDir, `${name}.png`), await sharp(boost, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer());
}

function row(set: string, kind: string, t: Trials, threshold: number, higherIsPositive: boolean, perImage: boolean): string {
  const flagged = (v: number): boolean => (higherIsPositive ? v >= threshold : v < threshold);
  const recall = t.pos.filter(flagged).length / t.pos.length;
  const falseFlags = t.neg.filter(flagged).length;
  const rate = perImage ? falseFlags / t.negImages : falseFlags / t.neg.length;
  return `${set.padEnd(10)} ${kind.padEnd(13)} ${String(t.pos.length).padStart(5)} ${String(perImage ? t.negImages : t.neg.length).padStart(7)}  ${recall.toFixed(3)}  ${rate.toFixed(4)} ${perImage ? '/image   ' : '/instance'}  ${auc(t.pos, t.neg, higherIsPositive).toFixed(3)}   ${recallAtTarget(t, higherIsPositive, perImage).toFixed(3)}`;
}

/** Best recall with false flags at or under the target rate (0.02 per instance, 0.05 per image). */
function recallAtTarget(t: Trials, higherIsPositive: boolean, perImage: boolean): number {
  const allowed = Math.floor((perImage ? 0.05 * t.negImages : 0.02 * t.neg.length) + 1e-9);
  const neg = [...t.neg].sort((a, b) => (higherIsPositive ? b - a : a - b));
  // Flag strictly beyond the (allowed+1)-th worst negative.
  const edge = neg[allowed];
  if (edge === undefined) return 1;
  return t.pos.filter((v) => (higherIsPositive ? v > edge : v < edge)).length / t.pos.length;
}

function sweep(t: Trials, higherIsPositive: boolean, perImage: boolean): string {
  const vals = [...new Set([...t.pos, ...t.neg])].sort((a, b) => a - b);
  const lines: string[] = [];
  for (const q of [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]) {
    const th = vals[Math.floor(q * (vals.length - 1))];
    const flagged = (v: number): boolean => (higherIsPositive ? v >= th : v < th);
    const fr = t.neg.filter(flagged).length / (perImage ? t.negImages : t.neg.length);
    lines.push(`    threshold ${th.toFixed(3)}: recall ${(t.pos.filter(flagged).length / t.pos.length).toFixed(3)}, false ${fr.toFixed(4)}`);
  }
  return lines.join('\n');
}

type CueThresholds = Record<Cue, number>;
const flaggedBy = (p: Record<Cue, number>, th: CueThresholds, cues: readonly Cue[] = CUES): boolean => cues.some((c) => p[c] >= th[c]);

/**
 * The trials as the semantic cue's frame bar leaves them: a frame whose day accuracy is under the bar
 * abstains, so its semantic scores drop out (pasted objects: -Infinity, never found by the cue).
 */
function gateRegions(t: RegionTrials, bar: number): RegionTrials {
  return {
    ...t,
    pos: t.pos.map((p) => (p.acc < bar ? { ...p, semantic: -Infinity } : p)),
    neg: { ...t.neg, semantic: t.neg.semantic.filter((_, k) => t.negAcc[k] >= bar) },
    negAcc: t.negAcc.filter((a) => a >= bar),
  };
}
function gateObjects(t: ErasureTrials, bar: number, objectBar: number): ErasureTrials {
  const gate = (o: ObjectTrial): ObjectTrial => (o.acc < bar || o.dayCoverage < objectBar ? { ...o, drop: -Infinity } : o);
  return { ...t, pos: t.pos.map(gate), neg: t.neg.map(gate) };
}

/** Hallucination row over some of the cues: a pasted object is found when any of them reaches its threshold over it. */
function regionRow(set: string, label: string, t: RegionTrials, th: CueThresholds, cues: readonly Cue[]): string {
  const recall = t.pos.filter((p) => flaggedBy(p, th, cues)).length / t.pos.length;
  const falseFlags = cues.reduce((a, c) => a + t.neg[c].filter((v) => v >= th[c]).length, 0);
  // AUC of the combined score max over the cues of score / threshold.
  const ratio = (v: number, c: Cue): number => v / Math.max(th[c], 1e-9);
  const comb = (p: Record<Cue, number>): number => Math.max(...cues.map((c) => ratio(p[c], c)));
  const negComb = cues.flatMap((c) => t.neg[c].map((v) => ratio(v, c)));
  // Images without any region of these cues count as negatives at -Infinity (one per image at most).
  const imagesWithout = Math.max(0, t.negImages - negComb.length);
  const negAll = [...negComb, ...Array<number>(imagesWithout).fill(-Infinity)];
  return `${set.padEnd(10)} ${'hallucinated'.padEnd(13)} ${label.padEnd(10)} ${String(t.pos.length).padStart(5)} ${String(t.negImages).padStart(7)}  ${recall.toFixed(3)}  ${(falseFlags / t.negImages).toFixed(4)} /image     ${auc(t.pos.map(comb), negAll, true).toFixed(3)}`;
}

/** Erasure row over some of the cues: retention under its threshold (structural) or drop at or over its threshold (semantic). */
function erasureRow(set: string, label: string, t: ErasureTrials, th: { retention: number; drop: number }, cues: readonly ('structure' | 'semantic')[]): string {
  const useS = cues.includes('structure'), useM = cues.includes('semantic');
  const flagged = (o: ObjectTrial): boolean => (useS && o.retention < th.retention) || (useM && o.drop >= th.drop);
  // Combined score for the AUC: max over the cues of how far past its threshold (> 1 = flagged).
  const comb = (o: ObjectTrial): number => Math.max(useS ? th.retention / Math.max(o.retention, 1e-9) : -Infinity, useM ? o.drop / Math.max(th.drop, 1e-9) : -Infinity);
  const recall = t.pos.filter(flagged).length / t.pos.length;
  const rate = t.neg.filter(flagged).length / t.neg.length;
  return `${set.padEnd(10)} ${'erased'.padEnd(13)} ${label.padEnd(10)} ${String(t.pos.length).padStart(5)} ${String(t.neg.length).padStart(7)}  ${recall.toFixed(3)}  ${rate.toFixed(4)} /instance  ${auc(t.pos.map(comb), t.neg.map(comb), true).toFixed(3)}`;
}

/** The semantic cue's abstentions: frames (clean checks) under the frame bar, objects >= 32x32 abstaining. */
function abstentionLine(set: string, accs: number[], objects: ErasureTrials, bar: number, objectBar: number): string {
  const abstFrames = accs.filter((a) => a < bar).length;
  const abstObjects = gateObjects(objects, bar, objectBar).neg.filter((o) => o.drop === -Infinity).length;
  return `${set}: the semantic cue abstained on ${abstFrames} of ${accs.length} frames (${(100 * abstFrames / Math.max(1, accs.length)).toFixed(1)} %) and on ${abstObjects} of ${objects.neg.length} clean objects >= 32x32 (${(100 * abstObjects / Math.max(1, objects.neg.length)).toFixed(1)} %; objects of classes it does not judge, e.g. train, count as abstained)`;
}

/** The clean score a threshold is placed above, and the engine-noise margin near it over how many clean regions. */
interface NoiseMargin { clean: number; margin: number; regions: number }
/**
 * The per-cue thresholds with the best recall at <= 0.05 false regions per clean image: every split of
 * the allowed false regions between the structural cues, each cue's threshold just above its allowed-th
 * worst clean score, lifted by the engine-noise margin near that score (none with withMargins false).
 */
function calibrateRegions(t: RegionTrials, withMargins = true): { th: CueThresholds; recall: number; margins: Record<'structure' | 'light', NoiseMargin> } {
  const allowed = Math.floor(0.05 * t.negImages + 1e-9);
  const neg = { structure: [...t.neg.structure].sort((a, b) => b - a), light: [...t.neg.light].sort((a, b) => b - a) };
  const none = { clean: NaN, margin: 0, regions: 0 };
  let best = { th: { structure: Infinity, light: Infinity, semantic: Infinity } as CueThresholds, recall: -1, margins: { structure: none, light: none } };
  for (let k = 0; k <= allowed; k++) {
    const structure = regionEdge('structure', neg.structure, k, withMargins), light = regionEdge('light', neg.light, allowed - k, withMargins);
    const th = { structure: structure.value, light: light.value, semantic: Infinity };
    const recall = t.pos.filter((p) => flaggedBy(p, th, STRUCTURAL)).length / t.pos.length;
    if (recall > best.recall) best = { th, recall, margins: { structure: structure.margin, light: light.margin } };
  }
  return best;
}
// A cue with fewer clean scores than its share goes just above its worst one: no lower without evidence.
// The margin lifts the threshold by the relative score shift engine noise can cause.
function edge(descending: number[], j: number, relMargin: number, absMargin = 0, ifNone = 0): number {
  if (!descending.length) return ifNone;
  return cleanEdge(descending, j) * (1 + relMargin) + absMargin + 1e-6;
}
const cleanEdge = (descending: number[], j: number): number => (descending.length > j ? descending[j] : descending[0]);
/** A region cue's threshold above its j-th worst clean score, lifted by the engine-noise margin near that score (none: Infinity). */
function regionEdge(c: Cue, descending: number[], j: number, withMargin: boolean, ifNone = 0): { value: number; margin: NoiseMargin } {
  const clean = descending.length ? cleanEdge(descending, j) : NaN;
  const margin = withMargin && descending.length ? { clean, ...marginNear(c, clean) } : { clean, margin: 0, regions: 0 };
  return { value: edge(descending, j, margin.margin, 0, ifNone), margin };
}

/**
 * The semantic thresholds, the structural ones fixed: for hallucination the semantic cue gets the false
 * regions the structural cues leave of the budget (0.05 per clean image), its threshold placed just above
 * that many of its worst clean scores, lifted by its engine-noise margin. For erasure the target is to be
 * no worse than the structural cue alone, so it gets none: its threshold goes above every clean drop the
 * structural cue does not already flag (an object both flag costs nothing more).
 */
function calibrateSemantic(
  regions: RegionTrials, objects: ErasureTrials, structural: CueThresholds, retentionThreshold: number, dropMargin: number,
): { hallucination: number; erasure: number; regionMargin: number; marginRegions: number } {
  const allowedR = Math.floor(0.05 * regions.negImages + 1e-9);
  const usedR = STRUCTURAL.reduce((a, c) => a + regions.neg[c].filter((v) => v >= structural[c]).length, 0);
  const semNeg = [...regions.neg.semantic].sort((a, b) => b - a);
  const k = Math.max(0, allowedR - usedR);
  // No clean score at all says nothing about the false rate: such a cue is not given a threshold (Infinity).
  const hallucination = regionEdge('semantic', semNeg, k, true, Infinity);
  const drops = objects.neg.filter((o) => o.retention >= retentionThreshold && o.drop > -Infinity).map((o) => o.drop).sort((a, b) => b - a);
  const erasure = edge(drops, 0, 0, dropMargin, Infinity);
  return { hallucination: hallucination.value, erasure, regionMargin: hallucination.margin.margin, marginRegions: hallucination.margin.regions };
}

function regionSweep(t: RegionTrials, th: CueThresholds): string {
  const lines: string[] = [];
  for (const c of CUES) {
    const vals = [...new Set([...t.pos.map((p) => p[c]), ...t.neg[c]])].filter((v) => v > 0).sort((a, b) => a - b);
    if (!vals.length) continue;
    for (const q of [0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99]) {
      const v = vals[Math.floor(q * (vals.length - 1))];
      const cur = { ...th, [c]: v };
      const fr = CUES.reduce((a, d) => a + t.neg[d].filter((x) => x >= cur[d]).length, 0) / t.negImages;
      lines.push(`    ${c} threshold ${v.toFixed(3)} (other cues at default): recall ${(t.pos.filter((p) => flaggedBy(p, cur)).length / t.pos.length).toFixed(3)}, false ${fr.toFixed(4)} /image`);
    }
  }
  return lines.join('\n');
}

const DEFAULT_CUES: CueThresholds = { structure: T.hallucinationThreshold, light: T.strayLightThreshold, semantic: S.semanticHallucinationThreshold };
const DEFAULT_ERASURE = { retention: T.erasureThreshold, drop: S.semanticErasureThreshold };
const HEADER = 'set        kind          cues       faults   clean  recall  false flags          ROC AUC';

function printRows(set: string, regions: RegionTrials, objects: ErasureTrials, th: CueThresholds, e: { retention: number; drop: number }, bar: number, objectBar: number): void {
  const r = gateRegions(regions, bar), o = gateObjects(objects, bar, objectBar);
  console.log(erasureRow(set, 'structural', o, e, ['structure']));
  if (segmenter) {
    console.log(erasureRow(set, 'semantic', o, e, ['semantic']));
    console.log(erasureRow(set, 'fused', o, e, ['structure', 'semantic']));
  }
  console.log(regionRow(set, 'structural', r, th, STRUCTURAL));
  if (segmenter) {
    console.log(regionRow(set, 'semantic', r, th, ['semantic']));
    console.log(regionRow(set, 'fused', r, th, CUES));
  }
}

if (calibrate) {
  // Erasure: the largest threshold with <= 2 % false flags less its noise margin; hallucination: calibrateRegions.
  const negE = [...erased.neg].sort((a, b) => a - b);
  const eMargin = p99(retentionShift);
  // Flag below the 2 % quantile of clean retentions, lowered by the engine-noise margin.
  const eTh = negE[Math.floor(0.02 * negE.length)] - eMargin;
  console.log(`erasure engine-noise margin (99th percentile absolute retention shift of ${retentionShift.length} clean objects >= 32x32): ${eMargin.toFixed(4)}`);
  const h = calibrateRegions(added);
  const m = h.margins;
  const marginText = (v: NoiseMargin): string => `above clean ${v.clean.toFixed(4)} by ${v.margin.toFixed(4)} (${v.regions} regions)`;
  console.log(`engine-noise margins (99th percentile relative score shift under +-1 on 1 % of the bytes, over the clean regions scoring at least half the clean score each threshold is placed above): structure ${marginText(m.structure)}, light ${marginText(m.light)}`);
  console.log(`calibration seeds ${SEED0}..${SEED0 + nScenes - 1}: erasureThreshold ${eTh.toFixed(4)}, hallucinationThreshold ${h.th.structure.toFixed(4)}, strayLightThreshold ${h.th.light.toFixed(4)}, hallucination recall ${h.recall.toFixed(3)} (the defaults in use: ${T.erasureThreshold}, ${T.hallucinationThreshold}, ${T.strayLightThreshold})`);
  if (segmenter) {
    // The frame bar first (it decides which frames the semantic thresholds are calibrated on), then the
    // semantic thresholds on the budget the structural defaults leave.
    const accs = [...frameAcc.synthetic].sort((a, b) => a - b);
    const bar = accs[Math.floor(0.05 * accs.length)];
    const dropMargin = p99(dropShift);
    console.log(`semantic erasure engine-noise margin: ${dropMargin.toFixed(4)} absolute drop (${dropShift.length} clean objects)`);
    console.log(`semantic (structural thresholds at their defaults, semanticPixelThreshold ${S.semanticPixelThreshold}): semanticFrameAccuracy ${bar.toFixed(4)} (5 % quantile of ${accs.length} frames' day accuracy, median ${accs[accs.length >> 1].toFixed(4)})`);
    // The object bar: the one of a few round values whose calibrated erasure threshold finds the most erasures.
    let best = { objectBar: 0, erasure: Infinity, recall: -1, hallucination: Infinity, regionMargin: 0, marginRegions: 0 };
    for (const objectBar of [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) {
      const objects = gateObjects(erasedFused, bar, objectBar);
      const sem = calibrateSemantic(gateRegions(added, bar), objects, DEFAULT_CUES, T.erasureThreshold, dropMargin);
      const recall = objects.pos.filter((o) => o.retention < T.erasureThreshold || o.drop >= sem.erasure).length / objects.pos.length;
      const abstained = objects.neg.filter((o) => o.drop === -Infinity).length / objects.neg.length;
      console.log(`  semanticObjectCoverage ${objectBar}: semanticErasureThreshold ${sem.erasure.toFixed(4)}, fused erasure recall ${recall.toFixed(3)}, clean objects abstaining ${(100 * abstained).toFixed(1)} %`);
      if (recall > best.recall) best = { objectBar, ...sem, recall };
    }
    console.log(`semanticObjectCoverage ${best.objectBar}, semanticHallucinationThreshold ${best.hallucination.toFixed(4)} (engine-noise margin ${best.regionMargin.toFixed(4)} over the ${best.marginRegions} clean regions that could reach it), semanticErasureThreshold ${best.erasure.toFixed(4)}`);
    if (writeCard) {
      // The printed values (4 decimals) into the card's calibration, with the hash of the model file they belong to.
      const card = join(SEGMENTER, 'segmenter.json');
      const round = (v: number): number => Number(v.toFixed(4));
      await writeSemanticCalibration(card, {
        modelSha256: segmenter.modelHash, seeds: `${SEED0}..${SEED0 + nScenes - 1}`, date: new Date().toISOString().slice(0, 10),
        command: `node --import tsx bench/consistency.ts ${args.join(' ')}`,
        thresholds: {
          semanticPixelThreshold: S.semanticPixelThreshold, semanticHallucinationThreshold: round(best.hallucination), semanticErasureThreshold: round(best.erasure),
          semanticFrameAccuracy: round(bar), semanticObjectCoverage: best.objectBar,
        },
      });
      console.log(`calibration written to ${card}`);
    }
    console.log(HEADER);
    printRows('calib', added, erasedFused, { ...DEFAULT_CUES, semantic: best.hallucination }, { retention: T.erasureThreshold, drop: best.erasure }, bar, best.objectBar);
    // What a calibration that moves the structural thresholds too would reach: the best split of the
    // 0.05 false regions per image over the three cues (no engine-noise margins).
    const gated = gateRegions(added, bar);
    const allowed = Math.floor(0.05 * gated.negImages + 1e-9);
    const sorted = { structure: [...gated.neg.structure].sort((x, y) => y - x), light: [...gated.neg.light].sort((x, y) => y - x), semantic: [...gated.neg.semantic].sort((x, y) => y - x) };
    let joint = { recall: -1, split: [0, 0, 0] };
    for (let i = 0; i <= allowed; i++) for (let j = 0; i + j <= allowed; j++) {
      const th = { structure: edge(sorted.structure, i, 0), light: edge(sorted.light, j, 0), semantic: edge(sorted.semantic, allowed - i - j, 0, 0, Infinity) };
      const recall = gated.pos.filter((q) => flaggedBy(q, th)).length / gated.pos.length;
      if (recall > joint.recall) joint = { recall, split: [i, j, allowed - i - j] };
    }
    const structuralOnly = calibrateRegions(gated, false).recall;
    console.log(`joint split of ${allowed} false regions (structure, light, semantic) ${joint.split.join(', ')}: hallucination recall ${joint.recall.toFixed(3)} on these seeds (the structural cues alone, best split: ${structuralOnly.toFixed(3)})`);
  } else {
    console.log(row('synthetic', 'erased', erased, eTh, false, false));
  }
} else {
  console.log(`consistency benchmark: thresholds erasure ${T.erasureThreshold}, hallucination ${T.hallucinationThreshold} (structure) / ${T.strayLightThreshold} (stray light)${segmenter ? `; semantic cue (${SEGMENTER}): hallucination ${S.semanticHallucinationThreshold}, erasure ${S.semanticErasureThreshold}, frame bar ${S.semanticFrameAccuracy}, object bar ${S.semanticObjectCoverage}` : '; no semantic cue'}; objects >= 32x32 (${MIN_AREA} px)`);
  console.log(`(a) synthetic: ${nScenes} scenes ${W}x${H}, seeds ${SEED0}..${SEED0 + nScenes - 1}; (b) real: Cityscapes frames, night = default generator G_A (${MODEL}, onnx cpu)`);
  console.log(HEADER);
  printRows('synthetic', added, erasedFused, DEFAULT_CUES, DEFAULT_ERASURE, S.semanticFrameAccuracy, S.semanticObjectCoverage);
  if (real.erased.pos.length) printRows('real', real.added, real.erasedFused, DEFAULT_CUES, DEFAULT_ERASURE, S.semanticFrameAccuracy, S.semanticObjectCoverage);
  if (segmenter) {
    console.log(abstentionLine('synthetic', frameAcc.synthetic, erasedFused, S.semanticFrameAccuracy, S.semanticObjectCoverage));
    if (real.erased.pos.length) console.log(abstentionLine('real', frameAcc.real, real.erasedFused, S.semanticFrameAccuracy, S.semanticObjectCoverage));
  }
  console.log('structural cues alone, as calibrated (erasure over the comparable objects; recall at the target false rate):');
  console.log(`  ${row('synthetic', 'erased', erased, T.erasureThreshold, false, false)}`);
  if (real.erased.pos.length) console.log(`  ${row('real', 'erased', real.erased, T.erasureThreshold, false, false)}`);
  console.log(`  synthetic hallucinated: recall at <= 0.05 false regions per image ${calibrateRegions(added, false).recall.toFixed(3)} (structural cues)`);
  if (args.includes('--misses')) {
    const gated = gateRegions(added, S.semanticFrameAccuracy);
    const missed = gated.pos.filter((p) => !flaggedBy(p, DEFAULT_CUES));
    const score = (v: number): string => (v === -Infinity ? '-' : v.toFixed(1));
    console.log(`synthetic hallucinated objects missed at the default thresholds (${missed.length} of ${gated.pos.length}; best overlapping region per cue, '-': none):`);
    for (const p of missed) {
      const f = p.fault!;
      const strip = await writeMissStrip(f);
      console.log(`  syn-${f.seed} ${f.name} box ${f.bbox.join(',')}: structure ${score(p.structure)}, light ${score(p.light)}, semantic ${score(p.semantic)} (${strip})`);
    }
  }
  if (args.includes('--curves')) {
    console.log('curves (synthetic erased):\n' + sweep(erased, false, false));
    console.log('curves (synthetic hallucinated):\n' + regionSweep(gateRegions(added, S.semanticFrameAccuracy), DEFAULT_CUES));
    if (real.added.pos.length) console.log('curves (real hallucinated):\n' + regionSweep(gateRegions(real.added, S.semanticFrameAccuracy), DEFAULT_CUES));
  }
  const what: Record<string, string> = {
    synthetic: 'true night renders: every flag is a false alarm',
    real: 'default generator output: flags are generator defects or false alarms',
    'real-control': 'photometric stand-in translation: every flag is a false alarm',
  };
  for (const set of ['synthetic', 'real', 'real-control']) {
    const c = cleanFlags.filter((f) => f.set === set);
    if (!c.length) continue;
    const n = c.reduce((a, f) => a + f.flags.length, 0);
    const byKind = (k: string): number => c.reduce((a, f) => a + f.flags.filter((g) => g.kind === k).length, 0);
    console.log(`clean ${set} (${what[set]}): ${c.length} images, ${n} flags (${byKind('erased')} erased, ${byKind('hallucinated')} hallucinated), ${(n / c.length).toFixed(3)} per image`);
    for (const f of c) if (f.flags.length) {
      await writeOverlay(`clean-${f.id}`, f.image, f.flags);
      for (const g of f.flags) console.log(`  ${f.id} ${g.kind} (${g.cue}${g.predictedClassName ? `: ${g.predictedClassName}` : ''}) ${g.className} ${g.instanceId ?? ''} box ${g.bbox.join(',')} score ${g.score.toFixed(3)}`);
    }
    for (const f of c) {
      if (!f.semantic || set === 'synthetic') continue;
      const abst = f.semantic.objects.filter((o) => o.abstained);
      console.log(`  ${f.id} semantic cue: day accuracy ${f.semantic.dayAccuracy.toFixed(3)}, ${f.semantic.abstained ? 'frame abstains' : 'frame judged'}; ${abst.length} of ${f.semantic.objects.length} objects abstain${abst.length && !f.semantic.abstained ? ` (${abst.map((o) => `${o.instanceId} day ${o.dayCoverage.toFixed(2)}`).join(', ')})` : ''}`);
    }
  }
  for (const line of parity) console.log(line);
  console.log(`time per 2048x1024 check (first real frame, default generator's night), one core:${timings.length ? '' : ' n/a (no real data)'}`);
  for (const t of timings) console.log(`  ${t.segmenter ? 'all cues (segmenter on day and night, then the check)' : 'structural cues'}: ${formatTiming(t)}`);
  console.log(`overlays: ${overlayDir}`);
}
