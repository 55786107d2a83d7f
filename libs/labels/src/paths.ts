import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Whether `child` is `parent` or lies below it (by path; links are not followed). */
export function isPathInside(child: string, parent: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Where `path` really is when that is outside `realFolder` (a real path), following symlinks in the
 * file and its folders; undefined when it is inside or does not exist.
 */
export function resolvesOutside(path: string, realFolder: string): string | undefined {
  let resolved: string;
  try {
    resolved = realpathSync.native(path);
  } catch {
    return undefined;
  }
  return isPathInside(resolved, realFolder) ? undefined : resolved;
}
