/**
 * Expected failures of the product's selftests, per kernel profile (see ./types.ts for the
 * meaning of each field and ./apply.ts for how a run is judged against them).
 *
 * Add an entry when a profile models a kernel on which a selftest must fail, e.g. the 2023
 * bug (8-byte sled with the 16-byte/ra trampoline):
 *
 *   {
 *     profile: 'v6.5+direct-calls*',
 *     test: 'fexit_test/fexit',
 *     reason: 'trampoline skips 16 bytes and returns through ra on an 8-byte t0 sled',
 *     signature: 'test_run unexpected error: -14',
 *   },
 *
 * `rvtramp run` refuses to start (exit 3) when an entry names no known profile or no
 * discovered test, and fails the run when an entry's subtest pattern matched no subtest of a
 * test that ran in full: a stale entry never silently stops checking anything.
 */
import type { Expectation } from './types';

export type { Expectation } from './types';

/** Every selftest that attaches a trampoline to a kernel function. */
const KERNEL_FUNCTION_TESTS = [
  'abi_contract', 'bpf_cookie', 'fentry_fexit', 'fentry_test', 'fexit_sleep', 'fexit_stress', 'fexit_test', 'fp_unwind',
  'get_func_args_test', 'get_func_ip_test/test_function_entry', 'modify_return', 'module_attach/trampoline', 'recursion',
  'sled_restore/fentry', 'sled_restore/fexit', 'sled_restore/fmod_ret', 'sled_restore/mixed', 'tracing_struct', 'trampoline_count',
];

/** Tests needing more than 8 argument slots (6801b0aef79d, v6.11). */
const MANY_ARGS = ['fentry_test/fentry_many_args', 'fexit_test/fexit_many_args', 'tracing_struct/struct_many_args'];

const expect = (profile: string | readonly string[], tests: readonly string[], reason: string, signature: string): Expectation[] =>
  tests.map((test) => ({ profile, test, reason, signature }));

// The 2023 regression as the harness sees it: the trampoline of the 16-byte era on an 8-byte
// t0 sled. fentry-only trampolines return to the parent through ra without running the traced
// function; anything that calls the original enters it 8 bytes into its body (orig_call = func
// + 16) and returns through the parent-ra slot the 8-byte sled never wrote.
const SEED_BUG = 'v6.5+direct-calls*';
const SKIPS_BODY = 'trampoline returns to the caller through ra: the traced function never runs (16-byte/ra trampoline on the 8-byte t0 sled)';
const MID_BODY = 'orig_call = func + 16 on an 8-byte sled: the original is entered 8 bytes into its body, then the trampoline returns through a stale slot';

export const EXPECTATIONS: readonly Expectation[] = [
  // v6.2: the BPF trampoline arrived in v6.3.
  ...expect('v6.2*', [...KERNEL_FUNCTION_TESTS.filter((t) => !t.startsWith('tracing_struct')), 'tracing_struct', 'fexit_bpf2bpf', 'sled_restore/bpf_prog'],
    'no BPF trampoline before v6.3', '-524'),
  // The struct_ops test runs need a trampoline too (the attach and the load refusal do not).
  ...expect('v6.2*', ['dummy_st_ops/dummy_init_*', 'dummy_st_ops/dummy_multiple_args', 'dummy_st_ops/dummy_sleepable*'], 'no BPF trampoline before v6.3', '-524'),
  // Before v6.10 a struct_ops test run passes NULL for any pointer argument.
  ...expect(['v6.3*', 'v6.5+direct-calls*', 'v6.6*', 'v6.8*'], ['dummy_st_ops/dummy_sleepable_reject_null'],
    'test runs check NULL against the members\' __nullable arguments since v6.10 (980ca8ceeae6)', 'test_run unexpected test_run: actual 0 != expected -22'),
  // struct_ops types in modules (bpf_testmod_ops) came with v6.9.
  ...expect(['v6.2*', 'v6.3*', 'v6.5+direct-calls*', 'v6.6*', 'v6.8*'], ['struct_ops_module', 'struct_ops_multi_pages', 'struct_ops_return'],
    'no bpf_testmod_ops before v6.9 (struct_ops types registered by modules)', 'struct bpf_testmod_ops is not found in kernel BTF'),
  ...expect('v6.11*', ['struct_ops_return/ptr_return'], 'bpf_testmod_ops has test_return_ref_kptr since v6.15',
    'member test_return_ref_kptr is not found in kernel BTF'),
  // B-T10: before fd2e08128944 (v6.18-rc1) a struct_ops member returned R0's sign-extended low half.
  ...expect('v6.16*', ['struct_ops_return/ptr_return'], 'struct_ops returns cut to 32 bits until fd2e08128944 (v6.18), B-T10',
    'unexpected test_return_ref_kptr returned: actual'),
  ...expect('v6.11*', ['struct_ops_module/unsupported_ops'], 'bpf_testmod_ops has unsupported_ops since v6.12 (e42ac1418055)',
    'member unsupported_ops is not found in kernel BTF'),
  // v6.3 and v6.6: trampolines for BPF programs only; kernel functions need ftrace direct calls (v6.8).
  ...expect('v6.3', KERNEL_FUNCTION_TESTS, 'no DYNAMIC_FTRACE_WITH_DIRECT_CALLS: kernel functions cannot be traced', '-524'),
  ...expect('v6.3-norvc', KERNEL_FUNCTION_TESTS, 'no DYNAMIC_FTRACE_WITH_DIRECT_CALLS: kernel functions cannot be traced', '-524'),
  ...expect('v6.6*', KERNEL_FUNCTION_TESTS, 'no DYNAMIC_FTRACE_WITH_DIRECT_CALLS: kernel functions cannot be traced', '-524'),
  // v6.5+direct-calls: the seed's bug.
  ...expect(SEED_BUG, ['abi_contract/fentry', 'abi_contract/fmod_ret_override', 'fentry_test/fentry', 'fp_unwind/fentry', 'get_func_args_test', 'recursion'],
    SKIPS_BODY, 'without running its body'),
  ...expect(SEED_BUG, [
    'abi_contract/fexit', 'abi_contract/fentry_fexit', 'abi_contract/fmod_ret', 'bpf_cookie/trampoline', 'fentry_fexit', 'fexit_sleep',
    'fexit_stress', 'fexit_test/fexit', 'fp_unwind/fexit', 'fp_unwind/fmod_ret', 'get_func_ip_test/test_function_entry', 'modify_return',
    'module_attach/trampoline', 'tracing_struct/struct_args', 'trampoline_count',
  ], MID_BODY, 'entered its body at +0x10'),
  ...expect(SEED_BUG, MANY_ARGS, 'the v6.3-era trampoline supports 8 argument slots', '-524'),
  // v6.8: 8 argument slots until v6.11, and the stale-start bug of the early trampolines.
  ...expect('v6.8*', MANY_ARGS, 'the v6.8 trampoline (v6.6\'s generator) supports 8 argument slots (12 from v6.11, 6801b0aef79d)', '-524'),
  ...expect('v6.8*', ['recursion'],
    'a skipped (recursing) program\'s __bpf_prog_exit gets a stale start: the skip branch came before mv s1, a0 (fixed by 10541b374aa0 "riscv, bpf: Fix incorrect runtime stats")',
    'but __bpf_prog_enter returned 0'),
];
