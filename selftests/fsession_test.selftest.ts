/**
 * fsession_test (upstream prog_tests/fsession_test.c, 7.0): fsession programs, run at entry
 * and at exit of the traced function, next to plain fentry / fexit programs on it. Subtests:
 *
 * - fsession_test: load, attach, one test run of bpf_prog_test_run_tracing; every result 1.
 * - fsession_reattach: the same, detached, results zeroed, attached again and run again.
 * - fsession_cookie: without test6 (the only program using bpf_get_func_ip), so the
 *   trampoline has no ip slot and the session cookies sit one slot higher; test6's results
 *   are set by hand.
 *
 * A kernel whose JIT has no fsession support refuses the object at load with -EOPNOTSUPP;
 * the test then skips, as upstream's does. The profiles before v7.0 answer so (a kernel of
 * their time would not know the attach type at all, and had no such test).
 */
import type { TestContext } from '../harness/runner/context';
import type { Kernel } from '../kernel/kernel';
import type { LoadOptions } from '../kernel/bpf/runtime';
import { bssValues, EOPNOTSUPP, load_skel, resetBss, test_run, type Skeleton } from './_lib';
import { fsession_test } from './progs/fsession_test';

function check_result(t: TestContext, skel: Skeleton): boolean {
  const r = test_run(t, skel.k, skel.prog('test1'));
  if (!r) return false;
  if (!t.ASSERT_OK(r.err, 'test_run_opts err')) return false;
  if (!t.ASSERT_OK(r.retval, 'test_run_opts retval')) return false;
  for (const v of bssValues(skel)) if (!t.ASSERT_EQ(v, 1, 'test_result')) return false;
  return true;
}

/** fsession_test__open_and_load(); undefined when the test ends (skipped or failed). */
function load(t: TestContext, k: Kernel, opts: LoadOptions = {}): Skeleton | undefined {
  const skel = load_skel(t, k, fsession_test(k), opts);
  if (skel === -EOPNOTSUPP) {
    t.skip(`the ${k.profile.trampoline} JIT has no fsession support (bpf_jit_supports_fsession, 7.0)`);
    return undefined;
  }
  if (!t.ASSERT_OK(typeof skel === 'number' ? skel : 0, 'fsession_test__load') || typeof skel === 'number') return undefined;
  return skel;
}

/** Runs a subtest's body on a loaded skeleton and destroys it however the body ends (goto cleanup). */
function withSkel(t: TestContext, opts: LoadOptions, body: (skel: Skeleton) => void): void {
  const skel = load(t, t.boot(), opts);
  if (!skel) return;
  try {
    body(skel);
  } finally {
    skel.destroy();
  }
}

function test_fsession_basic(t: TestContext): void {
  withSkel(t, {}, (skel) => {
    if (!t.ASSERT_OK(skel.attach(), 'fsession_attach')) return;
    check_result(t, skel);
  });
}

function test_fsession_reattach(t: TestContext): void {
  withSkel(t, {}, (skel) => {
    if (!t.ASSERT_OK(skel.attach(), 'fsession_first_attach')) return;
    if (!check_result(t, skel)) return;
    skel.detach();
    resetBss(skel);
    if (!t.ASSERT_OK(skel.attach(), 'fsession_second_attach')) return;
    check_result(t, skel);
  });
}

function test_fsession_cookie(t: TestContext): void {
  // bpf_program__set_autoload(skel->progs.test6, false)
  const only = ['test1', 'test2', 'test3', 'test4', 'test5', 'test7', 'test8', 'test9', 'test10', 'test11'];
  withSkel(t, { only }, (skel) => {
    if (!t.ASSERT_OK(skel.attach(), 'fsession_attach')) return;
    skel.bss.test6_entry_result = 1n;
    skel.bss.test6_exit_result = 1n;
    check_result(t, skel);
  });
}

export function test_fsession_test(t: TestContext): void {
  if (t.subtest('fsession_test')) test_fsession_basic(t);
  if (t.subtest('fsession_reattach')) test_fsession_reattach(t);
  if (t.subtest('fsession_cookie')) test_fsession_cookie(t);
}
