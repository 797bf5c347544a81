/**
 * BPF_PROG_TEST_RUN of a struct_ops program, as net/bpf/bpf_dummy_struct_ops.c runs it
 * (bpf_struct_ops_test_run): the member's trampoline is prepared as
 * bpf_struct_ops_prepare_trampoline prepares it for a struct_ops map, and the image's C caller
 * (dummy_ops_call_op, kernel/image/src/bpf_dummy_struct_ops.c) calls it through a pointer,
 * as the kernel calls an ops member.
 *
 * What the kernel of each era does (per the trampoline era, which names the kernel version):
 * - up to v6.7 the trampoline is prepared with BPF_TRAMP_F_RET_FENTRY_RET (for a member that
 *   returns something) and no func_addr; v6.6's riscv JIT gives it the "called directly" frame
 *   because func_addr is NULL, v6.3's has one frame for everything;
 * - since v6.8 (2cd3e3772e41) with BPF_TRAMP_F_INDIRECT too and the member's stub as
 *   func_addr (dummy_ops_test_ret_function), which riscv's JIT tests from v6.8-rc2
 *   (1732ebc4a261);
 * - since v6.10 (980ca8ceeae6) a NULL pointer argument the member does not mark __nullable is
 *   refused with -EINVAL before anything runs.
 *
 * The caller makes the call (prepare, call `bpf_dummy_ops_run_image(image, args, &retval)`,
 * finish), so that a selftest reports a crash in it with its oops machinery.
 */
import { PAGE_SIZE } from '../../emulator/memory/memory';
import { PAGE_OFFSET } from '../image';
import { fail, ok, type KResult } from '../errno';
import type { TrampolineEra } from '../profiles/profiles';
import { argSlots, structOpsMember, typeSize, type FuncModel } from './btf';
import type { Bpf } from './bpf';
import { BPF_TRAMP_RUN_CTX, type BpfProg } from './runtime';
import type { TrampImage } from './trampoline/manager';
import type { TrampSpec } from './trampoline/gen';

/** MAX_BPF_FUNC_ARGS: struct bpf_dummy_ops_test_args holds this many u64 words, then the state. */
const MAX_ARGS = 12;
/** sizeof(struct bpf_dummy_ops_state): { int val; }. */
const STATE_SIZE = 4;
const STATE_OFF = 8 * MAX_ARGS;
/**
 * Where the test run's kzalloc'd bpf_dummy_ops_test_args lives (a linear-map slab page of its
 * own, one run at a time) and, after it, the u32 the C caller stores the return value into
 * before the syscall copies it out as test.retval.
 */
const ARGS_PAGE = PAGE_OFFSET + 0x2480000n;
const RETVAL_OFF = 0x100n;

/** The C function that calls the image and stores its int result (bpf_dummy_struct_ops.c). */
export const STRUCT_OPS_RUN_FN = 'bpf_dummy_ops_run_image';

/** How an era's kernel prepares a struct_ops trampoline and checks a test run. */
interface StructOpsKernel {
  /** BPF_TRAMP_F_INDIRECT and the member's stub as func_addr (v6.8+). */
  readonly indirect: boolean;
  /** check_test_run_args: NULL only where the member allows it (v6.10+). */
  readonly nullableCheck: boolean;
}

function structOpsKernel(era: Exclude<TrampolineEra, 'none'>): StructOpsKernel {
  switch (era) {
    case 'v6.3':
    case 'v6.6':
      return { indirect: false, nullableCheck: false };
    case 'v6.8':
      return { indirect: true, nullableCheck: false };
    case 'v6.11':
    case 'v6.16':
    case 'v7.0':
      return { indirect: true, nullableCheck: true };
  }
}

/** A struct_ops test run between prepare and finish. */
export interface StructOpsTestRun {
  /** The member's trampoline image (what the ops pointer would hold). */
  readonly image: bigint;
  /** The kernel's struct bpf_dummy_ops_test_args. */
  readonly args: bigint;
  /** Where the C caller stores the member's int result. */
  readonly retval: bigint;
  /** The user's state pointer (args[0]), which finish copies the state back to. */
  readonly user: bigint;
  readonly trampoline: TrampImage;
}

/**
 * bpf_struct_ops_test_run up to the call: checks the program and ctx_in (the member's
 * arguments as u64 words; the first is the user's pointer to a struct bpf_dummy_ops_state, 0
 * for NULL), copies them and the state in, and prepares the image. Errors leave nothing
 * allocated.
 */
export function prepareStructOpsTestRun(bpf: Bpf, prog: BpfProg, ctxIn: readonly bigint[]): KResult<StructOpsTestRun> {
  const k = bpf.kernel;
  const era = k.profile.trampoline;
  const mem = k.machine.memory;
  // Only struct_ops programs get here (BPF_PROG_TEST_RUN dispatches on the program type).
  if (prog.attach !== 'struct_ops') throw new Error(`struct_ops test run of ${prog.name}, a ${prog.attach} program`);
  const m = structOpsMember(prog.target!);
  if (!m || m.type.name !== 'bpf_dummy_ops') return fail('EOPNOTSUPP', `${prog.name} is not a bpf_dummy_ops program`);
  if (!prog.loaded) return fail('EBADF', `${prog.name} has been freed`);
  const nr = m.model.args.length;
  if (ctxIn.length !== nr) return fail('EINVAL', `ctx_size_in is ${8 * ctxIn.length} bytes, ${m.model.name} takes ${nr} arguments (${8 * nr} bytes)`);
  const sk = era === 'none' ? { indirect: false, nullableCheck: false } : structOpsKernel(era);

  // dummy_ops_init_args: kzalloc, copy the words, then the state args[0] points to.
  if (!mem.isMapped(ARGS_PAGE)) mem.map(ARGS_PAGE, PAGE_SIZE, 'rw');
  mem.writeBytes(ARGS_PAGE, new Uint8Array(PAGE_SIZE), true);
  ctxIn.forEach((w, i) => mem.writeU(ARGS_PAGE + BigInt(8 * i), 8, BigInt.asUintN(64, w)));
  const user = BigInt.asUintN(64, ctxIn[0] ?? 0n);
  if (user !== 0n) {
    const state = mem.tryReadBytes(user, STATE_SIZE);
    if (!state) return fail('EFAULT', `copy_from_user of the state at 0x${user.toString(16)} faulted`);
    mem.writeBytes(ARGS_PAGE + BigInt(STATE_OFF), state, true);
  }
  // check_test_run_args: a NULL pointer only where the member's stub says __nullable.
  if (sk.nullableCheck) {
    for (let i = 0; i < nr; i++) {
      const a = m.model.args[i]!;
      if (ctxIn[i] === 0n && a.type === 'ptr' && !m.type.nullable.includes(`${m.model.name}.${a.name}`)) {
        return fail('EINVAL', `${m.model.name}: argument ${i} (${a.name}) is NULL, which the member does not allow`);
      }
    }
  }

  // arch_prepare_bpf_trampoline's weak default, without a riscv trampoline (v6.2).
  if (era === 'none') return fail('ENOTSUPP', `${k.profile.name} has no BPF trampoline`);

  const built = bpf.trampolines.buildStandalone(`${m.type.name}.${m.model.name}`, memberTrampoline(bpf, prog, m.model, sk.indirect ? k.sym('dummy_ops_test_ret_function') : 0n, sk.indirect));
  if (!built.ok) return built;
  return ok({ image: built.value.addr, args: ARGS_PAGE, retval: ARGS_PAGE + RETVAL_OFF, user, trampoline: built.value });
}

/**
 * The trampoline bpf_struct_ops_prepare_trampoline prepares for a struct_ops member (test runs
 * and maps alike): the program as the one fentry link, RET_FENTRY_RET when the member returns
 * something, BPF_TRAMP_F_INDIRECT when the kernel sets it (v6.8+), `funcAddr` the member's
 * stub (or 0), at the image address it is given.
 */
export function memberTrampoline(bpf: Bpf, prog: BpfProg, model: FuncModel, funcAddr: bigint, indirect: boolean): (image: bigint) => TrampSpec {
  const k = bpf.kernel;
  const rt = bpf.runtime;
  const helpers = rt.enterExitFor(prog);
  const retSize = typeSize(model.ret);
  return (image) => ({
    traits: bpf.trampolines.traits!,
    funcAddr,
    nrArgs: model.args.length,
    nrArgSlots: argSlots(model),
    fentry: [{ prog: prog.addr, bpfFunc: prog.bpfFunc, cookie: 0n }],
    fexit: [],
    fmodRet: [],
    flags: { callOrig: false, skipFrame: false, restoreRegs: false, ipArg: false, retFentryRet: retSize > 0, ...(indirect ? { indirect: true } : {}) },
    im: 0n,
    helpers: { progEnter: helpers.enter, progExit: helpers.exit, trampEnter: rt.trampEnter, trampExit: rt.trampExit },
    runCtx: { size: BPF_TRAMP_RUN_CTX.size, cookieOff: BPF_TRAMP_RUN_CTX.bpfCookie },
    image,
    rvc: k.profile.rvc,
    ...(retSize === 4 || retSize === 8 ? { retSize } : {}),
    ...(k.mutant !== undefined ? { mutant: k.mutant } : {}),
  });
}

/**
 * The rest of bpf_struct_ops_test_run after the call (made or not, e.g. after an oops): the
 * state copied back to the user's pointer, the image freed. Returns test.retval.
 */
export function finishStructOpsTestRun(bpf: Bpf, run: StructOpsTestRun): KResult<number> {
  const mem = bpf.kernel.machine.memory;
  bpf.trampolines.freeStandalone(run.trampoline);
  if (run.user !== 0n) {
    const state = mem.readBytes(run.args + BigInt(STATE_OFF), STATE_SIZE);
    try {
      mem.writeBytes(run.user, state);
    } catch {
      return fail('EFAULT', `copy_to_user of the state at 0x${run.user.toString(16)} faulted`);
    }
  }
  return ok(Number(mem.readU(run.retval, 4)));
}

/**
 * Registering a struct_ops map of a type (bpf_map__attach_struct_ops): bpf_dummy_ops refuses
 * (its init_member and reg answer -EOPNOTSUPP), and it is the only type modelled.
 */
export function registerStructOps(type: string): KResult {
  if (type === 'bpf_dummy_ops') return fail('EOPNOTSUPP', 'bpf_dummy_ops cannot be registered (bpf_dummy_init_member / bpf_dummy_reg)');
  return fail('ENOENT', `no struct_ops type ${type}`);
}
