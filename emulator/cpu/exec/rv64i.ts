/** RV64I: base integer instructions. */
import { type Handler, type Op, type Hart, type Flow, ea, lt, ltu, jumpTarget, setW, get64 } from './common';
import { TrapSignal } from '../trap';
import { toBig } from '../../memory/address';

// Flow codes (see op.ts), as module constants: V8 folds them, unlike a re-exported binding.
const NEXT: Flow = 0;
const TAKEN: Flow = 1;
const JUMP: Flow = 2;

// Hot handlers are written out one by one (no shared closures taking callbacks): each stays
// monomorphic, which V8 needs to inline the register accesses. See bench notes in README.

/** 64-bit shifts of register rs1 by s (0..63). */
function shl(h: Hart, o: Op, s: number): Flow {
  const al = h.L[o.rs1]!, ah = h.H[o.rs1]!;
  if (s === 0) { h.H[o.rd] = ah; h.L[o.rd] = al; }
  else if (s < 32) { h.H[o.rd] = (ah << s) | (al >>> (32 - s)); h.L[o.rd] = al << s; }
  else { h.H[o.rd] = al << (s - 32); h.L[o.rd] = 0; }
  return NEXT;
}
function shr(h: Hart, o: Op, s: number): Flow {
  const al = h.L[o.rs1]!, ah = h.H[o.rs1]!;
  if (s === 0) { h.H[o.rd] = ah; h.L[o.rd] = al; }
  else if (s < 32) { h.L[o.rd] = (al >>> s) | (ah << (32 - s)); h.H[o.rd] = (ah >>> s) | 0; }
  else { h.L[o.rd] = (ah >>> (s - 32)) | 0; h.H[o.rd] = 0; }
  return NEXT;
}
function sar(h: Hart, o: Op, s: number): Flow {
  const al = h.L[o.rs1]!, ah = h.H[o.rs1]!;
  if (s === 0) { h.H[o.rd] = ah; h.L[o.rd] = al; }
  else if (s < 32) { h.L[o.rd] = (al >>> s) | (ah << (32 - s)); h.H[o.rd] = ah >> s; }
  else { h.L[o.rd] = ah >> (s - 32); h.H[o.rd] = ah >> 31; }
  return NEXT;
}

// ---- loads and stores ----------------------------------------------------------------------------

const load = (size: 1 | 2 | 4 | 8, signed: boolean): Handler => {
  switch (size) {
    case 1: return signed
      ? (h, o) => { setW(h, o.rd, (h.m.lbu(ea(h, o)) << 24) >> 24); return NEXT; }
      : (h, o) => { h.L[o.rd] = h.m.lbu(ea(h, o)); h.H[o.rd] = 0; return NEXT; };
    case 2: return signed
      ? (h, o) => { setW(h, o.rd, (h.m.lhu(ea(h, o)) << 16) >> 16); return NEXT; }
      : (h, o) => { h.L[o.rd] = h.m.lhu(ea(h, o)); h.H[o.rd] = 0; return NEXT; };
    case 4: return signed
      ? (h, o) => { setW(h, o.rd, h.m.lw(ea(h, o))); return NEXT; }
      : (h, o) => { h.L[o.rd] = h.m.lw(ea(h, o)); h.H[o.rd] = 0; return NEXT; };
    case 8: return (h, o) => {
      const a = ea(h, o);
      const lo = h.m.lw(a);
      const hi = h.m.lw(a + 4);
      h.L[o.rd] = lo;
      h.H[o.rd] = hi;
      return NEXT;
    };
  }
};

export const RV64I: Record<string, Handler> = {
  lui: (h, o) => { h.L[o.rd] = o.imm; h.H[o.rd] = o.immHi; return NEXT; },
  auipc: (h, o) => { h.L[o.rd] = o.imm; h.H[o.rd] = o.immHi; return NEXT; }, // imm holds pc + offset
  jal: (h, o) => {
    h.L[o.rd] = o.nextLo;
    h.H[o.rd] = o.nextHi;
    return TAKEN;
  },
  jalr: (h, o) => {
    let t = ea(h, o);
    t -= t & 1;
    const checked = (t & h.alignMask) !== 0 || Math.abs(t) >= 2 ** 52
      ? jumpTarget(h, o, t, () => BigInt.asUintN(64, get64(h, o.rs1) + BigInt(o.imm)) & ~1n)
      : t;
    h.L[o.rd] = o.nextLo;
    h.H[o.rd] = o.nextHi;
    h.jumpPc = checked;
    return JUMP;
  },
  beq: (h, o) => (h.L[o.rs1] === h.L[o.rs2] && h.H[o.rs1] === h.H[o.rs2] ? TAKEN : NEXT),
  bne: (h, o) => (h.L[o.rs1] !== h.L[o.rs2] || h.H[o.rs1] !== h.H[o.rs2] ? TAKEN : NEXT),
  blt: (h, o) => {
    const ah = h.H[o.rs1]!, bh = h.H[o.rs2]!;
    return (ah === bh ? h.L[o.rs1]! >>> 0 < h.L[o.rs2]! >>> 0 : ah < bh) ? TAKEN : NEXT;
  },
  bge: (h, o) => {
    const ah = h.H[o.rs1]!, bh = h.H[o.rs2]!;
    return (ah === bh ? h.L[o.rs1]! >>> 0 >= h.L[o.rs2]! >>> 0 : ah > bh) ? TAKEN : NEXT;
  },
  bltu: (h, o) => {
    const ah = h.H[o.rs1]! >>> 0, bh = h.H[o.rs2]! >>> 0;
    return (ah === bh ? h.L[o.rs1]! >>> 0 < h.L[o.rs2]! >>> 0 : ah < bh) ? TAKEN : NEXT;
  },
  bgeu: (h, o) => {
    const ah = h.H[o.rs1]! >>> 0, bh = h.H[o.rs2]! >>> 0;
    return (ah === bh ? h.L[o.rs1]! >>> 0 >= h.L[o.rs2]! >>> 0 : ah > bh) ? TAKEN : NEXT;
  },
  lb: load(1, true), lh: load(2, true), lw: load(4, true), ld: load(8, true),
  lbu: load(1, false), lhu: load(2, false), lwu: load(4, false),
  sb: (h, o) => { h.m.sb(ea(h, o), h.L[o.rs2]!); return NEXT; },
  sh: (h, o) => { h.m.sh(ea(h, o), h.L[o.rs2]!); return NEXT; },
  sw: (h, o) => { h.m.sw(ea(h, o), h.L[o.rs2]!); return NEXT; },
  sd: (h, o) => { h.m.sd(ea(h, o), h.L[o.rs2]!, h.H[o.rs2]!); return NEXT; },
  addi: (h, o) => {
    const L = h.L, H = h.H;
    const al = L[o.rs1]!;
    const lo = (al + o.imm) | 0;
    H[o.rd] = (H[o.rs1]! + o.immHi + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0;
    L[o.rd] = lo;
    return NEXT;
  },
  slti: (h, o) => { const c = lt(h.H[o.rs1]!, h.L[o.rs1]!, o.immHi, o.imm); h.L[o.rd] = c ? 1 : 0; h.H[o.rd] = 0; return NEXT; },
  sltiu: (h, o) => { const c = ltu(h.H[o.rs1]!, h.L[o.rs1]!, o.immHi, o.imm); h.L[o.rd] = c ? 1 : 0; h.H[o.rd] = 0; return NEXT; },
  xori: (h, o) => { h.H[o.rd] = h.H[o.rs1]! ^ o.immHi; h.L[o.rd] = h.L[o.rs1]! ^ o.imm; return NEXT; },
  ori: (h, o) => { h.H[o.rd] = h.H[o.rs1]! | o.immHi; h.L[o.rd] = h.L[o.rs1]! | o.imm; return NEXT; },
  andi: (h, o) => { h.H[o.rd] = h.H[o.rs1]! & o.immHi; h.L[o.rd] = h.L[o.rs1]! & o.imm; return NEXT; },
  slli: (h, o) => shl(h, o, o.aux),
  srli: (h, o) => shr(h, o, o.aux),
  srai: (h, o) => sar(h, o, o.aux),
  add: (h, o) => {
    const L = h.L, H = h.H;
    const al = L[o.rs1]!, bl = L[o.rs2]!;
    const lo = (al + bl) | 0;
    H[o.rd] = (H[o.rs1]! + H[o.rs2]! + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0;
    L[o.rd] = lo;
    return NEXT;
  },
  sub: (h, o) => {
    const L = h.L, H = h.H;
    const al = L[o.rs1]!, bl = L[o.rs2]!;
    H[o.rd] = (H[o.rs1]! - H[o.rs2]! - (al >>> 0 < bl >>> 0 ? 1 : 0)) | 0;
    L[o.rd] = (al - bl) | 0;
    return NEXT;
  },
  sll: (h, o) => shl(h, o, h.L[o.rs2]! & 63),
  srl: (h, o) => shr(h, o, h.L[o.rs2]! & 63),
  sra: (h, o) => sar(h, o, h.L[o.rs2]! & 63),
  slt: (h, o) => { const c = lt(h.H[o.rs1]!, h.L[o.rs1]!, h.H[o.rs2]!, h.L[o.rs2]!); h.L[o.rd] = c ? 1 : 0; h.H[o.rd] = 0; return NEXT; },
  sltu: (h, o) => { const c = ltu(h.H[o.rs1]!, h.L[o.rs1]!, h.H[o.rs2]!, h.L[o.rs2]!); h.L[o.rd] = c ? 1 : 0; h.H[o.rd] = 0; return NEXT; },
  xor: (h, o) => { const hi = h.H[o.rs1]! ^ h.H[o.rs2]!; h.L[o.rd] = h.L[o.rs1]! ^ h.L[o.rs2]!; h.H[o.rd] = hi; return NEXT; },
  or: (h, o) => { const hi = h.H[o.rs1]! | h.H[o.rs2]!; h.L[o.rd] = h.L[o.rs1]! | h.L[o.rs2]!; h.H[o.rd] = hi; return NEXT; },
  and: (h, o) => { const hi = h.H[o.rs1]! & h.H[o.rs2]!; h.L[o.rd] = h.L[o.rs1]! & h.L[o.rs2]!; h.H[o.rd] = hi; return NEXT; },
  addiw: (h, o) => { setW(h, o.rd, h.L[o.rs1]! + o.imm); return NEXT; },
  slliw: (h, o) => { setW(h, o.rd, h.L[o.rs1]! << o.aux); return NEXT; },
  srliw: (h, o) => { setW(h, o.rd, h.L[o.rs1]! >>> o.aux); return NEXT; },
  sraiw: (h, o) => { setW(h, o.rd, h.L[o.rs1]! >> o.aux); return NEXT; },
  addw: (h, o) => { setW(h, o.rd, h.L[o.rs1]! + h.L[o.rs2]!); return NEXT; },
  subw: (h, o) => { setW(h, o.rd, h.L[o.rs1]! - h.L[o.rs2]!); return NEXT; },
  sllw: (h, o) => { setW(h, o.rd, h.L[o.rs1]! << (h.L[o.rs2]! & 31)); return NEXT; },
  srlw: (h, o) => { setW(h, o.rd, h.L[o.rs1]! >>> (h.L[o.rs2]! & 31)); return NEXT; },
  sraw: (h, o) => { setW(h, o.rd, h.L[o.rs1]! >> (h.L[o.rs2]! & 31)); return NEXT; },
  fence: () => NEXT,
  ecall: (_h, o) => { throw new TrapSignal({ kind: 'ecall', pc: toBig(o.pc) }); },
  ebreak: (_h, o) => { throw new TrapSignal({ kind: 'ebreak', pc: toBig(o.pc) }); },
};
