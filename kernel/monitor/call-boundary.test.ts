import { expect } from 'chai';
import { bootKernel } from '../kernel';
import { bpfOf } from '../bpf/bpf';
import { scratchPage } from '../image';
import { assemble } from '../../emulator/asm';
import { CallBoundaryMonitor } from './call-boundary';

const FENTRY = 24n;
const run = (k: ReturnType<typeof bootKernel>) => k.call('bpf_prog_test_run_tracing', [FENTRY, scratchPage(k.machine)]);

function attach(k: ReturnType<typeof bootKernel>, kind: 'fentry' | 'fexit') {
  const bpf = bpfOf(k);
  const obj = bpf.runtime.load({ name: 'o', progs: [{ name: 'p', attach: kind, target: 'bpf_fentry_test1', args: 1, body: () => 0n }] });
  const l = bpf.attach(obj.prog('p'));
  if (!l.ok) throw new Error(l.message);
}

describe('call-boundary monitor', function () {
  this.timeout(30000);

  it('sees nothing wrong in untraced and correctly traced calls', () => {
    for (const name of ['v6.8', 'v6.11-norvc', 'v6.16']) {
      for (const kind of [undefined, 'fentry', 'fexit'] as const) {
        const k = bootKernel(name);
        if (kind) attach(k, kind);
        const m = new CallBoundaryMonitor(k, 'bpf_fentry_test1');
        expect(run(k).kind).to.equal('returned');
        expect(m.findings, `${name} ${kind}`).to.deep.equal([]);
        expect(m.pending).to.equal(0);
      }
    }
  });

  it('v6.5+direct-calls fentry: the traced function returns to its caller without running its body', () => {
    const k = bootKernel('v6.5+direct-calls');
    attach(k, 'fentry');
    const m = new CallBoundaryMonitor(k, 'bpf_fentry_test1');
    run(k);
    expect(m.findings.map((f) => f.message)).to.deep.equal([
      `bpf_fentry_test1 returned to ${k.kallsyms.lookup(k.ftrace.locationOf('bpf_fentry_test1')!) && fmtCaller(k)} without running its body`,
    ]);
  });

  it('v6.5+direct-calls fexit: the original is entered 8 bytes into its body and never returns to its caller', () => {
    for (const name of ['v6.5+direct-calls', 'v6.5+direct-calls-norvc']) {
      const k = bootKernel(name);
      attach(k, 'fexit');
      const m = new CallBoundaryMonitor(k, 'bpf_fentry_test1');
      const r = run(k);
      expect(r.kind, name).to.equal('trap');
      expect(m.findings.map((f) => f.message), name).to.deep.equal(['bpf_fentry_test1 entered its body at +0x10, 8 bytes past its start +0x8 (after the 8-byte sled)']);
      // Where control went: the garbage return address the trampoline loaded from [FP-8].
      const at = r.kind === 'trap' && r.trap.kind === 'access-fault' ? r.trap.addr : k.hart.pc;
      const stuck = m.explainStuck(at);
      expect(stuck.map((f) => f.message), name).to.deep.equal([`bpf_fentry_test1 did not return to ${fmtCaller(k)}: control reached ${at.toString(16)}`]);
    }
  });

  it('a function re-entered through its trampoline until the stack runs out: one finding for the nested calls', () => {
    // orig-stack-gate (8f3e00af8e52): fexit calls the original at its sled, which calls the
    // trampoline again, and so on until the stack guard page.
    const k = bootKernel('v6.16', { mutant: 'orig-stack-gate' });
    attach(k, 'fexit');
    const m = new CallBoundaryMonitor(k, 'bpf_fentry_test1');
    const r = run(k);
    expect(r.kind === 'trap' && r.trap.kind === 'access-fault' && r.trap.access).to.equal('store');
    expect(m.pending).to.be.greaterThan(100);
    const stuck = m.explainStuck(k.hart.pc).map((f) => f.message);
    const tramp = k.sym('bpf_trampoline_bpf_fentry_test1');
    const at = `bpf_trampoline_bpf_fentry_test1+0x${(k.hart.pc - tramp).toString(16)}`;
    expect(stuck).to.deep.equal([
      `bpf_fentry_test1 did not return to ${fmtCaller(k)}: control reached ${at} without running its body`,
      `bpf_fentry_test1 did not return to bpf_trampoline_bpf_fentry_test1+0x3c: control reached ${at} without running its body (${m.pending - 1} nested calls)`,
    ]);
  });

  it('stays installed across calls: reset() starts over, bodyMaySkip is asked at each return', () => {
    const k = bootKernel('v6.5+direct-calls');
    attach(k, 'fentry');
    let maySkip = false;
    const m = new CallBoundaryMonitor(k, 'bpf_fentry_test1', { bodyMaySkip: () => maySkip });
    run(k);
    expect(m.findings.map((f) => f.kind)).to.deep.equal(['body-skipped']);
    run(k);
    expect(m.findings.map((f) => f.kind), 'findings add up until reset').to.deep.equal(['body-skipped', 'body-skipped']);
    m.reset();
    expect(m.findings).to.deep.equal([]);
    maySkip = true;
    run(k);
    expect(m.findings, 'a skip the caller allows now').to.deep.equal([]);
    maySkip = false;
    run(k);
    expect(m.findings.map((f) => f.kind)).to.deep.equal(['body-skipped']);
    // A call that never came back leaves a frame (and its return hook) behind; reset drops both.
    const k2 = bootKernel('v6.5+direct-calls');
    attach(k2, 'fexit');
    const m2 = new CallBoundaryMonitor(k2, 'bpf_fentry_test1');
    expect(run(k2).kind).to.equal('trap');
    expect(m2.pending).to.equal(1);
    m2.reset();
    expect(m2.pending).to.equal(0);
    expect(m2.findings).to.deep.equal([]);
    m2.remove();
    m.remove();
  });

  it('a direct trampoline that clobbers a callee-saved register is an ABI finding', () => {
    const k = bootKernel('v6.8');
    const base = 0xffffffff70000000n;
    k.machine.memory.map(base, 0x1000, 'rx');
    k.machine.memory.writeBytes(base, assemble('li s1, 0x99\n jr t0\n', { base }).bytes, true);
    expect(k.ftrace.registerDirect(k.ftrace.locationOf('bpf_fentry_test1')!, base).ok).to.equal(true);
    const m = new CallBoundaryMonitor(k, 'bpf_fentry_test1');
    run(k);
    expect(m.findings.map((f) => f.kind)).to.deep.equal(['abi']);
    expect(m.findings[0]!.message).to.match(/^bpf_fentry_test1 returned to bpf_prog_test_run_tracing\+0x[0-9a-f]+ with s1 99 \(was [0-9a-f]+\)$/);
  });
});

/** bpf_prog_test_run_tracing+0xNN: the return address of its call to bpf_fentry_test1. */
function fmtCaller(k: ReturnType<typeof bootKernel>): string {
  // The instruction after the call: an untraced run of the same profile records ra at entry.
  let ra = 0n;
  const k2 = bootKernel(k.profile.name);
  const off2 = k2.machine.addCodeHook(k2.sym('bpf_fentry_test1'), k2.sym('bpf_fentry_test1') + 2n, (h) => { if (!ra) ra = h.reg(1); });
  run(k2);
  off2();
  const l = k2.kallsyms.lookup(ra)!;
  return `${l.name}+0x${l.offset.toString(16)}`;
}
