/**
 * fexit_test (upstream prog_tests/fexit_test.c, reference §2.2), subtests:
 *
 * - fexit: fexit programs on bpf_fentry_test1..8 see the arguments and the return values;
 *   the callers get the real return values back (test_run returns 0, not -EFAULT); attached,
 *   detached and attached again.
 * - fexit_many_args: fexit on bpf_testmod_fentry_test7 / _test11 sees arguments 9-11 (on the
 *   stack) and the return values 133 / 231.
 *
 * A trampoline that returns through the wrong register or skips into the traced function
 * shows as `test_run unexpected error: -14` (a callee's return value came back wrong) or as
 * an oops with the call-boundary monitor's finding.
 */
import type { TestContext } from '../harness/runner/context';
import { bssValues, link_fd, open_and_load, resetBss, test_run, trigger_module_test_read, type Skeleton } from './_lib';
import { fexit_test } from './progs/fexit_test';
import { fexit_many_args } from './progs/many_args';

function fexit_test_common(t: TestContext, skel: Skeleton): number {
  const err = skel.attach();
  if (!t.ASSERT_OK(err, 'fexit_attach')) return err;

  // A program that is already linked cannot be attached again.
  const fd = link_fd(skel.attach_prog('test1'));
  if (!t.ASSERT_LT(fd, 0, 'fexit_attach_link')) return -1;

  const r = test_run(t, skel.k, skel.prog('test1'));
  if (!r) return -1;
  t.ASSERT_OK(r.err, 'test_run');
  t.ASSERT_EQ(r.retval, 0, 'test_run');

  for (const v of bssValues(skel)) if (!t.ASSERT_EQ(v, 1, 'fexit_result')) return -1;

  skel.detach();
  // Zero the results for the re-attach round.
  resetBss(skel);
  return 0;
}

function test_fexit(t: TestContext): void {
  const k = t.boot();
  const skel = open_and_load(t, k, fexit_test);
  if (!t.ASSERT_OK_PTR(skel, 'fexit_skel_load')) return;
  let err = fexit_test_common(t, skel);
  if (!t.ASSERT_OK(err, 'fexit_first_attach')) return;
  err = fexit_test_common(t, skel);
  t.ASSERT_OK(err, 'fexit_second_attach');
  skel.destroy();
}

function test_fexit_many_args(t: TestContext): void {
  const k = t.boot();
  const skel = open_and_load(t, k, fexit_many_args);
  if (!t.ASSERT_OK_PTR(skel, 'fexit_many_args_skel_load')) return;
  const err = skel.attach();
  if (!t.ASSERT_OK(err, 'fexit_many_args_attach')) return;
  const rd = trigger_module_test_read(t, k, 1);
  if (rd === undefined) return;
  t.ASSERT_OK(rd, 'trigger_read');
  t.ASSERT_EQ(skel.bss.test1_result!, 1, 'fexit_many_args_result1');
  t.ASSERT_EQ(skel.bss.test2_result!, 1, 'fexit_many_args_result2');
  t.ASSERT_EQ(skel.bss.test3_result!, 1, 'fexit_many_args_result3');
  skel.destroy();
}

export function test_fexit_test(t: TestContext): void {
  if (t.subtest('fexit')) test_fexit(t);
  if (t.subtest('fexit_many_args')) test_fexit_many_args(t);
}
