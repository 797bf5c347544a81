/**
 * Generated test functions as data: a signature (up to 12 arguments of C types, a return
 * type) and a frame shape (frameless leaf, or a frame record with callee-saved registers,
 * locals, padding and an optional call to a later function of the module). Everything else is
 * derived: the psABI words a caller passes, the BTF model the kernel sees, the argument list a
 * BPF program declares, and (body.ts / model.ts) the machine code and its TypeScript model.
 *
 * Data only, no kernel: a case must be printable, shrinkable and replayable.
 */
import type { FuncModel, CType } from '../../../kernel/bpf/btf';
import type { ArgSpec, ScalarType, StructType } from '../../../kernel/bpf/runtime/types';
import { extend } from '../../../kernel/bpf/runtime/types';

/** Argument C types: `char` is signed, as BTF and the BPF programs read it; struct16 is
 *  `struct { u64 lo; u64 hi; }` passed by value (two slots: a register pair, split across a7
 *  and the stack, or on the stack). */
export type ArgKind = 'char' | 'short' | 'int' | 'long' | 'u64' | 'ptr' | 'struct16';
export type RetKind = Exclude<ArgKind, 'struct16'> | 'void';

export const ARG_KINDS: readonly ArgKind[] = ['char', 'short', 'int', 'long', 'u64', 'ptr', 'struct16'];
export const RET_KINDS: readonly RetKind[] = ['char', 'short', 'int', 'long', 'u64', 'ptr', 'void'];

/** The argument slots the generators give a function (0-12). */
export const MAX_SLOTS = 12;
/**
 * The most arguments a generated function may have: MAX_BPF_FUNC_ARGS, the kernel's limit
 * since v6.11, which counts arguments; twelve 16-byte structs take 24 slots.
 */
export const MAX_ARGS = 12;
/** The most argument slots MAX_ARGS arguments take. */
export const MAX_ARG_SLOTS = 2 * MAX_ARGS;
/** Callee-saved registers a body may use besides s0 (s1..s11). */
export const MAX_SAVED = 11;
export const MAX_LOCALS = 6;
export const MAX_PAD = 1024;
/**
 * The most functions a module may have (the generators make up to 4). A chain of calls
 * through all of them, every frame as large as allowed and every function traced, must fit
 * a 16 KiB kernel stack: 8 does on every profile, 12 does not (checked with `rvtramp replay`).
 */
export const MAX_FUNCTIONS = 8;

export interface GenFunc {
  readonly args: readonly ArgKind[];
  readonly ret: RetKind;
  /** 'none': a frameless leaf (no stack use at all); 'fp': ra/s0 frame record like the kernel's -fno-omit-frame-pointer code. */
  readonly frame: 'none' | 'fp';
  /** s1..s<saved> are saved, used and restored ('fp' only). */
  readonly saved: number;
  /** 8-byte local stack slots written and read back ('fp' only). */
  readonly locals: number;
  /** Extra frame bytes (multiple of 16) ('fp' only). */
  readonly pad: number;
  /** Index of a later function of the module this one calls ('fp' only; needs saved or locals
   *  to keep its state across the call). */
  readonly callee?: number;
  /** The hash's starting value. */
  readonly salt: bigint;
}

export interface GenModule {
  readonly functions: readonly GenFunc[];
}

/** An argument's value as a C caller writes it: a scalar, or a struct16's two halves. */
export type ArgValue = bigint | readonly [bigint, bigint];

export const MODULE_NAME = 'rvt_gen';
export const fnName = (i: number): string => `rvt_gen_f${i}`;
/** The data object a function's body writes: { u64 hash; u64 runs; }. */
export const outName = (i: number): string => `rvt_gen_f${i}_out`;
/** The label right after a function's call to its callee (the callee's return address). */
export const retLabel = (i: number): string => `rvt_gen_f${i}__ret`;

export const slotsOfKind = (k: ArgKind): number => (k === 'struct16' ? 2 : 1);
export const slotCount = (f: GenFunc): number => f.args.reduce((n, k) => n + slotsOfKind(k), 0);

const M64 = (1n << 64n) - 1n;
export const u64 = (v: bigint): bigint => v & M64;

/** The C value range of a scalar kind. */
export function scalarOf(k: Exclude<ArgKind, 'struct16'> | 'void'): ScalarType {
  return k === 'void' ? 'u64' : k;
}

/** The register word a psABI caller passes for a scalar: extended by the type's signedness. */
export function scalarWord(k: Exclude<ArgKind, 'struct16'>, v: bigint): bigint {
  return u64(extend(k, v));
}

/** The words (a0.., then the stack) a caller passes for these argument values. */
export function argWords(f: GenFunc, values: readonly ArgValue[]): bigint[] {
  if (values.length !== f.args.length) throw new Error(`argWords: ${f.args.length} arguments, ${values.length} values`);
  const out: bigint[] = [];
  f.args.forEach((k, i) => {
    const v = values[i]!;
    if (k === 'struct16') {
      if (typeof v === 'bigint') throw new Error(`argWords: argument ${i} is a struct16, got a scalar`);
      out.push(u64(v[0]), u64(v[1]));
    } else {
      if (typeof v !== 'bigint') throw new Error(`argWords: argument ${i} is ${k}, got a struct`);
      out.push(scalarWord(k, v));
    }
  });
  return out;
}

/** The C values of a function's arguments given the words it received. */
export function argValues(f: GenFunc, words: readonly bigint[]): ArgValue[] {
  const out: ArgValue[] = [];
  let w = 0;
  for (const k of f.args) {
    if (k === 'struct16') {
      out.push([words[w]!, words[w + 1]!]);
      w += 2;
    } else out.push(extend(k, words[w++]!));
  }
  return out;
}

export const STRUCT16: StructType = { struct: 'rvt_gen_s16', fields: [['lo', 'u64'], ['hi', 'u64']] };
const STRUCT16_BTF: CType = { struct: 'rvt_gen_s16', size: 16 };

/** What BTF says about generated function i. */
export function funcModel(f: GenFunc, i: number): FuncModel {
  return {
    name: fnName(i),
    ret: f.ret === 'void' ? 'void' : f.ret,
    args: f.args.map((k, j) => ({ name: `x${j}`, type: k === 'struct16' ? STRUCT16_BTF : k })),
  };
}

/** The arguments as a BPF program declares them (BPF_PROG(name, ...)). */
export function progArgs(f: GenFunc): ArgSpec[] {
  return f.args.map((k, j) => ({ name: `x${j}`, type: k === 'struct16' ? STRUCT16 : k }));
}

/** Checks the invariants the emitter relies on; returns the problem, if any. */
export function checkModule(m: GenModule): string | undefined {
  if (m.functions.length === 0) return 'a module needs at least one function';
  if (m.functions.length > MAX_FUNCTIONS) return `${m.functions.length} functions (at most ${MAX_FUNCTIONS})`;
  for (const [i, f] of m.functions.entries()) {
    const at = `${fnName(i)}`;
    if (f.args.length > MAX_ARGS) return `${at}: ${f.args.length} arguments (at most ${MAX_ARGS})`;
    if (f.frame === 'none' && (f.saved !== 0 || f.locals !== 0 || f.pad !== 0 || f.callee !== undefined)) return `${at}: a frameless leaf has no saved registers, locals, padding or callee`;
    if (f.saved < 0 || f.saved > MAX_SAVED) return `${at}: saved ${f.saved}`;
    if (f.locals < 0 || f.locals > MAX_LOCALS) return `${at}: locals ${f.locals}`;
    if (f.pad < 0 || f.pad > MAX_PAD || f.pad % 16 !== 0) return `${at}: pad ${f.pad}`;
    if (f.callee !== undefined) {
      if (!(f.callee > i && f.callee < m.functions.length)) return `${at}: callee ${f.callee} must be a later function`;
      if (f.saved === 0 && f.locals === 0) return `${at}: a non-leaf needs s1 or a local slot to keep its hash across the call`;
    }
  }
  return undefined;
}

/** `int rvt_gen_f0(char x0, struct rvt_gen_s16 x1)`, for failure messages. */
export function signature(f: GenFunc, i: number): string {
  const c = (k: ArgKind | RetKind) => (k === 'struct16' ? 'struct rvt_gen_s16' : k === 'ptr' ? 'void *' : k);
  return `${c(f.ret)} ${fnName(i)}(${f.args.map((k, j) => `${c(k)} x${j}`).join(', ') || 'void'})`;
}

/** A readable value list: `(1, -2, {0x1, 0x2})`. */
export function showValues(vs: readonly ArgValue[]): string {
  return `(${vs.map((v) => (typeof v === 'bigint' ? String(v) : `{0x${v[0].toString(16)}, 0x${v[1].toString(16)}}`)).join(', ')})`;
}
