/**
 * Random RV64 test programs for differential testing (against qemu-riscv64, and later between
 * execution engines). A program sets every register, runs a generated body of ALU, M, A,
 * Zba/Zbb/Zbs, load/store, branch, jump and small-loop code, then dumps all registers and a
 * data region with write(1, ...) and exits. Generated as assembly text for our assembler.
 *
 * Register roles: s9 (x25) is an address scratch, s10 (x26) a loop counter, s11 (x27) the data
 * base; the body never writes them. Everything else, x0 and sp included, is fair game.
 */
import fc from 'fast-check';
import { XREG_NAMES } from '../isa/regnames';

export const PROG_CODE = 0x10000n;
export const PROG_DATA = 0x40000n;
/** Bytes of the data region the body may touch (loads/stores use offsets below this). */
export const DATA_WINDOW = 1024;
/** Where the epilogue dumps x0..x31, as an offset from the data base. */
export const DUMP_OFF = 1536;
/** Bytes written to stdout: the data window, then the register dump. */
export const OUTPUT_BYTES = DUMP_OFF + 32 * 8;

const WRITABLE = Array.from({ length: 25 }, (_, i) => i); // x0..x24
const r = (i: number) => XREG_NAMES[i]!;
const rd = fc.constantFrom(...WRITABLE).map(r);
const rs = fc.integer({ min: 0, max: 31 }).map(r);

const R_OPS = [
  'add', 'sub', 'sll', 'slt', 'sltu', 'xor', 'srl', 'sra', 'or', 'and', 'addw', 'subw', 'sllw', 'srlw', 'sraw',
  'mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu', 'mulw', 'divw', 'divuw', 'remw', 'remuw',
  'sh1add', 'sh2add', 'sh3add', 'add.uw', 'sh1add.uw', 'sh2add.uw', 'sh3add.uw', 'andn', 'orn', 'xnor',
  'max', 'maxu', 'min', 'minu', 'rol', 'ror', 'rolw', 'rorw', 'bclr', 'bext', 'binv', 'bset',
] as const;
const I_OPS = ['addi', 'slti', 'sltiu', 'xori', 'ori', 'andi', 'addiw'] as const;
const SH6 = ['slli', 'srli', 'srai', 'rori', 'bclri', 'bexti', 'binvi', 'bseti', 'slli.uw'] as const;
const SH5 = ['slliw', 'srliw', 'sraiw', 'roriw'] as const;
const UNARY = ['clz', 'ctz', 'cpop', 'clzw', 'ctzw', 'cpopw', 'sext.b', 'sext.h', 'zext.h', 'orc.b', 'rev8'] as const;
const LOADS = ['lb', 'lh', 'lw', 'ld', 'lbu', 'lhu', 'lwu'] as const;
const STORES = ['sb', 'sh', 'sw', 'sd'] as const;
const AMOS = ['amoswap', 'amoadd', 'amoxor', 'amoand', 'amoor', 'amomin', 'amomax', 'amominu', 'amomaxu'] as const;
const BRANCHES = ['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu'] as const;

const imm12 = fc.integer({ min: -2048, max: 2047 });
const memOff = fc.integer({ min: 0, max: DATA_WINDOW - 8 });

/** One straight-line statement (one or two instructions). */
export const simple: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...R_OPS), rd, rs, rs).map(([op, d, a, b]) => `${op} ${d}, ${a}, ${b}`) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...I_OPS), rd, rs, imm12).map(([op, d, a, i]) => `${op} ${d}, ${a}, ${i}`) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...SH6), rd, rs, fc.integer({ min: 0, max: 63 })).map(([op, d, a, i]) => `${op} ${d}, ${a}, ${i}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...SH5), rd, rs, fc.integer({ min: 0, max: 31 })).map(([op, d, a, i]) => `${op} ${d}, ${a}, ${i}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...UNARY), rd, rs).map(([op, d, a]) => `${op} ${d}, ${a}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('lui', 'auipc'), rd, fc.integer({ min: 0, max: 0xfffff })).map(([op, d, i]) => `${op} ${d}, ${i}`) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...LOADS), rd, memOff).map(([op, d, o]) => `${op} ${d}, ${o}(s11)`) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...STORES), rs, memOff).map(([op, s, o]) => `${op} ${s}, ${o}(s11)`) },
  // Compressible shapes (sp/s0/s1/a0..a5 bases and small offsets) so RVC forms appear.
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('c.li', 'c.addi', 'c.mv', 'c.add'), fc.constantFrom(8, 9, 10, 11, 12, 13, 14, 15, 1), rs, fc.integer({ min: -32, max: 31 }))
      .map(([k, d, s, i]) => (k === 'c.li' ? `li ${r(d)}, ${i}` : k === 'c.addi' ? `addi ${r(d)}, ${r(d)}, ${i === 0 ? 1 : i}` : k === 'c.mv' ? `mv ${r(d)}, ${s}` : `add ${r(d)}, ${r(d)}, ${s}`)) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom(...AMOS), fc.constantFrom('w', 'd'), rd, rs, fc.integer({ min: 0, max: DATA_WINDOW / 8 - 1 }), fc.constantFrom('', '.aq', '.rl', '.aqrl'))
      .map(([op, w, d, s, slot, ord]) => `addi s9, s11, ${slot * 8}\n  ${op}.${w}${ord} ${d}, ${s}, (s9)`),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom('w', 'd'), rd, rd, rs, fc.integer({ min: 0, max: DATA_WINDOW / 8 - 1 }))
      .map(([w, d1, d2, s, slot]) => `addi s9, s11, ${slot * 8}\n  lr.${w} ${d1}, (s9)\n  sc.${w} ${d2}, ${s}, (s9)`),
  },
);

let labelSeq = 0;
const fresh = () => `L${labelSeq++}`;

/** A statement: straight-line code, a forward branch or jump over a block, or a small loop. */
export const stmt: fc.Arbitrary<string> = fc.letrec((tie) => ({
  stmt: fc.oneof(
    { weight: 8, arbitrary: simple },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...BRANCHES), rs, rs, fc.array(tie('leaf') as fc.Arbitrary<string>, { maxLength: 3 }))
        .map(([op, a, b, body]) => { const l = fresh(); return `${op} ${a}, ${b}, ${l}\n  ${body.join('\n  ')}\n${l}:`; }) },
    { weight: 1, arbitrary: fc.tuple(rd, fc.array(tie('leaf') as fc.Arbitrary<string>, { maxLength: 2 }))
        .map(([d, body]) => { const l = fresh(); return `jal ${d}, ${l}\n  ${body.join('\n  ')}\n${l}:`; }) },
    { weight: 1, arbitrary: fc.tuple(rd, fc.array(tie('leaf') as fc.Arbitrary<string>, { maxLength: 2 }))
        .map(([d, body]) => { const l = fresh(); return `lla s9, ${l}\n  jalr ${d}, 0(s9)\n  ${body.join('\n  ')}\n${l}:`; }) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.array(tie('leaf') as fc.Arbitrary<string>, { minLength: 1, maxLength: 4 }))
        .map(([n, body]) => { const l = fresh(); return `li s10, ${n}\n${l}:\n  ${body.join('\n  ')}\n  addi s10, s10, -1\n  bnez s10, ${l}`; }) },
  ),
  leaf: simple,
})).stmt;

export interface GenProgram {
  readonly source: string;
  readonly data: Uint8Array;
  readonly compressed: boolean;
}

export const programArb: fc.Arbitrary<GenProgram> = fc.record({
  init: fc.array(fc.oneof(fc.bigUintN(64), fc.integer({ min: -64, max: 64 }).map(BigInt), fc.constantFrom(0n, 1n, -1n, 1n << 63n, (1n << 63n) - 1n, 0x80000000n, 0xffffffffn)), { minLength: 32, maxLength: 32 }),
  body: fc.array(stmt, { minLength: 1, maxLength: 40 }),
  data: fc.uint8Array({ minLength: DATA_WINDOW, maxLength: DATA_WINDOW }),
  compressed: fc.boolean(),
}).map(({ init, body, data, compressed }) => {
  const lines = ['_start:', `  li s11, ${PROG_DATA}`];
  for (let i = 1; i < 32; i++) if (i !== 25 && i !== 26 && i !== 27) lines.push(`  li ${r(i)}, ${BigInt.asIntN(64, init[i]!)}`);
  lines.push(...body.map((s) => `  ${s}`));
  for (let i = 0; i < 32; i++) lines.push(`  sd ${r(i)}, ${DUMP_OFF + 8 * i}(s11)`);
  lines.push('  li a0, 1', '  mv a1, s11', `  li a2, ${OUTPUT_BYTES}`, '  li a7, 64', '  ecall', '  li a0, 0', '  li a7, 93', '  ecall');
  return { source: lines.join('\n') + '\n', data, compressed };
});
