/**
 * Calling kernel functions from the host, as a kernel caller would: arguments per the RV64
 * psABI (a0-a7, then 8-byte stack slots at sp), a 16-byte aligned kernel stack, and
 * recognisable values in every register the callee must preserve, checked on return.
 *
 * The callee returns to a sentinel host call (`kernel_call_return`) that stops the run; any
 * other way out (trap, a host call that stops the run, the instruction budget) is reported
 * as such.
 */
import type { Hart } from '../../emulator/cpu/hart';
import type { Machine } from '../../emulator/cpu/machine';
import { StopSignal, type Trap } from '../../emulator/cpu/trap';
import { hostCallArea } from './hostcalls';
import { mapKernelStack, type KernelStack } from './stack';

export const ABI_NAMES = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
] as const;
export type AbiReg = (typeof ABI_NAMES)[number];

/** Registers a callee must preserve (besides sp, checked separately): gp, tp, s0-s11. */
export const PRESERVED: readonly number[] = [3, 4, 8, 9, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];

/** gp, tp, s1-s11 on entry: `0x5a5a5a5a000000NN` with NN the register number. */
export function entryValue(reg: number): bigint {
  return 0x5a5a_5a5a_0000_0000n | BigInt(reg);
}

/** Argument and temporary registers the call does not use: `0xbadbad00000000NN`. */
export function unusedValue(reg: number): bigint {
  return 0xbad_bad0_0000_0000n | BigInt(reg);
}

export const RETURN_SENTINEL = 'kernel_call_return';
const STOP_REASON = 'kernel call returned to its sentinel';

export interface CallOptions {
  /** Instruction budget (watchdog); default 1,000,000. */
  readonly budget?: number;
  /** Stack top to use (16-byte aligned); default: a stack mapped once per hart. */
  readonly stack?: bigint;
  /** Record the last `trace` executed pcs (Hart.recentPcs) for a report. */
  readonly trace?: number;
}

export interface AbiViolation {
  readonly reg: AbiReg;
  readonly expected: bigint;
  readonly actual: bigint;
}

export type CallResult =
  | {
      readonly kind: 'returned';
      /** a0 as returned (64-bit, unsigned). */
      readonly value: bigint;
      readonly a1: bigint;
      /** sp, gp, tp, s0-s11 that were not preserved (empty when the ABI held). */
      readonly abi: readonly AbiViolation[];
      readonly instructions: number;
    }
  | { readonly kind: 'trap'; readonly trap: Trap; readonly instructions: number }
  /** A host call other than the return sentinel stopped the run (e.g. a BUG). */
  | { readonly kind: 'stop'; readonly reason: string; readonly pc: bigint; readonly instructions: number }
  /** The budget ran out; pc is the next instruction. */
  | { readonly kind: 'timeout'; readonly pc: bigint; readonly instructions: number };

/** The machine's return sentinel: a host call that stops the run. */
export function returnSentinel(machine: Machine): bigint {
  const area = hostCallArea(machine);
  if (area.has(RETURN_SENTINEL)) return area.addressOf(RETURN_SENTINEL);
  return area.add(
    RETURN_SENTINEL,
    () => {
      throw new StopSignal(STOP_REASON);
    },
    { poison: false },
  );
}

const stacks = new WeakMap<Hart, KernelStack>();

/** The kernel stack callKernel uses for a hart when none is given (mapped on first use). */
export function defaultStack(hart: Hart): KernelStack {
  let s = stacks.get(hart);
  if (!s) {
    s = mapKernelStack(hart.machine);
    stacks.set(hart, s);
  }
  return s;
}

/** Turns a signed or unsigned number into the 64-bit register value. */
function word(v: bigint): bigint {
  return BigInt.asUintN(64, v);
}

/**
 * Calls the function at fnAddr with `args` (64-bit words: the first 8 in a0-a7, the rest on
 * the stack at sp, sp+8, ...; narrow and struct arguments must already be laid out as the
 * psABI says) and runs until it returns to the sentinel, traps, stops or times out.
 *
 * On entry: ra = the sentinel, sp = 16-byte aligned, s0 = the stack top with a frame record
 * {fp 0, ra sentinel} below it (so a frame-pointer walk ends cleanly), gp/tp/s1-s11 =
 * entryValue(reg), unused argument and temporary registers = unusedValue(reg).
 */
export function callKernel(hart: Hart, fnAddr: bigint, args: readonly bigint[], opts: CallOptions = {}): CallResult {
  const machine = hart.machine;
  const mem = machine.memory;
  const sentinel = returnSentinel(machine);
  const top = opts.stack ?? defaultStack(hart).top;
  if (top % 16n !== 0n) throw new Error(`callKernel: stack top 0x${top.toString(16)} is not 16-byte aligned`);

  // Frame record of the (host) caller: [fp-16] = previous fp (none), [fp-8] = return address.
  const fp = top;
  mem.writeU(fp - 8n, 8, sentinel);
  mem.writeU(fp - 16n, 8, 0n);
  const onStack = args.slice(8);
  const area = BigInt(((onStack.length * 8 + 15) >> 4) << 4);
  const sp = fp - 16n - area;
  onStack.forEach((v, i) => mem.writeU(sp + BigInt(i * 8), 8, word(v)));

  for (let r = 5; r < 32; r++) hart.setReg(r, unusedValue(r));
  for (const r of PRESERVED) hart.setReg(r, entryValue(r));
  args.slice(0, 8).forEach((v, i) => hart.setReg(10 + i, word(v)));
  hart.setReg(1, sentinel);
  hart.setReg(2, sp);
  hart.setReg(8, fp);
  const expected = new Map<number, bigint>(PRESERVED.map((r) => [r, hart.reg(r)]));
  expected.set(2, sp);

  hart.pc = fnAddr;
  const before = hart.instret;
  const budget = opts.budget ?? 1_000_000;
  const r = opts.trace !== undefined ? hart.runTraced(budget, opts.trace) : hart.run(budget);
  const instructions = hart.instret - before;

  switch (r.kind) {
    case 'trap':
      return { kind: 'trap', trap: r.trap, instructions };
    case 'budget':
      return { kind: 'timeout', pc: r.pc, instructions };
    case 'stop': {
      if (r.reason !== STOP_REASON || r.pc !== sentinel) return { kind: 'stop', reason: r.reason, pc: r.pc, instructions };
      const abi: AbiViolation[] = [];
      for (const [reg, want] of [...expected].sort((a, b) => a[0] - b[0])) {
        const got = hart.reg(reg);
        if (got !== want) abi.push({ reg: ABI_NAMES[reg]!, expected: want, actual: got });
      }
      return { kind: 'returned', value: hart.reg(10), a1: hart.reg(11), abi, instructions };
    }
  }
}

/** a0 as a signed 32-bit int (C `int` return). */
export function asInt(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** a0 as a signed 64-bit value (C `long` / `ssize_t` return). */
export function asLong(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}
