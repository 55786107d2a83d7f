// `nightshift evaluate --compare <build>` on a real night build of the sample (tiny untrained
// generator, checks on): the day side equals a plain evaluation of the input, the flagged regions it
// voids are exactly what the build's ignore policy wrote, and both pages load cleanly in headless
// Chromium (Debian's, through playwright-core).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { EVAL_CLASSES, readGrey8 } from '@nightshift/labels';
import { buildSourceTruth, listTruth, readTruth, voidFlaggedRegions } from '../src/evaluate/index.ts';
import { readManifest } from '../src/pipeline/report.ts';
import { cli, SAMPLE, tempDir, tinyCheckpoint } from './pipeline-helpers.ts';
import { CHROMIUM, CHROMIUM_ARGS, needsChromium, openLocalPage } from './chromium-helpers.ts';

const SEGMENTER = fileURLToPath(new URL('./fixtures/segmenters/strided.onnx', import.meta.url));

type Json = Record<string, any>;
const readJson = (path: string): Json => JSON.parse(readFileSync(path, 'utf8')) as Json;
const scores = (j: Json): Json => {
  const { worstFrames: _w, dataset: _d, predictions: _p, ...rest } = j;
  return rest;
};

/** A Cityscapes root with the sample's first `n` frames (images and every gtFine file). */
function firstFrames(n: number): string {
  const root = join(tempDir('input'), 'cityscapes');
  for (const folder of ['leftImg8bit', 'gtFine']) {
    const from = join(SAMPLE, folder, 'val', 'synthetic');
    const to = join(root, folder, 'val', 'synthetic');
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from)) {
      // synthetic_000001_<frame>_...
      if (Number(name.split('_')[2]) < n) cpSync(join(from, name), join(to, name));
    }
  }
  return root;
}

/** Loads a page and returns its images, headings and problems (console errors, failed requests). */
async function openPage(browser: Browser, file: string, screenshot: string) {
  const { page, problems } = await openLocalPage(browser, file, 1250);
  type Img = { naturalWidth: number; naturalHeight: number; alt: string };
  const images = await page.$$eval('img', (els) => els.map((e) => { const i = e as unknown as Img; return { w: i.naturalWidth, h: i.naturalHeight, alt: i.alt }; }));
  const headings = await page.$$eval('h2', (els) => els.map((e) => e.textContent));
  const svgs = await page.$$eval('svg', (els) => els.map((e) => [e.getAttribute('class'), e.getBoundingClientRect().width]));
  const firstTableRows = await page.$$eval('table:first-of-type tbody tr', (rows) => rows.map((r) => r.firstElementChild!.textContent));
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
  return { images, headings, svgs, firstTableRows, problems };
}

test('--compare scores a segmenter on a build\'s day frames and night twins, with and without the flagged regions, and its page loads in Chromium', { skip: needsChromium }, async () => {
  const model = await tinyCheckpoint(9);
  const input = firstFrames(4);
  const build = join(tempDir('compare'), 'night');
  const built = await cli(['night', '--input', input, '--model', model, '--output', build, '--backend', 'wasm']);
  assert.equal(built.code, 0, built.stderr);
  const manifest = readManifest(build);
  const flagged = manifest.filter((r) => r.flags.length > 0);
  assert.ok(flagged.length > 0, 'the checks flag some objects of the untrained generator\'s night');

  // The regions --compare voids are the ones the build's ignore policy wrote into its labels.
  const { source } = buildSourceTruth(build);
  const twinLabels = listTruth(build);
  for (const frame of source.frames.filter((f) => f.flags.length > 0)) {
    const voided = voidFlaggedRegions(frame, await readTruth(frame));
    const written = await readGrey8(twinLabels.frames.find((f) => f.id === frame.id)!.labelIdsPath);
    assert.ok(voided.flaggedPixels > 0, frame.id);
    assert.deepEqual(voided.truth, written.data, `${frame.id}: the build's labelIds`);
  }

  const out = join(tempDir('compare'), 'out');
  const r = await cli(['evaluate', '--compare', build, '--segmenter', SEGMENTER, '--provider', 'cpu', '--output', out, '--worst', '3']);
  assert.equal(r.code, 0, r.stderr);
  const c = readJson(join(out, 'comparison.json'));
  assert.equal(c.sourceName, 'day');
  assert.equal(c.twinName, 'night');
  assert.equal(c.frames, 4);
  assert.equal(c.flaggedFrames, flagged.length);
  assert.equal(c.flaggedPixels, manifest.flatMap((m) => m.actions).reduce((n, a) => n + (a.pixels ?? 0), 0), 'the pixels the build marked ignore');

  // Day, every pixel: a plain evaluation of the input. Night, flagged regions void: a plain evaluation of the build.
  const day = await cli(['evaluate', '--dataset', input, '--segmenter', SEGMENTER, '--provider', 'cpu', '--output', join(out, 'day')]);
  assert.equal(day.code, 0, day.stderr);
  assert.deepEqual(scores(c.source.all), scores(readJson(join(out, 'day', 'evaluation.json'))));
  const night = await cli(['evaluate', '--dataset', build, '--segmenter', SEGMENTER, '--provider', 'cpu', '--output', join(out, 'night')]);
  assert.equal(night.code, 0, night.stderr);
  const nightJson = readJson(join(out, 'night', 'evaluation.json'));
  assert.equal(nightJson.dataset.kind, 'build');
  assert.deepEqual(scores(c.twin.flagsVoid), scores(nightJson));
  assert.notDeepEqual(c.source.all.confMatrix, c.source.flagsVoid.confMatrix, 'voiding the flagged regions changes what is scored');

  for (const variant of ['all', 'flagsVoid'] as const) {
    const expect = c.source[variant].averageScoreClasses - c.twin[variant].averageScoreClasses;
    assert.ok(Math.abs(c.drop[variant].meanIou - expect) < 1e-12);
    for (const l of EVAL_CLASSES) {
      const [a, b] = [c.source[variant].classScores[l.name], c.twin[variant].classScores[l.name]];
      assert.equal(c.drop[variant].classes[l.name], a === null || b === null ? null : a - b, `${variant} ${l.name}`);
    }
  }
  assert.match(r.stdout, /^ {2}mean IoU +\d+\.\d +\d+\.\d +-?\d+\.\d/m, 'the terminal table');

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const compared = await openPage(browser, join(out, 'comparison.html'), join(out, 'comparison.png'));
    assert.deepEqual(compared.problems, []);
    assert.deepEqual(compared.headings, ['IoU per class (every pixel)', 'Drop per class', 'Drop per category', 'Confusion matrices (every pixel)', 'Worst night frames']);
    assert.deepEqual(compared.firstTableRows, [...EVAL_CLASSES.map((l) => l.name), 'mean']);
    assert.deepEqual(compared.svgs.map(([k]) => k), ['bars', 'confusion', 'confusion']);
    assert.equal(compared.images.length, 3 * 4, 'image, prediction, truth and error of the 3 worst frames');
    for (const i of compared.images) assert.deepEqual([i.w, i.h], [288, 144], i.alt);
    assert.ok(statSync(join(out, 'comparison.png')).size > 50_000, 'the screenshot shows the pictures');

    const single = await openPage(browser, join(out, 'night', 'evaluation.html'), join(out, 'evaluation.png'));
    assert.deepEqual(single.problems, []);
    assert.deepEqual(single.headings, ['IoU per class', 'Confusion matrix', 'Scores per class', 'Scores per category', 'Worst frames']);
    assert.equal(single.images.length, 4 * 4, 'the default 6 worst of 4 frames: all');
    assert.ok(single.svgs.every(([, width]) => (width as number) > 300));
  } finally {
    await browser.close();
  }
});
