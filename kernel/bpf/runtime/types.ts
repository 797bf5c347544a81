/**
 * C types of traced-function arguments, as a BPF tracing program sees them through its ctx:
 * every argument occupies whole u64 slots (a struct of up to 16 bytes passed by value takes
 * one or two), and a program reads only the bytes its type covers, then extends them by the
 * type's signedness. So an `int` argument is the low 32 bits of its slot, sign-extended,
 * whatever the upper half holds (the psABI sign-extends ints in registers, but a program
 * must not depend on it: the upstream tests cast to `(int)` for that reason).
 *
 * `char` is signed, as it is for the BPF target the programs are compiled for.
 */

export type ScalarType =
  | 'char' | 's8' | 'u8' | 'bool'
  | 'short' | 's16' | 'u16'
  | 'int' | 's32' | 'u32'
  | 'long' | 's64' | 'u64'
  | 'ptr';

export interface StructType {
  readonly struct: string;
  /** Fields in declaration order; laid out with natural alignment as C does. */
  readonly fields: readonly (readonly [name: string, type: ScalarType])[];
}

export type ArgType = ScalarType | StructType;

export interface ArgSpec {
  readonly name: string;
  readonly type: ArgType;
}

interface ScalarInfo {
  readonly size: 1 | 2 | 4 | 8;
  readonly signed: boolean;
}

const SCALARS: Readonly<Record<ScalarType, ScalarInfo>> = {
  char: { size: 1, signed: true },
  s8: { size: 1, signed: true },
  u8: { size: 1, signed: false },
  bool: { size: 1, signed: false },
  short: { size: 2, signed: true },
  s16: { size: 2, signed: true },
  u16: { size: 2, signed: false },
  int: { size: 4, signed: true },
  s32: { size: 4, signed: true },
  u32: { size: 4, signed: false },
  long: { size: 8, signed: true },
  s64: { size: 8, signed: true },
  u64: { size: 8, signed: false },
  ptr: { size: 8, signed: false },
};

export function isScalar(t: ArgType): t is ScalarType {
  return typeof t === 'string';
}

export function scalarInfo(t: ScalarType): ScalarInfo {
  const i = SCALARS[t];
  if (!i) throw new Error(`bpf: unknown C type '${String(t)}'`);
  return i;
}

/** The value of a `t` held in the low bytes of `raw`, extended by t's signedness. */
export function extend(t: ScalarType, raw: bigint): bigint {
  const { size, signed } = scalarInfo(t);
  return signed ? BigInt.asIntN(size * 8, raw) : BigInt.asUintN(size * 8, raw);
}

export interface FieldLayout {
  readonly name: string;
  readonly type: ScalarType;
  readonly offset: number;
}

export interface StructLayout {
  readonly size: number;
  readonly align: number;
  readonly fields: readonly FieldLayout[];
}

/** C layout of a struct: each field at its natural alignment, size rounded to the largest. */
export function structLayout(t: StructType): StructLayout {
  let off = 0;
  let align = 1;
  const fields: FieldLayout[] = [];
  for (const [name, type] of t.fields) {
    const { size } = scalarInfo(type);
    off = Math.ceil(off / size) * size;
    fields.push({ name, type, offset: off });
    off += size;
    align = Math.max(align, size);
  }
  return { size: Math.max(Math.ceil(off / align) * align, 0), align, fields };
}

/** Bytes an argument of type t occupies when passed (a scalar: its size; a struct: its size). */
export function typeSize(t: ArgType): number {
  return isScalar(t) ? scalarInfo(t).size : structLayout(t).size;
}

/**
 * u64 slots an argument takes in the trampoline's argument array (round_up(size, 8) / 8).
 * Structs larger than 16 bytes are passed by reference by the psABI and the trampoline does
 * not accept them by value: an error here.
 */
export function slotsOf(t: ArgType): number {
  const size = typeSize(t);
  if (!isScalar(t) && (size === 0 || size > 16)) {
    throw new Error(`bpf: struct ${t.struct} is ${size} bytes: only 1..16-byte structs are passed by value in argument slots`);
  }
  return Math.ceil(size / 8);
}

export interface ArgLayout extends ArgSpec {
  /** First slot index in the ctx. */
  readonly slot: number;
  readonly slots: number;
}

/** Slot positions of a declared argument list, and the total (nregs). */
export function argLayout(args: readonly ArgSpec[]): { readonly args: readonly ArgLayout[]; readonly slots: number } {
  const seen = new Set<string>();
  let slot = 0;
  const out: ArgLayout[] = [];
  for (const a of args) {
    if (seen.has(a.name)) throw new Error(`bpf: argument '${a.name}' declared twice`);
    seen.add(a.name);
    const n = slotsOf(a.type);
    out.push({ ...a, slot, slots: n });
    slot += n;
  }
  return { args: out, slots: slot };
}

/** `n` u64 arguments named a0, a1, ... (the upstream all-__u64 "raw" program variants). */
export function rawArgs(n: number): ArgSpec[] {
  return Array.from({ length: n }, (_, i) => ({ name: `a${i}`, type: 'u64' as const }));
}

/** Little-endian value of `size` bytes of `bytes` at `off`. */
export function readLe(bytes: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[off + i] ?? 0);
  return v;
}
