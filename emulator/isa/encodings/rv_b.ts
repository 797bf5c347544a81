import type { EntryDef, Ext } from '../entry';
import { OP } from './opcodes';

// Zba (address generation), Zbb (basic bit manipulation), Zbs (single-bit), RV64 forms included.

const r = (name: string, ext: Ext, f7: number, f3: number, op: number = OP.OP): EntryDef => ({
  name, ext, size: 4, fields: ['rd', 'rs1', 'rs2'], fixed: { '31..25': f7, '14..12': f3, '6..0': op }, syntax: 'rd,rs1,rs2',
});
const unary = (name: string, imm12: number, f3: number, op: number): EntryDef => ({
  name, ext: 'Zbb', size: 4, fields: ['rd', 'rs1'], fixed: { '31..20': imm12, '14..12': f3, '6..0': op }, syntax: 'rd,rs1',
});
const sh6 = (name: string, ext: Ext, f6: number, f3: number, op: number = OP.OP_IMM): EntryDef => ({
  name, ext, size: 4, fields: ['rd', 'rs1', 'shamt6'], fixed: { '31..26': f6, '14..12': f3, '6..0': op }, syntax: 'rd,rs1,shamt6',
});

export const RV_B: readonly EntryDef[] = [
  r('sh1add', 'Zba', 0x10, 2), r('sh2add', 'Zba', 0x10, 4), r('sh3add', 'Zba', 0x10, 6),
  r('add.uw', 'Zba', 0x04, 0, OP.OP_32),
  r('sh1add.uw', 'Zba', 0x10, 2, OP.OP_32), r('sh2add.uw', 'Zba', 0x10, 4, OP.OP_32), r('sh3add.uw', 'Zba', 0x10, 6, OP.OP_32),
  sh6('slli.uw', 'Zba', 0x02, 1, OP.OP_IMM_32),
  r('andn', 'Zbb', 0x20, 7), r('orn', 'Zbb', 0x20, 6), r('xnor', 'Zbb', 0x20, 4),
  r('max', 'Zbb', 0x05, 6), r('maxu', 'Zbb', 0x05, 7), r('min', 'Zbb', 0x05, 4), r('minu', 'Zbb', 0x05, 5),
  r('rol', 'Zbb', 0x30, 1), r('ror', 'Zbb', 0x30, 5), r('rolw', 'Zbb', 0x30, 1, OP.OP_32), r('rorw', 'Zbb', 0x30, 5, OP.OP_32),
  unary('clz', 0x600, 1, OP.OP_IMM), unary('ctz', 0x601, 1, OP.OP_IMM), unary('cpop', 0x602, 1, OP.OP_IMM),
  unary('sext.b', 0x604, 1, OP.OP_IMM), unary('sext.h', 0x605, 1, OP.OP_IMM),
  unary('clzw', 0x600, 1, OP.OP_IMM_32), unary('ctzw', 0x601, 1, OP.OP_IMM_32), unary('cpopw', 0x602, 1, OP.OP_IMM_32),
  unary('orc.b', 0x287, 5, OP.OP_IMM), unary('rev8', 0x6b8, 5, OP.OP_IMM),
  { name: 'zext.h', ext: 'Zbb', size: 4, fields: ['rd', 'rs1'], fixed: { '31..25': 0x04, '24..20': 0, '14..12': 4, '6..0': OP.OP_32 }, syntax: 'rd,rs1' },
  sh6('rori', 'Zbb', 0x18, 5),
  { name: 'roriw', ext: 'Zbb', size: 4, fields: ['rd', 'rs1', 'shamt5'], fixed: { '31..25': 0x30, '14..12': 5, '6..0': OP.OP_IMM_32 }, syntax: 'rd,rs1,shamt5' },
  r('bclr', 'Zbs', 0x24, 1), r('bext', 'Zbs', 0x24, 5), r('binv', 'Zbs', 0x34, 1), r('bset', 'Zbs', 0x14, 1),
  sh6('bclri', 'Zbs', 0x12, 1), sh6('bexti', 'Zbs', 0x12, 5), sh6('binvi', 'Zbs', 0x1a, 1), sh6('bseti', 'Zbs', 0x0a, 1),
];
