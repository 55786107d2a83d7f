import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Whether `child` is `parent` or lies below it (by path; links are not followed). */
export function isPathInside(child: string, parent: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}
