/**
 * Frame-pointer call trace, as the riscv kernel's walk_stackframe (CONFIG_FRAME_POINTER) does
 * it. The psABI frame record sits just below the frame pointer: [fp-8] = return address,
 * [fp-16] = the caller's fp.
 *
 * The walk, from the trapped registers (pc = epc, fp = s0, sp):
 * - a pc that is not kernel text ends the walk (it is not printed), except for the first one;
 * - a frame pointer is valid when it is 8-byte aligned and lies in [sp + 16, stack top];
 *   otherwise (0 at the outermost frame, or garbage) the walk ends;
 * - the next frame: sp = fp; pc = [fp-8]; fp = [fp-16]. For the first frame only, when
 *   [fp-8] is itself a valid frame pointer, the function is a leaf whose prologue saved only
 *   s0 (GCC: `addi sp,sp,-16; sd s0,8(sp); addi s0,sp,16`): the caller's fp is [fp-8] and the
 *   return address is still in the ra register.
 *
 * Two adaptations to the simulated kernel, both for the first frame only:
 * - Linux bounds a frame pointer by ALIGN(sp, THREAD_SIZE); our stacks are not THREAD_SIZE
 *   aligned, so the bound is the top of the stack sp is in (the end of the mapped pages above
 *   sp: every stack has an unmapped guard page above it), or `stackTop` when given;
 * - when epc is not text (a jump to nowhere) or is a host call (TypeScript helpers have no
 *   frame), the function was never entered, so its caller is ra with the same fp and sp.
 *   Linux prints nothing at all for the first case; we print epc and go on from ra.
 *
 * The walk ends normally at a zero frame pointer or at an `outermost` return address (the
 * simulated kernel's stack bottom: callKernel's return sentinel). It never throws: unreadable
 * memory, bad pointers and loops end it (fp must grow).
 */
import type { Hart } from '../../emulator/cpu/hart';
import { Memory, PAGE_SIZE, PERM_X } from '../../emulator/memory/memory';
import type { Kallsyms } from '../image/kallsyms';
import { hostCallArea } from '../image/hostcalls';
import { RETURN_SENTINEL } from '../image/call';

/** How a frame's pc was found. */
export type FrameSource =
  /** The trapped pc. */
  | 'epc'
  /** A frame record's return address ([fp-8]). */
  | 'frame'
  /** The ra register: the first function is a leaf that saved only fp, or was never entered. */
  | 'ra';

export interface Frame {
  readonly pc: bigint;
  /** The frame pointer in effect while this pc runs (s0 for the first frame). */
  readonly fp: bigint;
  readonly source: FrameSource;
}

/** Why the walk ended. 'end' is the normal end: a zero frame pointer. */
export type UnwindEnd = 'end' | 'bad-fp' | 'unreadable' | 'not-text' | 'max-frames';

export interface Unwound {
  readonly frames: readonly Frame[];
  readonly end: UnwindEnd;
  /** The value that ended the walk: the frame pointer, or the return address for 'not-text'. */
  readonly endValue?: bigint;
}

export interface UnwindRegs {
  readonly pc: bigint;
  readonly ra: bigint;
  readonly sp: bigint;
  /** s0 */
  readonly fp: bigint;
}

export interface UnwindOptions {
  /** Frames to return at most (default 32). */
  readonly maxFrames?: number;
  /** Highest valid frame pointer (the stack top); default: the end of the mapped run above sp. */
  readonly stackTop?: bigint;
  /** Kernel text test; default: executable memory. */
  readonly isText?: (pc: bigint) => boolean;
  /** Code without a frame of its own (called but never sets up fp); default: none. */
  readonly frameless?: (pc: bigint) => boolean;
  /** The bottom of the kernel stack: a return address there ends the walk after it is listed. */
  readonly outermost?: (pc: bigint) => boolean;
}

export const DEFAULT_MAX_FRAMES = 32;
/** How far above sp the default stack-top search looks (pages). */
const MAX_STACK_PAGES = 64;
const U64 = (v: bigint) => BigInt.asUintN(64, v);

/** The end of the run of mapped pages that holds sp (at most MAX_STACK_PAGES above it); sp when unmapped. */
export function stackTopAbove(mem: Memory, sp: bigint): bigint {
  const page = BigInt(PAGE_SIZE);
  let p = U64(sp) - (U64(sp) % page);
  if (!safeMapped(mem, p)) return U64(sp);
  for (let i = 0; i < MAX_STACK_PAGES && safeMapped(mem, p + page); i++) p += page;
  return p + page;
}

function safeMapped(mem: Memory, a: bigint): boolean {
  try {
    return mem.isMapped(a);
  } catch {
    return false;
  }
}

function readU64(mem: Memory, a: bigint): bigint | undefined {
  let b: Uint8Array | undefined;
  try {
    b = mem.tryReadBytes(a, 8);
  } catch {
    b = undefined;
  }
  if (!b) return undefined;
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

/** Executable memory: the default text test. */
export function executable(mem: Memory): (pc: bigint) => boolean {
  return (pc) => {
    try {
      return ((mem.permAt(U64(pc)) ?? 0) & PERM_X) !== 0;
    } catch {
      return false;
    }
  };
}

/** Walks the frame records from the given registers (see the module comment). */
export function unwind(mem: Memory, regs: UnwindRegs, opts: UnwindOptions = {}): Unwound {
  const max = opts.maxFrames ?? DEFAULT_MAX_FRAMES;
  const isText = opts.isText ?? executable(mem);
  const frameless = opts.frameless ?? (() => false);
  const outermost = opts.outermost ?? (() => false);
  const high = opts.stackTop ?? stackTopAbove(mem, regs.sp);
  const frames: Frame[] = [];
  let pc = U64(regs.pc);
  let fp = U64(regs.fp);
  let sp = U64(regs.sp);
  let source: FrameSource = 'epc';
  const valid = (f: bigint, s: bigint) => (f & 7n) === 0n && f >= s + 16n && f <= high;
  const done = (end: UnwindEnd, endValue?: bigint): Unwound => (endValue === undefined ? { frames, end } : { frames, end, endValue });

  for (;;) {
    const first = frames.length === 0;
    if (frames.length >= max) return done('max-frames');
    if (!first && !isText(pc)) return done('not-text', pc);
    frames.push({ pc, fp, source });
    if (!first && outermost(pc)) return done('end');
    let leafOk = first;
    if (first && (!isText(pc) || frameless(pc))) {
      const ra = U64(regs.ra);
      if (ra !== pc && isText(ra)) {
        // Never entered (or a frameless helper): the caller is ra, on the same frame.
        pc = ra;
        source = 'ra';
        continue;
      }
      leafOk = false;
    }
    if (!valid(fp, sp)) return done(fp === 0n ? 'end' : 'bad-fp', fp);
    const prevFp = readU64(mem, fp - 16n);
    const savedRa = readU64(mem, fp - 8n);
    if (prevFp === undefined || savedRa === undefined) return done('unreadable', fp);
    sp = fp;
    if (leafOk && valid(savedRa, sp)) {
      // A leaf that saved only s0: [fp-8] is the caller's fp, the return address is in ra.
      fp = savedRa;
      pc = U64(regs.ra);
      source = 'ra';
    } else {
      fp = prevFp;
      pc = savedRa;
      source = 'frame';
    }
  }
}

/** One trace line as riscv print_ip_sym prints it: `[<ffffffff80001234>] sym+0x8/0x1c`. */
export function formatFrame(pc: bigint, kallsyms: Kallsyms): string {
  return `[<${U64(pc).toString(16).padStart(16, '0')}>] ${kallsyms.format(pc)}`;
}

/**
 * The `Call Trace:` block: one line per frame, then a line saying why the walk stopped when
 * that was not the normal end (a zero frame pointer).
 */
export function formatCallTrace(u: Unwound, kallsyms: Kallsyms): string {
  const lines = ['Call Trace:', ...u.frames.map((f) => formatFrame(f.pc, kallsyms))];
  const h = (v: bigint | undefined) => (v === undefined ? '?' : U64(v).toString(16).padStart(16, '0'));
  switch (u.end) {
    case 'end':
      break;
    case 'bad-fp':
      lines.push(`(frame pointer ${h(u.endValue)} is not on the stack: trace ends here)`);
      break;
    case 'unreadable':
      lines.push(`(frame record below ${h(u.endValue)} is unreadable: trace ends here)`);
      break;
    case 'not-text':
      lines.push(`(return address ${h(u.endValue)} is not kernel text: trace ends here)`);
      break;
    case 'max-frames':
      lines.push(`(more than ${u.frames.length} frames: trace cut here)`);
      break;
  }
  return lines.join('\n');
}

/** `bpf_fentry_test1+0x8 <- bpf_trampoline_6442 <- bpf_prog_test_run_tracing+0x2c`: for one-line summaries. */
export function callTraceLine(u: Unwound, kallsyms: Kallsyms): string {
  return u.frames.map((f) => kallsyms.symbolize(f.pc) ?? '0x' + U64(f.pc).toString(16)).join(' <- ');
}

/** Host-call slots of the hart's machine: code without a frame. */
export function hostCallFrameless(hart: Hart): (pc: bigint) => boolean {
  const entries = hostCallArea(hart.machine).entries();
  return (pc) => {
    const a = U64(pc);
    return hart.machine.hostCallAt(a) !== undefined || entries.some((e) => a >= e.addr && a < e.addr + BigInt(e.size));
  };
}

/**
 * unwind() from a stopped hart's registers, with host calls as frameless code and callKernel's
 * return sentinel as the outermost frame (its own frame record below the stack top would
 * list it twice).
 */
export function unwindHart(hart: Hart, opts: UnwindOptions = {}, mem: Memory = hart.m): Unwound {
  const area = hostCallArea(hart.machine);
  const sentinel = area.has(RETURN_SENTINEL) ? area.addressOf(RETURN_SENTINEL) : undefined;
  return unwind(
    mem,
    { pc: hart.pc, ra: hart.reg(1), sp: hart.reg(2), fp: hart.reg(8) },
    { frameless: hostCallFrameless(hart), outermost: (pc) => pc === sentinel, ...opts },
  );
}
