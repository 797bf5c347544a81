import type { EntryDef } from '../entry';
import { OP } from './opcodes';

// A: load-reserved / store-conditional and atomic memory operations, word (.w) and doubleword (.d).

const WIDTHS = [['w', 2], ['d', 3]] as const;
const AMOS = [
  ['amoadd', 0x00], ['amoswap', 0x01], ['amoxor', 0x04], ['amoor', 0x08], ['amoand', 0x0c],
  ['amomin', 0x10], ['amomax', 0x14], ['amominu', 0x18], ['amomaxu', 0x1c],
] as const;

export const RV_A: readonly EntryDef[] = WIDTHS.flatMap(([w, f3]): EntryDef[] => [
  {
    name: `lr.${w}`, ext: 'A', size: 4, fields: ['rd', 'rs1', 'aq', 'rl'],
    fixed: { '31..27': 0x02, '24..20': 0, '14..12': f3, '6..0': OP.AMO }, syntax: 'rd,(rs1)',
  },
  {
    name: `sc.${w}`, ext: 'A', size: 4, fields: ['rd', 'rs1', 'rs2', 'aq', 'rl'],
    fixed: { '31..27': 0x03, '14..12': f3, '6..0': OP.AMO }, syntax: 'rd,rs2,(rs1)',
  },
  ...AMOS.map(([name, f5]): EntryDef => ({
    name: `${name}.${w}`, ext: 'A', size: 4, fields: ['rd', 'rs1', 'rs2', 'aq', 'rl'],
    fixed: { '31..27': f5, '14..12': f3, '6..0': OP.AMO }, syntax: 'rd,rs2,(rs1)',
  })),
]);
