/**
 * ELF writer: structure (read back with our reader), validation, and the oracles: the file
 * runs under qemu-riscv64 and objdump disassembles it with our symbols.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeElf, type ElfSpec } from './writer';
import { readElf } from './reader';
import { assemble } from '../asm';
import { needOracles } from '../testing/oracles';

const CODE = 0x10000n;
const DATA = 0x20000n;

/** write(1, "hi\n", 3); exit(7), with the message in a separate rw segment. */
function hello(compressed: boolean): ElfSpec {
  const prog = assemble(
    `
    .equ SYS_write, 64
    .equ SYS_exit, 93
    _start:
      li a0, 1
      li a1, msg
      li a2, 3
      li a7, SYS_write
      ecall
      li a0, 7
      li a7, SYS_exit
      ecall
    `,
    { base: CODE, compressed, symbols: { msg: DATA } },
  );
  return {
    entry: prog.address('_start'),
    segments: [
      { vaddr: CODE, bytes: prog.bytes, flags: 'rx' },
      { vaddr: DATA, bytes: new TextEncoder().encode('hi\n'), memsz: 0x100, flags: 'rw' },
    ],
    symbols: [
      { name: '_start', value: prog.address('_start'), size: prog.bytes.length, type: 'func' },
      { name: 'msg', value: DATA, size: 3, type: 'object' },
      { name: 'SYS_exit', value: 93n, type: 'notype', binding: 'local' },
    ],
  };
}

function withFile<T>(bytes: Uint8Array, f: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'rvtramp-elf-'));
  try {
    const path = join(dir, 'a.elf');
    writeFileSync(path, bytes, { mode: 0o755 });
    return f(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('elf/writer', () => {
  it('writes a static RISC-V ELF64 executable that our reader reads back', () => {
    const spec = hello(false);
    const elf = readElf(writeElf(spec), 'hello');
    expect(elf.type).to.equal('EXEC');
    expect(elf.machine).to.equal(243);
    expect(elf.entry).to.equal(CODE);
    expect(elf.flags).to.equal(0x5);
    expect(elf.segments.map((s) => [s.vaddr, s.filesz, s.memsz, s.flags])).to.deep.equal([
      [CODE, BigInt(spec.segments[0]!.bytes.length), BigInt(spec.segments[0]!.bytes.length), { r: true, w: false, x: true }],
      [DATA, 3n, 0x100n, { r: true, w: true, x: false }],
    ]);
    for (const s of elf.segments) expect(s.offset % 0x1000n, 'offset congruent to vaddr').to.equal(s.vaddr % 0x1000n);
    expect(Buffer.from(elf.segments[0]!.bytes).equals(Buffer.from(spec.segments[0]!.bytes))).to.equal(true);
    expect(elf.sections.map((s) => s.name)).to.deep.equal(['', '.text', '.data', '.bss', '.symtab', '.strtab', '.shstrtab']);
    const start = elf.symbol('_start')!;
    expect([start.value, start.type, start.binding, start.section?.name]).to.deep.equal([CODE, 'FUNC', 'GLOBAL', '.text']);
    expect([elf.symbol('msg')!.type, elf.symbol('msg')!.section?.name]).to.deep.equal(['OBJECT', '.data']);
    expect([elf.symbol('SYS_exit')!.binding, elf.symbol('SYS_exit')!.shndx]).to.deep.equal(['LOCAL', 0xfff1]);
    expect(elf.symbols.findIndex((s) => s.binding === 'GLOBAL')).to.equal(2, 'locals first');
  });

  it('rejects overlapping segments, mixed permissions in one page, and an entry outside code', () => {
    const seg = (vaddr: bigint, n: number, flags: 'rx' | 'rw') => ({ vaddr, bytes: new Uint8Array(n), flags });
    expect(() => writeElf({ entry: CODE, segments: [seg(CODE, 16, 'rx'), seg(CODE + 8n, 16, 'rx')] })).to.throw(/writeElf: segments .* overlap/);
    expect(() => writeElf({ entry: CODE, segments: [seg(CODE, 16, 'rx'), seg(CODE + 16n, 16, 'rw')] })).to.throw(/share a page/);
    expect(() => writeElf({ entry: DATA, segments: [seg(CODE, 16, 'rx'), seg(DATA, 16, 'rw')] })).to.throw(/entry 0x20000 is not in an executable segment/);
    expect(() => writeElf({ entry: CODE, segments: [{ ...seg(CODE, 16, 'rx'), memsz: 8 }] })).to.throw(/memsz 8/);
  });

  for (const compressed of [false, true]) {
    it(`runs under qemu-riscv64: prints hi, exits 7 (${compressed ? 'rvc' : 'norvc'})`, function () {
      const { qemu } = needOracles(this, 'qemu');
      const r = withFile(writeElf(hello(compressed)), (path) => spawnSync(qemu, [path], { encoding: 'utf8' }));
      expect(r.stdout).to.equal('hi\n');
      expect(r.status).to.equal(7);
    });
  }

  it('runs under qemu-riscv64 with e_flags 0 too', function () {
    const { qemu } = needOracles(this, 'qemu');
    const r = withFile(writeElf({ ...hello(false), flags: 0 }), (path) => spawnSync(qemu, [path], { encoding: 'utf8' }));
    expect([r.stdout, r.status]).to.deep.equal(['hi\n', 7]);
  });

  it('is accepted by objdump -d, which symbolizes it', function () {
    const { objdump } = needOracles(this, 'objdump');
    const r = withFile(writeElf(hello(true)), (path) => spawnSync(objdump, ['-d', path], { encoding: 'utf8' }));
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.match(/file format elf64-littleriscv/);
    expect(r.stdout).to.match(/0000000000010000 <_start>:/);
    expect(r.stdout).to.match(/\secall/);
  });
});
