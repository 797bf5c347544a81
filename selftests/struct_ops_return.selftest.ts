/**
 * struct_ops_return (rvtramp's own; upstream only loads struct_ops programs that return
 * pointers): a struct_ops member's trampoline must hand its caller the member's return value
 * as the psABI says, a 4-byte int sign-extended into a0, an 8-byte pointer whole. A map of
 * bpf_testmod_ops gets programs for test_1 (int) and test_return_ref_kptr (a task_struct
 * pointer), and each member is called through the map's kdata pointer, as a kernel caller
 * calls an ops member.
 *
 * Before fd2e08128944 ("riscv, bpf: Sign extend struct ops return values properly", v6.18-rc1)
 * riscv returned the a0 the program left, R0's sign-extended low half, for every member: a
 * pointer came back cut to 32 bits (B-T10; bpf_qdisc's dequeue returning an skb panicked).
 * So ptr_return fails on v6.16 (harness/expectations) and passes on v7.0; v6.11 has no
 * test_return_ref_kptr (v6.15), and kernels before v6.9 no bpf_testmod_ops.
 */
import type { TestContext } from '../harness/runner/context';
import { defineObject } from '../kernel/bpf/runtime';
import { PAGE_OFFSET } from '../kernel/image';
import { args, explain, kernel_call, load_skel, type StructOpsMapSpec } from './_lib';

/** A task_struct pointer (a linear-map address, as a kmalloc'd task is). */
const TASK = PAGE_OFFSET + 0x0123_4560n;
const INT_RET = -5n;

const struct_ops_return = defineObject({
  name: 'struct_ops_return',
  progs: [
    { name: 'ret_int', attach: 'struct_ops', target: 'bpf_testmod_ops.test_1', body: () => INT_RET },
    {
      name: 'ret_ptr', attach: 'struct_ops', target: 'bpf_testmod_ops.test_return_ref_kptr',
      args: args('int dummy', 'struct task_struct *task', 'struct cgroup *cgrp'),
      body: (c) => c.arg('task'),
    },
  ],
});

/** Attaches a map with `prog` for `member`, calls the member through kdata with `callArgs`, checks a0. */
function check_member(t: TestContext, member: string, prog: string, callArgs: readonly bigint[], want: bigint): void {
  const k = t.boot();
  const skel = load_skel(t, k, struct_ops_return, { only: [prog] });
  if (!t.ASSERT_OK(typeof skel === 'number' ? skel : 0, 'skel_load') || typeof skel === 'number') return;
  try {
    const map: StructOpsMapSpec = { name: 'ret_map', type: 'bpf_testmod_ops', progs: { [member]: prog } };
    const link = skel.attach_map_struct_ops(map);
    if (!link) return;
    if (!t.ASSERT_OK_PTR(link, 'attach_struct_ops') || !link.ok) return;
    const fn = k.machine.memory.readU(link.value.kdata + BigInt(link.value.layout.funcs[member]!.offset), 8);
    const out = kernel_call(k, fn, callArgs);
    if (!out.ok) {
      t.fail(`${out.tag} ${out.message}`);
      explain(t, out);
      return;
    }
    t.ASSERT_EQ(out.value, want, `${member} returned`);
    skel.detach_map_struct_ops(link.value);
  } finally {
    skel.destroy();
  }
}

export function test_struct_ops_return(t: TestContext): void {
  if (t.subtest('int_return')) check_member(t, 'test_1', 'ret_int', [], BigInt.asUintN(64, INT_RET));
  if (t.subtest('ptr_return')) check_member(t, 'test_return_ref_kptr', 'ret_ptr', [7n, TASK, 0n], TASK);
}
