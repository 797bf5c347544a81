/**
 * fexit_stress (upstream prog_tests/fexit_stress.c, reference §2.5; serial): BPF_MAX_TRAMP_LINKS
 * (38) fexit programs `{ r0 = 0; exit }` linked to bpf_fentry_test1, so its trampoline is as
 * full as it gets; the FEXIT test_run must still get every callee's return value right.
 */
import type { TestContext } from '../harness/runner/context';
import { get_bpf_max_tramp_links, open_and_load, test_run } from './_lib';

export function serial_test_fexit_stress(t: TestContext): void {
  const k = t.boot();
  const bpf_max_tramp_links = get_bpf_max_tramp_links(k);
  if (!t.ASSERT_GE(bpf_max_tramp_links, 1, 'bpf_max_tramp_links')) return;

  // libbpf_find_vmlinux_btf_id("bpf_fentry_test1", BPF_TRACE_FEXIT): the target must exist.
  t.ASSERT_TRUE(k.kallsyms.has('bpf_fentry_test1'), 'find_vmlinux_btf_id');

  const progs = [];
  for (let i = 0; i < bpf_max_tramp_links; i++) {
    // Each a raw program of its own (bpf_prog_load): `r0 = 0; exit`.
    const skel = open_and_load(t, k, { name: `fexit_${i}`, progs: [{ name: 'fexit', attach: 'fexit', target: 'bpf_fentry_test1', body: () => 0n }] });
    if (!t.ASSERT_OK_PTR(skel, 'fexit load')) return;
    const link = skel.attach_prog('fexit');
    if (!t.ASSERT_GE(link.ok ? 0 : link.err, 0, 'fexit attach')) return;
    progs.push(skel);
  }

  const r = test_run(t, k, progs[0]!.prog('fexit'));
  if (!r) return;
  t.ASSERT_OK(r.err, 'bpf_prog_test_run_opts');
  for (const skel of progs) skel.destroy();
}
