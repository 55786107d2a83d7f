// The outside tools a trainer uses read nightshift's output as is: pycocotools loads and decodes
// every COCO annotation, and each equals the Cityscapes instanceIds mask under cityscapesScripts'
// conventions (tests/external/check_build.py). pycocotools has no Debian package and CI reaches only
// npm and Debian, so this runs where it is installed (pip install pycocotools, or its folder in
// NIGHTSHIFT_PYTHONPATH) and says why it skips elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, SAMPLE, tempDir } from '../apps/augment/test/pipeline-helpers.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./external/check_build.py', import.meta.url));
const REAL = fileURLToPath(new URL('../../shared/data/real/cityscapes', import.meta.url));
const env = { ...process.env, ...(process.env.NIGHTSHIFT_PYTHONPATH ? { PYTHONPATH: process.env.NIGHTSHIFT_PYTHONPATH } : {}) };
const probe = spawnSync(PYTHON, ['-c', 'import pycocotools.coco, numpy, PIL'], { env, encoding: 'utf8' });
const missing = probe.status === 0 ? false : `pycocotools is not importable by ${PYTHON} (pip install pycocotools, or set NIGHTSHIFT_PYTHONPATH): ${(probe.stderr || String(probe.error)).trim().split('\n').pop()}`;

function checkWithPycocotools(output: string): string {
  const r = spawnSync(PYTHON, [SCRIPT, output], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return r.stdout;
}

for (const [name, input] of [['the embedded sample', SAMPLE], ['the real Cityscapes frames', REAL]] as const) {
  test(`pycocotools decodes every annotation of a night build of ${name}, equal to its Cityscapes instanceIds`, {
    skip: missing || (!existsSync(input) && `${input} is absent`),
  }, async (t) => {
    const output = join(tempDir('external'), 'night');
    const r = await cli(['night', '--input', input, '--output', output, '--engine', 'onnx', '--backend', 'cpu', '--batch', '1']);
    assert.equal(r.code, 0, r.stderr);
    const report = checkWithPycocotools(output);
    assert.match(report, /\d+ images, [1-9]\d* annotations decoded by pycocotools/);
    t.diagnostic(report.trim().split('\n').filter((l) => / images, /.test(l)).join('; '));
  });
}
