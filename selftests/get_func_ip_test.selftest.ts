/**
 * get_func_ip_test (upstream prog_tests/get_func_ip_test.c + progs/get_func_ip_test.c,
 * reference §2.9): bpf_get_func_ip() in a trampoline program is the traced function's entry
 * address (its kallsyms address, after any CALL_OPS literal and not the patched call site or
 * a return address).
 *
 * Subtests:
 * - test_function_entry: the trampoline programs (test1 fentry on bpf_fentry_test1, test2
 *   fexit on bpf_fentry_test2, test5 fmod_ret on bpf_modify_return_test), as upstream, and
 *   test9 (fsession on bpf_fentry_test1, 7.0: the ip on both sides; where the JIT has no
 *   fsession support, upstream's `#else` stub sets both results).
 * - kprobe, uprobe, test_function_body: upstream's kprobe / kretprobe (test3, test4), uprobe /
 *   uretprobe (test7, test8) and kprobe-at-offset (test6) programs: SKIP, rvtramp models BPF
 *   trampolines only.
 */
import type { TestContext } from '../harness/runner/context';
import { defineObject } from '../kernel/bpf/runtime';
import type { Kernel } from '../kernel/kernel';
import { args, bit, bpf_jit_supports_fsession, open_and_load, test_run } from './_lib';

/** progs/get_func_ip_test.c (trampoline programs): `__ksym` addresses resolved at load. */
function get_func_ip_test(k: Kernel) {
  const ksym = (name: string) => k.sym(name);
  return defineObject({
    name: 'get_func_ip_test',
    bss: { test1_result: 0, test2_result: 0, test5_result: 0, test9_entry_result: 0, test9_exit_result: 0 },
    progs: [
      {
        name: 'test1', attach: 'fentry', target: 'bpf_fentry_test1', args: args('int a'), usesFuncIp: true,
        body: (c) => { c.bss.test1_result = bit(c.funcIp() === ksym('bpf_fentry_test1')); },
      },
      {
        name: 'test2', attach: 'fexit', target: 'bpf_fentry_test2', args: args('int a', 'u64 b'), usesFuncIp: true,
        body: (c) => { c.bss.test2_result = bit(c.funcIp() === ksym('bpf_fentry_test2')); },
      },
      {
        name: 'test5', attach: 'fmod_ret', target: 'bpf_modify_return_test', args: args('int a', 'int *b'), usesFuncIp: true,
        body: (c) => {
          c.bss.test5_result = bit(c.funcIp() === ksym('bpf_modify_return_test'));
          return c.ret();
        },
      },
      bpf_jit_supports_fsession(k)
        ? {
            name: 'test9', attach: 'fsession', target: 'bpf_fentry_test1', args: args('int a'), usesFuncIp: true,
            body: (c) => {
              if (c.sessionIsReturn()) c.bss.test9_exit_result = bit(c.funcIp() === ksym('bpf_fentry_test1'));
              else c.bss.test9_entry_result = bit(c.funcIp() === ksym('bpf_fentry_test1'));
            },
          }
        : {
            name: 'test9', attach: 'fentry', target: 'bpf_fentry_test1',
            body: (c) => {
              c.bss.test9_entry_result = 1n;
              c.bss.test9_exit_result = 1n;
            },
          },
    ],
  });
}

function test_function_entry(t: TestContext): void {
  const k = t.boot();
  const skel = open_and_load(t, k, get_func_ip_test(k));
  if (!t.ASSERT_OK_PTR(skel, 'get_func_ip_test__open') || !t.ASSERT_OK_PTR(skel, 'get_func_ip_test__load')) return;
  const err = skel.attach();
  if (!t.ASSERT_OK(err, 'get_func_ip_test__attach')) return;

  let r = test_run(t, k, skel.prog('test1'));
  if (!r) return;
  t.ASSERT_OK(r.err, 'test_run');
  t.ASSERT_EQ(r.retval, 0, 'test_run');

  r = test_run(t, k, skel.prog('test5'));
  if (!r) return;
  t.ASSERT_OK(r.err, 'test_run');

  t.ASSERT_EQ(skel.bss.test1_result!, 1, 'test1_result');
  t.ASSERT_EQ(skel.bss.test2_result!, 1, 'test2_result');
  t.ASSERT_EQ(skel.bss.test5_result!, 1, 'test5_result');
  t.ASSERT_EQ(skel.bss.test9_entry_result!, 1, 'test9_entry_result');
  t.ASSERT_EQ(skel.bss.test9_exit_result!, 1, 'test9_exit_result');
  skel.destroy();
}

export function test_get_func_ip_test(t: TestContext): void {
  if (t.subtest('test_function_entry')) test_function_entry(t);
  if (t.subtest('kprobe')) t.skip('kprobe/kretprobe programs (upstream test3, test4): rvtramp models BPF trampolines, not kprobes');
  if (t.subtest('uprobe')) t.skip('uprobe/uretprobe programs (upstream test7, test8): rvtramp has no user space');
  if (t.subtest('test_function_body')) t.skip('kprobe at function+offset (upstream test6, x86 only): rvtramp models BPF trampolines, not kprobes');
}
