import type { EntryDef } from '../entry';
import { OP } from './opcodes';

// RV32I/RV64I base integer instructions (RV64-only ones are in rv64_i.ts).

const r = (name: string, f7: number, f3: number, op: number): EntryDef => ({
  name, ext: 'I', size: 4, fields: ['rd', 'rs1', 'rs2'], fixed: { '31..25': f7, '14..12': f3, '6..0': op }, syntax: 'rd,rs1,rs2',
});
const i = (name: string, f3: number, op: number, syntax = 'rd,rs1,imm12'): EntryDef => ({
  name, ext: 'I', size: 4, fields: ['rd', 'rs1', 'imm12'], fixed: { '14..12': f3, '6..0': op }, syntax,
});
const b = (name: string, f3: number): EntryDef => ({
  name, ext: 'I', size: 4, fields: ['rs1', 'rs2', 'bimm12'], fixed: { '14..12': f3, '6..0': OP.BRANCH }, syntax: 'rs1,rs2,bimm12',
});
const s = (name: string, f3: number): EntryDef => ({
  name, ext: 'I', size: 4, fields: ['rs1', 'rs2', 'simm12'], fixed: { '14..12': f3, '6..0': OP.STORE }, syntax: 'rs2,simm12(rs1)',
});

export const RV_I: readonly EntryDef[] = [
  { name: 'lui', ext: 'I', size: 4, fields: ['rd', 'imm20'], fixed: { '6..0': OP.LUI }, syntax: 'rd,imm20' },
  { name: 'auipc', ext: 'I', size: 4, fields: ['rd', 'imm20'], fixed: { '6..0': OP.AUIPC }, syntax: 'rd,imm20' },
  { name: 'jal', ext: 'I', size: 4, fields: ['rd', 'jimm20'], fixed: { '6..0': OP.JAL }, syntax: 'rd,jimm20' },
  i('jalr', 0, OP.JALR, 'rd,imm12(rs1)'),
  b('beq', 0), b('bne', 1), b('blt', 4), b('bge', 5), b('bltu', 6), b('bgeu', 7),
  i('lb', 0, OP.LOAD, 'rd,imm12(rs1)'), i('lh', 1, OP.LOAD, 'rd,imm12(rs1)'), i('lw', 2, OP.LOAD, 'rd,imm12(rs1)'),
  i('lbu', 4, OP.LOAD, 'rd,imm12(rs1)'), i('lhu', 5, OP.LOAD, 'rd,imm12(rs1)'),
  s('sb', 0), s('sh', 1), s('sw', 2),
  i('addi', 0, OP.OP_IMM), i('slti', 2, OP.OP_IMM), i('sltiu', 3, OP.OP_IMM),
  i('xori', 4, OP.OP_IMM), i('ori', 6, OP.OP_IMM), i('andi', 7, OP.OP_IMM),
  r('add', 0x00, 0, OP.OP), r('sub', 0x20, 0, OP.OP), r('sll', 0x00, 1, OP.OP), r('slt', 0x00, 2, OP.OP),
  r('sltu', 0x00, 3, OP.OP), r('xor', 0x00, 4, OP.OP), r('srl', 0x00, 5, OP.OP), r('sra', 0x20, 5, OP.OP),
  r('or', 0x00, 6, OP.OP), r('and', 0x00, 7, OP.OP),
  {
    name: 'fence', ext: 'I', size: 4, fields: ['fm', 'pred', 'succ'],
    fixed: { '19..15': 0, '14..12': 0, '11..7': 0, '6..0': OP.MISC_MEM }, syntax: 'pred,succ',
  },
  { name: 'ecall', ext: 'I', size: 4, fields: [], fixed: { '31..7': 0x00000, '6..0': OP.SYSTEM }, syntax: '' },
  { name: 'ebreak', ext: 'I', size: 4, fields: [], fixed: { '31..7': 0x2000, '6..0': OP.SYSTEM }, syntax: '' },
];
