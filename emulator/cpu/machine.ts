/**
 * A machine: one memory shared by one or more harts, plus the instrumentation that applies to
 * every hart: code hooks and host calls (TypeScript functions bound to guest addresses).
 */
import { Memory, PAGE_SIZE } from '../memory/memory';
import { Hart, type HartOptions } from './hart';
import { Op, JUMP, type Handler } from './op';
import { StopSignal } from './trap';
import { toBig, toNum, pairToNum } from '../memory/address';

/** psABI caller-saved registers a callee may clobber (besides the return value registers). */
const TEMPS = [5, 6, 7, 28, 29, 30, 31]; // t0-t6
const ARGS = [10, 11, 12, 13, 14, 15, 16, 17]; // a0-a7

/** The value a host call leaves in a clobbered register: recognisable in a register dump. */
export function poisonValue(reg: number): bigint {
  return 0xdead_beef_0000_0000n | BigInt(reg);
}
/** poisonValue's high half as the hart stores it (the low half is the register number). */
const POISON_HI = 0xdead_beef | 0;

export interface HostCallOptions {
  /** Poison caller-saved registers the callee may clobber (default true). */
  readonly poison?: boolean;
  /** How many of a0/a1 carry the return value and are kept (default 1). */
  readonly returns?: 0 | 1 | 2;
  /**
   * Registers the host function writes as results (with hart.setReg, or a0 through its return
   * value), which poisoning leaves alone. Default: from `returns` ([] / [a0] / [a0, a1]).
   * Example: a BPF program body returns in both a0 and a5 (BPF R0): `outputs: [10, 15]`.
   */
  readonly outputs?: readonly number[];
  readonly name?: string;
}

/**
 * A host function: reads arguments from the hart, may return a value for a0. Throw
 * StopSignal to stop the run (e.g. a BUG()).
 */
export type HostFn = (hart: Hart) => bigint | void;

/** A code hook: runs before the instruction at a hooked address executes. */
export type CodeHook = (hart: Hart, pc: bigint) => void;

interface HookRange {
  readonly start: number;
  readonly end: number;
  readonly fn: CodeHook;
}

/**
 * The handler of an op with code hooks: runs them (the list as it was when the op started,
 * even if a hook adds or removes hooks here), then the op's own handler.
 */
const runHooked: Handler = (hart, op) => {
  const pc = op.hookPc!;
  for (const fn of op.hooks!) fn(hart, pc);
  return op.inner(hart, op);
};

/** The registers a host call poisons: t0-t6 and a0-a7, except its outputs. */
export function clobberedBy(opts: HostCallOptions): number[] {
  const outputs = opts.outputs ?? ARGS.slice(0, opts.returns ?? 1);
  return [...TEMPS, ...ARGS].filter((r) => !outputs.includes(r));
}

/**
 * The handler of a host call: runs fn, sets a0 from its result, poisons what fn may clobber
 * and returns through ra. Built once per host call (every op decoded at its address shares
 * it); the poison is written as register halves, without a bigint per register.
 */
function hostHandler(fn: HostFn, opts: HostCallOptions): Handler {
  const clobbered = (opts.poison ?? true) ? clobberedBy(opts) : [];
  return (hart) => {
    const ret = fn(hart);
    if (typeof ret === 'bigint') hart.setReg(10, ret);
    for (const r of clobbered) {
      hart.L[r] = r;
      hart.H[r] = POISON_HI;
    }
    const ra = pairToNum(hart.H[1]!, hart.L[1]!);
    hart.jumpPc = ra - (ra & 1);
    return JUMP;
  };
}

export class Machine {
  readonly memory = new Memory();
  readonly harts: Hart[] = [];
  private readonly hostCalls = new Map<number, { readonly opts: HostCallOptions; readonly h: Handler }>();
  private hooks: HookRange[] = [];

  addHart(opts: HartOptions = {}): Hart {
    const h = new Hart(this, { ...opts, hartId: opts.hartId ?? this.harts.length });
    this.harts.push(h);
    return h;
  }

  /** Binds a host function to `addr`: a call that reaches it runs fn and returns through ra. */
  addHostCall(addr: bigint, fn: HostFn, opts: HostCallOptions = {}): void {
    this.hostCalls.set(toNum(addr), { opts, h: hostHandler(fn, opts) });
    this.invalidate(addr, 4);
  }

  hostCallAt(addr: bigint): string | undefined {
    const hc = this.hostCalls.get(toNum(addr));
    return hc ? hc.opts.name ?? 'host' : undefined;
  }

  /** Runs fn before each instruction in [start, end) executes. Returns a remover. */
  addCodeHook(start: bigint, end: bigint, fn: CodeHook): () => void {
    const h: HookRange = { start: toNum(start), end: toNum(end), fn };
    this.hooks.push(h);
    // Already decoded instructions are re-instrumented where they are (no page is decoded again).
    for (const hart of this.harts) hart.reinstrument(h.start, h.end);
    return () => {
      this.hooks = this.hooks.filter((x) => x !== h);
      for (const hart of this.harts) hart.reinstrument(h.start, h.end);
    };
  }

  private invalidate(addr: bigint, len: number): void {
    for (const h of this.harts) h.invalidate(addr, Math.max(len, PAGE_SIZE));
  }

  /** Applies host calls and code hooks to a freshly decoded op. */
  instrument(o: Op): Op {
    const hc = this.hostCalls.get(o.pc);
    if (hc) o.h = o.inner = hc.h;
    return this.applyHooks(o);
  }

  /**
   * Puts the code hooks covering o.pc on the op, and runHooked in front of its own handler
   * (o.h is o.inner when this is called). One shared handler, not a closure per hooked op.
   */
  applyHooks(o: Op): Op {
    // Most ops are outside every hook: find the ones covering o.pc without allocating.
    let hooks: CodeHook[] | null = null;
    for (const x of this.hooks) if (o.pc >= x.start && o.pc < x.end) (hooks ??= []).push(x.fn);
    o.hooks = hooks;
    if (hooks !== null) {
      o.hookPc ??= toBig(o.pc); // once per op, not per execution
      o.h = runHooked;
    }
    return o;
  }
}

export { StopSignal };
