// report.html in headless Chromium (Debian's, through playwright-core): loads without console errors,
// every thumbnail decodes, the tables are there, and `nightshift report` rebuilds it from the manifest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { cli, SAMPLE, tempDir, tinyCheckpoint } from './pipeline-helpers.ts';
import { CHROMIUM, CHROMIUM_ARGS, needsChromium, openLocalPage } from './chromium-helpers.ts';

const RESNET_2026_11_27 = new URL('../../../datasets/models/resnet-2026-11-27', import.meta.url).pathname;

test('report.html is self-contained, shows before/after thumbnails and loads cleanly in Chromium', { skip: needsChromium }, async () => {
  const model = await tinyCheckpoint(9);
  const output = join(tempDir('report'), 'night');
  const r = await cli(['night', '--input', SAMPLE, '--model', model, '--output', output, '--limit', '2', '--backend', 'wasm']);
  assert.equal(r.code, 0, r.stderr);
  const report = join(output, 'report.html');
  unlinkSync(report);
  const rebuilt = await cli(['report', '--output', output]);
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  const html = readFileSync(report, 'utf8');
  assert.doesNotMatch(html, /<(script|link)\b/);
  assert.doesNotMatch(html, /src="(?!data:)/, 'every image is inline');
  assert.match(html, /href="cityscapes\/leftImg8bit\/val\/synthetic\/synthetic_000001_000000_leftImg8bit.png"/);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const { page, problems } = await openLocalPage(browser, report, 1100);
    type Img = { naturalWidth: number; naturalHeight: number; alt: string };
    const images = await page.$$eval('img', (els) => els.map((e) => { const i = e as unknown as Img; return { w: i.naturalWidth, h: i.naturalHeight, alt: i.alt }; }));
    assert.deepEqual(images.map((i) => i.alt), ['before', 'after', 'before', 'after']);
    for (const i of images) assert.deepEqual([i.w, i.h], [320, 160]);
    const headings = await page.$$eval('h2', (els) => els.map((e) => e.textContent));
    assert.deepEqual(headings, ['Throughput per stage (this run)', 'Flags per class', 'Samples']);
    const stageRows = await page.$$eval('table:first-of-type tbody tr', (rows) => rows.map((r) => r.firstElementChild!.textContent));
    assert.deepEqual(stageRows, ['decode', 'translate', 'check', 'write']);
    const shot = join(output, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 20_000, 'the screenshot shows images');
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

test('report.html gives scores, thresholds and rates to 3 significant digits (manifest.jsonl keeps them whole)', async () => {
  // The ResNet default of 2026-11-27 flags an object in the first sample (score 0.0830818...); the
  // bilateral default flags none there, and this test needs a flag to format.
  const output = join(tempDir('report-scores'), 'night');
  const r = await cli(['night', '--input', SAMPLE, '--model', RESNET_2026_11_27, '--output', output, '--limit', '1', '--engine', 'onnx', '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  const [record] = readFileSync(join(output, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(record.flags.length > 0, 'the first sample has a flag');
  const html = readFileSync(join(output, 'report.html'), 'utf8').replace(/data:[^"]*/g, '');
  const scores = [...html.matchAll(/score (\d[\d.e-]*) \/ (\d[\d.e-]*)/g)];
  assert.equal(scores.length, record.flags.length);
  for (const [k, [, score, threshold]] of scores.entries()) {
    assert.equal(score, String(Number(record.flags[k].score.toPrecision(3))));
    assert.equal(threshold, String(Number(record.flags[k].threshold.toPrecision(3))));
  }
  assert.doesNotMatch(html, /\d\.\d{6,}/);
});

test('report.html gives no flag rate for a class without labelled objects (a hallucination on road or sky)', async () => {
  const output = join(tempDir('report-rates'), 'night');
  const r = await cli(['night', '--input', SAMPLE, '--model', await tinyCheckpoint(9), '--output', output, '--limit', '1', '--checks', 'structural', '--backend', 'wasm']);
  assert.equal(r.code, 0, r.stderr);
  // A flag on sky, as the summary gives one: the class has flags but no objects.
  const summaryPath = join(output, 'summary.json');
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
  summary.flags.byClass = { car: { objects: 4, flagged: 1, rate: 0.25 }, sky: { objects: 0, flagged: 1, rate: null } };
  writeFileSync(summaryPath, JSON.stringify(summary));
  const rebuilt = await cli(['report', '--output', output]);
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  const html = readFileSync(join(output, 'report.html'), 'utf8');
  assert.match(html, /<tr><td>car<\/td><td>4<\/td><td>1<\/td><td>0\.25<\/td><\/tr>/);
  assert.match(html, /<tr><td>sky<\/td><td>0<\/td><td>1<\/td><td>-<\/td><\/tr>/);
  assert.match(html, /a class without labelled objects \(road, sky, \.\.\.\) has no rate/);
});
