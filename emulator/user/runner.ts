/**
 * User-mode runner for static riscv64 Linux ELF executables: loads PT_LOAD segments, builds
 * the initial stack (argc, argv, envp, auxv) as the Linux ELF loader lays it out, and serves
 * the few system calls a freestanding test program needs (write, exit, exit_group, brk).
 * Anything else ends the run with a one-line error naming the syscall and pc.
 */
import { Machine } from '../cpu/machine';
import type { Hart, HartOptions } from '../cpu/hart';
import { describeTrap, exhaustive, type RunResult, type Trap } from '../cpu/trap';
import { readElf, PT_LOAD, type ElfFile } from '../elf/reader';
import { PAGE_SIZE, PERM_R, PERM_W, PERM_X } from '../memory/memory';
import { hex } from '../memory/address';

export const SYS = { write: 64, exit: 93, exit_group: 94, brk: 214 } as const;

/**
 * Names of system calls a program may make that the runner does not serve, for the error
 * message: the ones a C library's start-up makes first (glibc's static start-up begins with
 * set_tid_address), and the common file and memory calls.
 */
const UNSERVED: ReadonlyMap<bigint, string> = new Map(
  Object.entries({
    ioctl: 29, openat: 56, close: 57, read: 63, writev: 66, readlinkat: 78, newfstatat: 79, fstat: 80,
    set_tid_address: 96, set_robust_list: 99, nanosleep: 101, clock_gettime: 113, tgkill: 131,
    rt_sigaction: 134, rt_sigprocmask: 135, uname: 160, getpid: 172, gettid: 178, munmap: 215,
    mmap: 222, mprotect: 226, prlimit64: 261, getrandom: 278, rseq: 293,
  }).map(([name, nr]) => [BigInt(nr), name]),
);

/** The error for a system call the runner does not serve. */
export function unsupportedSyscall(nr: bigint, pc: bigint): string {
  const name = UNSERVED.get(nr);
  return `unsupported syscall ${nr}${name ? ` (${name})` : ''} at pc 0x${hex(pc)}: the runner serves write, exit, exit_group and brk (freestanding programs, no C library)`;
}

const STACK_TOP = 0x3ffffff000n;
const STACK_SIZE = 8 * 1024 * 1024;
const AT = { NULL: 0n, PHDR: 3n, PHENT: 4n, PHNUM: 5n, PAGESZ: 6n, ENTRY: 9n, RANDOM: 25n } as const;

/** The Linux signals a trap of a user program is delivered as. */
export type Signal = 'SIGILL' | 'SIGTRAP' | 'SIGBUS' | 'SIGSEGV';
export const SIGNAL_NUMBER: Readonly<Record<Signal, number>> = { SIGILL: 4, SIGTRAP: 5, SIGBUS: 7, SIGSEGV: 11 };

/**
 * The signal Linux (arch/riscv/kernel/traps.c) kills a program with for a trap it does not
 * handle; undefined for a trap that is not a fault of the program: an ecall (a system call)
 * or an instruction the emulator decodes but does not run (F/D), which hardware would run.
 */
export function signalOf(t: Trap): Signal | undefined {
  switch (t.kind) {
    case 'illegal-instruction': return 'SIGILL';
    case 'ebreak': return 'SIGTRAP';
    case 'misaligned-fetch': case 'misaligned-access': return 'SIGBUS';
    case 'access-fault': return 'SIGSEGV';
    case 'ecall': case 'unsupported-extension': return undefined;
    default: return exhaustive(t);
  }
}

export type UserOutcome =
  | { readonly kind: 'exit'; readonly code: number }
  /** A trap killed the program, as the signal would under Linux. */
  | { readonly kind: 'signal'; readonly signal: Signal; readonly message: string }
  /**
   * The runner could not go on: the instruction budget ran out, a system call it does not
   * serve, an instruction it decodes but does not run, or a stop request.
   */
  | { readonly kind: 'error'; readonly cause: 'budget' | 'syscall' | 'unsupported' | 'stop'; readonly message: string };

export interface UserRunOptions {
  readonly argv?: readonly string[];
  readonly env?: readonly string[];
  readonly stdout?: (bytes: Uint8Array) => void;
  readonly stderr?: (bytes: Uint8Array) => void;
  /** Total instruction budget (default: unlimited). */
  readonly maxInstructions?: number;
  readonly hart?: HartOptions;
}

/** Thrown for files that cannot be loaded; the message is one line naming the file. */
export class LoadError extends Error {}

export interface LoadedProgram {
  readonly machine: Machine;
  readonly hart: Hart;
  readonly elf: ElfFile;
  /** Current program break. */
  brk: bigint;
  /** The initial break: brk never goes below it. */
  readonly startBrk: bigint;
}

const pageDown = (a: bigint) => a & ~BigInt(PAGE_SIZE - 1);
const pageUp = (a: bigint) => (a + BigInt(PAGE_SIZE - 1)) & ~BigInt(PAGE_SIZE - 1);

/** Loads an executable into a fresh machine and sets up the initial stack. */
export function loadProgram(bytes: Uint8Array, file: string, opts: UserRunOptions = {}): LoadedProgram {
  const elf = readElf(bytes, file);
  if (elf.type !== 'EXEC') throw new LoadError(`${file}: not a static executable (ELF type ${elf.type})`);
  const loads = elf.segments.filter((s) => s.type === PT_LOAD);
  if (loads.length === 0) throw new LoadError(`${file}: no PT_LOAD segment`);
  const machine = new Machine();
  const hart = machine.addHart(opts.hart);
  const mem = machine.memory;
  // Pages shared by two segments get the union of their permissions.
  const perms = new Map<bigint, number>();
  let end = 0n;
  for (const s of loads) {
    if (s.filesz > s.memsz) throw new LoadError(`${file}: segment ${s.index} has filesz > memsz`);
    const p = (s.flags.r ? PERM_R : 0) | (s.flags.w ? PERM_W : 0) | (s.flags.x ? PERM_X : 0);
    for (let a = pageDown(s.vaddr); a < s.vaddr + s.memsz; a += BigInt(PAGE_SIZE)) perms.set(a, (perms.get(a) ?? 0) | p);
    if (s.vaddr + s.memsz > end) end = s.vaddr + s.memsz;
  }
  try {
    for (const [a, p] of perms) mem.map(a, PAGE_SIZE, p);
    for (const s of loads) mem.writeBytes(s.vaddr, s.bytes, true);
  } catch (e) {
    throw new LoadError(`${file}: cannot map segments: ${(e as Error).message}`);
  }
  const entryPerm = mem.permAt(elf.entry);
  if (entryPerm === undefined || (entryPerm & PERM_X) === 0) {
    throw new LoadError(`${file}: entry point 0x${hex(elf.entry)} is not in an executable segment`);
  }
  hart.pc = elf.entry;
  const prog: LoadedProgram = { machine, hart, elf, brk: pageUp(end), startBrk: pageUp(end) };
  buildStack(prog, opts.argv ?? [file], opts.env ?? []);
  return prog;
}

function buildStack(prog: LoadedProgram, argv: readonly string[], env: readonly string[]): void {
  const mem = prog.machine.memory;
  const base = STACK_TOP - BigInt(STACK_SIZE);
  mem.map(base, STACK_SIZE, 'rw');
  let sp = STACK_TOP;
  const enc = new TextEncoder();
  const pushBytes = (b: Uint8Array) => {
    sp -= BigInt(b.length);
    mem.writeBytes(sp, b);
    return sp;
  };
  const cstr = (s: string) => {
    const b = enc.encode(s);
    const z = new Uint8Array(b.length + 1);
    z.set(b);
    return pushBytes(z);
  };
  const envPtrs = env.map(cstr);
  const argPtrs = argv.map(cstr);
  // AT_RANDOM: 16 fixed bytes, so runs are reproducible.
  const random = pushBytes(Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 0xff));
  const phdr = prog.elf.segments.length > 0 ? phdrAddr(prog.elf) : 0n;
  const auxv: bigint[] = [
    AT.PHDR, phdr, AT.PHENT, 56n, AT.PHNUM, BigInt(prog.elf.segments.length), AT.PAGESZ, BigInt(PAGE_SIZE),
    AT.ENTRY, prog.elf.entry, AT.RANDOM, random, AT.NULL, 0n,
  ];
  const words = [BigInt(argv.length), ...argPtrs, 0n, ...envPtrs, 0n, ...auxv];
  sp = (sp - BigInt(words.length * 8)) & ~15n;
  words.forEach((w, i) => mem.writeU(sp + BigInt(i * 8), 8, w));
  prog.hart.setReg(2, sp);
}

/** Address of the program headers in memory (inside the first PT_LOAD that maps them). */
function phdrAddr(elf: ElfFile): bigint {
  const phoff = BigInt(new DataView(elf.bytes.buffer, elf.bytes.byteOffset).getUint32(32, true));
  for (const s of elf.segments) {
    if (s.type === PT_LOAD && phoff >= s.offset && phoff < s.offset + s.filesz) return s.vaddr + (phoff - s.offset);
  }
  return 0n;
}

/** Runs a loaded program to its exit (or an error). */
export function runProgram(prog: LoadedProgram, opts: UserRunOptions = {}): UserOutcome {
  const { hart, machine } = prog;
  const out = opts.stdout ?? (() => undefined);
  const err = opts.stderr ?? (() => undefined);
  let left = opts.maxInstructions ?? Number.POSITIVE_INFINITY;
  const CHUNK = 50_000_000;
  for (;;) {
    const slice = Math.min(CHUNK, left);
    const r: RunResult = hart.run(slice);
    if (r.kind === 'budget') {
      left -= slice;
      if (left <= 0) return { kind: 'error', cause: 'budget', message: `instruction budget of ${opts.maxInstructions} exhausted at pc 0x${hex(r.pc)}` };
      continue;
    }
    if (r.kind === 'stop') return { kind: 'error', cause: 'stop', message: `stopped: ${r.reason} at pc 0x${hex(r.pc)}` };
    if (r.trap.kind !== 'ecall') {
      const signal = signalOf(r.trap);
      if (signal) return { kind: 'signal', signal, message: describeTrap(r.trap) };
      return { kind: 'error', cause: 'unsupported', message: describeTrap(r.trap) };
    }
    const nr = hart.reg(17);
    const a0 = hart.reg(10), a1 = hart.reg(11), a2 = hart.reg(12);
    let ret: bigint;
    switch (nr) {
      case BigInt(SYS.write): {
        const fd = a0 & 0xffffffffn; // the kernel's fd argument is an unsigned int
        const len = Number(a2);
        let bytes: Uint8Array | undefined;
        try {
          bytes = machine.memory.readBytes(a1, len);
        } catch {
          bytes = undefined;
        }
        if (bytes === undefined) ret = -14n; // -EFAULT
        else if (fd === 1n) { out(bytes); ret = BigInt(len); }
        else if (fd === 2n) { err(bytes); ret = BigInt(len); }
        else ret = -9n; // -EBADF
        break;
      }
      case BigInt(SYS.exit):
      case BigInt(SYS.exit_group):
        return { kind: 'exit', code: Number(a0 & 0xffn) };
      case BigInt(SYS.brk):
        ret = brk(prog, a0);
        break;
      default:
        return { kind: 'error', cause: 'syscall', message: unsupportedSyscall(nr, hart.pc) };
    }
    hart.setReg(10, ret);
    hart.pc = hart.pc + 4n;
  }
}

/**
 * brk as Linux serves it: below the initial break it only reports the current one; shrinking
 * unmaps the whole pages above the new break (so growing again gives zeroed pages); growing
 * maps pages, and fails (returns the old break) past the limit or into another mapping.
 */
function brk(prog: LoadedProgram, want: bigint): bigint {
  if (want < prog.startBrk) return prog.brk;
  const mem = prog.machine.memory;
  const limit = 0x3000000000n;
  if (want > limit) return prog.brk;
  const oldTop = pageUp(prog.brk), newTop = pageUp(want);
  if (newTop < oldTop) mem.unmap(newTop, Number(oldTop - newTop));
  else if (newTop > oldTop) {
    for (let a = oldTop; a < newTop; a += BigInt(PAGE_SIZE)) if (mem.isMapped(a)) return prog.brk;
    mem.map(oldTop, Number(newTop - oldTop), 'rw');
  }
  prog.brk = want;
  return want;
}
