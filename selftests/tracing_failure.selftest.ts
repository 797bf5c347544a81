/**
 * tracing_failure (in the style of upstream prog_tests/tracing_failure.c, reference §2.18):
 * attaches the kernel must refuse, leaving the kernel text as it was.
 *
 * Upstream's subtests name functions rvtramp's kernel does not have (bpf_spin_lock,
 * __rcu_read_lock, do_exit); these are their counterparts here:
 * - not_traceable: fentry on __bpf_prog_enter (the helper every trampoline calls: tracing it
 *   would recurse, and it has no BTF function model) and on ftrace_caller (entry code, not a
 *   function). Both load; attaching must fail.
 * - too_many_args: fentry on bpf_testmod_fentry_test11 (11 argument slots) on an era whose
 *   generator takes 8: -ENOTSUPP (-524), the sled untouched. SKIP on eras that take 12 slots
 *   (no function in the image has more than 11).
 */
import type { TestContext } from '../harness/runner/context';
import { defineObject } from '../kernel/bpf/runtime';
import type { Kernel } from '../kernel/kernel';
import { describeArgLimit } from '../kernel/profiles/profiles';
import { ENOTSUPP, open_and_load } from './_lib';

/** The bytes of a function's ftrace sled (with any literal before the symbol), or its first 16 bytes. */
function sledBytes(k: Kernel, func: string): Uint8Array {
  const sled = k.image.sleds.find((s) => s.func === func);
  return sled ? k.machine.memory.readBytes(sled.address, sled.size) : k.machine.memory.readBytes(k.sym(func), 16);
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

function test_not_traceable(t: TestContext): void {
  for (const func of ['__bpf_prog_enter', 'ftrace_caller']) {
    const k = t.boot();
    const skel = open_and_load(t, k, defineObject({ name: 'tracing_failure', progs: [{ name: 'test', attach: 'fentry', target: func, body: () => 0n }] }));
    if (!t.ASSERT_OK_PTR(skel, 'tracing_failure__load')) return;
    const before = sledBytes(k, func);
    const err = skel.attach();
    t.ASSERT_ERR(err, 'tracing_failure__attach');
    t.ASSERT_TRUE(same(sledBytes(k, func), before), `${func} untouched`);
  }
}

function test_too_many_args(t: TestContext): void {
  const k = t.boot();
  const func = 'bpf_testmod_fentry_test11';
  if (k.profile.argLimit.max >= 11) {
    t.skip(`the ${k.profile.trampoline} trampoline takes ${describeArgLimit(k.profile.argLimit)}; no function in the image has more than 11`);
    return;
  }
  const skel = open_and_load(t, k, defineObject({ name: 'tracing_failure', progs: [{ name: 'test', attach: 'fentry', target: func, args: 11, body: () => 0n }] }));
  if (!t.ASSERT_OK_PTR(skel, 'tracing_failure__load')) return;
  const before = sledBytes(k, func);
  const err = skel.attach();
  t.ASSERT_EQ(err, -ENOTSUPP, 'tracing_failure__attach');
  t.ASSERT_TRUE(same(sledBytes(k, func), before), 'sled untouched');
}

export function test_tracing_failure(t: TestContext): void {
  if (t.subtest('not_traceable')) test_not_traceable(t);
  if (t.subtest('too_many_args')) test_too_many_args(t);
}
