import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDir, outDirProblem } from './out-dir';

describe('harness/cli out-dir', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'rvtramp-outdir-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('an existing or creatable directory is fine; a file on the way is not', () => {
    const file = join(dir, 'f');
    writeFileSync(file, 'x');
    expect(outDirProblem(dir)).to.equal(undefined);
    expect(outDirProblem(join(dir, 'a', 'b', 'c'))).to.equal(undefined);
    expect(outDirProblem(file)).to.equal(`${file} is not a directory`);
    expect(outDirProblem(join(file, 'sub', 'x'))).to.equal(`${file} is not a directory`);
  });

  it('ensureDir creates missing parents and leaves existing directories alone', () => {
    const deep = join(dir, 'x', 'y', 'z');
    ensureDir(deep);
    expect(statSync(deep).isDirectory()).to.equal(true);
    ensureDir(deep);
    expect(() => ensureDir(join(dir, 'f2', 'sub'))).to.not.throw(); // f2 does not exist yet: created
    writeFileSync(join(dir, 'g'), 'x');
    expect(() => ensureDir(join(dir, 'g', 'sub'))).to.throw(/is not a directory/);
    expect(existsSync(join(dir, 'g', 'sub'))).to.equal(false);
  });

  it('a directory that mkdir cannot create is an error, not a hang (Node\'s recursive mkdir loops under /proc)', function () {
    if (!existsSync('/proc/self')) {
      console.log('      SKIP: no /proc on this machine');
      this.skip();
    }
    expect(() => ensureDir('/proc/rvtramp-no-such-dir/sub')).to.throw(/^E[A-Z]+: /); // ENOENT as root, EACCES otherwise
  });
});
