/**
 * The oops report the kernel model prints when a run ends in a fault, a BUG/WARN, the
 * watchdog, or a broken psABI contract. It follows what a riscv Linux kernel prints (die(),
 * show_regs(), the frame-pointer backtrace, dump_kernel_instr), adapted to the simulation,
 * and adds what an emulator can show and a real kernel cannot: the last executed
 * instructions and a symbolized objdump listing around epc.
 *
 * The text is a pure function of the machine state and the input: no timestamps, no host
 * addresses, so it can be golden-tested and replayed.
 *
 *   Unable to handle kernel paging request at virtual address 00000000deadbeef
 *   Oops [#1]
 *   CPU: 0 Kernel: sled8-rvc
 *   Profile: ...                                     (when given)
 *   epc : bpf_fentry_test9+0x10/0x18
 *    ra : kernel_call_return+0x0/0x10
 *   epc : ffffffff800000e0 ra : ffffffff80800000 sp : ffffffc800004ff0
 *    ...                                             (31 registers, 3 a line, ABI names)
 *   badaddr: 00000000deadbeef cause: 000000000000000d (load page fault: not mapped)
 *   (poison) t0 t1 ...: ...                          (marker values, see markerOf)
 *   Call Trace:
 *   [<ffffffff800000e0>] bpf_fentry_test9+0x10/0x18
 *   Code: 0001 ... (4108) 0141
 *   Last 16 instructions (oldest first):
 *   Code around epc:
 *   ---[ end trace 0000000000000000 ]---
 */
import type { Hart } from '../../emulator/cpu/hart';
import { poisonValue } from '../../emulator/cpu/machine';
import { exhaustive, type Trap } from '../../emulator/cpu/trap';
import { XREG_NAMES } from '../../emulator/isa/regnames';
import { PAGE_SIZE, permString, type Memory } from '../../emulator/memory/memory';
import { entryValue, unusedValue, type AbiViolation, type CallResult } from '../image/call';
import type { Kallsyms } from '../image/kallsyms';
import { codeLine, hex16, listingAround, recentInstructions } from './code';
import { formatCallTrace, unwindHart, type Unwound } from './unwind';

export type OopsCause =
  /** The emulator trapped (fault, illegal instruction, ecall/ebreak...). */
  | { readonly kind: 'trap'; readonly trap: Trap }
  /** The instruction budget ran out: `instructions` were executed. */
  | { readonly kind: 'watchdog'; readonly instructions: number }
  /** BUG(): a host call or the kernel log reported one. `location` is `file:line` when known. */
  | { readonly kind: 'bug'; readonly message: string; readonly location?: string }
  /** WARN() that ended the run. */
  | { readonly kind: 'warn'; readonly message: string; readonly location?: string }
  /** A kernel call returned with registers it had to preserve changed; `fn` is the callee. */
  | { readonly kind: 'abi'; readonly violations: readonly AbiViolation[]; readonly fn?: bigint };

export interface OopsInput {
  readonly cause: OopsCause;
  /** The stopped hart: registers and pc as the run left them. */
  readonly hart: Hart;
  readonly kallsyms: Kallsyms;
  /** Memory to read (default the hart's). */
  readonly memory?: Memory;
  /** Hart.recentPcs() of a traced run (callKernel's `trace` option), oldest first. */
  readonly recentPcs?: readonly bigint[];
  /** How many of recentPcs to show (default 16). */
  readonly lastInstructions?: number;
  /** One line describing the kernel profile (`v6.5-direct-rfc: sled 8B auipc t0/jalr t0, ...`). */
  readonly profile?: string;
  /** Short kernel name for the CPU line (e.g. the image's layout). */
  readonly kernel?: string;
  /** Call-trace depth (default 32). */
  readonly maxFrames?: number;
  /** Top of the kernel stack, if known (bounds frame pointers). */
  readonly stackTop?: bigint;
}

// ---- marker values -------------------------------------------------------------------------------

export type MarkerKind = 'poison' | 'unused' | 'entry';

export interface Marker {
  readonly kind: MarkerKind;
  /** The register whose marker it is (it may sit in another register). */
  readonly reg: number;
}

const MARKERS: readonly [MarkerKind, (r: number) => bigint][] = [
  ['poison', poisonValue],
  ['unused', unusedValue],
  ['entry', entryValue],
];

/**
 * Which marker a value is: a host call's poison (`deadbeef000000NN`, a clobbered temporary),
 * callKernel's value for an argument/temporary the call did not use (`badbad00000000NN`),
 * or a callee-saved register's value on entry (`5a5a5a5a000000NN`).
 */
export function markerOf(v: bigint): Marker | undefined {
  const low = Number(v & 0xffffffffn);
  if (low > 31) return undefined;
  for (const [kind, f] of MARKERS) if (f(low) === v) return { kind, reg: low };
  return undefined;
}

const MARKER_TEXT: Record<MarkerKind, string> = {
  poison: 'deadbeef000000NN: clobbered by a host call (psABI caller-saved)',
  unused: 'badbad00000000NN: set by the kernel call, not written since',
  entry: '5a5a5a5a000000NN: callee-saved value from the caller',
};

/** `(poison) t0 t1 a0=t5: deadbeef000000NN: ...`, one line per kind present. */
function markerLines(regs: readonly bigint[]): string[] {
  const out: string[] = [];
  for (const [kind] of MARKERS) {
    const names: string[] = [];
    for (let r = 1; r < 32; r++) {
      const m = markerOf(regs[r]!);
      if (m?.kind !== kind) continue;
      names.push(m.reg === r ? XREG_NAMES[r]! : `${XREG_NAMES[r]}=${XREG_NAMES[m.reg]}`);
    }
    if (names.length > 0) out.push(`(${kind}) ${names.join(' ')}: ${MARKER_TEXT[kind]}`);
  }
  return out;
}

// ---- registers -------------------------------------------------------------------------------------

/** riscv __show_regs: epc, then x1..x31 three to a line with ABI names. */
export function registerDump(pc: bigint, regs: readonly bigint[]): string[] {
  const cells: [string, bigint][] = [['epc', pc], ...Array.from({ length: 31 }, (_, i) => [XREG_NAMES[i + 1]!, regs[i + 1]!] as [string, bigint])];
  const lines: string[] = [];
  for (let k = 0; k < cells.length; k += 3) {
    const row = cells.slice(k, k + 3).map(([n, v]) => `${n === 'epc' ? 'epc ' : ' ' + n.padEnd(3)}: ${hex16(v)}`);
    lines.push(row.join(''));
  }
  return lines;
}

// ---- causes ----------------------------------------------------------------------------------------

/** Supervisor cause codes (scause) for the traps the emulator reports. */
export const SCAUSE = {
  misalignedFetch: 0n,
  illegalInstruction: 2n,
  breakpoint: 3n,
  misalignedLoad: 4n,
  misalignedStore: 6n,
  ecallS: 9n,
  fetchPageFault: 12n,
  loadPageFault: 13n,
  storePageFault: 15n,
  /** Interrupt bit | supervisor timer: what a soft-lockup report is raised from. */
  timerInterrupt: (1n << 63n) | 5n,
} as const;

interface CauseInfo {
  /** Lines before the register dump (the headline first). */
  readonly head: string[];
  readonly code?: bigint;
  readonly badaddr?: bigint;
  readonly text: string;
}

function pageState(mem: Memory, addr: bigint): string {
  let perm: number | undefined;
  try {
    perm = mem.permAt(addr);
  } catch {
    perm = undefined;
  }
  return perm === undefined ? 'not mapped' : `page is ${permString(perm)}`;
}

const CUT = '------------[ cut here ]------------';

function causeInfo(c: OopsCause, pc: bigint, cpu: number, mem: Memory, k: Kallsyms): CauseInfo {
  switch (c.kind) {
    case 'trap':
      return trapInfo(c.trap, mem);
    case 'watchdog':
      return {
        head: [`watchdog: BUG: soft lockup - CPU#${cpu} stuck for ${c.instructions} instructions!`],
        code: SCAUSE.timerInterrupt,
        badaddr: 0n,
        text: `supervisor timer interrupt: instruction budget of ${c.instructions} exhausted`,
      };
    case 'bug': {
      const msg = c.message.replace(/^BUG: /, '');
      const head = [CUT];
      if (c.location !== undefined) head.push(`kernel BUG at ${c.location}!`);
      if (msg !== '') head.push(`BUG: ${msg}`);
      head.push('Kernel BUG [#1]');
      return { head, code: SCAUSE.breakpoint, badaddr: pc, text: 'breakpoint: BUG()' };
    }
    case 'warn': {
      const msg = c.message.replace(/^WARNING: /, '');
      const head = [CUT];
      if (msg !== '') head.push(msg);
      head.push(`WARNING: CPU: ${cpu} at ${c.location !== undefined ? c.location + ' ' : ''}${k.format(pc)}`);
      return { head, code: SCAUSE.breakpoint, badaddr: pc, text: 'breakpoint: WARN()' };
    }
    case 'abi': {
      const who = c.fn !== undefined ? k.symbolize(c.fn) ?? '0x' + c.fn.toString(16) : 'the called function';
      const head = [`BUG: ${who} returned with the psABI broken (registers it must preserve changed)`];
      for (const v of c.violations) {
        const m = markerOf(v.actual);
        head.push(` ${v.reg.padEnd(3)}: ${hex16(v.actual)} expected ${hex16(v.expected)}${m ? ` (${m.kind} of ${XREG_NAMES[m.reg]})` : ''}`);
      }
      return { head, text: 'none: the call returned to its caller' };
    }
    default:
      return exhaustive(c);
  }
}

function trapInfo(t: Trap, mem: Memory): CauseInfo {
  const oops = (what: string) => `Oops - ${what} [#1]`;
  const w = (word: number, size: number) => word.toString(16).padStart(size * 2, '0');
  switch (t.kind) {
    case 'access-fault': {
      const addr = t.addr;
      const what = addr < BigInt(PAGE_SIZE) ? 'NULL pointer dereference' : 'paging request';
      const kind = t.access === 'fetch' ? 'instruction' : t.access;
      const code = t.access === 'fetch' ? SCAUSE.fetchPageFault : t.access === 'load' ? SCAUSE.loadPageFault : SCAUSE.storePageFault;
      return {
        head: [`Unable to handle kernel ${what} at virtual address ${hex16(addr)}`, 'Oops [#1]'],
        code,
        badaddr: addr,
        text: `${kind} page fault: ${t.reason === 'unmapped' ? 'not mapped' : `permission, ${pageState(mem, addr)}`}`,
      };
    }
    case 'illegal-instruction':
      return { head: [oops('illegal instruction')], code: SCAUSE.illegalInstruction, badaddr: BigInt(t.word), text: `illegal instruction ${w(t.word, t.size)}` };
    case 'unsupported-extension':
      return {
        head: [oops('illegal instruction')],
        code: SCAUSE.illegalInstruction,
        badaddr: BigInt(t.word),
        text: `illegal instruction ${w(t.word, (t.word & 3) === 3 ? 4 : 2)}: ${t.name} needs extension ${t.ext}, which the emulator does not execute`,
      };
    case 'misaligned-fetch':
      return { head: [oops('instruction address misaligned')], code: SCAUSE.misalignedFetch, badaddr: t.target, text: `jump to misaligned ${hex16(t.target)}` };
    case 'misaligned-access':
      return t.access === 'load'
        ? { head: [oops('load address misaligned')], code: SCAUSE.misalignedLoad, badaddr: t.addr, text: 'misaligned atomic load' }
        : { head: [oops('store (or AMO) address misaligned')], code: SCAUSE.misalignedStore, badaddr: t.addr, text: 'misaligned atomic store (or AMO)' };
    case 'ecall':
      return { head: [oops('environment call from S-mode')], code: SCAUSE.ecallS, badaddr: 0n, text: 'ecall' };
    case 'ebreak':
      return { head: ['Kernel BUG [#1]'], code: SCAUSE.breakpoint, badaddr: t.pc, text: 'breakpoint: ebreak' };
    default:
      return exhaustive(t);
  }
}

/**
 * The cause of a callKernel result, or undefined when the call returned with the ABI intact.
 * A stop whose reason starts with `WARNING: ` is a WARN, any other stop a BUG.
 */
export function oopsCause(r: CallResult, fn?: bigint): OopsCause | undefined {
  switch (r.kind) {
    case 'trap':
      return { kind: 'trap', trap: r.trap };
    case 'timeout':
      return { kind: 'watchdog', instructions: r.instructions };
    case 'stop':
      return r.reason.startsWith('WARNING: ') ? { kind: 'warn', message: r.reason } : { kind: 'bug', message: r.reason };
    case 'returned':
      return r.abi.length === 0 ? undefined : { kind: 'abi', violations: r.abi, ...(fn !== undefined ? { fn } : {}) };
  }
}

/** The first line of the report (for one-line summaries). */
export function oopsHeadline(input: OopsInput): string {
  const mem = input.memory ?? input.hart.m;
  const info = causeInfo(input.cause, input.hart.pc, input.hart.hartId, mem, input.kallsyms);
  return info.head.find((l) => l !== CUT) ?? info.head[0]!;
}

export interface OopsReport {
  readonly text: string;
  readonly trace: Unwound | undefined;
}

/** The report as text, and the call trace it printed. */
export function buildOops(input: OopsInput): OopsReport {
  const { hart, kallsyms: k, cause } = input;
  const mem = input.memory ?? hart.m;
  const pc = hart.pc;
  const regs = hart.regs();
  const info = causeInfo(cause, pc, hart.hartId, mem, k);
  const out: string[] = [...info.head];
  out.push(`CPU: ${hart.hartId}${input.kernel !== undefined ? ` Kernel: ${input.kernel}` : ''}`);
  if (input.profile !== undefined) out.push(`Profile: ${input.profile}`);
  out.push(`epc : ${k.format(pc)}`, ` ra : ${k.format(regs[1]!)}`);
  out.push(...registerDump(pc, regs));
  const dash = '-'.repeat(16);
  out.push(`badaddr: ${info.badaddr !== undefined ? hex16(info.badaddr) : dash} cause: ${info.code !== undefined ? hex16(info.code) : dash} (${info.text})`);
  out.push(...markerLines(regs));

  let trace: Unwound | undefined;
  if (cause.kind === 'abi') out.push('Call Trace: (none: the call had returned)');
  else {
    const opts = { ...(input.maxFrames !== undefined ? { maxFrames: input.maxFrames } : {}), ...(input.stackTop !== undefined ? { stackTop: input.stackTop } : {}) };
    trace = unwindHart(hart, opts, mem);
    out.push(formatCallTrace(trace, k));
  }
  if (cause.kind !== 'abi') out.push(codeLine(mem, pc));

  const view = { kallsyms: k, exts: hart.exts };
  const recent = (input.recentPcs ?? []).slice(-(input.lastInstructions ?? 16));
  if (recent.length > 0) {
    out.push(`Last ${recent.length} instruction${recent.length === 1 ? '' : 's'} (oldest first):`);
    const hostCall = (a: bigint) => hart.machine.hostCallAt(a);
    out.push(...recentInstructions(mem, recent, cause.kind === 'abi' ? { ...view, hostCall } : { ...view, hostCall, mark: pc }));
  }

  // Where to list code: epc; after a return, the last instruction before it; for a jump to
  // nowhere, the jump.
  let focus: bigint | undefined = pc;
  let label = 'epc';
  if (cause.kind === 'abi' || mem.tryReadBytes(pc, 2) === undefined) {
    const before = [...recent].reverse().find((p) => p !== pc && mem.tryReadBytes(p, 2) !== undefined);
    focus = before;
    label = 'last executed';
  }
  if (focus !== undefined) {
    const l = listingAround(mem, focus, { ...view, markText: label, align: hart.alignMask === 1 ? 2 : 4 });
    out.push(`Code around ${label === 'epc' ? 'epc' : 'the last executed instruction'} (${k.format(focus)}):`, ...l.lines);
  } else out.push(`Code around epc: not mapped`);
  out.push('---[ end trace 0000000000000000 ]---');
  return { text: out.join('\n') + '\n', trace };
}

/** The oops report text (see the module comment). */
export function oopsReport(input: OopsInput): string {
  return buildOops(input).text;
}
