/**
 * struct_ops_multi_pages (upstream prog_tests/test_struct_ops_multi_pages.c, v6.9+): a
 * `.struct_ops.link` map of bpf_testmod_ops with a program for each of tramp_1..40 (each
 * returns its argument). Their trampolines are packed into pages one after the other, a new
 * page whenever the next does not fit ("over 1 page, at least for x86"); attaching the map
 * must work. On our profiles: two pages on v6.11 and without RVC, one with RVC on v6.16+,
 * where the trampolines are built for the empty model registration leaves tramp_* with.
 * Kernels before v6.9 have no bpf_testmod_ops (see harness/expectations).
 */
import type { TestContext } from '../harness/runner/context';
import { defineObject, type ProgSpec } from '../kernel/bpf/runtime';
import { args, load_skel, type StructOpsMapSpec } from './_lib';

const TRAMPS = Array.from({ length: 40 }, (_, i) => `tramp_${i + 1}`);

const struct_ops_multi_pages = defineObject({
  name: 'struct_ops_multi_pages',
  progs: TRAMPS.map((name): ProgSpec => ({ name, attach: 'struct_ops', target: `bpf_testmod_ops.${name}`, args: args('int a'), body: (c) => c.arg('a') })),
});

const multi_pages: StructOpsMapSpec = { name: 'multi_pages', type: 'bpf_testmod_ops', progs: Object.fromEntries(TRAMPS.map((t) => [t, t])) };

function do_struct_ops_multi_pages(t: TestContext): void {
  const skel = load_skel(t, t.boot(), struct_ops_multi_pages);
  if (!t.ASSERT_OK(typeof skel === 'number' ? skel : 0, 'struct_ops_multi_pages_open_and_load') || typeof skel === 'number') return;
  try {
    const link = skel.attach_map_struct_ops(multi_pages);
    if (!link) return;
    t.ASSERT_OK_PTR(link, 'attach_multi_pages');
    if (link.ok) {
      t.log(`multi_pages: ${link.value.trampolines.length} trampolines in ${link.value.pages.length} page(s)`);
      skel.detach_map_struct_ops(link.value);
    }
  } finally {
    skel.destroy();
  }
}

export function test_struct_ops_multi_pages(t: TestContext): void {
  if (t.subtest('multi_pages')) do_struct_ops_multi_pages(t);
}
