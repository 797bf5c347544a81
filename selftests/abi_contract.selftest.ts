/**
 * abi_contract (rvtramp's own; upstream cannot see it): every traced call that
 * bpf_prog_test_run_tracing makes must start the callee's body right after its sled and come
 * back to the call site with sp, gp, tp and s0-s11 as they were. A trampoline can break that
 * and still return the right value (upstream test_run then passes): a callee-saved register
 * or sp that is off by a frame only crashes something later. The call-boundary monitor
 * watches each callee from outside the machine code.
 *
 * Subtests by trampoline shape (each on every callee of the test_run branch):
 * - fentry: fentry only (no call of the original: registers restored, return through t0);
 * - fexit: fexit only (the trampoline calls the original and returns for it);
 * - fentry_fexit: both on one trampoline;
 * - fmod_ret: fentry, fmod_ret returning 0 and fexit on bpf_modify_return_test{,2};
 * - fmod_ret_override: the same with fmod_ret returning -EINVAL (the original is skipped, so
 *   its body does not run; the boundary must still hold).
 */
import type { TestContext } from '../harness/runner/context';
import { defineObject, type AttachType, type ProgSpec } from '../kernel/bpf/runtime';
import {
  BPF_MODIFY_RETURN, BPF_TRACE_FENTRY, EINVAL, FENTRY_CALLEES, MODIFY_RETURN_CALLEES,
  monitorsFor, open_and_load, removeMonitors, test_run,
} from './_lib';
import type { CallBoundaryMonitor } from '../kernel/monitor/call-boundary';

function progsOn(funcs: readonly string[], kinds: readonly AttachType[], fmodRet = 0n): ProgSpec[] {
  return funcs.flatMap((func, i) =>
    kinds.map((kind) => ({ name: `${kind}_${i}`, attach: kind, target: func, body: () => (kind === 'fmod_ret' ? fmodRet : 0n) })),
  );
}

/** Every call each monitor saw kept the contract, and came back (callees never called are only logged). */
function check_call_boundaries(t: TestContext, monitors: readonly CallBoundaryMonitor[], calls: ReadonlyMap<string, number>, pc: bigint): void {
  for (const m of monitors) {
    for (const f of m.findings) t.fail(`${f.kind} ${f.message}`);
    for (const f of m.explainStuck(pc)) t.fail(`${f.kind} ${f.message}`);
    const n = calls.get(m.func) ?? 0;
    if (n === 0) t.log(`${m.func}: not called`);
    else if (m.findings.length === 0 && m.pending === 0) t.ASSERT_TRUE(true, `${m.func} call boundary`);
  }
}

function abi_contract_run(t: TestContext, kinds: readonly AttachType[], type: number, fmodRet = 0n): void {
  const k = t.boot();
  const funcs = type === BPF_MODIFY_RETURN ? MODIFY_RETURN_CALLEES : FENTRY_CALLEES;
  const skel = open_and_load(t, k, defineObject({ name: 'abi_contract', progs: progsOn(funcs, kinds, fmodRet) }));
  if (!t.ASSERT_OK_PTR(skel, 'skel_load')) return;
  const err = skel.attach();
  if (!t.ASSERT_OK(err, `${kinds.join('_')}_attach`)) return;

  const monitors = monitorsFor(k, funcs, { bodyMaySkip: fmodRet !== 0n });
  const calls = new Map<string, number>();
  const counters = funcs.map((f) => k.machine.addCodeHook(k.sym(f), k.sym(f) + 2n, () => void calls.set(f, (calls.get(f) ?? 0) + 1)));
  try {
    const r = test_run(t, k, type, { monitors });
    if (!r) return;
    t.ASSERT_OK(r.err, 'test_run');
    check_call_boundaries(t, monitors, calls, k.hart.pc);
  } finally {
    removeMonitors(monitors);
    for (const off of counters) off();
  }
  skel.destroy();
}

export function test_abi_contract(t: TestContext): void {
  if (t.subtest('fentry')) abi_contract_run(t, ['fentry'], BPF_TRACE_FENTRY);
  if (t.subtest('fexit')) abi_contract_run(t, ['fexit'], BPF_TRACE_FENTRY);
  if (t.subtest('fentry_fexit')) abi_contract_run(t, ['fentry', 'fexit'], BPF_TRACE_FENTRY);
  if (t.subtest('fmod_ret')) abi_contract_run(t, ['fentry', 'fmod_ret', 'fexit'], BPF_MODIFY_RETURN);
  if (t.subtest('fmod_ret_override')) abi_contract_run(t, ['fentry', 'fmod_ret', 'fexit'], BPF_MODIFY_RETURN, BigInt(-EINVAL));
}
