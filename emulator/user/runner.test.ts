/**
 * The user-mode runner's system calls, against what Linux (and qemu-riscv64, when installed)
 * does with the same program.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../asm';
import { writeElf } from '../elf/writer';
import { loadProgram, runProgram, type UserOutcome } from './runner';
import { needOracles } from '../testing/oracles';

const CODE = 0x10000n;
const DATA = 0x20000n;

function elfOf(source: string): Uint8Array {
  const code = assemble(source, { base: CODE, compressed: true });
  return writeElf({ entry: CODE, segments: [{ vaddr: CODE, bytes: code.bytes, flags: 'rx' }, { vaddr: DATA, bytes: new Uint8Array(16), flags: 'rw' }] });
}

function ours(elf: Uint8Array, translate: boolean): { outcome: UserOutcome; out: string } {
  const out: Buffer[] = [];
  const prog = loadProgram(elf, 'p.elf', { hart: { translate } });
  const outcome = runProgram(prog, { stdout: (b) => out.push(Buffer.from(b)), maxInstructions: 100_000 });
  return { outcome, out: Buffer.concat(out).toString() };
}

/**
 * brk: grow by two pages and write a byte in the second, shrink to 16 bytes past the start,
 * grow again and read the byte back (zero: the page was unmapped), then ask for less than the
 * initial break (refused: the current break comes back). Exit status, as Linux gives it:
 * 10 (shrink returned its argument) + 20 (the refusal returned the current break) + the byte.
 */
const BRK = `
_start:
  li a7, 214
  li a0, 0
  ecall
  mv s0, a0
  li t0, 8192
  add a0, s0, t0
  li a7, 214
  ecall
  li t1, 7
  li t0, 5000
  add t2, s0, t0
  sb t1, 0(t2)
  addi a0, s0, 16
  li a7, 214
  ecall
  mv s1, a0
  li t0, 8192
  add a0, s0, t0
  li a7, 214
  ecall
  mv s3, a0
  li t0, 5000
  add t2, s0, t0
  lbu s2, 0(t2)
  li t0, 4096
  sub a0, s0, t0
  li a7, 214
  ecall
  sub t5, a0, s3
  seqz t5, t5
  li t4, 20
  mul t5, t5, t4
  addi t3, s0, 16
  sub t3, s1, t3
  seqz t3, t3
  li t4, 10
  mul t3, t3, t4
  add a0, t3, s2
  add a0, a0, t5
  li a7, 93
  ecall
`;

/** write with an fd whose upper 32 bits are set: the kernel takes it as fd 1. */
const WRITE_FD = `
_start:
  li a0, 1
  slli a0, a0, 32
  addi a0, a0, 1
  lla a1, msg
  li a2, 3
  li a7, 64
  ecall
  li a7, 93
  ecall
msg:
  .ascii "abc"
`;

describe('user-mode runner: system calls', () => {
  for (const translate of [false, true]) {
    const engine = translate ? 'translator' : 'interpreter';
    it(`brk shrinks to any point above the initial break, and a page grown again is zero (${engine})`, () => {
      expect(ours(elfOf(BRK), translate).outcome).to.deep.equal({ kind: 'exit', code: 30 });
    });

    it(`write takes its fd as an unsigned int (${engine})`, () => {
      expect(ours(elfOf(WRITE_FD), translate)).to.deep.equal({ outcome: { kind: 'exit', code: 3 }, out: 'abc' });
    });
  }

  it('qemu-riscv64 gives the same statuses and output (oracle)', function () {
    const { qemu } = needOracles(this, 'qemu');
    const dir = mkdtempSync(join(tmpdir(), 'rvtramp-sys-'));
    try {
      for (const [name, src] of [['brk', BRK], ['write', WRITE_FD]] as const) {
        const file = join(dir, `${name}.elf`);
        writeFileSync(file, elfOf(src), { mode: 0o755 });
        const q = spawnSync(qemu, [file], { encoding: 'utf8' });
        const mine = ours(elfOf(src), false);
        expect({ status: q.status, out: q.stdout }, name).to.deep.equal({ status: mine.outcome.kind === 'exit' ? mine.outcome.code : -1, out: mine.out });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
