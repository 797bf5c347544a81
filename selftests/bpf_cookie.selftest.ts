/**
 * bpf_cookie (upstream prog_tests/bpf_cookie.c + progs/test_bpf_cookie.c, reference §2.17),
 * subtest trampoline: fentry and fexit on bpf_fentry_test1 and fmod_ret on
 * bpf_modify_return_test, each linked with its own cookie; every run ORs
 * bpf_get_attach_cookie() into its result, so each result must be exactly its link's cookie
 * (the trampoline wrote the right cookie into the run_ctx of each program it ran).
 *
 * Subtest lsm (the same through an LSM hook trampoline): SKIP, no LSM hooks in rvtramp's kernel.
 * The kprobe / uprobe / tracepoint / perf_event subtests of upstream are not trampoline tests
 * and are not ported.
 */
import type { TestContext } from '../harness/runner/context';
import { defineObject, type ProgCtx } from '../kernel/bpf/runtime';
import { args, open_and_load, test_run, type Skeleton } from './_lib';

/** res |= bpf_get_attach_cookie(ctx) (upstream also filters on the test's tid). */
function update(c: ProgCtx, res: 'fentry_res' | 'fexit_res' | 'fmod_ret_res'): void {
  c.bss[res] = c.bss[res]! | c.cookie();
}

/** progs/test_bpf_cookie.c (its trampoline programs). */
const test_bpf_cookie_skel = defineObject({
  name: 'test_bpf_cookie',
  bss: { fentry_res: 0, fexit_res: 0, fmod_ret_res: 0 },
  progs: [
    { name: 'fentry_test1', attach: 'fentry', target: 'bpf_fentry_test1', args: args('int a'), body: (c) => { update(c, 'fentry_res'); } },
    { name: 'fexit_test1', attach: 'fexit', target: 'bpf_fentry_test1', args: args('int a'), body: (c) => { update(c, 'fexit_res'); } },
    {
      name: 'fmod_ret_test', attach: 'fmod_ret', target: 'bpf_modify_return_test', args: args('int a', 'int *b'),
      body: (c) => { update(c, 'fmod_ret_res'); return 1234n; },
    },
  ],
});

function tracing_subtest(t: TestContext, skel: Skeleton): void {
  skel.bss.fentry_res = 0n;
  skel.bss.fexit_res = 0n;

  const links: [string, string, bigint][] = [
    ['fentry_test1', 'fentry.link_create', 0x10000000000000n],
    ['fexit_test1', 'fexit.link_create', 0x20000000000000n],
    ['fmod_ret_test', 'fmod_ret.link_create', 0x30000000000000n],
  ];
  for (const [prog, tag, cookie] of links) {
    const link = skel.attach_prog(prog, { cookie });
    if (!t.ASSERT_GE(link.ok ? 0 : link.err, 0, tag) || !link.ok) return;
    // bpf_link_get_info_by_fd: the link carries the cookie.
    t.ASSERT_EQ(link.value.cookie, cookie, 'tracing_cookie');
  }

  // The return values are not checked upstream; an oops still fails the subtest.
  if (!test_run(t, skel.k, skel.prog('fentry_test1'))) return;
  if (!test_run(t, skel.k, skel.prog('fmod_ret_test'))) return;

  t.ASSERT_EQ(skel.bss.fentry_res!, 0x10000000000000n, 'fentry_res');
  t.ASSERT_EQ(skel.bss.fexit_res!, 0x20000000000000n, 'fexit_res');
  t.ASSERT_EQ(skel.bss.fmod_ret_res!, 0x30000000000000n, 'fmod_ret_res');
  skel.destroy();
}

export function test_bpf_cookie(t: TestContext): void {
  if (t.subtest('trampoline')) {
    const k = t.boot();
    const skel = open_and_load(t, k, test_bpf_cookie_skel);
    if (t.ASSERT_OK_PTR(skel, 'skel_open')) tracing_subtest(t, skel);
  }
  if (t.subtest('lsm')) t.skip('LSM hook trampolines (lsm/file_mprotect): rvtramp\'s kernel has no LSM hooks');
}
