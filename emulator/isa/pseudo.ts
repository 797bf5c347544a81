/**
 * One-to-one aliases of base instructions, used by the disassembler (first match wins, so
 * more specific aliases come first) and accepted by the assembler.
 */
import type { PseudoDef } from './entry';

export const PSEUDOS: readonly PseudoDef[] = [
  { name: 'nop', of: 'addi', fixed: { rd: 0, rs1: 0, imm12: 0 }, syntax: '' },
  { name: 'li', of: 'addi', fixed: { rs1: 0 }, syntax: 'rd,imm12' },
  { name: 'mv', of: 'addi', fixed: { imm12: 0 }, syntax: 'rd,rs1' },
  { name: 'not', of: 'xori', fixed: { imm12: -1 }, syntax: 'rd,rs1' },
  { name: 'neg', of: 'sub', fixed: { rs1: 0 }, syntax: 'rd,rs2' },
  { name: 'negw', of: 'subw', fixed: { rs1: 0 }, syntax: 'rd,rs2' },
  { name: 'sext.w', of: 'addiw', fixed: { imm12: 0 }, syntax: 'rd,rs1' },
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
  { name: 'jalr', of: 'jalr', fixed: { rd: 1, imm12: 0 }, syntax: 'rs1' },
  { name: 'csrr', of: 'csrrs', fixed: { rs1: 0 }, syntax: 'rd,csr' },
  { name: 'csrw', of: 'csrrw', fixed: { rd: 0 }, syntax: 'csr,rs1' },
  { name: 'csrs', of: 'csrrs', fixed: { rd: 0 }, syntax: 'csr,rs1' },
  { name: 'csrc', of: 'csrrc', fixed: { rd: 0 }, syntax: 'csr,rs1' },
  { name: 'csrwi', of: 'csrrwi', fixed: { rd: 0 }, syntax: 'csr,zimm5' },
  { name: 'csrsi', of: 'csrrsi', fixed: { rd: 0 }, syntax: 'csr,zimm5' },
  { name: 'csrci', of: 'csrrci', fixed: { rd: 0 }, syntax: 'csr,zimm5' },
  { name: 'fence.tso', of: 'fence', fixed: { fm: 8, pred: 3, succ: 3 }, syntax: '' },
  { name: 'fence', of: 'fence', fixed: { fm: 0 }, syntax: 'pred,succ' },
];
