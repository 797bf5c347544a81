/**
 * `li rd, value` for any 64-bit value: lui/addi(w) for a sign-extended 32-bit value, and
 * otherwise the value's upper part built recursively, shifted into place, plus its low 12
 * bits. The sequence is the usual one (as in GNU as and LLVM), though not always the same
 * instructions those tools pick.
 */
import type { Args } from '../isa/decode';

export interface LiStep {
  readonly name: 'lui' | 'addi' | 'addiw' | 'slli';
  /** Field values, as the table encodes them (lui's imm20 is the 32-bit value it loads). */
  readonly args: Args;
}

const I32_MIN = -(1n << 31n);
const I32_END = 1n << 31n;

function trailingZeros(v: bigint): bigint {
  let n = 0n;
  while ((v & 1n) === 0n) {
    v >>= 1n;
    n++;
  }
  return n;
}

/** The instructions that leave `value` (taken modulo 2^64) in register rd. */
export function liSequence(rd: number, value: bigint): LiStep[] {
  const out: LiStep[] = [];
  build(rd, BigInt.asIntN(64, value), out);
  return out;
}

function build(rd: number, v: bigint, out: LiStep[]): void {
  const lo = BigInt.asIntN(12, v);
  if (v >= I32_MIN && v < I32_END) {
    // lui sign-extends bit 31, and addiw wraps the sum back to 32 bits, so lui 0x80000 +
    // addiw -1 is 0x7fffffff: the pair covers every sign-extended 32-bit value.
    const upper = BigInt.asIntN(32, v - lo);
    if (upper !== 0n) out.push({ name: 'lui', args: { rd, imm20: Number(upper) } });
    if (upper === 0n) out.push({ name: 'addi', args: { rd, rs1: 0, imm12: Number(lo) } });
    else if (lo !== 0n) out.push({ name: 'addiw', args: { rd, rs1: rd, imm12: Number(lo) } });
    return;
  }
  // v = upper * 2^shift + lo (mod 2^64), with upper sign-extended from the bits that survive
  // the shift; upper has at least 12 fewer significant bits than v, so this terminates.
  const hi52 = BigInt.asUintN(64, v + 0x800n) >> 12n;
  const shift = 12n + trailingZeros(hi52);
  const upper = BigInt.asIntN(Number(64n - shift), hi52 >> (shift - 12n));
  build(rd, upper, out);
  out.push({ name: 'slli', args: { rd, rs1: rd, shamt6: Number(shift) } });
  if (lo !== 0n) out.push({ name: 'addi', args: { rd, rs1: rd, imm12: Number(lo) } });
}
