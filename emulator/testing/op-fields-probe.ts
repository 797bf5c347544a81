/**
 * Child process of op-fields.test.ts, run with `node --allow-natives-syntax`: gets V8 to
 * optimize the code that fills Op fields, then prints ops with V8's %DebugPrint so that the
 * parent can see how each field is stored. Three sources of ops:
 * - every decodable word of a fixed pseudo-random sequence, built at a kernel and a user pc,
 *   after enough decoding for V8 to optimize the field decoder;
 * - auipc and jal (pc-relative fields) built at many kernel and user addresses;
 * - random programs (emulator/testing/progen.ts, RVC and not) run on the interpreter and on
 *   the translator, so that the run loop has written its cache and translator fields.
 */
import fc from 'fast-check';
import { Machine } from '../cpu/machine';
import type { Op } from '../cpu/op';
import { decode } from '../isa/decode';
import { encode } from '../isa/encode';
import { assemble } from '../asm';
import { writeElf } from '../elf/writer';
import { loadProgram, runProgram } from '../user/runner';
import { programArb, PROG_CODE, PROG_DATA } from './progen';

const print = new Function('o', '%DebugPrint(o)') as (o: unknown) => void;
const hart = new Machine().addHart();
const KERNEL = -0x80000000 + 0x1234;
const USER = 0x10000;

// A fixed linear congruential sequence of 32-bit words with the low bits of a 32-bit instruction.
let x = 0x12345;
const words: number[] = [];
for (let i = 0; i < 200_000; i++) {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  const w = (x | 3) >>> 0;
  if (decode(w)) words.push(w);
}
const seen = new Set<string>();
for (let i = 0; i < words.length; i++) {
  const op = hart.buildOp(i & 1 ? USER : KERNEL, words[i]!);
  if (seen.has(op.name)) continue;
  seen.add(op.name);
  print(op);
}

const pcRelative = [encode('auipc', { rd: 5, imm20: -0x80000000 }), encode('auipc', { rd: 6, imm20: 0x7ffff000 }), encode('jal', { rd: 1, jimm20: -0x1000 })];
const keep: Op[] = [];
for (let i = 0; i < 100_000; i++) {
  const pc = (i & 1 ? KERNEL : USER) + 4 * (i >> 1);
  for (const w of pcRelative) {
    const op = hart.buildOp(pc, w);
    if (i % 20_000 === 0 || i === 99_999) keep.push(op);
  }
}
keep.forEach(print);

const data = new Uint8Array(0x1000);
for (const p of fc.sample(programArb, { seed: 0x0f1e, numRuns: 40 })) {
  const code = assemble(p.source, { base: PROG_CODE, compressed: p.compressed });
  data.set(p.data);
  const elf = writeElf({ entry: PROG_CODE, segments: [{ vaddr: PROG_CODE, bytes: code.bytes, flags: 'rx' }, { vaddr: PROG_DATA, bytes: data, flags: 'rw' }] });
  for (const translate of [false, true]) {
    const prog = loadProgram(elf, 'p.elf', { hart: { translate, hotThreshold: 2 } });
    runProgram(prog, { maxInstructions: 200_000 });
    for (let off = 0; off < code.bytes.length; off += 2) {
      try {
        const op = prog.hart.fetch(Number(PROG_CODE) + off);
        if (op.pc === Number(PROG_CODE) + off && (off & 0x3e) === 0) print(op);
      } catch {
        // the middle of a 4-byte instruction that crosses nothing: fetch may still decode it
      }
    }
  }
}
