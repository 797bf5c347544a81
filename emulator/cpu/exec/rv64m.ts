/** M: multiply and divide. Division corner cases are written out as the ISA manual states them. */
import { type Flow, type Handler, get64, set64, setW } from './common';

// Flow codes (see op.ts), as module constants: V8 folds them, unlike a re-exported binding.
const NEXT: Flow = 0;

const MIN64 = -(2n ** 63n);

/** High 32 bits of the unsigned 32x32 product. */
function umulhi32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}

const big = (f: (a: bigint, b: bigint) => bigint): Handler => (h, o) => {
  set64(h, o.rd, f(get64(h, o.rs1), get64(h, o.rs2)));
  return NEXT;
};
const u64 = (v: bigint) => BigInt.asUintN(64, v);

export const RV64M: Record<string, Handler> = {
  mul: (h, o) => {
    const al = h.L[o.rs1]!, bl = h.L[o.rs2]!;
    const hi = (umulhi32(al, bl) + Math.imul(al, h.H[o.rs2]!) + Math.imul(h.H[o.rs1]!, bl)) | 0;
    h.L[o.rd] = Math.imul(al, bl);
    h.H[o.rd] = hi;
    return NEXT;
  },
  mulh: big((a, b) => (a * b) >> 64n),
  mulhsu: big((a, b) => (a * u64(b)) >> 64n),
  mulhu: big((a, b) => (u64(a) * u64(b)) >> 64n),
  div: big((a, b) => (b === 0n ? -1n : a === MIN64 && b === -1n ? MIN64 : a / b)),
  divu: big((a, b) => (b === 0n ? -1n : u64(a) / u64(b))),
  rem: big((a, b) => (b === 0n ? a : a === MIN64 && b === -1n ? 0n : a % b)),
  remu: big((a, b) => (b === 0n ? a : u64(a) % u64(b))),
  mulw: (h, o) => { setW(h, o.rd, Math.imul(h.L[o.rs1]!, h.L[o.rs2]!)); return NEXT; },
  divw: (h, o) => {
    const a = h.L[o.rs1]!, b = h.L[o.rs2]!;
    setW(h, o.rd, b === 0 ? -1 : a === -0x80000000 && b === -1 ? a : Math.trunc(a / b));
    return NEXT;
  },
  divuw: (h, o) => {
    const a = h.L[o.rs1]! >>> 0, b = h.L[o.rs2]! >>> 0;
    setW(h, o.rd, b === 0 ? -1 : Math.floor(a / b));
    return NEXT;
  },
  remw: (h, o) => {
    const a = h.L[o.rs1]!, b = h.L[o.rs2]!;
    setW(h, o.rd, b === 0 ? a : a === -0x80000000 && b === -1 ? 0 : a % b);
    return NEXT;
  },
  remuw: (h, o) => {
    const a = h.L[o.rs1]! >>> 0, b = h.L[o.rs2]! >>> 0;
    setW(h, o.rd, b === 0 ? a : a % b);
    return NEXT;
  },
};
