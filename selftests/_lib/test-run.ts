/**
 * The triggers the upstream tests use, on the simulated kernel:
 *
 * - test_run(type): BPF_PROG_TEST_RUN of a tracing program, i.e. bpf_prog_test_run_tracing()
 *   (kernel/image/src/test_run.c): calls bpf_fentry_test1..10 (FENTRY / FEXIT) or
 *   bpf_modify_return_test{,2} (MODIFY_RETURN) so the attached trampolines fire, and returns
 *   0 with retval = side_effect << 16 | (u16)ret, or -EFAULT when a callee returned a wrong
 *   value. The program itself is never run by test_run, only selects the branch.
 * - trigger_module_test_read(len): read(2) of /sys/kernel/bpf_testmod, i.e.
 *   bpf_testmod_test_read(NULL, NULL, NULL, NULL, 0, len) (always -EIO).
 *
 * A call that traps or breaks the ABI fails the (sub)test with the oops and the call-boundary
 * monitors' findings; one that runs out of budget is a TIMEOUT. Both return undefined: the
 * test stops there (`if (!r) return;`), as a test_progs run would not go on after an oops.
 */
import type { TestContext } from '../../harness/runner/context';
import type { Kernel } from '../../kernel/kernel';
import { scratchPage } from '../../kernel/image';
import type { BpfProg } from '../../kernel/bpf/runtime';
import { jitSupportsFsession } from '../../kernel/bpf/trampoline/era';
import { bpfOf } from '../../kernel/bpf/bpf';
import { finishStructOpsTestRun, prepareStructOpsTestRun, STRUCT_OPS_RUN_FN } from '../../kernel/bpf/struct-ops';
import { explain, kernel_call, monitorsFor, removeMonitors } from './kcall';
import type { CallBoundaryMonitor } from '../../kernel/monitor/call-boundary';

/** enum bpf_attach_type values bpf_prog_test_run_tracing switches on. */
export const BPF_TRACE_FENTRY = 24;
export const BPF_TRACE_FEXIT = 25;
export const BPF_MODIFY_RETURN = 26;
export const BPF_TRACE_FSESSION = 58;

export const EIO = 5;
export const EINVAL = 22;
export const EFAULT = 14;
export const E2BIG = 7;
export const EBUSY = 16;
export const ENOTSUPP = 524;
export const EOPNOTSUPP = 95;

/** What bpf_prog_test_run_tracing calls, per attach type. */
export const FENTRY_CALLEES: readonly string[] = Array.from({ length: 10 }, (_, i) => `bpf_fentry_test${i + 1}`);
export const MODIFY_RETURN_CALLEES: readonly string[] = ['bpf_modify_return_test', 'bpf_modify_return_test2'];

/** What bpf_testmod_test_read calls. */
export const TESTMOD_CALLEES: readonly string[] = [
  ...Array.from({ length: 9 }, (_, i) => `bpf_testmod_test_struct_arg_${i + 1}`),
  'bpf_testmod_test_arg_ptr_to_struct',
  'bpf_testmod_fentry_test1', 'bpf_testmod_fentry_test2', 'bpf_testmod_fentry_test3', 'bpf_testmod_fentry_test7', 'bpf_testmod_fentry_test11',
];

/** Scratch memory for test data (one rw page, shared by the helpers at fixed offsets). */
export const SCRATCH_RETVAL = 0x000n;
export const SCRATCH_SKB = 0x100n;
export const SCRATCH_FREE = 0x800n;

export function scratch(k: Kernel, off: bigint = SCRATCH_FREE): bigint {
  return scratchPage(k.machine) + off;
}

export interface TestRunResult {
  /** What the syscall returned: 0 or -EFAULT (-14). */
  readonly err: number;
  /** topts.retval (u32). */
  readonly retval: number;
}

export interface TestRunOptions {
  /** Monitors on the callees (default: one per callee of this attach type, for the failure report). */
  readonly monitors?: readonly CallBoundaryMonitor[];
}

/**
 * bpf_jit_supports_fsession() of the running kernel (7.0's riscv JIT). Upstream's tests pick
 * their fsession programs or a stub by target architecture at compile time (`#if
 * defined(bpf_target_riscv)`); a port builds them for the kernel it runs on.
 */
export function bpf_jit_supports_fsession(k: Kernel): boolean {
  return jitSupportsFsession(k.profile.trampoline);
}

/** The attach type a program's test run selects. */
export function attachTypeOf(prog: BpfProg): number {
  switch (prog.attach) {
    case 'fentry':
      return BPF_TRACE_FENTRY;
    case 'fexit':
      return BPF_TRACE_FEXIT;
    case 'fmod_ret':
      return BPF_MODIFY_RETURN;
    case 'fsession':
      // 7.0's bpf_prog_test_run_tracing runs FSESSION in the FENTRY/FEXIT arm. Our image's
      // test_run.c is the source before 7.0 for every profile: the same arm, by FENTRY.
      return BPF_TRACE_FENTRY;
    default:
      throw new Error(`test_run: ${prog.name} is a ${prog.attach} program, not a tracing program`);
  }
}

/**
 * bpf_prog_test_run_opts() of a tracing program of attach type `type` (or of `prog`'s type):
 * { err, retval }, or undefined after a kernel oops / timeout (already reported).
 */
export function test_run(t: TestContext, k: Kernel, type: number | BpfProg, opts: TestRunOptions = {}): TestRunResult | undefined {
  const attachType = typeof type === 'number' ? type : attachTypeOf(type);
  const buf = scratch(k, SCRATCH_RETVAL);
  k.machine.memory.writeU(buf, 4, 0n);
  const own = opts.monitors === undefined;
  const callees = attachType === BPF_MODIFY_RETURN ? MODIFY_RETURN_CALLEES : FENTRY_CALLEES;
  const monitors = opts.monitors ?? monitorsFor(k, callees, { bodyMaySkip: attachType === BPF_MODIFY_RETURN });
  try {
    const out = kernel_call(k, 'bpf_prog_test_run_tracing', [BigInt(attachType), buf], { monitors });
    if (!out.ok) {
      if (out.kind === 'timeout') t.timeout(`test_run ${out.message}`);
      else t.fail(`${out.tag} ${out.message}`);
      explain(t, out);
      return undefined;
    }
    const err = Number(BigInt.asIntN(32, out.value));
    // A wrong return value upstream is only -EFAULT; say which callee was wrong, for the log.
    if (err !== 0) for (const m of monitors) for (const f of m.findings) t.log(`monitor: ${f.message}`);
    return { err, retval: Number(k.machine.memory.readU(buf, 4)) };
  } finally {
    if (own) removeMonitors(monitors);
  }
}

/**
 * bpf_prog_test_run_opts() of a struct_ops program (bpf_struct_ops_test_run, kernel/bpf/
 * struct-ops.ts): ctx_in holds the member's arguments as u64 words, the first a user pointer
 * to a struct bpf_dummy_ops_state (or 0). The kernel prepares the member's trampoline and
 * dummy_ops_call_op (GCC code) calls it through a pointer. { err, retval }; undefined after an
 * oops / timeout in the call (already reported).
 */
export function struct_ops_test_run(t: TestContext, k: Kernel, prog: BpfProg, ctxIn: readonly bigint[]): TestRunResult | undefined {
  const bpf = bpfOf(k);
  const run = prepareStructOpsTestRun(bpf, prog, ctxIn);
  if (!run.ok) {
    t.log(`test_run: ${run.message}`);
    return { err: run.err, retval: 0 };
  }
  const out = kernel_call(k, STRUCT_OPS_RUN_FN, [run.value.image, run.value.args, run.value.retval]);
  if (!out.ok) {
    if (out.kind === 'timeout') t.timeout(`test_run ${out.message}`);
    else t.fail(`${out.tag} ${out.message}`);
    explain(t, out);
    return undefined;
  }
  const fin = finishStructOpsTestRun(bpf, run.value);
  if (!fin.ok) {
    t.log(`test_run: ${fin.message}`);
    return { err: fin.err, retval: 0 };
  }
  return { err: Number(BigInt.asIntN(32, out.value)), retval: fin.value };
}

/**
 * test_progs' trigger_module_test_read(read_sz): reads /sys/kernel/bpf_testmod, which enters
 * bpf_testmod_test_read(). Returns 0 when the read came back (with -EIO, as the module always
 * fails it); a read that returns anything else means a traced callee's return was clobbered
 * on the way: logged, and -EFAULT. undefined after an oops / timeout (already reported).
 */
export function trigger_module_test_read(t: TestContext, k: Kernel, readSz: number): number | undefined {
  const monitors = monitorsFor(k, ['bpf_testmod_test_read', ...TESTMOD_CALLEES]);
  try {
    const out = kernel_call(k, 'bpf_testmod_test_read', [0n, 0n, 0n, 0n, 0n, BigInt(readSz)], { monitors });
    if (!out.ok) {
      if (out.kind === 'timeout') t.timeout(`trigger_read ${out.message}`);
      else t.fail(`${out.tag} ${out.message}`);
      explain(t, out);
      return undefined;
    }
    const ret = BigInt.asIntN(64, out.value);
    if (ret !== BigInt(-EIO)) {
      t.log(`bpf_testmod_test_read returned ${ret}, expected -EIO (-5)`);
      for (const m of monitors) for (const f of m.findings) t.log(`monitor: ${f.message}`);
      return -EFAULT;
    }
    return 0;
  } finally {
    removeMonitors(monitors);
  }
}

/** bpf_testmod_fentry_ok: set by bpf_testmod_test_read when the fentry_test* callees returned what they should. */
export function bpf_testmod_fentry_ok(k: Kernel): number {
  return Number(k.machine.memory.readU(k.sym('bpf_testmod_fentry_ok'), 4));
}
