// Where the embedded defaults live, relative to the repository root.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DEFAULT_SAMPLE = join(REPO_ROOT, 'datasets', 'sample');
/** The shipped night-capable segmenter the semantic check reads (segmenter.json and its model). */
export const DEFAULT_SEGMENTER = join(REPO_ROOT, 'datasets', 'models', 'segmenter');
export const defaultOutput = (direction: string): string => join(REPO_ROOT, 'dist', direction);
