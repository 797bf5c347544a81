import type { EntryDef } from '../entry';
import { OP } from './opcodes';

// Privileged instructions of the supervisor and machine levels (tag 'S'). They are decoded,
// disassembled and assembled so listings of kernel code are complete, but no hart executes
// them: see NOT_EXECUTED in cpu/handlers.ts.

/** A SYSTEM instruction without operands: funct12 in bits 31..20, everything else zero. */
const noOperands = (name: string, funct12: number): EntryDef => ({
  name, ext: 'S', size: 4, fields: [], fixed: { '31..20': funct12, '19..15': 0, '14..12': 0, '11..7': 0, '6..0': OP.SYSTEM }, syntax: '',
});

export const RV_S: readonly EntryDef[] = [
  noOperands('sret', 0x102),
  noOperands('mret', 0x302),
  noOperands('wfi', 0x105),
  {
    name: 'sfence.vma', ext: 'S', size: 4, fields: ['rs1', 'rs2'],
    fixed: { '31..25': 0x09, '14..12': 0, '11..7': 0, '6..0': OP.SYSTEM }, syntax: 'rs1,rs2',
  },
];
