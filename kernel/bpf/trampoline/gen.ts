/**
 * The RISC-V BPF trampoline generator: machine code, emitted with the project's assembler, laid
 * out as the kernel's arch_prepare_bpf_trampoline lays it out in each era (era.ts). Our own code
 * from the descriptions in riscv-ftrace-bpf-trampoline.md §3; nothing about the return path is
 * decided here in TypeScript beyond which instructions to emit.
 *
 * Stack frame (FP = s0 after the prologue), function-entry case of the 'two-records' eras:
 *   [FP+8]  parent ra      } frame record of the traced function (pushed first)
 *   [FP+0]  traced fp      }
 *   [FP-8]  t0 (func + 8)  } frame record of the trampoline
 *   [FP-16] FP + 16        }
 *   FP-retval_off          a0 return value (and a5 at FP-retval_off+8)    if save_ret
 *   FP-args_off + 8*i      argument slot i  (ctx = FP-args_off)
 *   FP-nregs_off           nr_arg_slots     (ctx - 8)
 *   FP-ip_off              func_addr        (ctx - 16)                     if IP_ARG
 *   FP-cookie_off + 8*i    session cookie i+1 of the fsession programs     7.0, if any calls bpf_session_cookie
 *   FP-run_ctx_off         struct bpf_tramp_run_ctx
 *   FP-sreg_off            saved s1
 *   bottom of frame        outgoing stack arguments for the original call  if > 8 slots
 *
 * Instructions go through the JIT's helpers (jit-emit.ts): with CONFIG_RISCV_ISA_C (profiles
 * with RVC) they are compressed where the kernel's helpers compress them, so images have the
 * kernel's length and some patch sites (the fmod_ret branches, ip_after_call) are only 2-byte
 * aligned.
 *
 * Where the code differs from the kernel's on purpose (it does not change a return path):
 * every call is auipc + jalr. emit_call uses jal for a target within +-1 MiB; in our memory
 * map no helper or program is that close to an image.
 */
import { Assembler } from '../../../emulator/asm';
import { fail, ok, type KResult } from '../../errno';
import type { EraTraits } from './era';
import { JitEmit, IMM_MAX_COUNT, type TrampEmitter } from './jit-emit';
import { describeArgLimit, withinArgLimit } from '../../profiles/profiles';
import type { MutantId } from '../../mutants/catalogue';

export { IMM_MAX_COUNT, type TrampEmitter };

export const R = { zero: 0, ra: 1, sp: 2, t0: 5, t1: 6, fp: 8, s1: 9, a0: 10, a5: 15 } as const;

/**
 * The sizing pass's emitter: the bytes the assembler would lay out for the same calls.
 * Branches to labels are always 4 bytes (the assembler runs with RVC off; a compressed
 * instruction is only ever asked for by name, `c.*`), and a call is an auipc + jalr pair.
 */
class SizeCounter implements TrampEmitter {
  bytes = 0;
  insn(name: string): void {
    this.bytes += name.startsWith('c.') ? 2 : 4;
  }
  call(): void {
    this.bytes += 8;
  }
  beq(): void {
    this.bytes += 4;
  }
  bne(): void {
    this.bytes += 4;
  }
  label(): void {}
}

const A = (i: number) => 10 + i;

export interface TrampLink {
  /** Address of the program's struct bpf_prog (a0 of enter/exit). */
  readonly prog: bigint;
  /** p->bpf_func: the program body. */
  readonly bpfFunc: bigint;
  readonly cookie: bigint;
  /** An fsession program that calls bpf_session_cookie (bpf_prog_calls_session_cookie). */
  readonly sessionCookie?: boolean;
}

export interface TrampFlags {
  readonly callOrig: boolean;
  readonly skipFrame: boolean;
  readonly restoreRegs: boolean;
  readonly ipArg: boolean;
  readonly retFentryRet?: boolean;
  /** struct_ops / directly called trampoline (no traced function frame). */
  readonly indirect?: boolean;
  readonly origStack?: boolean;
  readonly shareIpmodify?: boolean;
}

export interface TrampHelpers {
  readonly progEnter: bigint;
  readonly progExit: bigint;
  readonly trampEnter: bigint;
  readonly trampExit: bigint;
}

export interface TrampSpec {
  readonly traits: EraTraits;
  /** Address of the traced function (its symbol); orig_call starts here. */
  readonly funcAddr: bigint;
  /** Arguments (m->nr_args) and the slots they take (8-byte units; a 16-byte struct takes two). */
  readonly nrArgs: number;
  readonly nrArgSlots: number;
  readonly fentry: readonly TrampLink[];
  readonly fexit: readonly TrampLink[];
  readonly fmodRet: readonly TrampLink[];
  readonly flags: TrampFlags;
  /** struct bpf_tramp_image pointer passed to __bpf_tramp_enter/exit. */
  readonly im: bigint;
  readonly helpers: TrampHelpers;
  /** struct bpf_tramp_run_ctx: size and where bpf_cookie goes. */
  readonly runCtx: { readonly size: number; readonly cookieOff: number };
  /** Where the code will execute (the RX image). */
  readonly image: bigint;
  /** CONFIG_RISCV_ISA_C: the JIT's helpers emit compressed forms where they fit (jit-emit.ts). */
  readonly rvc: boolean;
  /**
   * fsession links (7.0): how many are attached (bpf_fsession_cnt) and how many of them call
   * bpf_session_cookie (bpf_fsession_cookie_cnt). Each is in both `fentry` and `fexit`.
   */
  readonly fsession?: { readonly count: number; readonly cookies: number };
  /** The struct_ops member's return size (m->ret_size): a v6.18+ struct_ops trampoline
   *  sign-extends a 4-byte value into a0 (sext.w), moves an 8-byte one. 8 unless said;
   *  1- and 2-byte returns (sext.b/h or a move, by signedness) are not modelled. */
  readonly retSize?: 4 | 8;
  /** A bug of the mutation catalogue to re-introduce (kernel/mutants/catalogue.ts). */
  readonly mutant?: MutantId;
}

export interface TrampCode {
  readonly bytes: Uint8Array;
  /** im->ip_after_call and im->ip_epilogue (RX addresses), when the original is called. */
  readonly ipAfterCall: bigint | undefined;
  readonly ipEpilogue: bigint | undefined;
  readonly stackSize: number;
  readonly symbols: ReadonlyMap<string, bigint>;
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** BPF_TRAMP_COOKIE_INDEX_SHIFT and BPF_TRAMP_IS_RETURN_SHIFT: func_meta's fields (7.0). */
export const COOKIE_INDEX_SHIFT = 8n;
export const IS_RETURN_SHIFT = 63n;

/** arch_prepare_bpf_trampoline: the trampoline's machine code for a spec, or the kernel's error. */
export function generateTrampoline(s: TrampSpec): KResult<TrampCode> {
  const a = new Assembler({ base: s.image, compressed: false });
  const r = emitTrampoline(s, a);
  if (!r.ok) return r;
  const p = a.finish();
  const ipAfterCall = r.value.callOrig ? p.address('.Lip_after_call') : undefined;
  const ipEpilogue = r.value.callOrig ? p.address('.Lip_epilogue') : undefined;
  return ok({ bytes: p.bytes, ipAfterCall, ipEpilogue, stackSize: r.value.stack, symbols: p.symbols });
}

/**
 * arch_bpf_trampoline_size: the byte size generateTrampoline would give for the spec (the
 * same emit code, counted instead of assembled), or the kernel's error.
 */
export function trampolineSize(s: TrampSpec): KResult<number> {
  const c = new SizeCounter();
  const r = emitTrampoline(s, c);
  return r.ok ? ok(c.bytes) : r;
}

/** The generator proper: checks the spec and emits the trampoline's instructions through `a`. */
function emitTrampoline(s: TrampSpec, a: TrampEmitter): KResult<{ stack: number; callOrig: boolean }> {
  const m = s.mutant;
  const t: EraTraits = m === undefined ? s.traits
    : m === 'bt1b-ra16-frame' ? { ...s.traits, frame: 'ra16' }
    : m === 'stale-s1-on-skip' ? { ...s.traits, saveStartBeforeSkip: false }
    : s.traits;
  const f = s.flags;
  if (f.origStack || f.shareIpmodify) return fail('ENOTSUPP', 'trampoline: BPF_TRAMP_F_ORIG_STACK / SHARE_IPMODIFY are not supported on riscv');
  if (!withinArgLimit(t.argLimit, s.nrArgs, s.nrArgSlots)) {
    return fail('ENOTSUPP', `trampoline: ${s.nrArgs} arguments in ${s.nrArgSlots} slots, the ${t.era} generator takes ${describeArgLimit(t.argLimit)}`);
  }
  if (f.callOrig && f.restoreRegs) return fail('EINVAL', 'trampoline: CALL_ORIG and RESTORE_REGS together');
  const fsessions = s.fsession?.count ?? 0;
  // Refused at load before it gets here (bpf_jit_supports_fsession).
  if (fsessions > 0 && !t.fsession) throw new Error(`trampoline: fsession links for the ${t.era} generator`);
  const cookieCnt = t.fsession ? s.fsession?.cookies ?? 0 : 0;
  // Called directly (struct_ops): one frame record, returning through ra (era.ts). The
  // mutant takes v6.6's test on a kernel that passes the member's stub as func_addr.
  const rule = m === 'bt3-struct-ops-func-addr' && t.calledDirectly === 'indirect-flag' ? 'no-func-addr' : t.calledDirectly;
  const indirect = rule === 'indirect-flag' ? (f.indirect ?? false) : rule === 'no-func-addr' ? s.funcAddr === 0n : false;
  // save_ret: CALL_ORIG or RET_FENTRY_RET, in every era since the first riscv trampoline.
  const saveRet = f.callOrig || (f.retFentryRet ?? false);
  const slots = s.nrArgSlots;
  const regSlots = Math.min(slots, 8);

  // ---- stack layout ----------------------------------------------------------------------------
  // The bt1e mutant: v1 of 25ad10658dc1, one frame {ra, t0 (when returning into the traced
  // function), fp} instead of a record for the traced function and one for the trampoline.
  const v1Frame = m === 'bt1e-v1-one-frame' && t.frame === 'two-records';
  const v1TracedRet = v1Frame && !indirect && !f.skipFrame;
  let stack = t.frame === 'ra16' ? 24 : v1TracedRet ? 24 : 16;
  // retval_off is set whether or not the slot exists (only CALL_ORIG / RET_FENTRY_RET use it).
  if (saveRet) stack += t.retvalBoth ? 16 : 8;
  const retvalOff = stack;
  stack += 8 * slots;
  const argsOff = stack;
  stack += 8;
  const nregsOff = stack;
  let ipOff = 0;
  if (f.ipArg) {
    stack += 8;
    ipOff = stack;
  }
  stack += 8 * cookieCnt;
  const cookieOff = stack;
  stack += roundUp(s.runCtx.size, 8);
  const runCtxOff = stack;
  stack += 8;
  const sregOff = stack;
  const stackArgs = f.callOrig && slots > 8 ? slots - 8 : 0;
  stack += 8 * stackArgs;
  stack = roundUp(stack, 16);

  const j = new JitEmit(a, s.rvc);
  const sd = (rs2: number, off: number, base: number) => j.sd(rs2, off, base);
  const ld = (rd: number, off: number, base: number) => j.ld(rd, off, base);
  const addi = (rd: number, rs1: number, imm: number) => j.addi(rd, rs1, imm);
  const call = (target: bigint) => a.call(R.ra, target);
  // Before 7112cd26e606 one 8-byte slot held the return value: the original's a0 or a BPF
  // program's a5 (R0), and a0 was reloaded from it. Since then a0 and a5 have a slot each.
  const slotA0 = -retvalOff;
  const slotA5 = t.retvalBoth ? -(retvalOff - 8) : -retvalOff;

  // ---- prologue --------------------------------------------------------------------------------
  if (v1Frame) {
    addi(R.sp, R.sp, -stack);
    sd(R.ra, stack - 8, R.sp);
    if (v1TracedRet) sd(R.t0, stack - 16, R.sp);
    sd(R.fp, stack - (v1TracedRet ? 24 : 16), R.sp);
    addi(R.fp, R.sp, stack);
  } else if (t.frame === 'ra16') {
    // v6.3: entered from the 16-byte sled: [sp-8] already holds the parent ra, ra returns into
    // the traced function. One frame; FP = sp at entry.
    addi(R.sp, R.sp, -stack);
    sd(R.ra, stack - 16, R.sp);
    sd(R.fp, stack - 24, R.sp);
    addi(R.fp, R.sp, stack);
  } else if (indirect) {
    addi(R.sp, R.sp, -stack);
    sd(R.ra, stack - 8, R.sp);
    sd(R.fp, stack - 16, R.sp);
    addi(R.fp, R.sp, stack);
  } else {
    // Frame record for the traced function (its ra is still the parent's), then our own with t0.
    const swap = m === 't0-ra-swapped';
    addi(R.sp, R.sp, -16);
    sd(swap ? R.t0 : R.ra, 8, R.sp);
    sd(R.fp, 0, R.sp);
    addi(R.fp, R.sp, 16);
    addi(R.sp, R.sp, -stack);
    sd(swap ? R.ra : R.t0, stack - 8, R.sp);
    sd(R.fp, stack - 16, R.sp);
    addi(R.fp, R.sp, stack);
  }

  if (m !== 's1-not-saved') sd(R.s1, -sregOff, R.fp);
  if (f.ipArg && m !== 'ip-not-stored') {
    j.imm(R.t1, s.funcAddr);
    sd(R.t1, -ipOff, R.fp);
  }
  // nr_arg_slots at ctx[-1]; since 7.0 the low byte of func_meta, stored through
  // emit_store_stack_imm64 (emit_imm + sd: the same li for these small counts).
  const nregs = m === 'nregs-wrong' ? slots + 1 : slots;
  j.li(R.t1, nregs);
  sd(R.t1, -nregsOff, R.fp);
  const argSlotOff = m === 'arg-slot-off-by-8' ? 8 : 0;
  for (let i = 0; i < regSlots; i++) if (!(i === 7 && m === 'a7-not-stored')) sd(A(i), -argsOff + 8 * i + argSlotOff, R.fp);
  for (let i = 8; i < slots; i++) {
    // Stack-passed arguments sit above the traced function's frame record: FP + 16.
    // (With the bt1e mutant's single frame they sit at FP + 0: the mutant only moves records.)
    ld(R.t1, (v1Frame ? 0 : m === 'bt7-stack-args-fp8' ? 8 : 16) + 8 * (i - 8), R.fp);
    sd(R.t1, -argsOff + 8 * i, R.fp);
  }

  // The original is called past its sled when the frame is skipped (v6.16 tests SKIP_FRAME,
  // 8f3e00af8e52 CALL_ORIG: the same cases). The mutant tests BPF_TRAMP_F_ORIG_STACK, which
  // riscv refuses above, so it is never set here.
  const skipSled = m === 'orig-stack-gate' ? Boolean(f.origStack) : f.skipFrame;
  const origCall = s.funcAddr + (skipSled ? BigInt(m === 'bt1a-orig-call-16' ? 16 : t.skipBytes) : 0n);

  if (fsessions > 0) {
    // Every session cookie and the return value start at zero (fentry sides see ret 0).
    for (let i = 0; i < cookieCnt; i++) sd(R.zero, -cookieOff + 8 * i, R.fp);
    sd(R.zero, slotA0, R.fp);
  }

  if (f.callOrig && m !== 'skip-tramp-enter') {
    j.imm(R.a0, s.im);
    call(s.helpers.trampEnter);
  }

  /**
   * invoke_bpf (7.0): before each program that calls bpf_session_cookie, ctx[-1] gets
   * func_meta with that program's cookie index (ctx - 8 * index is its cookie), counting
   * down from the first cookie slot; the same order on the exit side finds the same slots.
   */
  const invokeList = (list: readonly TrampLink[], saveRetHere: boolean, funcMeta: bigint) => {
    let cur = BigInt((cookieOff - argsOff) / 8);
    for (const l of list) {
      if (t.fsession && l.sessionCookie) {
        j.imm(R.t1, funcMeta | (cur << COOKIE_INDEX_SHIFT));
        sd(R.t1, -nregsOff, R.fp);
        if (m !== 'fsession-cookie-shared') cur--;
      }
      invoke(l, saveRetHere);
    }
  };

  let n = 0;
  const invoke = (l: TrampLink, saveRetHere: boolean) => {
    const exit = `.Lexit${n++}`;
    if (m === 'cookie-not-stored') {
      // (mutant: no store)
    } else if (l.cookie !== 0n) {
      j.imm(R.t1, l.cookie);
      sd(R.t1, -runCtxOff + s.runCtx.cookieOff, R.fp);
    } else sd(R.zero, -runCtxOff + s.runCtx.cookieOff, R.fp);
    j.imm(R.a0, l.prog);
    addi(A(1), R.fp, -runCtxOff);
    call(s.helpers.progEnter);
    if (t.saveStartBeforeSkip) {
      j.mv(R.s1, R.a0);
      a.beq(R.a0, R.zero, exit);
    } else {
      a.beq(R.a0, R.zero, exit);
      j.mv(R.s1, R.a0);
    }
    addi(R.a0, R.fp, -argsOff);
    call(l.bpfFunc);
    if (saveRetHere) {
      if (t.retvalBoth) sd(R.a0, slotA0, R.fp);
      sd(R.a5, slotA5, R.fp);
    }
    a.label(exit);
    j.imm(R.a0, l.prog);
    j.mv(A(1), R.s1);
    addi(A(2), R.fp, -runCtxOff);
    call(s.helpers.progExit);
  };

  invokeList(s.fentry, saveRet && !f.callOrig, BigInt(nregs));

  if (s.fmodRet.length > 0) {
    // invoke_bpf_mod_ret clears the a0 slot only (each program then stores both).
    sd(R.zero, slotA0, R.fp);
    for (const l of s.fmodRet) {
      invoke(l, true);
      ld(R.t1, slotA0, R.fp);
      if (m === 'fmod-ret-branch-inverted') a.beq(R.t1, R.zero, '.Lfexit');
      else a.bne(R.t1, R.zero, '.Lfexit');
    }
  }

  const exitMeta = BigInt(nregs) | (m === 'fsession-no-is-return' ? 0n : 1n << IS_RETURN_SHIFT);
  if (m === 'fexit-before-orig') invokeList(s.fexit, false, exitMeta);
  if (f.callOrig) {
    for (let i = 0; i < regSlots; i++) ld(A(i), -argsOff + 8 * i, R.fp);
    for (let i = 8; i < slots; i++) {
      ld(R.t1, -argsOff + 8 * i, R.fp);
      // restore_stack_args: FP - stk_arg_off (= the bottom of the frame) upwards.
      sd(R.t1, -stack + 8 * (i - 8) + (m === 'bt7-outgoing-args-off' ? 8 : 0), R.fp);
    }
    call(origCall);
    if (m === 'bt4-only-a5-saved') sd(R.a5, slotA0, R.fp);
    else if (m === 'retval-slots-swapped') {
      sd(R.a0, slotA5, R.fp);
      sd(R.a5, slotA0, R.fp);
    } else {
      sd(R.a0, slotA0, R.fp);
      if (t.retvalBoth) sd(R.a5, slotA5, R.fp);
    }
    a.label('.Lip_after_call');
    // Patched into a jump to the epilogue when the image is torn down while still in use.
    j.nop();
    j.nop();
  }
  a.label('.Lfexit');
  if (fsessions > 0) {
    // The exit side: is_return set in func_meta.
    j.imm(R.t1, exitMeta);
    sd(R.t1, -nregsOff, R.fp);
  }
  if (m !== 'fexit-before-orig') invokeList(s.fexit, false, exitMeta);

  if (f.callOrig) {
    a.label('.Lip_epilogue');
    j.imm(R.a0, s.im);
    call(s.helpers.trampExit);
  }
  if (f.restoreRegs && m !== 'args-not-restored') for (let i = 0; i < regSlots; i++) ld(A(i), -argsOff + 8 * i, R.fp);
  if (saveRet && t.r0FirstRestore) {
    // v6.18+ (fd2e08128944): R0 first; a struct_ops trampoline returns it sign-extended to the member's type.
    ld(R.a5, slotA5, R.fp);
    // (The bt10 mutant keeps the a0 a program left, its R0's sign-extended low half.)
    if (indirect && m !== 'bt10-struct-ops-a0-slot') {
      if (s.retSize === 4) j.addiw(R.a0, R.a5, 0);
      else j.mv(R.a0, R.a5);
    } else if (m !== 'epilogue-no-a0') ld(R.a0, slotA0, R.fp);
  } else if (saveRet) {
    if (m !== 'epilogue-no-a0') ld(R.a0, slotA0, R.fp);
    if (t.retvalBoth) ld(R.a5, slotA5, R.fp);
  }
  if (m !== 's1-not-saved') ld(R.s1, -sregOff, R.fp);

  // ---- epilogue --------------------------------------------------------------------------------
  if (v1Frame) {
    // v1 always returned through t0: the saved t0, or the saved ra (SKIP_FRAME, direct calls),
    // leaving ra as the calls left it.
    if (v1TracedRet) {
      ld(R.ra, stack - 8, R.sp);
      ld(R.t0, stack - 16, R.sp);
    } else ld(R.t0, stack - 8, R.sp);
    ld(R.fp, stack - (v1TracedRet ? 24 : 16), R.sp);
    addi(R.sp, R.sp, stack);
    j.jalr(R.zero, R.t0, 0);
  } else if (t.frame === 'ra16') {
    // v6.3: SKIP_FRAME returns to the parent, whose ra the 16-byte sled spilled at [FP-8];
    // otherwise back into the traced function through the saved ra.
    ld(R.ra, f.skipFrame ? stack - 8 : stack - 16, R.sp);
    ld(R.fp, stack - 24, R.sp);
    addi(R.sp, R.sp, stack);
    j.jalr(R.zero, R.ra, 0);
  } else if (indirect) {
    ld(R.ra, stack - 8, R.sp);
    ld(R.fp, stack - 16, R.sp);
    addi(R.sp, R.sp, stack);
    j.jalr(R.zero, R.ra, 0);
  } else {
    ld(R.t0, stack - 8, R.sp);
    ld(R.fp, stack - 16, R.sp);
    addi(R.sp, R.sp, stack);
    ld(R.ra, 8, R.sp);
    ld(R.fp, 0, R.sp);
    addi(R.sp, R.sp, 16);
    j.jalr(R.zero, f.skipFrame ? R.ra : R.t0, 0);
  }

  return ok({ stack, callOrig: f.callOrig });
}
