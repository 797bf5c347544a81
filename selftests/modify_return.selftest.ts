/**
 * modify_return (upstream prog_tests/modify_return.c + progs/modify_return.c, reference §2.4;
 * serial upstream because it shares bpf_modify_return_test with get_func_ip_test).
 *
 * fentry, fmod_ret and fexit programs on both bpf_modify_return_test (2 args, returns 4) and
 * bpf_modify_return_test2 (7 args, returns 29). They must run in that order (sequence 1, 2,
 * 3); fmod_ret sees 0 as the current return and returns input_retval: 0 lets the original run
 * (its side effect on *b counts), anything else replaces its return value and skips it. The
 * MODIFY_RETURN test_run gives retval = side_effect << 16 | (u16)(ret1 + ret2):
 *
 *   run_test(0, 2, 33)                  both originals ran: 4 + 29, two side effects
 *   run_test(-EINVAL, 0, -EINVAL * 2)   both skipped: -22 + -22, no side effect
 */
import type { TestContext } from '../harness/runner/context';
import { defineObject } from '../kernel/bpf/runtime';
import { args, bit, EINVAL, open_and_load, test_run } from './_lib';

const ARGS = args('int a', 'int *b');
const ARGS2 = args('int a', 'int *b', 'short c', 'int d', 'void *e', 'char f', 'int g');

/** progs/modify_return.c */
const modify_return = defineObject({
  name: 'modify_return',
  bss: {
    input_retval: 0, sequence: 0, sequence2: 0,
    fentry_result: 0, fexit_result: 0, fmod_ret_result: 0,
    fentry_result2: 0, fexit_result2: 0, fmod_ret_result2: 0,
  },
  progs: [
    {
      name: 'fentry_test', attach: 'fentry', target: 'bpf_modify_return_test', args: ARGS,
      body: (c) => { c.bss.sequence!++; c.bss.fentry_result = bit(c.bss.sequence === 1n); },
    },
    {
      name: 'fmod_ret_test', attach: 'fmod_ret', target: 'bpf_modify_return_test', args: ARGS,
      body: (c) => {
        c.bss.sequence!++;
        // This is the first fmod_ret program: the return value it sees is still 0.
        c.bss.fmod_ret_result = bit(c.bss.sequence === 2n && c.ret() === 0n);
        return BigInt.asIntN(32, c.bss.input_retval!);
      },
    },
    {
      name: 'fexit_test', attach: 'fexit', target: 'bpf_modify_return_test', args: ARGS,
      body: (c) => {
        c.bss.sequence!++;
        const input = BigInt.asIntN(32, c.bss.input_retval!);
        c.bss.fexit_result = bit(c.bss.sequence === 3n && c.ret() === (input !== 0n ? input : 4n));
      },
    },
    {
      name: 'fentry_test2', attach: 'fentry', target: 'bpf_modify_return_test2', args: ARGS2,
      body: (c) => { c.bss.sequence2!++; c.bss.fentry_result2 = bit(c.bss.sequence2 === 1n); },
    },
    {
      name: 'fmod_ret_test2', attach: 'fmod_ret', target: 'bpf_modify_return_test2', args: ARGS2,
      body: (c) => {
        c.bss.sequence2!++;
        c.bss.fmod_ret_result2 = bit(c.bss.sequence2 === 2n && c.ret() === 0n);
        return BigInt.asIntN(32, c.bss.input_retval!);
      },
    },
    {
      name: 'fexit_test2', attach: 'fexit', target: 'bpf_modify_return_test2', args: ARGS2,
      body: (c) => {
        c.bss.sequence2!++;
        const input = BigInt.asIntN(32, c.bss.input_retval!);
        c.bss.fexit_result2 = bit(c.bss.sequence2 === 3n && c.ret() === (input !== 0n ? input : 29n));
      },
    },
  ],
});

function run_test(t: TestContext, input_retval: number, want_side_effect: number, want_ret: number): void {
  const k = t.boot();
  const skel = open_and_load(t, k, modify_return);
  if (!t.ASSERT_OK_PTR(skel, 'skel_load')) return;
  const err = skel.attach();
  if (!t.ASSERT_OK(err, 'modify_return__attach')) return;

  skel.bss.input_retval = BigInt.asUintN(32, BigInt(input_retval));
  const r = test_run(t, k, skel.prog('fmod_ret_test'));
  if (!r) return;
  t.ASSERT_OK(r.err, 'test_run');

  const side_effect = r.retval >>> 16;
  const ret = (r.retval << 16) >> 16; // (__s16)(retval & 0xffff)
  t.ASSERT_EQ(ret, want_ret, 'test_run ret');
  t.ASSERT_EQ(side_effect, want_side_effect, 'modify_return side_effect');
  t.ASSERT_EQ(skel.bss.fentry_result!, 1, 'modify_return fentry_result');
  t.ASSERT_EQ(skel.bss.fexit_result!, 1, 'modify_return fexit_result');
  t.ASSERT_EQ(skel.bss.fmod_ret_result!, 1, 'modify_return fmod_ret_result');
  t.ASSERT_EQ(skel.bss.fentry_result2!, 1, 'modify_return fentry_result2');
  t.ASSERT_EQ(skel.bss.fexit_result2!, 1, 'modify_return fexit_result2');
  t.ASSERT_EQ(skel.bss.fmod_ret_result2!, 1, 'modify_return fmod_ret_result2');
  skel.destroy();
}

export function serial_test_modify_return(t: TestContext): void {
  run_test(t, 0, 2, 33);
  run_test(t, -EINVAL, 0, -EINVAL * 2);
}
