/**
 * BPF side of fexit_test (upstream progs/fexit_test.c): one fexit program per
 * bpf_fentry_test1..8; test1..6 check the arguments and the return value (2, 5, 15, 34, 65,
 * 111), test7 / test8 only the argument.
 */
import { defineObject } from '../../kernel/bpf/runtime';
import { args, bit } from '../_lib/decl';

export const fexit_test = defineObject({
  name: 'fexit_test',
  bss: { test1_result: 0, test2_result: 0, test3_result: 0, test4_result: 0, test5_result: 0, test6_result: 0, test7_result: 0, test8_result: 0 },
  progs: [
    {
      name: 'test1', attach: 'fexit', target: 'bpf_fentry_test1', args: args('int a'),
      body: (c) => { c.bss.test1_result = bit(c.arg('a') === 1n && c.ret() === 2n); },
    },
    {
      name: 'test2', attach: 'fexit', target: 'bpf_fentry_test2', args: args('int a', 'u64 b'),
      body: (c) => { c.bss.test2_result = bit(c.arg('a') === 2n && c.arg('b') === 3n && c.ret() === 5n); },
    },
    {
      name: 'test3', attach: 'fexit', target: 'bpf_fentry_test3', args: args('char a', 'int b', 'u64 c'),
      body: (c) => { c.bss.test3_result = bit(c.arg('a') === 4n && c.arg('b') === 5n && c.arg('c') === 6n && c.ret() === 15n); },
    },
    {
      name: 'test4', attach: 'fexit', target: 'bpf_fentry_test4', args: args('void *a', 'char b', 'int c', 'u64 d'),
      body: (c) => { c.bss.test4_result = bit(c.arg('a') === 7n && c.arg('b') === 8n && c.arg('c') === 9n && c.arg('d') === 10n && c.ret() === 34n); },
    },
    {
      name: 'test5', attach: 'fexit', target: 'bpf_fentry_test5', args: args('u64 a', 'void *b', 'short c', 'int d', 'u64 e'),
      body: (c) => {
        c.bss.test5_result = bit(c.arg('a') === 11n && c.arg('b') === 12n && c.arg('c') === 13n && c.arg('d') === 14n && c.arg('e') === 15n && c.ret() === 65n);
      },
    },
    {
      name: 'test6', attach: 'fexit', target: 'bpf_fentry_test6', args: args('u64 a', 'void *b', 'short c', 'int d', 'void *e', 'u64 f'),
      body: (c) => {
        c.bss.test6_result =
          bit(c.arg('a') === 16n && c.arg('b') === 17n && c.arg('c') === 18n && c.arg('d') === 19n && c.arg('e') === 20n && c.arg('f') === 21n && c.ret() === 111n);
      },
    },
    {
      name: 'test7', attach: 'fexit', target: 'bpf_fentry_test7', args: args('struct bpf_fentry_test_t *arg'),
      body: (c) => { if (c.arg('arg') === 0n) c.bss.test7_result = 1n; },
    },
    {
      name: 'test8', attach: 'fexit', target: 'bpf_fentry_test8', args: args('struct bpf_fentry_test_t *arg'),
      body: (c) => { if (c.read(c.arg('arg'), 'ptr') === 0n) c.bss.test8_result = 1n; },
    },
  ],
});
