/**
 * Test helper: GNU as + ld --no-relax + objcopy on an assembly source, for oracle tests of our
 * assembler and of the code the kernel model assembles. Needs riscv64-linux-gnu binutils
 * (callers check with needOracles first).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
}

/**
 * The .text bytes of `source` assembled by GNU as for `march` (default rv64gc with Zba, Zbb,
 * Zbs) and linked at `base` without relaxation, and its symbols. `sections` places other
 * sections of the source (ld --section-start).
 */
export function gnuText(source: string, base: bigint, march = 'rv64gc_zba_zbb_zbs', sections: Readonly<Record<string, bigint>> = {}): { bytes: Uint8Array; symbols: Map<string, bigint> } {
  const dir = mkdtempSync(join(tmpdir(), 'rvtramp-as-'));
  try {
    writeFileSync(join(dir, 'a.s'), source);
    run('riscv64-linux-gnu-as', [`-march=${march}`, '-o', 'a.o', 'a.s'], dir);
    const starts = Object.entries(sections).map(([name, at]) => `--section-start=${name}=0x${at.toString(16)}`);
    run('riscv64-linux-gnu-ld', ['--no-relax', `-Ttext=0x${base.toString(16)}`, ...starts, '-e', `0x${base.toString(16)}`, '-o', 'a.elf', 'a.o'], dir);
    run('riscv64-linux-gnu-objcopy', ['-O', 'binary', '-j', '.text', 'a.elf', 'a.bin'], dir);
    const nm = spawnSync('riscv64-linux-gnu-nm', ['a.elf'], { cwd: dir, encoding: 'utf8' });
    const symbols = new Map<string, bigint>();
    for (const l of (nm.stdout ?? '').split('\n')) {
      const m = /^([0-9a-f]+) \w (\S+)$/.exec(l);
      if (m) symbols.set(m[2]!, BigInt(`0x${m[1]}`));
    }
    return { bytes: new Uint8Array(readFileSync(join(dir, 'a.bin'))), symbols };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
