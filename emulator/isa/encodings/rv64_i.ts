import type { EntryDef } from '../entry';
import { OP } from './opcodes';

// RV64-only base instructions: doubleword loads/stores, 6-bit shifts and the *W forms.

const sh = (name: string, f6: number, f3: number): EntryDef => ({
  name, ext: 'I', size: 4, fields: ['rd', 'rs1', 'shamt6'], fixed: { '31..26': f6, '14..12': f3, '6..0': OP.OP_IMM }, syntax: 'rd,rs1,shamt6',
});
const shw = (name: string, f7: number, f3: number): EntryDef => ({
  name, ext: 'I', size: 4, fields: ['rd', 'rs1', 'shamt5'], fixed: { '31..25': f7, '14..12': f3, '6..0': OP.OP_IMM_32 }, syntax: 'rd,rs1,shamt5',
});
const rw = (name: string, f7: number, f3: number): EntryDef => ({
  name, ext: 'I', size: 4, fields: ['rd', 'rs1', 'rs2'], fixed: { '31..25': f7, '14..12': f3, '6..0': OP.OP_32 }, syntax: 'rd,rs1,rs2',
});

export const RV64_I: readonly EntryDef[] = [
  { name: 'ld', ext: 'I', size: 4, fields: ['rd', 'rs1', 'imm12'], fixed: { '14..12': 3, '6..0': OP.LOAD }, syntax: 'rd,imm12(rs1)' },
  { name: 'lwu', ext: 'I', size: 4, fields: ['rd', 'rs1', 'imm12'], fixed: { '14..12': 6, '6..0': OP.LOAD }, syntax: 'rd,imm12(rs1)' },
  { name: 'sd', ext: 'I', size: 4, fields: ['rs1', 'rs2', 'simm12'], fixed: { '14..12': 3, '6..0': OP.STORE }, syntax: 'rs2,simm12(rs1)' },
  sh('slli', 0x00, 1), sh('srli', 0x00, 5), sh('srai', 0x10, 5),
  { name: 'addiw', ext: 'I', size: 4, fields: ['rd', 'rs1', 'imm12'], fixed: { '14..12': 0, '6..0': OP.OP_IMM_32 }, syntax: 'rd,rs1,imm12' },
  shw('slliw', 0x00, 1), shw('srliw', 0x00, 5), shw('sraiw', 0x20, 5),
  rw('addw', 0x00, 0), rw('subw', 0x20, 0), rw('sllw', 0x00, 1), rw('srlw', 0x00, 5), rw('sraw', 0x20, 5),
];
