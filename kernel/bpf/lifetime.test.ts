/**
 * Lifetimes in the BPF trampoline layer: image slots are given back and reused, a trampoline
 * goes with its last link (so a reloaded module gets a new one), a link holds its programs,
 * and the link limit is checked before duplicates, as in kernel/bpf/trampoline.c.
 */
import { expect } from 'chai';
import { bootKernel } from '../kernel';
import { bpfOf } from './bpf';
import { describeError } from './../errno';
import { loadModule, unloadModule, type ModuleSpec } from '../module/module';
import type { BpfProg } from './runtime';

const FN = 'bpf_fentry_test1';

function counterProg(k: ReturnType<typeof bootKernel>, name: string, runs: { n: number }): BpfProg {
  return bpfOf(k).runtime.load({ name, progs: [{ name, attach: 'fentry', target: FN, args: 1, body: () => { runs.n++; return 0n; } }] }).prog(name);
}

describe('BPF trampoline lifetimes', function () {
  this.timeout(60000);

  it('attach/detach 2,100 times (more than the trampoline area has image slots): every cycle works', () => {
    const k = bootKernel('v6.16');
    const bpf = bpfOf(k);
    const runs = { n: 0 };
    const p = counterProg(k, 'p', runs);
    const sled = k.machine.memory.readBytes(k.sym(FN), 8);
    const symbols = k.kallsyms.entries().length;
    for (let i = 0; i < 2100; i++) {
      const l = bpf.attach(p);
      if (!l.ok) expect.fail(`cycle ${i}: ${describeError(l)}`);
      const d = bpf.detach(l.value);
      if (!d.ok) expect.fail(`cycle ${i}: detach ${describeError(d)}`);
    }
    expect(k.machine.memory.readBytes(k.sym(FN), 8)).to.deep.equal(sled);
    expect(k.kallsyms.entries().length).to.equal(symbols);
    expect(bpf.trampolines.all()).to.deep.equal([]);
    const l = bpf.attach(p);
    expect(l.ok).to.equal(true);
    expect(k.call(FN, [1n])).to.include({ kind: 'returned', value: 2n });
    expect(runs.n).to.equal(1);
    expect(k.log.problems()).to.deep.equal([]);
  });

  it('a failing attach repeated 2,100 times keeps its error code (v6.11, an image too small: -E2BIG)', () => {
    const k = bootKernel('v6.11');
    const bpf = bpfOf(k, { imageSize: 64 });
    const p = counterProg(k, 'p', { n: 0 });
    const codes = new Set<number>();
    for (let i = 0; i < 2100; i++) {
      const l = bpf.attach(p);
      codes.add(l.ok ? 0 : l.err);
    }
    expect([...codes]).to.deep.equal([-7]);
    expect(bpf.trampolines.all()).to.deep.equal([]);
  });

  it('the link limit comes before the duplicate check: -E2BIG for a program already linked to a full trampoline', () => {
    const k = bootKernel('v6.8');
    const bpf = bpfOf(k);
    const progs = Array.from({ length: k.profile.maxTrampLinks }, (_, i) => counterProg(k, `p${i}`, { n: 0 }));
    for (const p of progs) expect(bpf.attach(p).ok).to.equal(true);
    const again = bpf.attach(progs[0]!);
    expect(again.ok || again.err).to.equal(-7);
  });

  it('a module unloaded and loaded again at another address gets a trampoline for its new address', () => {
    for (const name of ['v6.11', 'v6.16']) {
      const k = bootKernel(name);
      const bpf = bpfOf(k);
      const spec: ModuleSpec = {
        name: 'm',
        functions: [{
          name: 'mod_add',
          model: { name: 'mod_add', ret: 'long', args: [{ name: 'a', type: 'long' }, { name: 'b', type: 'long' }] },
          asm: (a) => { a.slli('t0', 'a1', 1).add('t0', 't0', 'a1').add('a0', 'a0', 't0').ret(); },
        }],
      };
      let seen: bigint[] = [];
      const f = bpf.runtime.load({ name: 'F', progs: [{ name: 'F', attach: 'fexit', target: 'mod_add', args: 2, body: (c) => { seen = [c.arg(0), c.arg(1), c.ret()]; return 0n; } }] }).prog('F');
      const m1 = loadModule(k, spec);
      if (!m1.ok) expect.fail(describeError(m1));
      const l1 = bpf.attach(f);
      if (!l1.ok) expect.fail(describeError(l1));
      expect(bpf.detach(l1.value).ok).to.equal(true);
      expect(unloadModule(k, m1.value).ok).to.equal(true);
      // Something else takes the old place, so the module comes back at another address.
      const filler = loadModule(k, { name: 'filler', functions: [{ name: 'filler_fn', model: { name: 'filler_fn', ret: 'long', args: [] }, asm: (a) => { a.li('a0', 0).ret(); } }] });
      expect(filler.ok).to.equal(true);
      const m2 = loadModule(k, spec);
      if (!m2.ok) expect.fail(describeError(m2));
      expect(k.sym('mod_add'), name).to.not.equal(m1.value.functions.get('mod_add')!.addr);
      const l2 = bpf.attach(f);
      if (!l2.ok) expect.fail(describeError(l2));
      expect(bpf.trampolines.trampolineOf({ kind: 'kernel', name: 'mod_add' })!.funcAddr, name).to.equal(k.sym('mod_add'));
      expect(k.call('mod_add', [1n, 2n]), name).to.include({ kind: 'returned', value: 7n });
      expect(seen, name).to.deep.equal([1n, 2n, 7n]);
      expect(k.log.problems(), name).to.deep.equal([]);
    }
  });

  it('closing a target program while a link holds it lets go of it; detach works, and then frees it', () => {
    const k = bootKernel('v6.11');
    const bpf = bpfOf(k);
    const tgtObj = bpf.runtime.load({ name: 'tgt', progs: [{ name: 'tgt', attach: 'classifier', body: () => 7n }] });
    const tgt = tgtObj.prog('tgt');
    const a = bpf.runtime.load({ name: 'A', progs: [{ name: 'A', attach: 'fentry', target: 'tgt', body: () => 0n }] }).prog('A');
    const symbols = k.kallsyms.entries().length;
    const l = bpf.attach(a, { targetProg: tgt });
    if (!l.ok) expect.fail(describeError(l));
    tgtObj.close();
    expect(tgt.loaded, 'held by the link').to.equal(true);
    expect(bpf.detach(l.value).ok).to.equal(true);
    expect(tgt.loaded, 'freed with the last link').to.equal(false);
    expect(k.kallsyms.entries().length).to.be.lessThan(symbols);
    expect(bpf.trampolines.all()).to.deep.equal([]);
    expect(k.log.problems()).to.deep.equal([]);
  });
});
