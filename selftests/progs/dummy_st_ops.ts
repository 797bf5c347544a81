/**
 * BPF side of dummy_st_ops (upstream progs/dummy_st_ops_success.c, dummy_st_ops_fail.c and
 * trace_dummy_st_ops.c): struct_ops programs for the members of struct bpf_dummy_ops, and an
 * fentry program on one of them.
 */
import { defineObject } from '../../kernel/bpf/runtime';
import { args } from '../_lib/decl';

/** What test_1 returns for a NULL state (`r0 = -218893067`, i.e. 0xf2f3f4f5 as a u32). */
export const TEST_1_NULL_RET = -218893067n;

/** struct bpf_dummy_ops_state { int val; }: val is at offset 0. */
const VAL = 0n;

export const dummy_st_ops_success = defineObject({
  name: 'dummy_st_ops_success',
  bss: { test_2_args_0: 0, test_2_args_1: 0, test_2_args_2: 0, test_2_args_3: 0, test_2_args_4: 0 },
  progs: [
    {
      // NULL: the constant; otherwise the state's old val (an int load, zero-extended in R0),
      // and 0x5a stored in its place.
      name: 'test_1', attach: 'struct_ops', target: 'bpf_dummy_ops.test_1', args: args('struct bpf_dummy_ops_state *state'),
      body: (c) => {
        const state = c.arg('state');
        if (state === 0n) return TEST_1_NULL_RET;
        const ret = c.read(state + VAL, 'u32');
        c.write(state + VAL, 'int', 0x5an);
        return ret;
      },
    },
    {
      // Each argument as the program's C types give it, widened into the __u64 array.
      name: 'test_2', attach: 'struct_ops', target: 'bpf_dummy_ops.test_2',
      args: args('struct bpf_dummy_ops_state *state', 'int a1', 'unsigned short a2', 'char a3', 'unsigned long a4'),
      body: (c) => {
        c.bss.test_2_args_0 = BigInt.asUintN(64, c.read(c.arg('state') + VAL, 'int'));
        c.bss.test_2_args_1 = BigInt.asUintN(64, c.arg('a1'));
        c.bss.test_2_args_2 = BigInt.asUintN(64, c.arg('a2'));
        c.bss.test_2_args_3 = BigInt.asUintN(64, c.arg('a3'));
        c.bss.test_2_args_4 = BigInt.asUintN(64, c.arg('a4'));
        return 0n;
      },
    },
    {
      name: 'test_sleepable', attach: 'struct_ops', target: 'bpf_dummy_ops.test_sleepable', sleepable: true,
      args: args('struct bpf_dummy_ops_state *state'),
      body: () => 0n,
    },
  ],
});

/** dummy_st_ops_fail: a sleepable program for test_2, which may not sleep (check_member). */
export const dummy_st_ops_fail = defineObject({
  name: 'dummy_st_ops_fail',
  progs: [
    {
      name: 'test_unsupported_field_sleepable', attach: 'struct_ops', target: 'bpf_dummy_ops.test_2', sleepable: true,
      args: args('struct bpf_dummy_ops_state *state', 'int a1', 'unsigned short a2', 'char a3', 'unsigned long a4'),
      body: () => 0n,
    },
  ],
});

/**
 * trace_dummy_st_ops: fentry on the struct_ops program test_1 (its target set at run time).
 * The traced program's argument is its own ctx, the u64 argument array: the state pointer is
 * its first word, and val is read from the state with bpf_probe_read_kernel.
 */
export const trace_dummy_st_ops = defineObject({
  name: 'trace_dummy_st_ops',
  bss: { val: 0 },
  progs: [
    {
      name: 'fentry_test_1', attach: 'fentry', target: 'test_1', args: args('__u64 *st_ops_ctx'),
      body: (c) => {
        const state = c.read(c.arg('st_ops_ctx'), 'u64');
        c.bss.val = c.read(state + VAL, 'u32');
        return 0n;
      },
    },
  ],
});
