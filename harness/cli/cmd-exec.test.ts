/**
 * `rvtramp exec` end to end (in-process through main()): the program's stdout and exit status,
 * and every kind of bad input as one line on stderr with a non-zero exit, never a stack trace.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, expectOneLineError } from './testing';
import { assemble } from '../../emulator/asm';
import { writeElf } from '../../emulator/elf/writer';

const BASE = 0x10000n;

function elfOf(source: string): Uint8Array {
  const p = assemble(source, { base: BASE });
  return writeElf({ entry: BASE, segments: [{ vaddr: BASE, bytes: p.bytes, flags: 'rx' }] });
}

const HELLO = `
  li a0, 1
  lla a1, msg
  li a2, 3
  li a7, 64
  ecall
  li a0, 7
  li a7, 93
  ecall
msg: .ascii "hi\\n"
`;

describe('rvtramp exec', () => {
  let dir = '';
  const file = (name: string, bytes: Uint8Array) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  before(() => (dir = mkdtempSync(join(tmpdir(), 'rvtramp-exec-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("prints the program's output and exits with its status; --stats goes to stderr", async () => {
    const f = file('hello.elf', elfOf(HELLO));
    expect(await run(['exec', f])).to.deep.equal({ code: 7, out: 'hi\n', err: '' });
    const s = await run(['exec', '--stats', f]);
    expect(s.out).to.equal('hi\n');
    expect(s.err).to.match(/^rvtramp: instret \d+ seconds [\d.]+ MIPS [\d.]+ engine translator\n$/);
  });

  it('--engine interpreter and --engine translator run the same program to the same result', async () => {
    const f = file('hello2.elf', elfOf(HELLO));
    for (const engine of ['interpreter', 'translator']) {
      const s = await run(['exec', '--stats', '--engine', engine, f]);
      expect({ code: s.code, out: s.out }).to.deep.equal({ code: 7, out: 'hi\n' });
      expect(s.err).to.match(new RegExp(`^rvtramp: instret 7 seconds [\\d.]+ MIPS [\\d.]+ engine ${engine}\\n$`));
    }
    const bad = await run(['exec', '--engine', 'jit', f]);
    expect(bad.code).to.equal(2);
    expectOneLineError(bad, /--engine needs one of translator, interpreter, got 'jit'/);
    // The --option=value form too.
    const eq = await run(['exec', '--engine=interpreter', '--max-insns=1000', f]);
    expect({ code: eq.code, out: eq.out }).to.deep.equal({ code: 7, out: 'hi\n' });
    expectOneLineError(await run(['exec', '--stats=yes', f]), /unknown option '--stats=yes'/);
  });

  it('passes argv to the program (argc in a0 of _start is on the stack)', async () => {
    // write(1, argv[1], 2): argv[1] is at sp+16
    const f = file('argv.elf', elfOf('ld a1, 16(sp)\n li a0, 1\n li a2, 2\n li a7, 64\n ecall\n ld a0, 0(sp)\n li a7, 93\n ecall'));
    expect(await run(['exec', f, 'ok', 'x'])).to.deep.equal({ code: 3, out: 'ok', err: '' });
  });

  it('rejects a missing file (127), garbage, a truncated ELF, another machine and another class (126)', async () => {
    const missing = await run(['exec', join(dir, 'nope.elf')]);
    expect(missing.code).to.equal(127);
    expectOneLineError(missing, /cannot read .*nope\.elf: ENOENT/);
    const garbage = await run(['exec', file('garbage', new TextEncoder().encode('#!/bin/sh\necho hi\n'))]);
    expect(garbage.code).to.equal(126);
    expectOneLineError(garbage, /garbage: .*magic/);
    const good = elfOf(HELLO);
    expectOneLineError(await run(['exec', file('trunc.elf', good.subarray(0, 40))]), /trunc\.elf: .*trunc/i);
    const x86 = good.slice();
    x86[18] = 62;
    expectOneLineError(await run(['exec', file('x86.elf', x86)]), /x86\.elf: e_machine is 62, not RISC-V/);
    const c32 = good.slice();
    c32[4] = 1;
    expectOneLineError(await run(['exec', file('c32.elf', c32)]), /c32\.elf: .*(class|64)/i);
  });

  it('rejects an entry point outside executable code', async () => {
    const bad = elfOf(HELLO).slice();
    new DataView(bad.buffer).setBigUint64(24, 0x500000n, true);
    expectOneLineError(await run(['exec', file('entry.elf', bad)]), /entry\.elf: entry point 0x500000 is not in an executable segment/);
  });

  it('a trap kills the program with its signal (exit 128+N); an unsupported syscall is 125', async () => {
    const ill = await run(['exec', file('ill.elf', elfOf('nop\n .half 0\n'))]);
    expect(ill.code).to.equal(132);
    expectOneLineError(ill, /ill\.elf: killed by SIGILL: illegal instruction 0000 at pc 0x10004/);
    const segv = await run(['exec', file('segv.elf', elfOf('li a0, 8\n ld a1, 0(a0)\n'))]);
    expect(segv.code).to.equal(139);
    expectOneLineError(segv, /segv\.elf: killed by SIGSEGV: load access fault at 0x8 \(unmapped\)/);
    const trap = await run(['exec', file('brk.elf', elfOf('ebreak\n'))]);
    expect([trap.code, trap.err]).to.deep.equal([133, `rvtramp exec: ${join(dir, 'brk.elf')}: killed by SIGTRAP: ebreak at pc 0x10000\n`]);
    const sys = await run(['exec', file('sys.elf', elfOf('li a7, 1234\n ecall\n'))]);
    expect(sys.code).to.equal(125);
    expectOneLineError(sys, /sys\.elf: unsupported syscall 1234 at pc 0x10004: the runner serves write, exit, exit_group and brk/);
    // A C library's first system call is named.
    expectOneLineError(await run(['exec', file('tid.elf', elfOf('li a7, 96\n ecall\n'))]), /tid\.elf: unsupported syscall 96 \(set_tid_address\) at pc 0x10004/);
  });

  it('stops a runaway program at --max-insns (exit 124, as timeout(1))', async () => {
    const loop = await run(['exec', '--max-insns', '1000', file('loop.elf', elfOf('1: j 1b\n'))]);
    expect(loop.code).to.equal(124);
    expectOneLineError(loop, /budget of 1000 exhausted at pc 0x10000/);
    // Decimal digits only: Number() alone took 0x10, 1e3 and ' 7'.
    for (const v of ['0x10', '1e3', ' 7', '0']) expectOneLineError(await run(['exec', '--max-insns', v, 'x.elf']), new RegExp(`--max-insns needs a positive integer, got '${v}'`));
  });

  it('rejects unknown options and a missing file argument with usage errors (exit 2)', async () => {
    const r = await run(['exec', '--frobnicate', 'x']);
    expect(r.code).to.equal(2);
    expectOneLineError(r, /unknown option '--frobnicate'/);
    expectOneLineError(await run(['exec']), /missing ELF file/);
    expectOneLineError(await run(['nosuchverb']), /unknown command 'nosuchverb'/);
  });
});
