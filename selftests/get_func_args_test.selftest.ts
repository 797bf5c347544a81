/**
 * get_func_args_test (upstream prog_tests/get_func_args_test.c + progs/get_func_args_test.c,
 * reference §2.10): bpf_get_func_arg_cnt / bpf_get_func_arg / bpf_get_func_ret read the
 * argument count, the argument slots and the return slot the trampoline stored:
 *
 * - test1 (fentry bpf_fentry_test1): 1 argument, arg 0 is 1, arg 1 is -EINVAL, no return
 *   value yet (-EOPNOTSUPP);
 * - test2 (fexit bpf_fentry_test2): 2 arguments (2, 3), arg 2 -EINVAL, return 5;
 * - fmod_ret_test (fmod_ret bpf_modify_return_test): 2 arguments (1, the caller's &b),
 *   return 0 so far; returns 1234, which replaces the original's return;
 * - fexit_test (fexit bpf_modify_return_test): the same arguments, return 1234.
 * - test7 (fsession bpf_fentry_test1, 7.0): on both sides 1 argument, arg 0 is 1, arg 1
 *   -EINVAL; bpf_get_func_ret gives 0 at entry (the zeroed slot, not -EOPNOTSUPP) and 2 at
 *   exit. Where the JIT has no fsession support, upstream's `#else` stub: an fentry program
 *   that sets the result to 1.
 * - test5 / test6 (tp_btf on bpf_testmod tracepoints): not ported, rvtramp has no tracepoints.
 *
 * MODIFY_RETURN test_run: bpf_modify_return_test is skipped (1234, no side effect),
 * bpf_modify_return_test2 runs (29, one side effect): retval >> 16 == 1, retval & 0xffff ==
 * 1234 + 29. `int` arguments are compared as (int), as upstream, since only their low 32 bits
 * are defined.
 */
import type { TestContext } from '../harness/runner/context';
import { defineObject, type ProgCtx, type ProgSpec } from '../kernel/bpf/runtime';
import type { Kernel } from '../kernel/kernel';
import { args, bit, bpf_jit_supports_fsession, EINVAL, EOPNOTSUPP, open_and_load, test_run } from './_lib';

const asInt = (v: bigint) => BigInt.asIntN(32, v);

/** The checks test3 / test4 share: 2 arguments, (int)a == 1, b is the declared pointer, arg 2 -EINVAL. */
function modifyReturnArgs(c: ProgCtx): boolean {
  let ok = c.argCnt() === 2n;
  const a = c.getFuncArg(0);
  ok &&= a.err === 0n && asInt(a.value) === 1n;
  const b = c.getFuncArg(1);
  ok &&= b.err === 0n && b.value === c.arg('b');
  const z = c.getFuncArg(2);
  ok &&= z.err === -BigInt(EINVAL);
  return ok;
}

/** test7: the fsession program (7.0), or the `#else` stub. */
function test7(fsession: boolean): ProgSpec {
  if (!fsession) return { name: 'test7', attach: 'fentry', target: 'bpf_fentry_test1', body: (c) => void (c.bss.test7_result = 1n) };
  return {
    name: 'test7', attach: 'fsession', target: 'bpf_fentry_test1',
    body: (c) => {
      let ok = c.argCnt() === 1n;
      const a = c.getFuncArg(0);
      ok &&= a.err === 0n && asInt(a.value) === 1n;
      ok &&= c.getFuncArg(1).err === -BigInt(EINVAL);
      const ret = c.getFuncRet();
      ok &&= ret.err === 0n && ret.value === (c.sessionIsReturn() ? 2n : 0n);
      c.bss.test7_result = bit(ok);
    },
  };
}

/** progs/get_func_args_test.c (without the tracepoint programs test5 / test6) */
const get_func_args_test = (k: Kernel) => defineObject({
  name: 'get_func_args_test',
  bss: { test1_result: 0, test2_result: 0, test3_result: 0, test4_result: 0, test7_result: 0 },
  progs: [
    {
      name: 'test1', attach: 'fentry', target: 'bpf_fentry_test1', args: args('int a'),
      body: (c) => {
        let ok = c.argCnt() === 1n;
        const a = c.getFuncArg(0);
        ok &&= a.err === 0n && asInt(a.value) === 1n;
        ok &&= c.getFuncArg(1).err === -BigInt(EINVAL);
        // No return value at function entry.
        ok &&= c.getFuncRet().err === -BigInt(EOPNOTSUPP);
        c.bss.test1_result = bit(ok);
      },
    },
    {
      name: 'test2', attach: 'fexit', target: 'bpf_fentry_test2', args: args('int a', 'u64 b'),
      body: (c) => {
        let ok = c.argCnt() === 2n;
        const a = c.getFuncArg(0);
        ok &&= a.err === 0n && asInt(a.value) === 2n;
        const b = c.getFuncArg(1);
        ok &&= b.err === 0n && b.value === 3n;
        ok &&= c.getFuncArg(2).err === -BigInt(EINVAL);
        const ret = c.getFuncRet();
        ok &&= ret.err === 0n && ret.value === 5n;
        c.bss.test2_result = bit(ok);
      },
    },
    {
      name: 'fmod_ret_test', attach: 'fmod_ret', target: 'bpf_modify_return_test', args: args('int a', 'int *b'),
      body: (c) => {
        const ret = c.getFuncRet();
        c.bss.test3_result = bit(modifyReturnArgs(c) && ret.err === 0n && ret.value === 0n);
        return 1234n;
      },
    },
    {
      name: 'fexit_test', attach: 'fexit', target: 'bpf_modify_return_test', args: args('int a', 'int *b'),
      body: (c) => {
        const ret = c.getFuncRet();
        c.bss.test4_result = bit(modifyReturnArgs(c) && ret.err === 0n && ret.value === 1234n);
      },
    },
    test7(bpf_jit_supports_fsession(k)),
  ],
});

export function test_get_func_args_test(t: TestContext): void {
  const k = t.boot();
  const skel = open_and_load(t, k, get_func_args_test(k));
  if (!t.ASSERT_OK_PTR(skel, 'get_func_args_test__open_and_load')) return;
  const err = skel.attach();
  if (!t.ASSERT_OK(err, 'get_func_args_test__attach')) return;

  let r = test_run(t, k, skel.prog('test1'));
  if (!r) return;
  t.ASSERT_OK(r.err, 'test_run');
  t.ASSERT_EQ(r.retval, 0, 'test_run');

  r = test_run(t, k, skel.prog('fmod_ret_test'));
  if (!r) return;
  t.ASSERT_OK(r.err, 'test_run');
  t.ASSERT_EQ(r.retval >>> 16, 1, 'test_run');
  t.ASSERT_EQ(r.retval & 0xffff, 1234 + 29, 'test_run');

  t.ASSERT_EQ(skel.bss.test1_result!, 1, 'test1_result');
  t.ASSERT_EQ(skel.bss.test2_result!, 1, 'test2_result');
  t.ASSERT_EQ(skel.bss.test3_result!, 1, 'test3_result');
  t.ASSERT_EQ(skel.bss.test4_result!, 1, 'test4_result');
  t.ASSERT_EQ(skel.bss.test7_result!, 1, 'test7_result');
  skel.destroy();
}
