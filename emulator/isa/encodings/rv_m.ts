import type { EntryDef } from '../entry';
import { OP } from './opcodes';

// M: integer multiply and divide (the *W forms are RV64-only and live here too, tagged by name).

const m = (name: string, f3: number, op: number): EntryDef => ({
  name, ext: 'M', size: 4, fields: ['rd', 'rs1', 'rs2'], fixed: { '31..25': 0x01, '14..12': f3, '6..0': op }, syntax: 'rd,rs1,rs2',
});

export const RV_M: readonly EntryDef[] = [
  m('mul', 0, OP.OP), m('mulh', 1, OP.OP), m('mulhsu', 2, OP.OP), m('mulhu', 3, OP.OP),
  m('div', 4, OP.OP), m('divu', 5, OP.OP), m('rem', 6, OP.OP), m('remu', 7, OP.OP),
  m('mulw', 0, OP.OP_32), m('divw', 4, OP.OP_32), m('divuw', 5, OP.OP_32), m('remw', 6, OP.OP_32), m('remuw', 7, OP.OP_32),
];
