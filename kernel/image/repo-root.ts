/**
 * Where the repository is: the committed kernel images (kernel/image/out) are read from it,
 * whether the code runs from source (ts-node) or from dist/. Its own module so that what only
 * needs the path (the listing cache's key) does not load the image loader.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

let root: string | undefined;

/** The repository root: the nearest ancestor holding kernel/image/out (from source or dist/). */
export function repoRoot(): string {
  // Found once per process: it was a filesystem walk on every boot.
  return (root ??= findRepoRoot());
}

function findRepoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'kernel', 'image', 'out')) && fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`kernel image: cannot find kernel/image/out above ${__dirname}`);
}

