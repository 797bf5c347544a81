/**
 * fp_unwind (rvtramp's own; upstream cannot see it): a frame-pointer walk from inside a
 * program body, as the kernel's stack trace (walk_stackframe) does it from a BPF program, must
 * go through the trampoline's two frame records back to the traced function's caller:
 *
 *   bpf_prog_<tag>_<prog>                      the body (frameless: its caller is ra)
 *   bpf_trampoline_<func>+off                  the trampoline's own frame: {fp, t0 = func + sled}
 *   <func>+<sled>                              the traced function's frame: {fp, ra of its caller}
 *   bpf_prog_test_run_tracing+off              the caller, at the return address of its call
 *   kernel_call_return                         the bottom of the kernel stack
 *
 * A trampoline that does not build both records (or builds them from the wrong registers)
 * loses the caller, which is what perf, BPF stack maps and oops reports show. Subtests per
 * program kind: fentry and fexit on bpf_fentry_test1, fmod_ret on bpf_modify_return_test.
 */
import type { TestContext } from '../harness/runner/context';
import { defineObject, type AttachType } from '../kernel/bpf/runtime';
import type { Kernel } from '../kernel/kernel';
import { returnSentinel } from '../kernel/image';
import { callTraceLine, hostCallFrameless, unwind, type Unwound } from '../kernel/oops';
import { BPF_MODIFY_RETURN, BPF_TRACE_FENTRY, open_and_load, test_run } from './_lib';

/** Where the traced function's body starts: after its sled (the address its frame record holds). */
function bodyStart(k: Kernel, func: string): bigint {
  const sled = k.image.sleds.find((s) => s.func === func);
  return k.sym(func) + BigInt(sled ? sled.size - sled.before : 0);
}

function check_unwind(t: TestContext, kind: AttachType, func: string): void {
  const k = t.boot();
  let trace: Unwound | undefined;
  const obj = defineObject({
    name: 'fp_unwind',
    progs: [{
      name: `${kind}_unwind`, attach: kind, target: func,
      body: (c) => {
        // The body is a host function: pc is its entry, ra the return into the trampoline.
        const h = c.hart;
        const sentinel = returnSentinel(k.machine);
        trace = unwind(
          k.machine.memory,
          { pc: c.prog.bodyAddr, ra: h.reg(1), sp: h.reg(2), fp: h.reg(8) },
          { frameless: hostCallFrameless(h), outermost: (pc) => pc === sentinel },
        );
        return 0n;
      },
    }],
  });
  const skel = open_and_load(t, k, obj);
  if (!t.ASSERT_OK_PTR(skel, 'skel_load')) return;
  const err = skel.attach();
  if (!t.ASSERT_OK(err, `${kind}_attach`)) return;

  // The return address of the caller's call of `func`, as the callee sees it on entry.
  let callerRa: bigint | undefined;
  const off = k.machine.addCodeHook(k.sym(func), k.sym(func) + 2n, (h) => { callerRa ??= h.reg(1); });
  const r = test_run(t, k, kind === 'fmod_ret' ? BPF_MODIFY_RETURN : BPF_TRACE_FENTRY);
  off();
  if (!r) return;
  t.ASSERT_OK(r.err, 'test_run');
  if (!t.ASSERT_TRUE(trace !== undefined, 'prog ran')) return;
  const u = trace!;
  t.log(`call trace: ${callTraceLine(u, k.kallsyms)} (end: ${u.end})`);

  const f = u.frames;
  const name = (i: number) => (f[i] ? k.kallsyms.lookup(f[i]!.pc)?.name ?? '?' : '(none)');
  t.ASSERT_STREQ(name(0), skel.prog(`${kind}_unwind`).ksym, 'body frame');
  t.ASSERT_STREQ(name(1), `bpf_trampoline_${func}`, 'trampoline frame');
  const at = (pc: bigint | undefined) => (pc === undefined ? '(none)' : k.kallsyms.symbolize(pc) ?? `0x${pc.toString(16)}`);
  t.ASSERT_STREQ(at(f[2]?.pc), at(bodyStart(k, func)), 'traced function frame');
  t.ASSERT_STREQ(at(f[3]?.pc), at(callerRa), 'caller frame');
  t.ASSERT_STREQ(name(4), 'kernel_call_return', 'stack bottom');
  t.ASSERT_STREQ(u.end, 'end', 'unwind end');
  skel.destroy();
}

export function test_fp_unwind(t: TestContext): void {
  if (t.subtest('fentry')) check_unwind(t, 'fentry', 'bpf_fentry_test1');
  if (t.subtest('fexit')) check_unwind(t, 'fexit', 'bpf_fentry_test1');
  if (t.subtest('fmod_ret')) check_unwind(t, 'fmod_ret', 'bpf_modify_return_test');
}
