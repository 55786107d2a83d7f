// Fault-injection benchmark of the consistency checks (libs/consistency).
//   node --import tsx bench/consistency.ts [--calibrate] [--scenes N] [--overlays DIR]
// (a) synthetic: source = day render, output = night render of the fault scene (erased / added object,
//     exact truth); clean = night render. Evaluation seeds from 500000, calibration seeds 1000..1099.
// (b) real Cityscapes frames (../shared/data/real/cityscapes): night = the photometric stand-in translator
//     (no CycleGAN generator exists yet), then faults injected with the library's own tooling.
// Prints recall, false flags and ROC AUC per fault kind, clean flag rates, and the time per 2048x1024 check.
// Hallucination has two cues with a threshold each (new structure, stray lights on the ground): a pasted
// object counts as found when either cue's best overlapping region reaches its threshold; --calibrate picks
// the pair with the best recall at <= 0.05 false regions per clean image (calibrateRegions).
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { generateScene, sceneLabels, renderSceneSync, renderFaults } from '@nightshift/datasets';
import { listCityscapesFrames, readCityscapesSample, readRgb } from '@nightshift/labels';
import {
  checkConsistency, drawOverlay, eraseInstance, pasteObject, photometricNight, listInstances, resolveThresholds,
  type ConsistencyThresholds, type ConsistencyResult, type LabelMaps, type RegionScore, type RgbImage, type Translate,
} from '@nightshift/consistency';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const calibrate = args.includes('--calibrate');
const nScenes = Number(opt('--scenes', calibrate ? '100' : '100'));
const overlayDir = opt('--overlays', '/tmp/consistency-overlays');
const SEED0 = calibrate ? 1000 : 500000;
const MIN_AREA = 32 * 32; // "objects >= 32x32": at least 1024 mask pixels
// Scores are collected with permissive thresholds; flags at the defaults are derived from the scores.
// --set name=value (repeatable) overrides a threshold for the whole run (for exploring; defaults stay in thresholds.ts).
const SET: Partial<Record<keyof ConsistencyThresholds, number>> = {};
args.forEach((a, i) => { if (a === '--set') { const [k, v] = args[i + 1].split('='); SET[k as keyof ConsistencyThresholds] = Number(v); } });
const T = resolveThresholds(SET as Partial<ConsistencyThresholds>);
const COLLECT = { ...SET, erasureThreshold: 2, hallucinationThreshold: 0, strayLightThreshold: 0 } as Partial<ConsistencyThresholds>;

interface Trials { pos: number[]; neg: number[]; negImages: number }
type Cue = RegionScore['cue'];
const CUES: readonly Cue[] = ['structure', 'light'];
/** Hallucination trials: per cue, the best region score over each pasted object and every region score of clean images. */
interface RegionTrials { pos: Record<Cue, number>[]; neg: Record<Cue, number[]>; negImages: number }
const regionTrials = (): RegionTrials => ({ pos: [], neg: { structure: [], light: [] }, negImages: 0 });

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

const overlaps = (a: number[], b: number[]): boolean => a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];

// Erasure: positive = retention of the erased object; negative = retention of each clean object.
// Hallucination: positive = best region score overlapping the pasted object (0 if none); negative =
// every region score in clean images (false regions are counted per image).
const erased: Trials = { pos: [], neg: [], negImages: 0 };
const added = regionTrials();
const real = { erased: { pos: [], neg: [], negImages: 0 } as Trials, added: regionTrials() };
let cleanFlags: { set: string; id: string; flags: ConsistencyResult['flags']; image: RgbImage }[] = [];

function bigObjects(r: ConsistencyResult): number[] {
  return r.objects.filter((o) => o.area >= MIN_AREA && o.comparable).map((o) => o.retention);
}

function bestOverlap(r: ConsistencyResult, box: number[]): Record<Cue, number> {
  // -Infinity: no region of that cue over the object (not found at any threshold).
  const best = { structure: -Infinity, light: -Infinity };
  for (const g of r.regions) if (overlaps(g.bbox, box)) best[g.cue] = Math.max(best[g.cue], g.score);
  return best;
}

function addNegatives(t: RegionTrials, r: ConsistencyResult): void {
  for (const g of r.regions) t.neg[g.cue].push(g.score);
  t.negImages++;
}

const W = 512, H = 256;
for (let s = SEED0; s < SEED0 + nScenes; s++) {
  const scene = generateScene(s, { width: W, height: H });
  const labels: LabelMaps = { ...sceneLabels(scene) };
  const day = renderSceneSync(scene, 'day'), night = renderSceneSync(scene, 'night');
  const faults = await renderFaults(scene);
  const clean = checkConsistency({ sampleId: `syn-${s}`, source: day, output: night, labels }, COLLECT);
  const victim = faults.erased?.truth.instanceId;
  erased.neg.push(...bigObjects({ ...clean, objects: clean.objects.filter((o) => o.instanceId !== victim) }));
  erased.negImages++;
  addNegatives(added, clean);
  if (s < SEED0 + 50) cleanFlags.push({ set: 'synthetic', id: `syn-${s}`, flags: checkConsistency({ sampleId: `syn-${s}`, source: day, output: night, labels }, SET as Partial<ConsistencyThresholds>).flags, image: night });
  if (faults.erased && faults.erased.truth.area >= MIN_AREA) {
    const r = checkConsistency({ sampleId: `syn-${s}-erased`, source: day, output: faults.erased.image, labels }, COLLECT);
    const o = r.objects.find((q) => q.instanceId === victim);
    if (o) erased.pos.push(o.comparable ? o.retention : 1);
  }
  if (faults.added.truth.area >= MIN_AREA) {
    const r = checkConsistency({ sampleId: `syn-${s}-added`, source: day, output: faults.added.image, labels }, COLLECT);
    added.pos.push(bestOverlap(r, faults.added.truth.bbox));
  }
}

// Real frames.
const REAL_ROOT = join(import.meta.dirname, '../../shared/data/real/cityscapes');
const translate: Translate = photometricNight({ seed: 7 });
let timing = NaN;
if (!calibrate && !args.includes('--no-real') && existsSync(REAL_ROOT)) {
  const samples = [];
  for (const frame of listCityscapesFrames(REAL_ROOT)) {
    const sample = await readCityscapesSample(frame);
    const rgb = await readRgb(frame.imagePath);
    samples.push({ sample, day: { width: rgb.width, height: rgb.height, data: rgb.data } as RgbImage });
  }
  for (const [fi, { sample, day }] of samples.entries()) {
    const labels: LabelMaps = { width: sample.width, height: sample.height, semantic: sample.semantic, instances: sample.instances };
    const night = await translate(day);
    const t0 = performance.now();
    const clean = checkConsistency({ sampleId: sample.id, source: day, output: night, labels }, COLLECT);
    if (fi === 0) {
      const times: number[] = [];
      // CPU time of this thread (user + system), robust to other processes sharing the cores.
      const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
      for (let k = 0; k < 5; k++) { const a = cpuMs(); checkConsistency({ sampleId: sample.id, source: day, output: night, labels }); times.push(cpuMs() - a); }
      timing = times.sort((a, b) => a - b)[2];
    }
    void t0;
    cleanFlags.push({ set: 'real', id: sample.id, flags: checkConsistency({ sampleId: sample.id, source: day, output: night, labels }, SET as Partial<ConsistencyThresholds>).flags, image: night });
    addNegatives(real.added, clean);
    const objects = listInstances(labels.instances, labels.width).filter((o) => o.area >= MIN_AREA);
    for (const o of objects) {
      const r0 = clean.objects.find((q) => q.instanceId === o.instanceId);
      if (r0) real.erased.neg.push(r0.comparable ? r0.retention : 1);
      const fault = eraseInstance(night, labels, o.instanceId, { noiseSeed: o.instanceId });
      if (!fault) continue;
      const r = checkConsistency({ sampleId: `${sample.id}-erased-${o.instanceId}`, source: day, output: fault.image, labels }, COLLECT);
      const q = r.objects.find((p) => p.instanceId === o.instanceId);
      if (q) real.erased.pos.push(q.comparable ? q.retention : 1);
    }
    real.erased.negImages++;
    // Paste objects of the other frames (cars, persons, riders, bicycles >= 32x32, not cut by the border).
    let k = 0;
    for (const [di, donor] of samples.entries()) {
      if (di === fi) continue;
      const donors = listInstances(donor.sample.instances, donor.sample.width)
        .filter((o) => o.instanceId >= 1000 && o.area >= MIN_AREA && o.x0 > 0 && o.x1 < donor.sample.width && o.y1 < donor.sample.height && o.y1 - o.y0 < 300)
        .slice(0, 6);
      for (const d of donors) {
        const pasted = pasteObject(night, labels, { image: donor.day, instances: donor.sample.instances, instanceId: d.instanceId }, 1000 * fi + k++);
        if (!pasted) continue;
        const r = checkConsistency({ sampleId: `${sample.id}-added-${k}`, source: day, output: pasted.image, labels }, COLLECT);
        real.added.pos.push(bestOverlap(r, pasted.truth.bbox));
        if (k <= 2) {
          const flags = checkConsistency({ sampleId: `${sample.id}-added-${k}`, source: day, output: pasted.image, labels }, SET as Partial<ConsistencyThresholds>).flags;
          await writeOverlay(`${sample.id}-added-${k}`, pasted.image, flags);
        }
      }
    }
  }
}

async function writeOverlay(name: string, image: RgbImage, flags: ConsistencyResult['flags']): Promise<void> {
  mkdirSync(overlayDir, { recursive: true });
  const boost = drawOverlay({ ...image, data: image.data.map((v) => Math.min(255, v * 3)) }, flags);
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
const flaggedBy = (p: Record<Cue, number>, th: CueThresholds): boolean => CUES.some((c) => p[c] >= th[c]);

/** Hallucination row: a pasted object is found when either cue's best overlapping region reaches its threshold. */
function regionRow(set: string, t: RegionTrials, th: CueThresholds): string {
  const recall = t.pos.filter((p) => flaggedBy(p, th)).length / t.pos.length;
  const falseFlags = CUES.reduce((a, c) => a + t.neg[c].filter((v) => v >= th[c]).length, 0);
  // AUC of the combined score max over cues of score / threshold; per cue in brackets.
  const ratio = (v: number, c: Cue): number => v / Math.max(th[c], 1e-9);
  const comb = (p: Record<Cue, number>): number => Math.max(...CUES.map((c) => ratio(p[c], c)));
  const negComb = CUES.flatMap((c) => t.neg[c].map((v) => ratio(v, c)));
  const perCue = CUES.map((c) => `${c} ${auc(t.pos.map((p) => p[c]), t.neg[c], true).toFixed(3)}`).join(', ');
  return `${set.padEnd(10)} ${'hallucinated'.padEnd(13)} ${String(t.pos.length).padStart(5)} ${String(t.negImages).padStart(7)}  ${recall.toFixed(3)}  ${(falseFlags / t.negImages).toFixed(4)} /image     ${auc(t.pos.map(comb), negComb, true).toFixed(3)}   ${calibrateRegions(t).recall.toFixed(3)}   (AUC ${perCue})`;
}

/**
 * The per-cue thresholds with the best recall at <= 0.05 false regions per clean image: every split of
 * the allowed false regions between the cues, each cue's threshold just above its allowed-th worst clean score.
 */
function calibrateRegions(t: RegionTrials): { th: CueThresholds; recall: number } {
  const allowed = Math.floor(0.05 * t.negImages + 1e-9);
  const neg = { structure: [...t.neg.structure].sort((a, b) => b - a), light: [...t.neg.light].sort((a, b) => b - a) };
  let best = { th: { structure: Infinity, light: Infinity } as CueThresholds, recall: -1 };
  for (let k = 0; k <= allowed; k++) {
    // A cue with fewer clean regions than its share goes just above its worst one: no lower without evidence.
    const edge = (v: number[], j: number): number => (v.length > j ? v[j] : v[0] ?? 0) + 1e-6;
    const th = { structure: edge(neg.structure, k), light: edge(neg.light, allowed - k) };
    const recall = t.pos.filter((p) => flaggedBy(p, th)).length / t.pos.length;
    if (recall > best.recall) best = { th, recall };
  }
  return best;
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
      lines.push(`    ${c} threshold ${v.toFixed(3)} (other cue at default): recall ${(t.pos.filter((p) => flaggedBy(p, cur)).length / t.pos.length).toFixed(3)}, false ${fr.toFixed(4)} /image`);
    }
  }
  return lines.join('\n');
}

const DEFAULT_CUES: CueThresholds = { structure: T.hallucinationThreshold, light: T.strayLightThreshold };

if (calibrate) {
  // Erasure: the largest threshold with <= 2 % false flags; hallucination: the smallest with <= 0.05 false regions per image.
  const negE = [...erased.neg].sort((a, b) => a - b);
  const eTh = negE[Math.floor(0.02 * negE.length)];
  const h = calibrateRegions(added);
  console.log(`calibration seeds ${SEED0}..${SEED0 + nScenes - 1}: erasureThreshold ${eTh.toFixed(4)}, hallucinationThreshold ${h.th.structure.toFixed(4)}, strayLightThreshold ${h.th.light.toFixed(4)}`);
  console.log(row('synthetic', 'erased', erased, eTh, false, false));
  console.log(regionRow('synthetic', added, h.th));
} else {
  console.log(`consistency benchmark: thresholds erasure ${T.erasureThreshold}, hallucination ${T.hallucinationThreshold} (structure) / ${T.strayLightThreshold} (stray light); objects >= 32x32 (${MIN_AREA} px)`);
  console.log(`(a) synthetic: ${nScenes} scenes ${W}x${H}, seeds ${SEED0}..${SEED0 + nScenes - 1}; (b) real: Cityscapes frames, night = PHOTOMETRIC STAND-IN translator (gamma 2.2, exposure 0.55, blue tint, noise 3), no CycleGAN generator yet`);
  console.log('set        kind          faults   clean  recall  false flags          ROC AUC  recall@target-false-rate');
  console.log(row('synthetic', 'erased', erased, T.erasureThreshold, false, false));
  console.log(regionRow('synthetic', added, DEFAULT_CUES));
  if (real.erased.pos.length) {
    console.log(row('real', 'erased', real.erased, T.erasureThreshold, false, false));
    console.log(regionRow('real', real.added, DEFAULT_CUES));
  }
  if (args.includes('--curves')) {
    console.log('curves (synthetic erased):\n' + sweep(erased, false, false));
    console.log('curves (synthetic hallucinated):\n' + regionSweep(added, DEFAULT_CUES));
    if (real.added.pos.length) console.log('curves (real hallucinated):\n' + regionSweep(real.added, DEFAULT_CUES));
  }
  for (const set of ['synthetic', 'real']) {
    const c = cleanFlags.filter((f) => f.set === set);
    if (!c.length) continue;
    const n = c.reduce((a, f) => a + f.flags.length, 0);
    const byKind = (k: string): number => c.reduce((a, f) => a + f.flags.filter((g) => g.kind === k).length, 0);
    console.log(`clean ${set}: ${c.length} images, ${n} flags (${byKind('erased')} erased, ${byKind('hallucinated')} hallucinated), ${(n / c.length).toFixed(3)} per image`);
    for (const f of c) if (f.flags.length) {
      await writeOverlay(`clean-${f.id}`, f.image, f.flags);
      for (const g of f.flags) console.log(`  ${f.id} ${g.kind} ${g.className} ${g.instanceId ?? ''} box ${g.bbox.join(',')} score ${g.score.toFixed(3)}`);
    }
  }
  console.log(`CPU time per 2048x1024 check (median of 5, one thread): ${Number.isNaN(timing) ? 'n/a (no real data)' : `${(timing / 1000).toFixed(3)} s`}`);
  console.log(`overlays: ${overlayDir}`);
}
