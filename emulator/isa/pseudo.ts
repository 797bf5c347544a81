/**
 * Aliases: other names for table entries, restricted to some field values.
 *
 * PSEUDOS are one-to-one aliases of base (32-bit) instructions: `mv rd,rs1` is exactly
 * `addi rd,rs1,0`. The assembler accepts them. The disassembler prints the first alias
 * (in list order) that matches a word, else the entry itself, so for each base entry the
 * aliases are listed in the order binutils 2.40 objdump prefers them. That order is also
 * why some aliases only rename an entry without restricting it: objdump prints `addi` as
 * `add rd,rs1,imm` and `slli` as `sll rd,rs1,0x3` (gas accepts both spellings). An alias
 * may also require one field to repeat another (`same`: `fmv.s fd,fs1` is fsgnj.s fd,fs1,fs1).
 *
 * C_ALIASES name compressed forms the way objdump does where that differs from printing
 * their expansion through PSEUDOS (c.mv is `mv`, not `add rd,zero,rs2`). They are for the
 * disassembler only; the assembler chooses compressed encodings itself. objdump's `c.`
 * names for HINT encodings (`c.nop 1`, `c.slli64 a0`) are table data: see `hints` in
 * encodings/rv_c.ts.
 *
 * A syntax token that is not a field name of the entry is printed literally (`sp`).
 */
import type { PseudoDef } from './entry';

// CSR numbers some aliases are restricted to.
const FFLAGS = 0x001;
const FRM = 0x002;
const FCSR = 0x003;
const CYCLE = 0xc00;
const TIME = 0xc01;
const INSTRET = 0xc02;

export const PSEUDOS: readonly PseudoDef[] = [
  { name: 'nop', of: 'addi', fixed: { rd: 0, rs1: 0, imm12: 0 }, syntax: '' },
  { name: 'li', of: 'addi', fixed: { rs1: 0 }, syntax: 'rd,imm12' },
  { name: 'mv', of: 'addi', fixed: { imm12: 0 }, syntax: 'rd,rs1' },
  { name: 'add', of: 'addi', fixed: {}, syntax: 'rd,rs1,imm12' },
  { name: 'not', of: 'xori', fixed: { imm12: -1 }, syntax: 'rd,rs1' },
  { name: 'xor', of: 'xori', fixed: {}, syntax: 'rd,rs1,imm12' },
  { name: 'or', of: 'ori', fixed: {}, syntax: 'rd,rs1,imm12' },
  { name: 'zext.b', of: 'andi', fixed: { imm12: 255 }, syntax: 'rd,rs1' },
  { name: 'and', of: 'andi', fixed: {}, syntax: 'rd,rs1,imm12' },
  { name: 'sll', of: 'slli', fixed: {}, syntax: 'rd,rs1,shamt6' },
  { name: 'srl', of: 'srli', fixed: {}, syntax: 'rd,rs1,shamt6' },
  { name: 'sra', of: 'srai', fixed: {}, syntax: 'rd,rs1,shamt6' },
  { name: 'sllw', of: 'slliw', fixed: {}, syntax: 'rd,rs1,shamt5' },
  { name: 'srlw', of: 'srliw', fixed: {}, syntax: 'rd,rs1,shamt5' },
  { name: 'sraw', of: 'sraiw', fixed: {}, syntax: 'rd,rs1,shamt5' },
  { name: 'neg', of: 'sub', fixed: { rs1: 0 }, syntax: 'rd,rs2' },
  { name: 'negw', of: 'subw', fixed: { rs1: 0 }, syntax: 'rd,rs2' },
  { name: 'sext.w', of: 'addiw', fixed: { imm12: 0 }, syntax: 'rd,rs1' },
  { name: 'addw', of: 'addiw', fixed: {}, syntax: 'rd,rs1,imm12' },
  { name: 'seqz', of: 'sltiu', fixed: { imm12: 1 }, syntax: 'rd,rs1' },
  { name: 'snez', of: 'sltu', fixed: { rs1: 0 }, syntax: 'rd,rs2' },
  { name: 'sltz', of: 'slt', fixed: { rs2: 0 }, syntax: 'rd,rs1' },
  { name: 'sgtz', of: 'slt', fixed: { rs1: 0 }, syntax: 'rd,rs2' },
  { name: 'beqz', of: 'beq', fixed: { rs2: 0 }, syntax: 'rs1,bimm12' },
  { name: 'bnez', of: 'bne', fixed: { rs2: 0 }, syntax: 'rs1,bimm12' },
  { name: 'blez', of: 'bge', fixed: { rs1: 0 }, syntax: 'rs2,bimm12' },
  { name: 'bgez', of: 'bge', fixed: { rs2: 0 }, syntax: 'rs1,bimm12' },
  { name: 'bltz', of: 'blt', fixed: { rs2: 0 }, syntax: 'rs1,bimm12' },
  { name: 'bgtz', of: 'blt', fixed: { rs1: 0 }, syntax: 'rs2,bimm12' },
  { name: 'j', of: 'jal', fixed: { rd: 0 }, syntax: 'jimm20' },
  { name: 'jal', of: 'jal', fixed: { rd: 1 }, syntax: 'jimm20' },
  { name: 'ret', of: 'jalr', fixed: { rd: 0, rs1: 1, imm12: 0 }, syntax: '' },
  { name: 'jr', of: 'jalr', fixed: { rd: 0, imm12: 0 }, syntax: 'rs1' },
  { name: 'jr', of: 'jalr', fixed: { rd: 0 }, syntax: 'imm12(rs1)' },
  { name: 'jalr', of: 'jalr', fixed: { rd: 1, imm12: 0 }, syntax: 'rs1' },
  { name: 'jalr', of: 'jalr', fixed: { rd: 1 }, syntax: 'imm12(rs1)' },
  { name: 'jalr', of: 'jalr', fixed: { imm12: 0 }, syntax: 'rd,rs1' },
  { name: 'unimp', of: 'csrrw', fixed: { rd: 0, csr: CYCLE, rs1: 0 }, syntax: '' },
  { name: 'fscsr', of: 'csrrw', fixed: { rd: 0, csr: FCSR }, syntax: 'rs1' },
  { name: 'fscsr', of: 'csrrw', fixed: { csr: FCSR }, syntax: 'rd,rs1' },
  { name: 'fsrm', of: 'csrrw', fixed: { rd: 0, csr: FRM }, syntax: 'rs1' },
  { name: 'fsrm', of: 'csrrw', fixed: { csr: FRM }, syntax: 'rd,rs1' },
  { name: 'fsflags', of: 'csrrw', fixed: { rd: 0, csr: FFLAGS }, syntax: 'rs1' },
  { name: 'fsflags', of: 'csrrw', fixed: { csr: FFLAGS }, syntax: 'rd,rs1' },
  { name: 'csrw', of: 'csrrw', fixed: { rd: 0 }, syntax: 'csr,rs1' },
  { name: 'rdcycle', of: 'csrrs', fixed: { csr: CYCLE, rs1: 0 }, syntax: 'rd' },
  { name: 'rdtime', of: 'csrrs', fixed: { csr: TIME, rs1: 0 }, syntax: 'rd' },
  { name: 'rdinstret', of: 'csrrs', fixed: { csr: INSTRET, rs1: 0 }, syntax: 'rd' },
  { name: 'frcsr', of: 'csrrs', fixed: { csr: FCSR, rs1: 0 }, syntax: 'rd' },
  { name: 'frrm', of: 'csrrs', fixed: { csr: FRM, rs1: 0 }, syntax: 'rd' },
  { name: 'frflags', of: 'csrrs', fixed: { csr: FFLAGS, rs1: 0 }, syntax: 'rd' },
  { name: 'csrr', of: 'csrrs', fixed: { rs1: 0 }, syntax: 'rd,csr' },
  { name: 'csrs', of: 'csrrs', fixed: { rd: 0 }, syntax: 'csr,rs1' },
  { name: 'csrc', of: 'csrrc', fixed: { rd: 0 }, syntax: 'csr,rs1' },
  { name: 'fsrmi', of: 'csrrwi', fixed: { csr: FRM }, syntax: 'rd,zimm5' },
  { name: 'fsflagsi', of: 'csrrwi', fixed: { csr: FFLAGS }, syntax: 'rd,zimm5' },
  // objdump names the immediate CSR forms without the trailing `i` (gas accepts both).
  { name: 'csrw', of: 'csrrwi', fixed: { rd: 0 }, syntax: 'csr,zimm5' },
  { name: 'csrrw', of: 'csrrwi', fixed: {}, syntax: 'rd,csr,zimm5' },
  { name: 'csrs', of: 'csrrsi', fixed: { rd: 0 }, syntax: 'csr,zimm5' },
  { name: 'csrrs', of: 'csrrsi', fixed: {}, syntax: 'rd,csr,zimm5' },
  { name: 'csrc', of: 'csrrci', fixed: { rd: 0 }, syntax: 'csr,zimm5' },
  { name: 'csrrc', of: 'csrrci', fixed: {}, syntax: 'rd,csr,zimm5' },
  // Assembler spellings of the same words; objdump never prints them (the forms above win).
  { name: 'csrwi', of: 'csrrwi', fixed: { rd: 0 }, syntax: 'csr,zimm5' },
  { name: 'csrsi', of: 'csrrsi', fixed: { rd: 0 }, syntax: 'csr,zimm5' },
  { name: 'csrci', of: 'csrrci', fixed: { rd: 0 }, syntax: 'csr,zimm5' },
  { name: 'fence.tso', of: 'fence', fixed: { fm: 8, pred: 3, succ: 3 }, syntax: '' },
  { name: 'fence', of: 'fence', fixed: { fm: 0, pred: 15, succ: 15 }, syntax: '' },
  { name: 'fence', of: 'fence', fixed: { fm: 0 }, syntax: 'pred,succ' },
  // Sign injection with both sources the same register: move, negate, absolute value.
  { name: 'fmv.s', of: 'fsgnj.s', fixed: {}, same: ['fs1', 'fs2'], syntax: 'fd,fs1' },
  { name: 'fneg.s', of: 'fsgnjn.s', fixed: {}, same: ['fs1', 'fs2'], syntax: 'fd,fs1' },
  { name: 'fabs.s', of: 'fsgnjx.s', fixed: {}, same: ['fs1', 'fs2'], syntax: 'fd,fs1' },
  { name: 'fmv.d', of: 'fsgnj.d', fixed: {}, same: ['fs1', 'fs2'], syntax: 'fd,fs1' },
  { name: 'fneg.d', of: 'fsgnjn.d', fixed: {}, same: ['fs1', 'fs2'], syntax: 'fd,fs1' },
  { name: 'fabs.d', of: 'fsgnjx.d', fixed: {}, same: ['fs1', 'fs2'], syntax: 'fd,fs1' },
  { name: 'sfence.vma', of: 'sfence.vma', fixed: { rs1: 0, rs2: 0 }, syntax: '' },
  { name: 'sfence.vma', of: 'sfence.vma', fixed: { rs2: 0 }, syntax: 'rs1' },
  { name: 'zext.w', of: 'add.uw', fixed: { rs2: 0 }, syntax: 'rd,rs1' },
  { name: 'ror', of: 'rori', fixed: {}, syntax: 'rd,rs1,shamt6' },
  { name: 'rorw', of: 'roriw', fixed: {}, syntax: 'rd,rs1,shamt5' },
  { name: 'bclr', of: 'bclri', fixed: {}, syntax: 'rd,rs1,shamt6' },
  { name: 'bext', of: 'bexti', fixed: {}, syntax: 'rd,rs1,shamt6' },
  { name: 'binv', of: 'binvi', fixed: {}, syntax: 'rd,rs1,shamt6' },
  { name: 'bset', of: 'bseti', fixed: {}, syntax: 'rd,rs1,shamt6' },
];

/**
 * objdump's names for compressed forms, tried after the entry's hints (objdump spellings of
 * HINT encodings) and before the expansion is printed through PSEUDOS. `unimp` is the
 * all-zero halfword, a reserved c.addi4spn encoding that the decoder rejects; the
 * disassembler matches such aliases against the entry's bit pattern.
 */
export const C_ALIASES: readonly PseudoDef[] = [
  { name: 'unimp', of: 'c.addi4spn', fixed: { crdp: 8, c_nzuimm10: 0 }, syntax: '' },
  { name: 'nop', of: 'c.addi', fixed: { crd: 0, c_imm6: 0 }, syntax: '' },
  { name: 'add', of: 'c.addi', fixed: {}, syntax: 'crd,crd,c_imm6' },
  // objdump 2.40 accepts the reserved zero adjustment of c.addi16sp.
  { name: 'add', of: 'c.addi16sp', fixed: { c_nzimm10: 0 }, syntax: 'sp,sp,c_nzimm10' },
  { name: 'mv', of: 'c.mv', fixed: {}, syntax: 'crd,crs2' },
];
