/**
 * The instruction words ftrace writes into sleds, built with the project's encoder (no opcode
 * literals). Offsets split into an auipc high part and a 12-bit low part with the usual
 * rounding: when bit 11 of the offset is set, the high part is one larger because the jalr
 * immediate is sign-extended.
 */
import { encode } from '../../emulator/isa/encode';

export const REG = { zero: 0, ra: 1, sp: 2, t0: 5, t1: 6 } as const;

/** Splits a pc-relative offset into (hi20 << 12, lo12) with hi + lo === off. */
export function splitOffset(off: bigint): { hi: number; lo: number } | undefined {
  if (off < -(2n ** 31n) - 2048n || off >= 2n ** 31n - 2048n) return undefined;
  const lo = Number(BigInt.asIntN(12, off));
  const hi = Number(BigInt.asIntN(32, off - BigInt(lo)));
  return { hi, lo };
}

// The fixed words are encoded once (encode is a pure function of its operands).
const NOP_WORD = encode('addi', { rd: 0, rs1: 0, imm12: 0 });
export const NOP = (): number => NOP_WORD;

export function auipc(rd: number, hi: number): number {
  return encode('auipc', { rd, imm20: hi });
}

export function jalr(rd: number, rs1: number, lo: number): number {
  return encode('jalr', { rd, rs1, imm12: lo });
}

/** `sd ra,-8(sp)` and `ld ra,-8(sp)`: the outer words of the 16-byte scheme A detour. */
const SD_RA_WORD = encode('sd', { rs1: REG.sp, rs2: REG.ra, simm12: -8 });
const LD_RA_WORD = encode('ld', { rd: REG.ra, rs1: REG.sp, imm12: -8 });
export const SD_RA = (): number => SD_RA_WORD;
export const LD_RA = (): number => LD_RA_WORD;

/** Little-endian bytes of 32-bit words. */
export function words(...ws: number[]): Uint8Array {
  // Built for every site an ftrace update looks at: bytes by shifts, no DataView.
  const b = new Uint8Array(ws.length * 4);
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i]!;
    b[4 * i] = w & 0xff;
    b[4 * i + 1] = (w >>> 8) & 0xff;
    b[4 * i + 2] = (w >>> 16) & 0xff;
    b[4 * i + 3] = (w >>> 24) & 0xff;
  }
  return b;
}

export function u64bytes(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
}

/** `auipc link-or-scratch; jalr link` pair reaching target from pc (the auipc's address). */
export function callPair(pc: bigint, target: bigint, auipcRd: number, jalrRd: number): Uint8Array | undefined {
  const s = splitOffset(target - pc);
  if (!s) return undefined;
  return words(auipc(auipcRd, s.hi), jalr(jalrRd, auipcRd, s.lo));
}
