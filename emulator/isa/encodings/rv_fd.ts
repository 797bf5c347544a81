import type { EntryDef, Ext } from '../entry';
import { OP } from './opcodes';

// F and D: decoded and disassembled so listings are complete; the CPU reports them as an
// unsupported extension when executed (kernel text does not use floating point).

type Fmt = readonly [suffix: 's' | 'd', fmt: number, ext: Ext];

const FMTS: readonly Fmt[] = [['s', 0, 'F'], ['d', 1, 'D']];

/** int32 -> double is exact (float cannot hold every int32, and int64 fits neither). */
const isExact = (to: 's' | 'd', from: string): boolean => to === 'd' && (from === 'w' || from === 'wu');

function forFmt([x, fmt, ext]: Fmt): EntryDef[] {
  const f7 = (hi5: number) => (hi5 << 2) | fmt;
  const rrr = (name: string, hi5: number): EntryDef => ({
    name: `${name}.${x}`, ext, size: 4, fields: ['fd', 'fs1', 'fs2', 'rm'], fixed: { '31..25': f7(hi5), '6..0': OP.OP_FP }, syntax: 'fd,fs1,fs2,rm',
  });
  const f3op = (name: string, hi5: number, f3: number, syntax: string, fields: EntryDef['fields']): EntryDef => ({
    name: `${name}.${x}`, ext, size: 4, fields, fixed: { '31..25': f7(hi5), '14..12': f3, '6..0': OP.OP_FP }, syntax,
  });
  const cvt = (name: string, hi5: number, rs2: number, syntax: string, fields: EntryDef['fields']): EntryDef => ({
    name, ext, size: 4, fields, fixed: { '31..25': f7(hi5), '24..20': rs2, '6..0': OP.OP_FP }, syntax,
  });
  // A conversion whose result is always exact has no rounding mode: binutils 2.40 fixes
  // rm = 0 (objdump shows other values as .4byte, GNU as rejects an rm operand).
  const exact = (name: string, hi5: number, rs2: number, syntax: string, fields: EntryDef['fields']): EntryDef => ({
    name, ext, size: 4, fields, fixed: { '31..25': f7(hi5), '24..20': rs2, '14..12': 0, '6..0': OP.OP_FP }, syntax,
  });
  const fused = (name: string, op: number): EntryDef => ({
    name: `${name}.${x}`, ext, size: 4, fields: ['fd', 'fs1', 'fs2', 'fs3', 'rm'], fixed: { '26..25': fmt, '6..0': op }, syntax: 'fd,fs1,fs2,fs3,rm',
  });
  const w = fmt === 0 ? 2 : 3;
  const ints = [['w', 0], ['wu', 1], ['l', 2], ['lu', 3]] as const;
  return [
    { name: fmt === 0 ? 'flw' : 'fld', ext, size: 4, fields: ['fd', 'rs1', 'imm12'], fixed: { '14..12': w, '6..0': OP.LOAD_FP }, syntax: 'fd,imm12(rs1)' },
    { name: fmt === 0 ? 'fsw' : 'fsd', ext, size: 4, fields: ['rs1', 'fs2', 'simm12'], fixed: { '14..12': w, '6..0': OP.STORE_FP }, syntax: 'fs2,simm12(rs1)' },
    fused('fmadd', OP.MADD), fused('fmsub', OP.MSUB), fused('fnmsub', OP.NMSUB), fused('fnmadd', OP.NMADD),
    rrr('fadd', 0x00), rrr('fsub', 0x01), rrr('fmul', 0x02), rrr('fdiv', 0x03),
    cvt(`fsqrt.${x}`, 0x0b, 0, 'fd,fs1,rm', ['fd', 'fs1', 'rm']),
    f3op('fsgnj', 0x04, 0, 'fd,fs1,fs2', ['fd', 'fs1', 'fs2']),
    f3op('fsgnjn', 0x04, 1, 'fd,fs1,fs2', ['fd', 'fs1', 'fs2']),
    f3op('fsgnjx', 0x04, 2, 'fd,fs1,fs2', ['fd', 'fs1', 'fs2']),
    f3op('fmin', 0x05, 0, 'fd,fs1,fs2', ['fd', 'fs1', 'fs2']),
    f3op('fmax', 0x05, 1, 'fd,fs1,fs2', ['fd', 'fs1', 'fs2']),
    f3op('fle', 0x14, 0, 'rd,fs1,fs2', ['rd', 'fs1', 'fs2']),
    f3op('flt', 0x14, 1, 'rd,fs1,fs2', ['rd', 'fs1', 'fs2']),
    f3op('feq', 0x14, 2, 'rd,fs1,fs2', ['rd', 'fs1', 'fs2']),
    { name: `fclass.${x}`, ext, size: 4, fields: ['rd', 'fs1'], fixed: { '31..25': f7(0x1c), '24..20': 0, '14..12': 1, '6..0': OP.OP_FP }, syntax: 'rd,fs1' },
    { name: fmt === 0 ? 'fmv.x.w' : 'fmv.x.d', ext, size: 4, fields: ['rd', 'fs1'], fixed: { '31..25': f7(0x1c), '24..20': 0, '14..12': 0, '6..0': OP.OP_FP }, syntax: 'rd,fs1' },
    { name: fmt === 0 ? 'fmv.w.x' : 'fmv.d.x', ext, size: 4, fields: ['fd', 'rs1'], fixed: { '31..25': f7(0x1e), '24..20': 0, '14..12': 0, '6..0': OP.OP_FP }, syntax: 'fd,rs1' },
    ...ints.map(([t, n]) => cvt(`fcvt.${t}.${x}`, 0x18, n, 'rd,fs1,rm', ['rd', 'fs1', 'rm'])),
    ...ints.map(([t, n]) => (isExact(x, t)
      ? exact(`fcvt.${x}.${t}`, 0x1a, n, 'fd,rs1', ['fd', 'rs1'])
      : cvt(`fcvt.${x}.${t}`, 0x1a, n, 'fd,rs1,rm', ['fd', 'rs1', 'rm']))),
    fmt === 0
      ? cvt('fcvt.s.d', 0x08, 1, 'fd,fs1,rm', ['fd', 'fs1', 'rm'])
      : exact('fcvt.d.s', 0x08, 0, 'fd,fs1', ['fd', 'fs1']),
  ];
}

export const RV_FD: readonly EntryDef[] = FMTS.flatMap(forFmt);
