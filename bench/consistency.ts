// Fault-injection benchmark of the consistency checks (libs/consistency).
//   node --import tsx bench/consistency.ts [--calibrate] [--scenes N] [--overlays DIR]
// (a) synthetic: source = day render, output = night render of the fault scene (erased / added object,
//     exact truth); clean = night render. Evaluation seeds from 500000, calibration seeds 1000..1099.
// (b) real Cityscapes frames (../shared/data/real/cityscapes): night = the photometric stand-in translator
//     (no CycleGAN generator exists yet), then faults injected with the library's own tooling.
// Prints recall, false flags and ROC AUC per fault kind, clean flag rates, and the time per 2048x1024 check.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { generateScene, sceneLabels, renderSceneSync, renderFaults } from '@nightshift/datasets';
import { listCityscapesFrames, readCityscapesSample, readRgb } from '@nightshift/labels';
import {
  checkConsistency, drawOverlay, eraseInstance, pasteObject, photometricNight, listInstances, resolveThresholds,
  type ConsistencyThresholds, type ConsistencyResult, type LabelMaps, type RgbImage, type Translate,
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
const COLLECT = { ...SET, erasureThreshold: 2, hallucinationThreshold: 0 } as Partial<ConsistencyThresholds>;

interface Trials { pos: number[]; neg: number[]; negImages: number }

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
const added: Trials = { pos: [], neg: [], negImages: 0 };
const real = { erased: { pos: [], neg: [], negImages: 0 } as Trials, added: { pos: [], neg: [], negImages: 0 } as Trials };
let cleanFlags: { set: string; id: string; flags: ConsistencyResult['flags']; image: RgbImage }[] = [];

function bigObjects(r: ConsistencyResult): number[] {
  return r.objects.filter((o) => o.area >= MIN_AREA && o.comparable).map((o) => o.retention);
}

function bestOverlap(r: ConsistencyResult, box: number[]): number {
  let best = 0;
  for (const g of r.regions) if (overlaps(g.bbox, box)) best = Math.max(best, g.score);
  return best;
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
  added.neg.push(...clean.regions.map((g) => g.score));
  added.negImages++;
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
    real.added.neg.push(...clean.regions.map((g) => g.score));
    real.added.negImages++;
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

if (calibrate) {
  // Erasure: the largest threshold with <= 2 % false flags; hallucination: the smallest with <= 0.05 false regions per image.
  const negE = [...erased.neg].sort((a, b) => a - b);
  const eTh = negE[Math.floor(0.02 * negE.length)];
  const negH = [...added.neg].sort((a, b) => b - a);
  const allowed = Math.floor(0.05 * added.negImages);
  const hTh = (negH[allowed] ?? 0) + 1e-6;
  console.log(`calibration seeds ${SEED0}..${SEED0 + nScenes - 1}: erasureThreshold ${eTh.toFixed(4)}, hallucinationThreshold ${hTh.toFixed(4)}`);
  console.log(row('synthetic', 'erased', erased, eTh, false, false));
  console.log(row('synthetic', 'hallucinated', added, hTh, true, true));
} else {
  console.log(`consistency benchmark: thresholds erasure ${T.erasureThreshold}, hallucination ${T.hallucinationThreshold}; objects >= 32x32 (${MIN_AREA} px)`);
  console.log(`(a) synthetic: ${nScenes} scenes ${W}x${H}, seeds ${SEED0}..${SEED0 + nScenes - 1}; (b) real: Cityscapes frames, night = PHOTOMETRIC STAND-IN translator (gamma 2.2, exposure 0.55, blue tint, noise 3), no CycleGAN generator yet`);
  console.log('set        kind          faults   clean  recall  false flags          ROC AUC  recall@target-false-rate');
  console.log(row('synthetic', 'erased', erased, T.erasureThreshold, false, false));
  console.log(row('synthetic', 'hallucinated', added, T.hallucinationThreshold, true, true));
  if (real.erased.pos.length) {
    console.log(row('real', 'erased', real.erased, T.erasureThreshold, false, false));
    console.log(row('real', 'hallucinated', real.added, T.hallucinationThreshold, true, true));
  }
  if (args.includes('--curves')) {
    console.log('curves (synthetic erased):\n' + sweep(erased, false, false));
    console.log('curves (synthetic hallucinated):\n' + sweep(added, true, true));
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
