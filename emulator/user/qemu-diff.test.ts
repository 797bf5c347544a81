/**
 * Differential test against qemu-riscv64: random programs (emulator/testing/progen.ts) are
 * assembled by our assembler into a static ELF; rvtramp's user-mode runner and qemu must print
 * the same bytes (the data window and all registers), on the interpreter and on the block
 * translator. Replay a failure with RVTRAMP_SEED.
 */
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { expect } from 'chai';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needOracles } from '../testing/oracles';
import { programArb, PROG_CODE, PROG_DATA, DUMP_OFF, type GenProgram } from '../testing/progen';
import { assemble } from '../asm';
import { writeElf } from '../elf/writer';
import { loadProgram, runProgram } from './runner';
import { XREG_NAMES } from '../isa/regnames';
import { fcParams, propertyTimeout, runParams } from '../testing/params';

function build(p: GenProgram): Uint8Array {
  const prog = assemble(p.source, { base: PROG_CODE, compressed: p.compressed });
  const data = new Uint8Array(0x1000);
  data.set(p.data);
  return writeElf({
    entry: PROG_CODE,
    segments: [
      { vaddr: PROG_CODE, bytes: prog.bytes, flags: 'rx' },
      { vaddr: PROG_DATA, bytes: data, flags: 'rw' },
    ],
  });
}

function ours(elf: Uint8Array, translate: boolean): { out: Buffer; outcome: string } {
  const chunks: Buffer[] = [];
  // hotThreshold 1: with the translator, every block head runs translated from its first entry.
  const prog = loadProgram(elf, 'prog.elf', { hart: { translate, hotThreshold: 1 } });
  const o = runProgram(prog, { stdout: (b) => chunks.push(Buffer.from(b)), maxInstructions: 1_000_000 });
  // Said as qemu's outcome is: its exit status or the signal that killed it.
  return { out: Buffer.concat(chunks), outcome: o.kind === 'exit' ? `exit ${o.code}` : o.kind === 'signal' ? `signal ${o.signal}` : o.message };
}

function explain(a: Buffer, b: Buffer): string {
  const lines: string[] = [];
  for (let i = 0; i < 32; i++) {
    const off = DUMP_OFF + 8 * i;
    if (a.length >= off + 8 && b.length >= off + 8 && !a.subarray(off, off + 8).equals(b.subarray(off, off + 8))) {
      lines.push(`  ${XREG_NAMES[i]}: rvtramp 0x${a.readBigUInt64LE(off).toString(16)} qemu 0x${b.readBigUInt64LE(off).toString(16)}`);
    }
  }
  for (let i = 0; i < Math.min(a.length, b.length, DUMP_OFF); i++) {
    if (a[i] !== b[i]) {
      lines.push(`  data+${i}: rvtramp 0x${a[i]!.toString(16)} qemu 0x${b[i]!.toString(16)} (first differing byte)`);
      break;
    }
  }
  if (a.length !== b.length) lines.push(`  output length: rvtramp ${a.length} qemu ${b.length}`);
  return lines.join('\n');
}

describe('emulator vs qemu-riscv64 (oracle)', function () {
  this.timeout(propertyTimeout(120000));

  it('random programs (ALU, M, A, Zb*, loads/stores, branches, loops, RVC) print the same bytes', function () {
    const { qemu } = needOracles(this, 'qemu');
    const dir = mkdtempSync(join(tmpdir(), 'rvtramp-diff-'));
    // A fixed default seed keeps CI reproducible; RVTRAMP_SEED / RVTRAMP_RUNS explore or replay.
    const run = runParams({ seed: 20261129, numRuns: 150 });
    try {
      fc.assert(
        fc.property(programArb, (p) => {
          const elf = build(p);
          const file = join(dir, 'prog.elf');
          writeFileSync(file, elf, { mode: 0o755 });
          const q = spawnSync(qemu, [file], { maxBuffer: 1 << 20 });
          const qOutcome = q.status === null ? `signal ${q.signal}` : `exit ${q.status}`;
          for (const translate of [false, true]) {
            const mine = ours(elf, translate);
            if (mine.outcome !== qOutcome || !mine.out.equals(q.stdout)) {
              const engine = translate ? 'translator' : 'interpreter';
              throw new Error(`rvtramp ${engine} (${mine.outcome}) and qemu (${qOutcome}) differ:\n${explain(mine.out, q.stdout)}\nprogram (${p.compressed ? 'rvc' : 'norvc'}):\n${p.source}`);
            }
          }
        }),
        fcParams(run),
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\nreplay: RVTRAMP_SEED=${run.seed} npx mocha --spec emulator/user/qemu-diff.test.ts (with RVTRAMP_PATH from the message above)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a program a trap kills dies of the signal qemu reports (SIGSEGV, SIGILL, SIGTRAP, SIGBUS)', function () {
    const { qemu } = needOracles(this, 'qemu');
    const dir = mkdtempSync(join(tmpdir(), 'rvtramp-sig-'));
    const cases: [string, string][] = [
      ['SIGSEGV', 'li a0, 8\n  ld a1, 0(a0)'], // load from an unmapped page
      ['SIGSEGV', `li a0, ${PROG_CODE}\n  sd a0, 0(a0)`], // store to read-only code
      ['SIGILL', '.word 0'],
      ['SIGTRAP', 'ebreak'],
      ['SIGBUS', `li a0, ${PROG_DATA + 1n}\n  amoadd.w a1, a1, (a0)`], // misaligned atomic
    ];
    try {
      for (const [signal, body] of cases) {
        const file = join(dir, 'trap.elf');
        writeFileSync(file, build({ source: `_start:\n  ${body}\n  li a7, 93\n  ecall\n`, data: new Uint8Array(0), compressed: false }), { mode: 0o755 });
        const q = spawnSync(qemu, [file]);
        expect(`signal ${q.signal}`, body).to.equal(`signal ${signal}`);
        for (const translate of [false, true]) expect(ours(readFileSync(file), translate).outcome, body).to.equal(`signal ${signal}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
