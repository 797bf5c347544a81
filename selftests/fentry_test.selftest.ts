/**
 * fentry_test (upstream prog_tests/fentry_test.c, reference §2.1), subtests:
 *
 * - fentry: fentry programs on bpf_fentry_test1..8 see the exact arguments; attaching test1 a
 *   second time fails; test_run returns 0; all attached, detached, and attached again (the
 *   second round proves detach -> re-attach rebuilds the trampoline).
 * - fentry_many_args: fentry on bpf_testmod_fentry_test7 / _test11 (arguments 9-11 on the
 *   stack), triggered by a read of bpf_testmod.
 *
 * Without a usable trampoline (no BPF trampoline, no ftrace direct calls, or more argument
 * slots than the era's generator takes) the attach fails with -ENOTSUPP (-524) as upstream:
 * `fentry_attach unexpected error: -524`.
 */
import type { TestContext } from '../harness/runner/context';
import { bssValues, link_fd, open_and_load, resetBss, test_run, trigger_module_test_read, type Skeleton } from './_lib';
import { fentry_test } from './progs/fentry_test';
import { fentry_many_args } from './progs/many_args';

function fentry_test_common(t: TestContext, skel: Skeleton): number {
  const err = skel.attach();
  if (!t.ASSERT_OK(err, 'fentry_attach')) return err;

  // A program that is already linked cannot be attached again.
  const fd = link_fd(skel.attach_prog('test1'));
  if (!t.ASSERT_LT(fd, 0, 'fentry_attach_link')) return -1;

  const r = test_run(t, skel.k, skel.prog('test1'));
  if (!r) return -1;
  t.ASSERT_OK(r.err, 'test_run');
  t.ASSERT_EQ(r.retval, 0, 'test_run');

  for (const v of bssValues(skel)) if (!t.ASSERT_EQ(v, 1, 'fentry_result')) return -1;

  skel.detach();
  // Zero the results for the re-attach round.
  resetBss(skel);
  return 0;
}

function test_fentry(t: TestContext): void {
  const k = t.boot();
  const skel = open_and_load(t, k, fentry_test);
  if (!t.ASSERT_OK_PTR(skel, 'fentry_skel_load')) return;
  let err = fentry_test_common(t, skel);
  if (!t.ASSERT_OK(err, 'fentry_first_attach')) return;
  err = fentry_test_common(t, skel);
  t.ASSERT_OK(err, 'fentry_second_attach');
  skel.destroy();
}

function test_fentry_many_args(t: TestContext): void {
  const k = t.boot();
  const skel = open_and_load(t, k, fentry_many_args);
  if (!t.ASSERT_OK_PTR(skel, 'fentry_many_args_skel_load')) return;
  const err = skel.attach();
  if (!t.ASSERT_OK(err, 'fentry_many_args_attach')) return;
  const rd = trigger_module_test_read(t, k, 1);
  if (rd === undefined) return;
  t.ASSERT_OK(rd, 'trigger_read');
  t.ASSERT_EQ(skel.bss.test1_result!, 1, 'fentry_many_args_result1');
  t.ASSERT_EQ(skel.bss.test2_result!, 1, 'fentry_many_args_result2');
  t.ASSERT_EQ(skel.bss.test3_result!, 1, 'fentry_many_args_result3');
  skel.destroy();
}

export function test_fentry_test(t: TestContext): void {
  if (t.subtest('fentry')) test_fentry(t);
  if (t.subtest('fentry_many_args')) test_fentry_many_args(t);
}
