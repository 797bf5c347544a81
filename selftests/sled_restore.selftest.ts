/**
 * sled_restore (rvtramp's own; upstream cannot see it): detaching the last program from a
 * function must put its ftrace sled back byte for byte (including a CALL_OPS literal before
 * the symbol), and nothing else in kernel text may have changed. A sled left half-patched
 * works until the next attach or an unlucky concurrent caller.
 *
 * Subtests, each over every traceable function of the image (those with more argument slots
 * than the era's generator takes are left out, and logged):
 * - fentry, fexit, fmod_ret: one program each, attach (the sled must change) and detach;
 * - mixed: fentry, fmod_ret and fexit on every function, detached in another order (fexit,
 *   fentry, fmod_ret), so intermediate trampolines replace each other before the last goes;
 * - bpf_prog: fentry and fexit on a BPF program's image (bpf_arch_text_poke on its entry sled).
 * After detaching, an untraced FENTRY and MODIFY_RETURN test_run must still pass.
 */
import type { TestContext } from '../harness/runner/context';
import { defineObject, type AttachType, type ProgSpec } from '../kernel/bpf/runtime';
import { argSlots, funcModel } from '../kernel/bpf/btf';
import type { Kernel } from '../kernel/kernel';
import { describeArgLimit, withinArgLimit } from '../kernel/profiles/profiles';
import { BPF_MODIFY_RETURN, BPF_TRACE_FENTRY, open_and_load, test_run, type Skeleton } from './_lib';

const hexBytes = (b: Uint8Array) => Buffer.from(b).toString('hex');

function sledOf(k: Kernel, func: string): string {
  const s = k.image.sledOf(func);
  return hexBytes(k.machine.memory.readBytes(s.address, s.size));
}

function kernelText(k: Kernel): Uint8Array {
  const { start, end } = k.image.text;
  return k.machine.memory.readBytes(start, Number(end - start));
}

/** The traceable functions this era can attach to. */
function traceable(t: TestContext, k: Kernel): string[] {
  const out: string[] = [];
  for (const s of k.image.sleds) {
    const m = funcModel(s.func);
    if (!m) continue;
    if (!withinArgLimit(k.profile.argLimit, m.args.length, argSlots(m))) t.log(`${s.func}: ${m.args.length} arguments in ${argSlots(m)} slots, the ${k.profile.trampoline} generator takes ${describeArgLimit(k.profile.argLimit)}: left out`);
    else out.push(s.func);
  }
  return out;
}

/** After everything is detached: the untraced kernel still passes its own checks. */
function untraced_test_run(t: TestContext, k: Kernel): void {
  for (const type of [BPF_TRACE_FENTRY, BPF_MODIFY_RETURN]) {
    const r = test_run(t, k, type);
    if (!r) return;
    t.ASSERT_OK(r.err, 'untraced test_run');
    if (type === BPF_MODIFY_RETURN) t.ASSERT_EQ(r.retval, 0x00020021, 'untraced test_run retval');
  }
}

function detach_in_order(t: TestContext, skel: Skeleton, order: readonly AttachType[]): boolean {
  for (const kind of order) for (const p of skel.progs) if (p.attach === kind && !skel.detach_link(p.name)) return false;
  return true;
}

function sled_restore(t: TestContext, kinds: readonly AttachType[], detachOrder: readonly AttachType[] = kinds): void {
  const k = t.boot();
  const funcs = traceable(t, k);
  const text = kernelText(k);
  const before = new Map(funcs.map((f) => [f, sledOf(k, f)]));
  const progs: ProgSpec[] = funcs.flatMap((func, i) => kinds.map((kind) => ({ name: `${kind}_${i}`, attach: kind, target: func, body: () => 0n })));
  const skel = open_and_load(t, k, defineObject({ name: 'sled_restore', progs }));
  if (!t.ASSERT_OK_PTR(skel, 'skel_load')) return;
  const err = skel.attach();
  if (!t.ASSERT_OK(err, `${kinds.join('_')}_attach`)) return;

  let patched = 0;
  for (const f of funcs) if (sledOf(k, f) !== before.get(f)) patched++;
  t.ASSERT_EQ(patched, funcs.length, 'sleds patched while attached');

  if (!detach_in_order(t, skel, detachOrder)) return;
  for (const f of funcs) t.ASSERT_STREQ(sledOf(k, f), before.get(f)!, `${f} sled`);
  const now = kernelText(k);
  const diff = now.findIndex((b, i) => b !== text[i]);
  if (!t.ASSERT_EQ(diff, -1, 'kernel text unchanged')) t.log(`first changed byte at ${k.kallsyms.format(k.image.text.start + BigInt(diff))}`);
  untraced_test_run(t, k);
  skel.destroy();
}

function sled_restore_bpf_prog(t: TestContext): void {
  const k = t.boot();
  const tgt = open_and_load(t, k, defineObject({ name: 'target', progs: [{ name: 'classifier', attach: 'classifier', body: () => 0n }] }));
  const prog = tgt.prog('classifier');
  const sled = prog.image!.sled;
  const before = hexBytes(k.machine.memory.readBytes(sled.addr, sled.size));
  const skel = open_and_load(t, k, defineObject({
    name: 'sled_restore_prog',
    progs: [
      { name: 'fentry', attach: 'fentry', target: 'classifier', body: () => 0n },
      { name: 'fexit', attach: 'fexit', target: 'classifier', body: () => 0n },
    ],
  }));
  for (const p of skel.progs) skel.set_attach_target(p.name, prog);
  const err = skel.attach();
  if (!t.ASSERT_OK(err, 'attach_trace')) return;
  t.ASSERT_TRUE(hexBytes(k.machine.memory.readBytes(sled.addr, sled.size)) !== before, 'prog sled patched while attached');
  if (!skel.detach()) return;
  t.ASSERT_STREQ(hexBytes(k.machine.memory.readBytes(sled.addr, sled.size)), before, `${prog.ksym} sled`);
  skel.destroy();
  tgt.destroy();
}

export function test_sled_restore(t: TestContext): void {
  if (t.subtest('fentry')) sled_restore(t, ['fentry']);
  if (t.subtest('fexit')) sled_restore(t, ['fexit']);
  if (t.subtest('fmod_ret')) sled_restore(t, ['fmod_ret']);
  if (t.subtest('mixed')) sled_restore(t, ['fentry', 'fmod_ret', 'fexit'], ['fexit', 'fentry', 'fmod_ret']);
  if (t.subtest('bpf_prog')) sled_restore_bpf_prog(t);
}
