/**
 * BPF side of fentry_test/fentry_many_args and fexit_test/fexit_many_args (upstream
 * progs/fentry_many_args.c, progs/fexit_many_args.c): programs on the bpf_testmod functions
 * with 7 and 11 arguments. On RV64 arguments 9-11 are passed on the caller's stack, so test2
 * and test3 see whether the trampoline found them there; test3 declares every argument
 * __u64 (the full 64-bit slots the trampoline saved).
 */
import { defineObject } from '../../kernel/bpf/runtime';
import { args, bit } from '../_lib/decl';

const ARGS7 = args('u64 a', 'void *b', 'short c', 'int d', 'void *e', 'char f', 'int g');
const ARGS11 = args(...ARGS7, 'unsigned int h', 'long i', '__u64 j', 'unsigned long k');

/** Whether argument i (0-based) of the declared list is 16 + i, as bpf_testmod_test_read passes them. */
const sequential = (c: { arg(i: number): bigint }, n: number): boolean => Array.from({ length: n }, (_, i) => c.arg(i) === BigInt(16 + i)).every(Boolean);

export const fentry_many_args = defineObject({
  name: 'fentry_many_args',
  bss: { test1_result: 0, test2_result: 0, test3_result: 0 },
  progs: [
    { name: 'test1', attach: 'fentry', target: 'bpf_testmod_fentry_test7', args: ARGS7, body: (c) => { c.bss.test1_result = bit(sequential(c, 7)); } },
    { name: 'test2', attach: 'fentry', target: 'bpf_testmod_fentry_test11', args: ARGS11, body: (c) => { c.bss.test2_result = bit(sequential(c, 11)); } },
    { name: 'test3', attach: 'fentry', target: 'bpf_testmod_fentry_test11', args: 11, body: (c) => { c.bss.test3_result = bit(sequential(c, 11)); } },
  ],
});

export const fexit_many_args = defineObject({
  name: 'fexit_many_args',
  bss: { test1_result: 0, test2_result: 0, test3_result: 0 },
  progs: [
    { name: 'test1', attach: 'fexit', target: 'bpf_testmod_fentry_test7', args: ARGS7, body: (c) => { c.bss.test1_result = bit(sequential(c, 7) && c.ret() === 133n); } },
    { name: 'test2', attach: 'fexit', target: 'bpf_testmod_fentry_test11', args: ARGS11, body: (c) => { c.bss.test2_result = bit(sequential(c, 11) && c.ret() === 231n); } },
    { name: 'test3', attach: 'fexit', target: 'bpf_testmod_fentry_test11', args: 11, ret: 'u64', body: (c) => { c.bss.test3_result = bit(sequential(c, 11) && c.ret() === 231n); } },
  ],
});
