/**
 * fentry_fexit (upstream prog_tests/fentry_fexit.c, reference §2.3): the fentry_test and
 * fexit_test objects attached together, so each bpf_fentry_testN has one trampoline running
 * an fentry and an fexit program; one test_run, and every result of both must be 1.
 */
import type { TestContext } from '../harness/runner/context';
import { bssValues, open_and_load, test_run } from './_lib';
import { fentry_test } from './progs/fentry_test';
import { fexit_test } from './progs/fexit_test';

export function test_fentry_fexit(t: TestContext): void {
  const k = t.boot();
  const fentry_skel = open_and_load(t, k, fentry_test);
  if (!t.ASSERT_OK_PTR(fentry_skel, 'fentry_skel_load')) return;
  const fexit_skel = open_and_load(t, k, fexit_test);
  if (!t.ASSERT_OK_PTR(fexit_skel, 'fexit_skel_load')) return;

  let err = fentry_skel.attach();
  if (!t.ASSERT_OK(err, 'fentry_attach')) return;
  err = fexit_skel.attach();
  if (!t.ASSERT_OK(err, 'fexit_attach')) return;

  const r = test_run(t, k, fexit_skel.prog('test1'));
  if (!r) return;
  // "ipv6": the upstream tags are historical.
  t.ASSERT_OK(r.err, 'ipv6 test_run');
  t.ASSERT_OK(r.retval, 'ipv6 test retval');

  t.log(`${fentry_skel.bss.test1_result}`);
  const fentry_res = bssValues(fentry_skel);
  const fexit_res = bssValues(fexit_skel);
  for (let i = 0; i < 8; i++) {
    t.ASSERT_EQ(fentry_res[i]!, 1, 'fentry result');
    t.ASSERT_EQ(fexit_res[i]!, 1, 'fexit result');
  }
  fexit_skel.destroy();
  fentry_skel.destroy();
}
