/**
 * BPF side of struct_ops_module (upstream progs/struct_ops_module.c, struct_ops_detach.c and
 * unsupported_ops.c): struct_ops programs for bpf_testmod_ops and the `.struct_ops.link` maps
 * that use them.
 */
import { defineObject } from '../../kernel/bpf/runtime';
import type { StructOpsMapSpec } from '../_lib/skel';
import { args } from '../_lib/decl';

const asInt = (v: bigint) => BigInt.asIntN(32, v);

export const struct_ops_module = defineObject({
  name: 'struct_ops_module',
  bss: { test_1_result: 0, test_2_result: 0 },
  progs: [
    {
      name: 'test_1', attach: 'struct_ops', target: 'bpf_testmod_ops.test_1',
      body: (c) => {
        c.bss.test_1_result = 0xdeadbeefn;
        return 0n;
      },
    },
    {
      name: 'test_2', attach: 'struct_ops', target: 'bpf_testmod_ops.test_2', args: args('int a', 'int b'),
      body: (c) => {
        c.bss.test_2_result = asInt(c.arg('a') + c.arg('b'));
      },
    },
    {
      // SEC("?struct_ops/test_3"): not autoloaded unless a map uses it (the test puts it in test_2).
      name: 'test_3', attach: 'struct_ops', target: 'bpf_testmod_ops.test_2', args: args('int a', 'int b'),
      body: (c) => {
        c.bss.test_2_result = asInt(c.arg('a') + c.arg('b') + 3n);
        return c.bss.test_2_result;
      },
    },
    {
      name: 'test_2_v2', attach: 'struct_ops', target: 'bpf_testmod_ops.test_2', args: args('int a', 'int b'),
      body: (c) => {
        c.bss.test_2_result = asInt(c.arg('a') * c.arg('b'));
      },
    },
  ],
});

/** SEC(".struct_ops.link") struct bpf_testmod_ops testmod_1 = { test_1, test_2, .data = 0x1 }. */
export const testmod_1: StructOpsMapSpec = { name: 'testmod_1', type: 'bpf_testmod_ops', progs: { test_1: 'test_1', test_2: 'test_2' }, data: { data: 0x1 } };

/** testmod_2, through the shadow type bpf_testmod_ops___v2: { test_1, test_2_v2 }. */
export const testmod_2: StructOpsMapSpec = { name: 'testmod_2', type: 'bpf_testmod_ops', progs: { test_1: 'test_1', test_2: 'test_2_v2' } };

/**
 * testmod_incompatible, through bpf_testmod_ops___incompatible (whose test_2 takes an int *):
 * { test_1, test_2, .data = 3 }. The kernel matches members by name and uses its own types.
 */
export const testmod_incompatible: StructOpsMapSpec = { name: 'testmod_incompatible', type: 'bpf_testmod_ops', progs: { test_1: 'test_1', test_2: 'test_2' }, data: { data: 3 } };

/** struct_ops_detach: a map with no programs at all. */
export const struct_ops_detach = defineObject({ name: 'struct_ops_detach', progs: [] });
export const testmod_do_detach: StructOpsMapSpec = { name: 'testmod_do_detach', type: 'bpf_testmod_ops', progs: {} };

/** unsupported_ops: a program for the member without a cfi stub. */
export const unsupported_ops = defineObject({
  name: 'unsupported_ops',
  progs: [{ name: 'unsupported_ops', attach: 'struct_ops', target: 'bpf_testmod_ops.unsupported_ops', body: () => 0n }],
});
