/**
 * ftrace_regs (rvtramp's own): an ftrace ops that saves all registers (FTRACE_OPS_FL_SAVE_REGS,
 * as a kprobe placed on an ftrace site) goes through ftrace_regs_caller. It must see the traced
 * call's arguments in the saved registers, and the call must come back with its right value.
 * With DIRECT_CALLS, ftrace_regs_caller clears t1 before saving registers (`mv t1, zero`) and
 * afterwards jumps to t1 if a direct ops set it: a stale t1 from the caller would send the
 * traced function somewhere else — this test is what sees that.
 *
 * Kernels built WITH_ARGS (v6.10+) have no ftrace_regs_caller: an ops asking for SAVE_REGS
 * alone is refused with -EINVAL, and with SAVE_REGS_IF_SUPPORTED it runs from ftrace_caller
 * with the ftrace_regs area (where t1 is cleared and checked the same way).
 */
import type { TestContext } from '../harness/runner/context';
import { BPF_TRACE_FENTRY, test_run } from './_lib';

export function test_ftrace_regs(t: TestContext): void {
  if (!t.subtest('regs_ops')) return;
  const k = t.boot();
  const seen: bigint[] = [];
  const withArgs = k.profile.ftraceWith === 'ARGS';
  if (withArgs) {
    const only = k.ftrace.createOps({ name: 'regs_only', saveRegs: true, func: () => undefined });
    const r = k.ftrace.register(only);
    t.ASSERT_EQ(r.ok ? 0 : r.err, -22, 'register SAVE_REGS without WITH_REGS: -EINVAL');
  }
  const ops = k.ftrace.createOps({
    name: 'regs_probe', saveRegs: true, saveRegsIfSupported: withArgs,
    // a0 of the traced function, from the register area the caller built
    func: (c) => seen.push(c.regs.arg(0)),
  });
  if (!t.ASSERT_OK(k.ftrace.setFilterFunctions(ops, ['bpf_fentry_test1', 'bpf_fentry_test2']), 'set_filter')) return;
  if (!t.ASSERT_OK(k.ftrace.register(ops), 'register_ftrace_function')) return;
  const r = test_run(t, k, BPF_TRACE_FENTRY);
  if (!r) return;
  t.ASSERT_OK(r.err, 'test_run');
  t.ASSERT_EQ(seen.length, 2, 'regs ops calls');
  t.ASSERT_EQ(seen[0] ?? -1n, 1n, 'bpf_fentry_test1 a0');
  t.ASSERT_EQ(seen[1] ?? -1n, 2n, 'bpf_fentry_test2 a0');
  t.ASSERT_OK(k.ftrace.unregister(ops), 'unregister_ftrace_function');
}
