/**
 * struct_ops_module (upstream prog_tests/test_struct_ops_module.c, serial; v6.9+): a
 * `.struct_ops.link` map of bpf_testmod_ops, a struct_ops type the bpf_testmod module
 * registers. Attaching the map builds a trampoline for each member that has a program, packed
 * into a page, and creating the link runs the module's .reg (GCC code), which calls test_1()
 * and test_2(4, data) through the map's pointers: each call enters its trampoline directly,
 * which runs the program and returns to .reg through ra.
 *
 * Subtests:
 * - struct_ops_load: data = 13 and test_2 = test_3, attach: test_1_result == 0xdeadbeef and
 *   test_2_result == 4 + 13 + 3 = 20. Upstream's `if (!attach_ops_and_check(...)) goto
 *   cleanup` skips testmod_2 once testmod_1 passed; the port does the same. check_map_info
 *   (the map reports the module's BTF object) is not modelled.
 * - struct_ops_incompatible: a map through a shadow type whose test_2 differs attaches.
 * - test_detach_link: a map without programs attaches (.reg calls nothing) and detaches
 *   (.unreg); the EPOLLHUP upstream then waits for is not modelled.
 * - unsupported_ops (RUN_TESTS(unsupported_ops), v6.12+): a program for the member without a
 *   cfi stub fails to load: "attach to unsupported member unsupported_ops of struct
 *   bpf_testmod_ops". v6.11 has no such member (an expected failure there).
 * - struct_ops_not_zeroed, struct_ops_null_out_cb, struct_ops_forgotten_cb: SKIP (libbpf's own
 *   checks of shadow types and unused programs; nothing reaches the kernel).
 *
 * Kernels before v6.9 have no bpf_testmod_ops: the object does not load there (see
 * harness/expectations).
 */
import type { TestContext } from '../harness/runner/context';
import type { Skeleton, StructOpsMapSpec } from './_lib';
import { load_must_fail, load_skel } from './_lib';
import { struct_ops_detach, struct_ops_module, testmod_1, testmod_2, testmod_do_detach, testmod_incompatible, unsupported_ops } from './progs/struct_ops_module';

/** struct_ops_module__open_and_load() with these programs autoloaded; undefined (with a FAIL) when it fails. */
function open_and_load_module(t: TestContext, only: readonly string[], tag = 'struct_ops_module_load'): Skeleton | undefined {
  const skel = load_skel(t, t.boot(), struct_ops_module, { only });
  if (!t.ASSERT_OK(typeof skel === 'number' ? skel : 0, tag) || typeof skel === 'number') return undefined;
  return skel;
}

/** Attach, check the results, destroy the link: 0 on success, as upstream's helper returns. */
function attach_ops_and_check(t: TestContext, skel: Skeleton, map: StructOpsMapSpec, test_2_result: number): number {
  const link = skel.attach_map_struct_ops(map);
  if (!link) return -1;
  if (!t.ASSERT_OK_PTR(link, 'attach_test_mod_1')) return -1;
  t.ASSERT_EQ(skel.bss.test_1_result, 0xdeadbeef, 'test_1_result');
  t.ASSERT_EQ(skel.bss.test_2_result, test_2_result, 'test_2_result');
  if (link.ok) skel.detach_map_struct_ops(link.value);
  return 0;
}

function test_struct_ops_load(t: TestContext): void {
  // test_2 is not autoloaded; test_3 is, since testmod_1 now uses it; testmod_zeroed is not created.
  const skel = open_and_load_module(t, ['test_1', 'test_3', 'test_2_v2']);
  if (!skel) return;
  try {
    t.log('check_map_info (the map reports the module\'s BTF object): not modelled');
    const map1: StructOpsMapSpec = { ...testmod_1, progs: { ...testmod_1.progs, test_2: 'test_3' }, data: { data: 13 } };
    if (!attach_ops_and_check(t, skel, map1, 20)) return; // (upstream: goto cleanup)
    attach_ops_and_check(t, skel, testmod_2, 12);
  } finally {
    skel.destroy();
  }
}

function test_struct_ops_incompatible(t: TestContext): void {
  const skel = open_and_load_module(t, ['test_1', 'test_2'], 'skel_load');
  if (!skel) return;
  try {
    const link = skel.attach_map_struct_ops(testmod_incompatible);
    if (!link) return;
    t.ASSERT_OK_PTR(link, 'attach_struct_ops');
    if (link.ok) skel.detach_map_struct_ops(link.value);
  } finally {
    skel.destroy();
  }
}

function test_detach_link(t: TestContext): void {
  const skel = load_skel(t, t.boot(), struct_ops_detach);
  if (!t.ASSERT_OK(typeof skel === 'number' ? skel : 0, 'struct_ops_detach__open_and_load') || typeof skel === 'number') return;
  try {
    const link = skel.attach_map_struct_ops(testmod_do_detach);
    if (!link) return;
    if (!t.ASSERT_OK_PTR(link, 'attach_struct_ops') || !link.ok) return;
    const err = skel.detach_map_struct_ops(link.value);
    if (err === undefined) return;
    t.ASSERT_OK(err, 'detach_link');
    t.log('EPOLLHUP on the link fd after the detach: not modelled');
  } finally {
    skel.destroy();
  }
}

/** RUN_TESTS(unsupported_ops): __failure __msg(...) (the verifier answers -ENOTSUPP). */
function test_unsupported_ops(t: TestContext): void {
  load_must_fail(t, t.boot(), unsupported_ops, 'attach to unsupported member unsupported_ops of struct bpf_testmod_ops');
}

export function serial_test_struct_ops_module(t: TestContext): void {
  if (t.subtest('struct_ops_load')) test_struct_ops_load(t);
  if (t.subtest('struct_ops_not_zeroed')) t.skip("libbpf's check that a shadow type's extra members are zero: nothing reaches the kernel");
  if (t.subtest('struct_ops_incompatible')) test_struct_ops_incompatible(t);
  if (t.subtest('struct_ops_null_out_cb')) t.skip('libbpf does not autoload a program whose member was set to NULL: nothing reaches the kernel');
  if (t.subtest('struct_ops_forgotten_cb')) t.skip("libbpf's refusal of a struct_ops program no map uses: nothing reaches the kernel");
  if (t.subtest('test_detach_link')) test_detach_link(t);
  if (t.subtest('unsupported_ops')) test_unsupported_ops(t);
}
