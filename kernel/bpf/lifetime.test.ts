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
import type { BpfLink } from './trampoline/manager';
import { scratchPage } from '../image';

const FN = 'bpf_fentry_test1';

function counterProg(k: ReturnType<typeof bootKernel>, name: string, runs: { n: number }): BpfProg {
  return bpfOf(k).runtime.load({ name, progs: [{ name, attach: 'fentry', target: FN, args: 1, body: () => { runs.n++; return 0n; } }] }).prog(name);
}

/** A module of one function, mod_add(a, b) = a + 3b; loaded again after FILLER it moves. */
const MOD_ADD: ModuleSpec = {
  name: 'm',
  functions: [{
    name: 'mod_add',
    model: { name: 'mod_add', ret: 'long', args: [{ name: 'a', type: 'long' }, { name: 'b', type: 'long' }] },
    asm: (a) => { a.slli('t0', 'a1', 1).add('t0', 't0', 'a1').add('a0', 'a0', 't0').ret(); },
  }],
};
const FILLER: ModuleSpec = { name: 'filler', functions: [{ name: 'filler_fn', model: { name: 'filler_fn', ret: 'long', args: [] }, asm: (a) => { a.li('a0', 0).ret(); } }] };

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
      const spec = MOD_ADD;
      let seen: bigint[] = [];
      const f = bpf.runtime.load({ name: 'F', progs: [{ name: 'F', attach: 'fexit', target: 'mod_add', args: 2, body: (c) => { seen = [c.arg(0), c.arg(1), c.ret()]; return 0n; } }] }).prog('F');
      const m1 = loadModule(k, spec);
      if (!m1.ok) expect.fail(describeError(m1));
      const l1 = bpf.attach(f);
      if (!l1.ok) expect.fail(describeError(l1));
      expect(bpf.detach(l1.value).ok).to.equal(true);
      expect(unloadModule(k, m1.value).ok).to.equal(true);
      // Something else takes the old place, so the module comes back at another address.
      const filler = loadModule(k, FILLER);
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

  it('a trampoline left with only a retired image is forgotten too: a reloaded module gets its own', () => {
    for (const name of ['v6.11', 'v6.16']) {
      const k = bootKernel(name);
      const bpf = bpfOf(k);
      const spec = MOD_ADD;
      const links: BpfLink[] = [];
      // The fentry program detaches both links during the call: the image it runs in is retired.
      const obj = bpf.runtime.load({ name: 'o', progs: [
        { name: 'E', attach: 'fentry', target: 'mod_add', args: 2, body: () => { for (const l of links.splice(0)) bpf.detach(l); return 0n; } },
        { name: 'F', attach: 'fexit', target: 'mod_add', args: 2, body: () => 0n },
      ] });
      const m1 = loadModule(k, spec);
      if (!m1.ok) expect.fail(describeError(m1));
      for (const p of ['E', 'F']) {
        const l = bpf.attach(obj.prog(p));
        if (!l.ok) expect.fail(describeError(l));
        links.push(l.value);
      }
      expect(k.call('mod_add', [1n, 2n]), name).to.include({ kind: 'returned', value: 7n });
      expect(bpf.trampolines.trampolineOf({ kind: 'kernel', name: 'mod_add' }), name).to.equal(undefined);
      expect(bpf.trampolines.all().map((t) => t.retired.length), 'the retired image is still known').to.deep.equal([1]);
      expect(unloadModule(k, m1.value).ok).to.equal(true);
      expect(loadModule(k, FILLER).ok).to.equal(true);
      const m2 = loadModule(k, spec);
      if (!m2.ok) expect.fail(describeError(m2));
      const l = bpf.attach(obj.prog('F'));
      if (!l.ok) expect.fail(describeError(l));
      expect(l.value.tramp.funcAddr, name).to.equal(k.sym('mod_add'));
      expect(k.call('mod_add', [1n, 2n]), name).to.include({ kind: 'returned', value: 7n });
      bpf.trampolines.reap();
      expect(bpf.trampolines.all().map((t) => t.retired.length), 'reaped').to.deep.equal([0]);
      expect(k.log.problems(), name).to.deep.equal([]);
    }
  });

  it('two target programs with the same name get a trampoline each', () => {
    const k = bootKernel('v6.11');
    const bpf = bpfOf(k);
    const t1 = bpf.runtime.load({ name: 'o1', progs: [{ name: 'tgt', attach: 'classifier', body: () => 1n }] }).prog('tgt');
    const t2 = bpf.runtime.load({ name: 'o2', progs: [{ name: 'tgt', attach: 'classifier', body: () => 2n }] }).prog('tgt');
    const runs = { a: 0, b: 0 };
    const a = bpf.runtime.load({ name: 'A', progs: [{ name: 'A', attach: 'fentry', target: 'tgt', body: () => { runs.a++; return 0n; } }] }).prog('A');
    const b = bpf.runtime.load({ name: 'B', progs: [{ name: 'B', attach: 'fentry', target: 'tgt', body: () => { runs.b++; return 0n; } }] }).prog('B');
    const la = bpf.attach(a, { targetProg: t1 }), lb = bpf.attach(b, { targetProg: t2 });
    if (!la.ok || !lb.ok) expect.fail('attach');
    expect(la.value.tramp).to.not.equal(lb.value.tramp);
    expect(lb.value.tramp.funcAddr).to.equal(t2.image!.sled.addr);
    expect(k.call(t2.bpfFunc, [scratchPage(k.machine)]).kind).to.equal('returned');
    expect(runs).to.deep.equal({ a: 0, b: 1 });
  });

  it('a link holds its own program too; a freed program cannot be attached (-EBADF)', () => {
    const k = bootKernel('v6.11');
    const bpf = bpfOf(k);
    const runs = { n: 0 };
    const obj = bpf.runtime.load({ name: 'H', progs: [{ name: 'H', attach: 'fentry', target: FN, args: 1, body: () => { runs.n++; return 0n; } }] });
    const p = obj.prog('H');
    const l = bpf.attach(p);
    if (!l.ok) expect.fail(describeError(l));
    obj.close();
    expect(p.loaded, 'held by its link').to.equal(true);
    expect(k.call(FN, [1n])).to.include({ kind: 'returned', value: 2n });
    expect(runs.n).to.equal(1);
    expect(bpf.detach(l.value).ok).to.equal(true);
    expect(p.loaded, 'freed with its link').to.equal(false);
    const again = bpf.attach(p);
    expect(again.ok || again.err).to.equal(-9);
    expect(k.log.problems()).to.deep.equal([]);
  });

  it('a program whose object is closed while it runs is freed when it returns', () => {
    const k = bootKernel('v6.11');
    const bpf = bpfOf(k);
    let link: BpfLink | undefined;
    const obj = bpf.runtime.load({ name: 'S', progs: [{
      name: 'S', attach: 'fexit', target: FN, args: 1,
      body: () => {
        if (link) {
          obj.close();
          expect(bpf.detach(link).ok).to.equal(true);
          link = undefined;
        }
        return 0n;
      },
    }] });
    const l = bpf.attach(obj.prog('S'));
    if (!l.ok) expect.fail(describeError(l));
    link = l.value;
    expect(k.call(FN, [1n])).to.include({ kind: 'returned', value: 2n });
    expect(obj.prog('S').loaded).to.equal(false);
    expect(k.log.problems()).to.deep.equal([]);
  });
});
