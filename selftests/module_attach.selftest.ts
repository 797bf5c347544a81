/**
 * module_attach (upstream prog_tests/module_attach.c + progs/test_module_attach.c, reference
 * §2.15): programs on the bpf_testmod read handler, triggered by a read of READ_SZ (456)
 * bytes of /sys/kernel/bpf_testmod; every program records the size it saw, fexit also the
 * return value (the module always fails the read with -EIO).
 *
 * Subtests:
 * - trampoline: fentry (by name, and "manual": target set before load), fexit and fmod_ret
 *   (returning 0: no override) on bpf_testmod_test_read.
 * - raw_tp, tp_btf, kprobe_multi: SKIP (rvtramp's kernel has no tracepoints and no kprobes).
 *
 * Upstream's fexit on bpf_testmod_return_ptr (probe-reading the bogus pointers it returns) is
 * not ported: that function is not in rvtramp's bpf_testmod.
 */
import type { TestContext } from '../harness/runner/context';
import { defineObject } from '../kernel/bpf/runtime';
import { args, EIO, open_and_load, trigger_module_test_read } from './_lib';

const READ_SZ = 456;

const TEST_READ = args('struct file *file', 'struct kobject *kobj', 'struct bin_attribute *bin_attr', 'char *buf', 'loff_t off', 'size_t len');

/** progs/test_module_attach.c (its trampoline programs). */
const test_module_attach_skel = defineObject({
  name: 'test_module_attach',
  bss: { fentry_read_sz: 0, fentry_manual_read_sz: 0, fexit_read_sz: 0, fexit_ret: -1, fmod_ret_read_sz: 0 },
  progs: [
    { name: 'handle_fentry', attach: 'fentry', target: 'bpf_testmod_test_read', args: TEST_READ, body: (c) => { c.bss.fentry_read_sz = c.arg('len'); } },
    // Upstream: SEC("fentry") with bpf_program__set_attach_target(prog, 0, "bpf_testmod_test_read") before load.
    { name: 'handle_fentry_manual', attach: 'fentry', target: 'bpf_testmod_test_read', args: TEST_READ, body: (c) => { c.bss.fentry_manual_read_sz = c.arg('len'); } },
    {
      name: 'handle_fexit', attach: 'fexit', target: 'bpf_testmod_test_read', args: TEST_READ, ret: 'long',
      body: (c) => { c.bss.fexit_read_sz = c.arg('len'); c.bss.fexit_ret = c.ret(); },
    },
    {
      name: 'handle_fmod_ret', attach: 'fmod_ret', target: 'bpf_testmod_test_read', args: TEST_READ, ret: 'long',
      body: (c) => { c.bss.fmod_ret_read_sz = c.arg('len'); return 0n; },
    },
  ],
});

function test_trampoline(t: TestContext): void {
  const k = t.boot();
  const skel = open_and_load(t, k, test_module_attach_skel);
  if (!t.ASSERT_OK_PTR(skel, 'skel_open') || !t.ASSERT_OK_PTR(skel, 'skel_load')) return;
  const err = skel.attach();
  if (!t.ASSERT_OK(err, 'skel_attach')) return;

  // Trigger tracepoint/fentry/fexit programs.
  const rd = trigger_module_test_read(t, k, READ_SZ);
  if (rd === undefined) return;
  t.ASSERT_OK(rd, 'trigger_read');

  const bss = skel.bss;
  t.ASSERT_EQ(bss.fentry_read_sz!, READ_SZ, 'fentry');
  t.ASSERT_EQ(bss.fentry_manual_read_sz!, READ_SZ, 'fentry_manual');
  t.ASSERT_EQ(bss.fexit_read_sz!, READ_SZ, 'fexit');
  // "fexit_tet" [sic]: upstream's tag.
  t.ASSERT_EQ(bss.fexit_ret!, -EIO, 'fexit_tet');
  t.ASSERT_EQ(bss.fmod_ret_read_sz!, READ_SZ, 'fmod_ret');
  skel.destroy();
}

export function test_module_attach(t: TestContext): void {
  if (t.subtest('trampoline')) test_trampoline(t);
  if (t.subtest('raw_tp')) t.skip('raw_tp/bpf_testmod_test_read: rvtramp\'s kernel has no tracepoints');
  if (t.subtest('tp_btf')) t.skip('tp_btf/bpf_testmod_test_read: rvtramp\'s kernel has no tracepoints');
  if (t.subtest('kprobe_multi')) t.skip('kprobe.multi/bpf_testmod_test_read: rvtramp models BPF trampolines, not kprobes (fprobe)');
}
