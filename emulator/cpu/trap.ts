/** Traps and run results: discriminated unions, never magic numbers. */
import type { Ext } from '../isa/entry';

export type Trap =
  | { readonly kind: 'illegal-instruction'; readonly pc: bigint; readonly word: number; readonly size: 2 | 4 }
  | { readonly kind: 'unsupported-extension'; readonly pc: bigint; readonly word: number; readonly ext: Ext; readonly name: string }
  | { readonly kind: 'misaligned-fetch'; readonly pc: bigint; readonly target: bigint }
  | { readonly kind: 'misaligned-access'; readonly pc: bigint; readonly access: 'load' | 'store'; readonly addr: bigint }
  | { readonly kind: 'access-fault'; readonly pc: bigint; readonly access: 'load' | 'store' | 'fetch'; readonly addr: bigint; readonly reason: 'unmapped' | 'permission' }
  | { readonly kind: 'ecall'; readonly pc: bigint }
  | { readonly kind: 'ebreak'; readonly pc: bigint };

export type RunResult =
  | { readonly kind: 'trap'; readonly trap: Trap }
  /** The instruction budget (watchdog) ran out; pc is the next instruction to execute. */
  | { readonly kind: 'budget'; readonly pc: bigint }
  /** A hook or host call asked the hart to stop; pc is where execution would continue. */
  | { readonly kind: 'stop'; readonly reason: string; readonly pc: bigint };

/** Thrown inside the emulator to unwind to the run loop; never escapes run(). */
export class TrapSignal {
  constructor(readonly trap: Trap) {}
}

/** Thrown by a hook or host call to stop the run loop cleanly. */
export class StopSignal {
  constructor(readonly reason: string, readonly pc?: bigint) {}
}

export function exhaustive(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}

/** One line describing a trap, e.g. for CLI errors. */
export function describeTrap(t: Trap): string {
  const h = (v: bigint) => '0x' + v.toString(16);
  switch (t.kind) {
    case 'illegal-instruction': return `illegal instruction ${t.size === 2 ? t.word.toString(16).padStart(4, '0') : t.word.toString(16).padStart(8, '0')} at pc ${h(t.pc)}`;
    case 'unsupported-extension': return `unsupported extension ${t.ext} (${t.name}) at pc ${h(t.pc)}`;
    case 'misaligned-fetch': return `misaligned instruction fetch of ${h(t.target)} from pc ${h(t.pc)}`;
    case 'misaligned-access': return `misaligned atomic ${t.access} at ${h(t.addr)} (pc ${h(t.pc)})`;
    case 'access-fault': return `${t.access} access fault at ${h(t.addr)} (${t.reason}) from pc ${h(t.pc)}`;
    case 'ecall': return `ecall at pc ${h(t.pc)}`;
    case 'ebreak': return `ebreak at pc ${h(t.pc)}`;
    default: return exhaustive(t);
  }
}
