/**
 * recursion (upstream prog_tests/recursion.c + progs/recursion.c, reference §2.13).
 *
 * Upstream, an fentry program on htab_map_delete_elem counts deletes of hash1 (pass1) and of
 * hash2 (pass2), and on hash2 deletes from hash2 again: bpf_map_delete_elem re-enters the
 * same trampoline while the program is running, and the kernel must refuse that nested run
 * (a recursion miss) instead of recursing. rvtramp's kernel has no hash maps; the model is the
 * same shape on a traced kernel function: `on_delete` is an fentry program on
 * bpf_fentry_test1, whose argument stands for the map (1: hash1, 2: hash2); for hash2 the
 * body calls bpf_fentry_test1(2) again from inside the program (callFromHost, as a helper
 * reaching a traced kernel function does).
 *
 * Each user-space delete is a call of bpf_fentry_test1: pass1 0 -> 1 -> 2, pass2 0 -> 1 -> 2,
 * and two nested entries, two recursion misses. On trampolines before 10541b374aa0 ("riscv,
 * bpf: Fix incorrect runtime stats"), a missed run's __bpf_prog_exit gets a stale start time:
 * the kernel WARNs and the test fails on the WARNING line.
 */
import type { TestContext } from '../harness/runner/context';
import { defineObject } from '../kernel/bpf/runtime';
import type { Kernel } from '../kernel/kernel';
import { callFromHost } from '../kernel/image/nested-call';
import { args, explain, kernel_call, monitorsFor, open_and_load, removeMonitors } from './_lib';

const HASH1 = 1n;
const HASH2 = 2n;

/** progs/recursion.c */
function recursion(k: Kernel) {
  return defineObject({
    name: 'recursion',
    bss: { pass1: 0, pass2: 0, nested: 0 },
    progs: [
      {
        name: 'on_delete', attach: 'fentry', target: 'bpf_fentry_test1', args: args('int map'),
        body: (c) => {
          const map = BigInt(c.arg('map'));
          if (map === HASH1) c.bss.pass1!++;
          if (map === HASH2) {
            c.bss.pass2!++;
            // bpf_map_delete_elem(&hash2, &key): back into the traced function, and its trampoline.
            const r = callFromHost(c.hart, k.sym('bpf_fentry_test1'), [HASH2]);
            // What the nested call returned (a + 1), or what stopped it.
            c.bss.nested = r.kind === 'returned' ? r.value : -1n;
          }
        },
      },
    ],
  });
}

/** bpf_map_delete_elem(map, &key) from user space: a call of the traced function. */
function map_delete(t: TestContext, k: Kernel, map: bigint): boolean {
  const monitors = monitorsFor(k, ['bpf_fentry_test1']);
  try {
    const out = kernel_call(k, 'bpf_fentry_test1', [map], { monitors });
    if (!out.ok) {
      if (out.kind === 'timeout') t.timeout(`map_delete ${out.message}`);
      else t.fail(`${out.tag} ${out.message}`);
      explain(t, out);
      return false;
    }
    // Not checked upstream (the delete's result); here it is what the traced function returned.
    const ok = t.ASSERT_EQ(BigInt.asIntN(32, out.value), map + 1n, 'map_delete');
    for (const m of monitors) for (const f of m.findings) t.log(`monitor: ${f.message}`);
    return ok;
  } finally {
    removeMonitors(monitors);
  }
}

export function test_recursion(t: TestContext): void {
  const k = t.boot();
  const skel = open_and_load(t, k, recursion(k));
  if (!t.ASSERT_OK_PTR(skel, 'skel_open_and_load')) return;
  const err = skel.attach();
  if (!t.ASSERT_OK(err, 'skel_attach')) return;

  const bss = skel.bss;
  t.ASSERT_EQ(bss.pass1!, 0, 'pass1 == 0');
  if (!map_delete(t, k, HASH1)) return;
  t.ASSERT_EQ(bss.pass1!, 1, 'pass1 == 1');
  if (!map_delete(t, k, HASH1)) return;
  t.ASSERT_EQ(bss.pass1!, 2, 'pass1 == 2');

  t.ASSERT_EQ(bss.pass2!, 0, 'pass2 == 0');
  if (!map_delete(t, k, HASH2)) return;
  t.ASSERT_EQ(bss.pass2!, 1, 'pass2 == 1');
  if (!map_delete(t, k, HASH2)) return;
  t.ASSERT_EQ(bss.pass2!, 2, 'pass2 == 2');
  // The nested delete itself completed (only the program was skipped).
  t.ASSERT_EQ(bss.nested!, HASH2 + 1n, 'nested delete');

  // bpf_prog_get_info_by_fd(on_delete).recursion_misses
  t.ASSERT_EQ(skel.prog('on_delete').recursionMisses, 2, 'recursion_misses');
  skel.destroy();
}
