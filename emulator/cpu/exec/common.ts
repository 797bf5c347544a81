/**
 * Shared vocabulary for instruction handlers. Registers live in two Int32Arrays (low and high
 * halves of each 64-bit register), which is several times faster in V8 than BigInt registers;
 * 64-bit operations that are rare and fiddly (mulh, div, rem) go through BigInt helpers.
 */
import type { Hart } from '../hart';
import type { Op, Handler, Flow } from '../op';
import { TrapSignal } from '../trap';
import { toBig } from '../../memory/address';

export type { Hart, Op, Handler, Flow };
const TWO32 = 4294967296;

/** Value of register i as a signed bigint. */
export function get64(h: Hart, i: number): bigint {
  return (BigInt(h.H[i]!) << 32n) | BigInt(h.L[i]! >>> 0);
}

/** Writes a 64-bit value (any bigint; truncated) to register i. */
export function set64(h: Hart, i: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  h.L[i] = Number(u & 0xffffffffn) | 0;
  h.H[i] = Number(u >> 32n) | 0;
}

/** Writes a sign-extended 32-bit result. */
export function setW(h: Hart, i: number, v: number): void {
  h.L[i] = v | 0;
  h.H[i] = (v | 0) >> 31;
}

/** Effective address rs1 + imm as an address number. */
export function ea(h: Hart, o: Op): number {
  return h.H[o.rs1]! * TWO32 + (h.L[o.rs1]! >>> 0) + o.imm;
}

/** Unsigned compare of two 64-bit values held as halves: a < b. */
export function ltu(ah: number, al: number, bh: number, bl: number): boolean {
  return ah === bh ? al >>> 0 < bl >>> 0 : ah >>> 0 < bh >>> 0;
}

/** Signed compare of two 64-bit values held as halves: a < b. */
export function lt(ah: number, al: number, bh: number, bl: number): boolean {
  return ah === bh ? al >>> 0 < bl >>> 0 : ah < bh;
}

/** A jump to an address number: checks alignment and the exact-address window. */
export function jumpTarget(h: Hart, o: Op, t: number, exact: () => bigint): number {
  if (Math.abs(t) >= 2 ** 52) throw new TrapSignal({ kind: 'access-fault', pc: exact(), access: 'fetch', addr: exact(), reason: 'unmapped' });
  if ((t & h.alignMask) !== 0) throw new TrapSignal({ kind: 'misaligned-fetch', pc: toBig(o.pc), target: exact() });
  return t;
}

export function illegal(o: Op): never {
  throw new TrapSignal({ kind: 'illegal-instruction', pc: toBig(o.pc), word: o.word, size: o.size });
}
