/**
 * Guest addresses inside the emulator's hot paths are JavaScript numbers holding the
 * *signed* 64-bit value: user addresses are small positives, kernel addresses
 * (0xffffffff8xxxxxxx) small negatives. Both are exact as doubles. Mapped memory is kept
 * within +-2^52, so an address that is not exact can never hit a mapped page.
 */
export const ADDR_LIMIT = 2 ** 52;
const TWO32 = 4294967296;

/** Signed number form of a 64-bit address. */
export function toNum(a: bigint): number {
  return Number(BigInt.asIntN(64, a));
}

/** Unsigned 64-bit form of a (signed, exact) address number. */
export function toBig(a: number): bigint {
  return BigInt.asUintN(64, BigInt(a));
}

/** Address number from a register's hi/lo halves. */
export function pairToNum(hi: number, lo: number): number {
  return hi * TWO32 + (lo >>> 0);
}

/** Unsigned bigint from a register's hi/lo halves. */
export function pairToBig(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export function hex(a: bigint): string {
  return BigInt.asUintN(64, a).toString(16);
}
