/**
 * Output directories the CLI creates on demand (fuzz replay files): checked before a long run
 * starts, created only when there is something to write.
 *
 * Directories are created one component at a time: Node's `mkdirSync(dir, { recursive: true })`
 * never returns for a path under /proc (mkdir there fails with ENOENT, which the recursive
 * form answers by creating the parent, which exists, and trying again).
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

function kindOf(path: string): 'dir' | 'other' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'other';
  } catch {
    return 'missing';
  }
}

/** Why `dir` cannot hold output files, or undefined when it can (or can be created). */
export function outDirProblem(dir: string): string | undefined {
  let d = resolve(dir);
  for (;;) {
    const k = kindOf(d);
    if (k === 'other') return `${d} is not a directory`;
    if (k === 'dir') break;
    const up = dirname(d);
    if (up === d) return `${d} does not exist`;
    d = up;
  }
  try {
    accessSync(d, constants.W_OK);
  } catch {
    return `${d} is not writable`;
  }
  return undefined;
}

/** Creates `dir` and its missing parents (mkdir -p). Throws the first mkdir error. */
export function ensureDir(dir: string): void {
  const d = resolve(dir);
  const k = kindOf(d);
  if (k === 'dir') return;
  if (k === 'other') throw new Error(`${d} is not a directory`);
  const up = dirname(d);
  if (up !== d) ensureDir(up);
  mkdirSync(d);
}
