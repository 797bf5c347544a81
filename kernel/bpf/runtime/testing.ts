/**
 * A minimal invoker for tests of the runtime: machine code that calls programs the way a
 * trampoline's invoke_bpf_prog does (cookie into run_ctx, enter, keep the start, skip on 0,
 * call bpf_func with the ctx, store a0/a5, exit), with a ctx laid out as the generators
 * lay it out (nregs at ctx-8, ip at ctx-16, the return value after the arguments). It is not
 * a trampoline: it is called directly, traces nothing and never calls an original function.
 *
 * `keep` chooses the register the start value is kept in across the body call: s1 is what
 * the kernel does; a caller-saved register (e.g. t2) reproduces the bug class exit's WARN
 * exists for.
 */
import { Assembler, A0, A1, A2, A5, RA, S0, S1, SP, T0, type Program } from '../../../emulator/asm';
import type { BpfProg } from './prog';
import type { BpfRuntime } from './runtime';
import { BPF_TEXT, BPF_TRAMP_RUN_CTX } from './layout';

export interface InvokedProg {
  readonly prog: BpfProg;
  readonly cookie?: bigint;
}

export interface InvokerOptions {
  /** Argument slots saved from a0..a(n-1) into the ctx (0..8). */
  readonly nregs?: number;
  /** Stored at ctx-16 (bpf_get_func_ip). Default 0. */
  readonly ip?: bigint;
  /** Initial value of the return-value slot (what an fexit program would see). */
  readonly ret?: bigint;
  /** Register holding the start value across the body call (default s1 = 9). */
  readonly keep?: number;
  /** Assemble at this address (reserved with rt.allocText) instead of allocating. */
  readonly at?: bigint;
}

export interface Invoker {
  readonly addr: bigint;
  readonly program: Program;
  /** ctx = FP - ctxOff (FP = sp at entry). */
  readonly ctxOff: number;
  readonly runCtxOff: number;
}

const FRAME_TOP = 24; // ra, fp, s1

/** Invoker code: returns a0 = the ret slot (last program's a0), a1 = the a5 slot. */
export function invokerCode(rt: BpfRuntime, base: bigint, progs: readonly InvokedProg[], opts: InvokerOptions = {}): { program: Program; ctxOff: number; runCtxOff: number } {
  const n = opts.nregs ?? 0;
  if (n < 0 || n > 8) throw new Error('invoker: 0..8 argument slots');
  const keep = opts.keep ?? S1;
  const runCtxOff = FRAME_TOP + BPF_TRAMP_RUN_CTX.size;
  const ctxOff = runCtxOff + 16 + 8 * n;
  const retOff = ctxOff - 8 * n; // ctx[n]
  const ret5Off = retOff - 8;
  const frame = Math.ceil((ctxOff + 16) / 16) * 16;
  const a = new Assembler({ base });
  a.addi(SP, SP, -frame);
  a.sd(RA, frame - 8, SP);
  a.sd(S0, frame - 16, SP);
  a.addi(S0, SP, frame);
  a.sd(S1, -24, S0);
  for (let i = 0; i < n; i++) a.sd(A0 + i, -(ctxOff - 8 * i), S0);
  a.li(T0, BigInt(n));
  a.sd(T0, -(ctxOff + 8), S0);
  a.li(T0, opts.ip ?? 0n);
  a.sd(T0, -(ctxOff + 16), S0);
  a.li(T0, opts.ret ?? 0n);
  a.sd(T0, -retOff, S0);
  a.sd(T0, -ret5Off, S0);
  progs.forEach(({ prog, cookie }, i) => {
    const { enter, exit } = rt.enterExitFor(prog);
    a.li(T0, cookie ?? 0n);
    a.sd(T0, -runCtxOff + BPF_TRAMP_RUN_CTX.bpfCookie, S0);
    a.li(A0, prog.addr);
    a.addi(A1, S0, -runCtxOff);
    a.call(enter);
    a.addi(keep, A0, 0);
    a.beqz(A0, `skip${i}`);
    a.addi(A0, S0, -ctxOff);
    a.call(prog.bpfFunc);
    a.sd(A0, -retOff, S0);
    a.sd(A5, -ret5Off, S0);
    a.label(`skip${i}`);
    a.li(A0, prog.addr);
    a.addi(A1, keep, 0);
    a.addi(A2, S0, -runCtxOff);
    a.call(exit);
  });
  a.ld(A0, -retOff, S0);
  a.ld(A1, -ret5Off, S0);
  a.ld(S1, -24, S0);
  a.ld(RA, frame - 8, SP);
  a.ld(S0, frame - 16, SP);
  a.addi(SP, SP, frame);
  a.ret();
  return { program: a.finish(), ctxOff, runCtxOff };
}

/** Builds an invoker in the BPF text area (or at opts.at). */
export function buildInvoker(rt: BpfRuntime, progs: readonly InvokedProg[], opts: InvokerOptions = {}): Invoker {
  const size = invokerCode(rt, opts.at ?? BPF_TEXT, progs, opts).program.bytes.length;
  const addr = opts.at ?? rt.allocText(size);
  const { program, ctxOff, runCtxOff } = invokerCode(rt, addr, progs, opts);
  rt.writeText(addr, program.bytes);
  return { addr, program, ctxOff, runCtxOff };
}
