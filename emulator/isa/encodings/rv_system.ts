import type { EntryDef } from '../entry';
import { OP } from './opcodes';

// Zicsr (CSR access) and Zifencei (instruction-fetch fence).

const csr = (name: string, f3: number): EntryDef => ({
  name, ext: 'Zicsr', size: 4, fields: ['rd', 'rs1', 'csr'], fixed: { '14..12': f3, '6..0': OP.SYSTEM }, syntax: 'rd,csr,rs1',
});
const csri = (name: string, f3: number): EntryDef => ({
  name, ext: 'Zicsr', size: 4, fields: ['rd', 'zimm5', 'csr'], fixed: { '14..12': f3, '6..0': OP.SYSTEM }, syntax: 'rd,csr,zimm5',
});

export const RV_ZICSR: readonly EntryDef[] = [
  csr('csrrw', 1), csr('csrrs', 2), csr('csrrc', 3), csri('csrrwi', 5), csri('csrrsi', 6), csri('csrrci', 7),
];

export const RV_ZIFENCEI: readonly EntryDef[] = [
  { name: 'fence.i', ext: 'Zifencei', size: 4, fields: [], fixed: { '31..20': 0, '19..15': 0, '14..12': 1, '11..7': 0, '6..0': OP.MISC_MEM }, syntax: '' },
];
