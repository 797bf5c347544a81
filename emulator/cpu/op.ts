/**
 * A predecoded instruction at one address. Everything the handler needs is computed once at
 * decode time: register indices (rd = 0 becomes the sink register 32, so handlers never test
 * for x0), the sign-extended immediate as lo/hi halves, and pc-relative results (branch and
 * jump targets, auipc values, link addresses), since the op belongs to its address.
 */
import type { Hart } from './hart';
import type { Trace } from './translate/trace';

/**
 * Executes one instruction and says where control goes: to `o.next` (NEXT), to the
 * precomputed `o.target` (TAKEN), or to the address the handler left in `h.jumpPc` (JUMP).
 * Returning a small integer (not an address) keeps the run loop free of double arithmetic.
 */
export type Handler = (h: Hart, o: Op) => Flow;
export type Flow = 0 | 1 | 2;
export const NEXT: Flow = 0;
export const TAKEN: Flow = 1;
export const JUMP: Flow = 2;

/** A code hook as an op holds it: called with the hart and the op's pc before the op runs. */
export type OpHook = (h: Hart, pc: bigint) => void;

/** Index of the register that absorbs writes to x0. */
export const SINK = 32;
const NO_U8 = new Uint8Array(0);
const NO_I32 = new Int32Array(0);

export class Op {
  h: Handler;
  /** The handler an instrumentation wrapper (hook, trace) calls after itself. */
  inner: Handler;
  rd = SINK;
  rs1 = 0;
  rs2 = 0;
  /** Immediate (or precomputed value) low 32 bits, as int32. */
  imm = 0;
  /** Immediate high 32 bits (sign extension, or the high half of a precomputed value). */
  immHi = 0;
  /** Small extra operand: CSR number, shift amount, AMO flags. */
  aux = 0;
  /** Fall-through pc (pc + size) and taken target, as address numbers. */
  next: number;
  target = 0;
  /** `next` as register halves (the link value of jal/jalr). */
  nextLo: number;
  nextHi: number;
  /** Fast-path kind (fastpath.ts), or 0 to always call the handler. */
  k = 0;
  /** Cached successor ops within the same page (threaded dispatch); cleared when the page is dropped. */
  nOp: Op | null = null;
  tOp: Op | null = null;
  /**
   * Loads and stores: the page this op used last, copied from the memory's cache (its tags,
   * byte and word views), valid while the memory's cacheGen is cGen.
   */
  cLo = 0;
  cHi = 0;
  cGen = -1;
  cB: Uint8Array = NO_U8;
  cW: Int32Array = NO_I32;
  /** Block translator (translate/): the fast kind before this op became a block head (-1: not a head). */
  k0 = -1;
  /** Times this block head was entered by the interpreter; -1 once it was promoted or refused. */
  heat = 0;
  /** The translated trace starting at this op (fast kind TRACE_KIND). */
  tr: Trace | null = null;
  /** Code hooks covering this op, run before it (Machine.applyHooks); null when none. */
  hooks: readonly OpHook[] | null = null;
  /** pc as the bigint the hooks receive, made once for a hooked op. */
  hookPc: bigint | undefined = undefined;
  constructor(
    readonly pc: number,
    readonly size: 2 | 4,
    readonly word: number,
    readonly name: string,
    h: Handler,
  ) {
    this.h = h;
    this.inner = h;
    this.next = pc + size;
    this.nextLo = this.next | 0;
    this.nextHi = Math.floor(this.next / 4294967296) | 0;
  }
}
