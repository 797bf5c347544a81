import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { needOracles } from '../../emulator/testing/oracles';
import { LAYOUT_NAMES } from './layouts';
import { repoRoot } from './repo-root';

describe('kernel/image build (oracle)', () => {
  it('rebuilding every image gives the committed files byte for byte', function () {
    needOracles(this, 'gcc', 'ld', 'objdump');
    const root = repoRoot();
    const committed = path.join(root, 'kernel', 'image', 'out');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rvtramp-kernel-'));
    try {
      const r = spawnSync('sh', [path.join(root, 'kernel', 'image', 'build.sh')], { env: { ...process.env, OUT: tmp }, encoding: 'utf8' });
      expect(r.status, `build.sh failed:\n${r.stderr}`).to.equal(0);
      const want = fs.readdirSync(committed).sort();
      const files = LAYOUT_NAMES.flatMap((l) => [`${l}.elf`, `${l}.objdump`]).sort();
      expect(want, 'kernel/image/out holds exactly one .elf and .objdump per layout').to.deep.equal(files);
      expect(fs.readdirSync(tmp).sort()).to.deep.equal(files);
      const drifted = files.filter((f) => !fs.readFileSync(path.join(tmp, f)).equals(fs.readFileSync(path.join(committed, f))));
      expect(drifted, `kernel/image/out is stale (sources, flags or toolchain changed): run \`npm run build:kernel\` and commit kernel/image/out`).to.deep.equal([]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
