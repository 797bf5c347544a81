/**
 * The RISC-V BPF JIT's instruction helpers (emit_sd, emit_ld, emit_addi, emit_mv, emit_li,
 * emit_lui, emit_addiw, emit_slli, emit_jalr, emit_imm), as the trampoline generator uses them.
 * On a kernel built with CONFIG_RISCV_ISA_C each helper picks the compressed form when its
 * operands fit one, under the helper's own conditions (which are narrower than an assembler's:
 * c.sd only with a non-negative offset, c.addi4spn only into x8-x15, c.addiw also for 0, ...);
 * everything else, and whatever the JIT writes with a bare emit() (the nops reserved for
 * branches and for ip_after_call, calls), stays 4 bytes.
 *
 * Our own code after the conditions of arch/riscv/net/bpf_jit.h.
 */
import type { Args } from '../../../emulator/isa/decode';

/**
 * Where instructions go: the assembler (generateTrampoline) or a byte counter (the sizing
 * pass, arch_bpf_trampoline_size). Names starting with `c.` are 2-byte instructions.
 */
export interface TrampEmitter {
  insn(name: string, args: Args): unknown;
  call(link: number, target: bigint): unknown;
  beq(rs1: number, rs2: number, label: string): unknown;
  bne(rs1: number, rs2: number, label: string): unknown;
  label(name: string): unknown;
}

export const SP = 2;
const RA = 1;

/** x8-x15, the registers of the 3-bit fields of CL/CS/CIW forms (is_creg). */
const isCreg = (r: number) => r >= 8 && r <= 15;
const isInt = (bits: number, v: number) => v >= -(2 ** (bits - 1)) && v < 2 ** (bits - 1);
const isUint = (bits: number, v: number) => v >= 0 && v < 2 ** bits;

export class JitEmit {
  constructor(
    readonly a: TrampEmitter,
    /** CONFIG_RISCV_ISA_C: the kernel (and its JIT) may use compressed instructions. */
    readonly rvc: boolean,
  ) {}

  /** emit_sd(rs1, off, rs2): sd rs2, off(rs1). */
  sd(rs2: number, off: number, rs1: number): void {
    if (this.rvc && rs1 === SP && isUint(9, off) && (off & 7) === 0) this.a.insn('c.sdsp', { crs2: rs2, c_uimm9sp_s: off });
    else if (this.rvc && isCreg(rs1) && isCreg(rs2) && isUint(8, off) && (off & 7) === 0) this.a.insn('c.sd', { crs2p: rs2, crs1p: rs1, c_uimm8: off });
    else this.a.insn('sd', { rs2, rs1, simm12: off });
  }

  /** emit_ld(rd, off, rs1): ld rd, off(rs1). */
  ld(rd: number, off: number, rs1: number): void {
    if (this.rvc && rs1 === SP && rd !== 0 && isUint(9, off) && (off & 7) === 0) this.a.insn('c.ldsp', { crd: rd, c_uimm9sp: off });
    else if (this.rvc && isCreg(rd) && isCreg(rs1) && isUint(8, off) && (off & 7) === 0) this.a.insn('c.ld', { crdp: rd, crs1p: rs1, c_uimm8: off });
    else this.a.insn('ld', { rd, rs1, imm12: off });
  }

  /** emit_addi(rd, rs, imm). */
  addi(rd: number, rs1: number, imm: number): void {
    if (this.rvc && rd === SP && rs1 === SP && isInt(10, imm) && imm !== 0 && (imm & 0xf) === 0) this.a.insn('c.addi16sp', { c_nzimm10: imm });
    else if (this.rvc && isCreg(rd) && rs1 === SP && isUint(10, imm) && (imm & 3) === 0 && imm !== 0) this.a.insn('c.addi4spn', { crdp: rd, c_nzuimm10: imm });
    else if (this.rvc && rd !== 0 && rd === rs1 && imm !== 0 && isInt(6, imm)) this.a.insn('c.addi', { crd: rd, c_imm6: imm });
    else this.a.insn('addi', { rd, rs1, imm12: imm });
  }

  /** emit_mv(rd, rs). */
  mv(rd: number, rs: number): void {
    if (this.rvc && rd !== 0 && rs !== 0) this.a.insn('c.mv', { crd: rd, crs2: rs });
    else this.a.insn('addi', { rd, rs1: rs, imm12: 0 });
  }

  /** emit_li(rd, imm) for a 12-bit imm. */
  li(rd: number, imm: number): void {
    if (this.rvc && rd !== 0 && isInt(6, imm)) this.a.insn('c.li', { crd: rd, c_imm6: imm });
    else this.a.insn('addi', { rd, rs1: 0, imm12: imm });
  }

  /** emit_lui(rd, upper): rd = sign-extended (upper << 12), upper in [-2^19, 2^19] (2^19 from emit_imm wraps to -2^31, as in the kernel). */
  lui(rd: number, upper: number): void {
    if (this.rvc && rd !== 0 && rd !== SP && isInt(6, upper) && upper !== 0) this.a.insn('c.lui', { crd: rd, c_nzimm18: upper * 4096 });
    else this.a.insn('lui', { rd, imm20: (upper * 4096) | 0 });
  }

  /** emit_addiw(rd, rs, imm). */
  addiw(rd: number, rs1: number, imm: number): void {
    if (this.rvc && rd !== 0 && rd === rs1 && isInt(6, imm)) this.a.insn('c.addiw', { crd: rd, c_imm6: imm });
    else this.a.insn('addiw', { rd, rs1, imm12: imm });
  }

  /** emit_slli(rd, rs, shamt). */
  slli(rd: number, rs1: number, shamt: number): void {
    if (this.rvc && rd !== 0 && rd === rs1 && shamt !== 0 && shamt < 64) this.a.insn('c.slli', { crd: rd, c_shamt: shamt });
    else this.a.insn('slli', { rd, rs1, shamt6: shamt });
  }

  /** emit_jalr(rd, rs, imm). */
  jalr(rd: number, rs1: number, imm: number): void {
    if (this.rvc && rd === RA && rs1 !== 0 && imm === 0) this.a.insn('c.jalr', { crd: rs1 });
    else if (this.rvc && rd === 0 && rs1 !== 0 && imm === 0) this.a.insn('c.jr', { crd: rs1 });
    else this.a.insn('jalr', { rd, rs1, imm12: imm });
  }

  /** emit(rv_nop()): always the 4-byte nop (a slot for a later branch or auipc/jalr). */
  nop(): void {
    this.a.insn('addi', { rd: 0, rs1: 0, imm12: 0 });
  }

  /**
   * emit_imm: a 64-bit constant the way the JIT loads it. A 32-bit value is lui + addiw (addiw
   * even when the low 12 bits are zero), or li when it fits 12 bits. Otherwise the constant
   * without its low 12 bits, shifted down past its trailing zeros, is loaded recursively, then
   * slli and (when the low bits are not zero) addi. The length depends on the value; see
   * IMM_MAX_COUNT.
   */
  imm(rd: number, value: bigint): void {
    const v = BigInt.asIntN(64, value);
    if (v >= -0x80000000n && v < 0x80000000n) {
      // The usual case (kernel addresses are sign-extended 32-bit values), with numbers.
      const n = Number(v);
      const lower = (n << 20) >> 20;
      const upper = Math.floor((n + 0x800) / 4096);
      if (upper === 0) {
        this.li(rd, lower);
        return;
      }
      this.lui(rd, upper);
      this.addiw(rd, rd, lower);
      return;
    }
    const lower = Number(BigInt.asIntN(12, v));
    // s64 arithmetic as in the kernel (built with -fno-strict-overflow): val + 2^11 wraps.
    let up = BigInt.asIntN(64, v + 0x800n) >> 12n;
    let shift = 0;
    while ((up & 1n) === 0n) {
      up >>= 1n;
      shift++;
    }
    this.imm(rd, up);
    this.slli(rd, rd, shift + 12);
    if (lower !== 0) this.addi(rd, rd, lower);
  }
}

/** A constant whose emit_imm sequence is the longest (8 instructions, 32 bytes without RVC). */
export const IMM_MAX_COUNT = 0x7fff7ff7ff7ff7ffn;
