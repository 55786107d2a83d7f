// Shared by the Cityscapes and PNG tests: where the real data is, and Pillow as an independent decoder.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REAL = fileURLToPath(new URL('../../../../../shared/data/real/', import.meta.url));
export const REAL_CITYSCAPES = join(REAL, 'cityscapes');
export const REAL_SMALL = join(REAL, 'cityscapes-small');
export const REAL_FRAMES = ['aachen_000000_000019', 'aachen_000001_000019', 'aachen_000002_000019'];
/** Skip reason for tests that need the real data (false when present). */
export const needsReal: string | false = existsSync(REAL_CITYSCAPES) ? false : `real data absent (${REAL_CITYSCAPES})`;
export const PYTHON = '/usr/bin/python3';
const PY_DIR = fileURLToPath(new URL('../python/', import.meta.url));

export function realLabelPath(id: string, kind: 'labelIds' | 'instanceIds'): string {
  return join(REAL_CITYSCAPES, 'gtFine', 'train', 'aachen', `${id}_gtFine_${kind}.png`);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `nightshift-${prefix}-`));
}

/** np.array(Image.open(path)) for each path, as Int32Arrays, with Pillow's mode and shape. */
export function pilDecode(paths: string[]): { mode: string; shape: number[]; data: Int32Array }[] {
  const dir = tempDir('pil');
  try {
    const out = join(dir, 'out.raw');
    const lines = execFileSync(PYTHON, [join(PY_DIR, 'pil_dump.py'), out, ...paths], { encoding: 'utf8' }).trim().split('\n');
    const bytes = readFileSync(out);
    const all = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    let offset = 0;
    return lines.map((line) => {
      const { mode, shape } = JSON.parse(line) as { mode: string; shape: number[] };
      const n = shape.reduce((a, b) => a * b, 1);
      const data = all.slice(offset, offset + n);
      offset += n;
      return { mode, shape, data };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a python script from test/python with arguments. */
export function runPython(script: string, args: string[]): string {
  return execFileSync(PYTHON, [join(PY_DIR, script), ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
}

/** Runs inline python code. */
export function runPythonCode(code: string, args: string[] = []): string {
  return execFileSync(PYTHON, ['-c', code, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
}

/** Number of equal elements. */
export function countEqual(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same;
}
