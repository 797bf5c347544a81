/**
 * trampoline_count (upstream prog_tests/trampoline_count.c + progs/test_trampoline_count.c,
 * reference §2.6; serial): BPF_MAX_TRAMP_LINKS links on bpf_modify_return_test, cycling
 * through fentry, fmod_ret and fexit programs (each from a freshly loaded object); one more
 * must be refused with -E2BIG and change nothing. Then a test_run of that extra (loaded, not
 * attached) fmod_ret program: every attached program returns 0, so both originals run:
 * ret 33, side effect 2.
 */
import type { TestContext } from '../harness/runner/context';
import { defineObject } from '../kernel/bpf/runtime';
import { E2BIG, get_bpf_max_tramp_links, open_and_load, test_run, type Skeleton } from './_lib';

const PROGS = ['fentry_test', 'fmod_ret_test', 'fexit_test'] as const;

/** progs/test_trampoline_count.c: three programs on bpf_modify_return_test, all returning 0. */
const test_trampoline_count = defineObject({
  name: 'test_trampoline_count',
  progs: [
    { name: 'fentry_test', attach: 'fentry', target: 'bpf_modify_return_test', body: () => 0n },
    { name: 'fmod_ret_test', attach: 'fmod_ret', target: 'bpf_modify_return_test', body: () => 0n },
    { name: 'fexit_test', attach: 'fexit', target: 'bpf_modify_return_test', body: () => 0n },
  ],
});

export function serial_test_trampoline_count(t: TestContext): void {
  const k = t.boot();
  const bpf_max_tramp_links = get_bpf_max_tramp_links(k);
  if (!t.ASSERT_GE(bpf_max_tramp_links, 1, 'bpf_max_tramp_links')) return;

  const objs: Skeleton[] = [];
  for (let i = 0; i < bpf_max_tramp_links; i++) {
    const obj = open_and_load(t, k, test_trampoline_count);
    if (!t.ASSERT_OK_PTR(obj, 'obj_open_file') || !t.ASSERT_OK_PTR(obj, 'obj_load')) return;
    const name = PROGS[i % 3]!;
    if (!t.ASSERT_OK_PTR(obj.prog(name), 'obj_find_prog')) return;
    const link = obj.attach_prog(name);
    if (!t.ASSERT_OK_PTR(link, 'attach_prog')) return;
    objs.push(obj);
  }

  // One link past the limit.
  const extra = open_and_load(t, k, test_trampoline_count);
  if (!t.ASSERT_OK_PTR(extra, 'obj_open_file') || !t.ASSERT_OK_PTR(extra, 'obj_load')) return;
  const prog = extra.prog('fmod_ret_test');
  if (!t.ASSERT_OK_PTR(prog, 'obj_find_prog')) return;
  const link = extra.attach_prog('fmod_ret_test');
  if (!t.ASSERT_ERR_PTR(link, 'attach_prog')) return;
  t.ASSERT_EQ(link.ok ? 0 : link.err, -E2BIG, 'E2BIG');
  t.ASSERT_EQ(link.ok ? 1 : 0, 0, 'ptr_is_null');

  // Test-run the extra program (loaded, not attached).
  const r = test_run(t, k, prog);
  if (!r) return;
  t.ASSERT_OK(r.err, 'bpf_prog_test_run_opts');
  t.ASSERT_EQ(r.retval & 0xffff, 33, 'bpf_modify_return_test.result');
  t.ASSERT_EQ(r.retval >>> 16, 2, 'bpf_modify_return_test.side_effect');

  extra.destroy();
  for (const o of objs) o.destroy();
}
