/**
 * ../shared/bench built with its own build.sh: `rvtramp exec bench-rv64gc.elf 50` prints the
 * same sum= line as qemu-riscv64, for each -march variant. Needs the cross compiler and qemu.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { needOracles, oraclesRequired } from '../testing/oracles';
import { loadProgram, runProgram } from './runner';

const shared = process.env['RVTRAMP_SHARED'] ?? resolve(__dirname, '../../../shared');

describe('shared/bench (oracle)', function () {
  this.timeout(120000);
  let dir = '';

  before(function () {
    needOracles(this, 'gcc', 'qemu');
    if (!existsSync(join(shared, 'bench/build.sh'))) {
      if (oraclesRequired()) throw new Error(`${shared}/bench/build.sh not found (set RVTRAMP_SHARED)`);
      console.log(`      SKIP: ${shared}/bench not found (set RVTRAMP_SHARED)`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'rvtramp-bench-'));
    const b = spawnSync('sh', [join(shared, 'bench/build.sh'), dir], { encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`build.sh failed: ${b.stderr}`);
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  for (const elf of ['bench-rv64gc.elf', 'bench-rv64imac.elf', 'bench-rv64g.elf']) {
    it(`${elf} 50 prints the same sum= line and status as qemu-riscv64`, function () {
      const file = join(dir, elf);
      const q = spawnSync('qemu-riscv64', [file, '50'], { encoding: 'utf8' });
      const out: Buffer[] = [];
      const prog = loadProgram(readFileSync(file), file, { argv: [file, '50'] });
      const o = runProgram(prog, { stdout: (b) => out.push(Buffer.from(b)) });
      expect(o).to.deep.equal({ kind: 'exit', code: q.status });
      const text = Buffer.concat(out).toString();
      expect(text).to.match(/^sum=[0-9a-f]{16}/);
      expect(text).to.equal(q.stdout);
    });
  }
});
