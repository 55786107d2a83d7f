// The cityscapesScripts reference scores (../shared/data/eval-reference: predictions for the 3 real
// frames and what evaluateImgLists returned for them) and a comparison that walks every number.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EVAL_REFERENCE = fileURLToPath(new URL('../../../../../shared/data/eval-reference/', import.meta.url));
export const needsEvalReference: string | false = existsSync(join(EVAL_REFERENCE, 'results.json')) ? false : `eval reference absent (${EVAL_REFERENCE})`;

export function readReferenceResults(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(EVAL_REFERENCE, 'results.json'), 'utf8')) as Record<string, unknown>;
}

export interface Agreement {
  /** Numbers compared. */
  compared: number;
  /** Largest absolute difference. */
  worst: number;
  /** JSON pointer and both values of every disagreement (difference > tolerance, null vs number, missing key). */
  mismatches: string[];
}

/**
 * Compares every number of `reference` (nested objects and arrays; null stands for NaN) with the
 * value at the same place in `actual` (NaN or null for null). Keys only in `actual` are ignored.
 */
export function compareWithReference(actual: unknown, reference: unknown, tolerance: number): Agreement {
  const out: Agreement = { compared: 0, worst: 0, mismatches: [] };
  const walk = (a: unknown, r: unknown, pointer: string): void => {
    if (r === null || typeof r === 'number') {
      out.compared++;
      const aNaN = a === null || (typeof a === 'number' && Number.isNaN(a));
      if (r === null) {
        if (!aNaN) out.mismatches.push(`${pointer}: ${JSON.stringify(a)}, reference NaN`);
        return;
      }
      if (typeof a !== 'number' || aNaN) {
        out.mismatches.push(`${pointer}: ${JSON.stringify(a)}, reference ${r}`);
        return;
      }
      const d = Math.abs(a - r);
      out.worst = Math.max(out.worst, d);
      if (d > tolerance) out.mismatches.push(`${pointer}: ${a}, reference ${r}`);
      return;
    }
    if (typeof r !== 'object') throw new TypeError(`${pointer}: unexpected ${typeof r} in the reference`);
    if (a === null || typeof a !== 'object') {
      out.mismatches.push(`${pointer}: missing`);
      return;
    }
    if (Array.isArray(r) && (!Array.isArray(a) || a.length !== r.length)) {
      out.mismatches.push(`${pointer}: ${Array.isArray(a) ? a.length : 'not an array'} entries, reference ${r.length}`);
      return;
    }
    for (const [key, value] of Object.entries(r)) {
      const child = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!Object.hasOwn(a, key)) out.mismatches.push(`${child}: missing`);
      else walk((a as Record<string, unknown>)[key], value, child);
    }
  };
  walk(actual, reference, '');
  return out;
}
