/**
 * dummy_st_ops (upstream prog_tests/dummy_st_ops.c, as of v6.10): struct_ops programs for the
 * members of struct bpf_dummy_ops, run with BPF_PROG_TEST_RUN. The kernel prepares the
 * member's struct_ops trampoline (one fentry-like program, BPF_TRAMP_F_RET_FENTRY_RET; since
 * v6.8 BPF_TRAMP_F_INDIRECT and the member's stub as func_addr) and calls it through a pointer
 * from C (dummy_ops_call_op): the trampoline is called directly, not from a sled, and must
 * return through ra to that caller with the program's int in a0.
 *
 * Subtests:
 * - dummy_st_ops_attach: registering the map fails with -EOPNOTSUPP (bpf_dummy_ops cannot be
 *   registered).
 * - dummy_init_ret_value: test_1 with a NULL state returns 0xf2f3f4f5.
 * - dummy_init_ptr_arg: test_1 with a state: returns its val (0xbeef), stores 0x5a into it
 *   (copied back to the user's struct), and an fentry program on the struct_ops program
 *   (trace_dummy_st_ops) reads val through the program's ctx first. Upstream sets the fentry
 *   program's attach target between open and load; our skeletons load when opened and take
 *   the target at attach time, so the port sets it after loading (no open/set_attach_target
 *   checks).
 * - dummy_multiple_args: test_2 sees the state and four more words as their C types
 *   (int -100, unsigned short 0x8a5f, char 'c', unsigned long 0x1234567887654321).
 * - dummy_sleepable: the sleepable member runs.
 * - dummy_sleepable_reject_null: NULL for test_sleepable's non-nullable state is -EINVAL
 *   (980ca8ceeae6, v6.10; earlier profiles run it, see harness/expectations).
 * - test_unsupported_field_sleepable (RUN_TESTS(dummy_st_ops_fail)): a sleepable program for
 *   test_2 fails to load: "attach to unsupported member test_2 of struct bpf_dummy_ops".
 */
import type { TestContext } from '../harness/runner/context';
import type { Kernel } from '../kernel/kernel';
import { EINVAL, EOPNOTSUPP, load_must_fail, load_skel, open_and_load, scratch, struct_ops_test_run, type Skeleton } from './_lib';
import { dummy_st_ops_fail, dummy_st_ops_success, trace_dummy_st_ops } from './progs/dummy_st_ops';

/** A struct bpf_dummy_ops_state { int val; } in the test's memory; its address. */
function user_state(k: Kernel, val: number, slot = 0): bigint {
  const addr = scratch(k) + BigInt(16 * slot);
  k.machine.memory.writeU(addr, 4, BigInt.asUintN(32, BigInt(val)));
  return addr;
}

function read_state(k: Kernel, addr: bigint): number {
  return Number(BigInt.asIntN(32, k.machine.memory.readU(addr, 4)));
}

/** dummy_st_ops_success__open_and_load() on a fresh kernel. */
function load(t: TestContext): Skeleton {
  return open_and_load(t, t.boot(), dummy_st_ops_success);
}

function test_dummy_st_ops_attach(t: TestContext): void {
  const skel = load(t);
  if (!t.ASSERT_OK_PTR(skel, 'dummy_st_ops_load')) return;
  try {
    t.ASSERT_EQ(skel.attach_struct_ops('bpf_dummy_ops'), -EOPNOTSUPP, 'dummy_st_ops_attach');
  } finally {
    skel.destroy();
  }
}

function test_dummy_init_ret_value(t: TestContext): void {
  const skel = load(t);
  if (!t.ASSERT_OK_PTR(skel, 'dummy_st_ops_load')) return;
  try {
    const r = struct_ops_test_run(t, skel.k, skel.prog('test_1'), [0n]);
    if (!r) return;
    t.ASSERT_OK(r.err, 'test_run');
    t.ASSERT_EQ(r.retval, 0xf2f3f4f5, 'test_ret');
  } finally {
    skel.destroy();
  }
}

function test_dummy_init_ptr_arg(t: TestContext): void {
  const exp_retval = 0xbeef;
  const skel = load(t);
  if (!t.ASSERT_OK_PTR(skel, 'dummy_st_ops_load')) return;
  try {
    const k = skel.k;
    const in_state = user_state(k, exp_retval);
    const trace = load_skel(t, k, trace_dummy_st_ops);
    if (!t.ASSERT_OK(typeof trace === 'number' ? trace : 0, 'load(trace_skel)') || typeof trace === 'number') return;
    try {
      trace.set_attach_target('fentry_test_1', skel.prog('test_1'));
      if (!t.ASSERT_OK(trace.attach(), 'attach(trace_skel)')) return;
      const r = struct_ops_test_run(t, k, skel.prog('test_1'), [in_state]);
      if (!r) return;
      t.ASSERT_OK(r.err, 'test_run');
      t.ASSERT_EQ(read_state(k, in_state), 0x5a, 'test_ptr_ret');
      t.ASSERT_EQ(r.retval, exp_retval, 'test_ret');
      t.ASSERT_EQ(trace.bss.val, exp_retval, 'fentry_val');
    } finally {
      trace.destroy();
    }
  } finally {
    skel.destroy();
  }
}

function test_dummy_multiple_args(t: TestContext): void {
  const skel = load(t);
  if (!t.ASSERT_OK_PTR(skel, 'dummy_st_ops_load')) return;
  try {
    const st = user_state(skel.k, 7);
    const args = [st, BigInt.asUintN(64, -100n), 0x8a5fn, BigInt('c'.charCodeAt(0)), 0x1234567887654321n];
    const r = struct_ops_test_run(t, skel.k, skel.prog('test_2'), args);
    if (!r) return;
    t.ASSERT_OK(r.err, 'test_run');
    args[0] = 7n;
    const got = [skel.bss.test_2_args_0, skel.bss.test_2_args_1, skel.bss.test_2_args_2, skel.bss.test_2_args_3, skel.bss.test_2_args_4];
    args.forEach((a, i) => t.ASSERT_EQ(got[i], a, `arg ${i}`));
  } finally {
    skel.destroy();
  }
}

function test_dummy_sleepable(t: TestContext): void {
  const skel = load(t);
  if (!t.ASSERT_OK_PTR(skel, 'dummy_st_ops_load')) return;
  try {
    const st = user_state(skel.k, 0);
    const r = struct_ops_test_run(t, skel.k, skel.prog('test_sleepable'), [st]);
    if (!r) return;
    t.ASSERT_OK(r.err, 'test_run');
  } finally {
    skel.destroy();
  }
}

function test_dummy_sleepable_reject_null(t: TestContext): void {
  const skel = load(t);
  if (!t.ASSERT_OK_PTR(skel, 'dummy_st_ops_load')) return;
  try {
    const r = struct_ops_test_run(t, skel.k, skel.prog('test_sleepable'), [0n]);
    if (!r) return;
    t.ASSERT_EQ(r.err, -EINVAL, 'test_run');
  } finally {
    skel.destroy();
  }
}

/** RUN_TESTS(dummy_st_ops_fail): __failure __msg(...) (check_member answers -EINVAL). */
function test_unsupported_field_sleepable(t: TestContext): void {
  load_must_fail(t, t.boot(), dummy_st_ops_fail, 'attach to unsupported member test_2 of struct bpf_dummy_ops');
}

export function test_dummy_st_ops(t: TestContext): void {
  if (t.subtest('dummy_st_ops_attach')) test_dummy_st_ops_attach(t);
  if (t.subtest('dummy_init_ret_value')) test_dummy_init_ret_value(t);
  if (t.subtest('dummy_init_ptr_arg')) test_dummy_init_ptr_arg(t);
  if (t.subtest('dummy_multiple_args')) test_dummy_multiple_args(t);
  if (t.subtest('dummy_sleepable')) test_dummy_sleepable(t);
  if (t.subtest('dummy_sleepable_reject_null')) test_dummy_sleepable_reject_null(t);
  if (t.subtest('test_unsupported_field_sleepable')) test_unsupported_field_sleepable(t);
}
