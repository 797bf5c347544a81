/**
 * fsession (7.0) in the kernel model: refused at load where the JIT lacks it, one link on both
 * lists counting twice against BPF_MAX_TRAMP_LINKS, run newest first on each side next to
 * plain fentry / fexit programs, and detached from both lists. The trampoline's own layout is
 * in trampoline/gen.test.ts (goldens), the upstream selftest in selftests/fsession_test.
 */
import { expect } from 'chai';
import { bootKernel } from '../kernel';
import { bpfOf } from './bpf';
import type { ProgSpec } from './runtime';
import type { BpfLink } from './trampoline/manager';

const TARGET = 'bpf_fentry_test1';
const call = (k: ReturnType<typeof bootKernel>) => k.call(TARGET, [1n]);

describe('fsession', function () {
  this.timeout(30000);

  it('without the 7.0 JIT the object is refused at load with -EOPNOTSUPP (load() treats it as a caller bug)', () => {
    const k = bootKernel('v6.16');
    const rt = bpfOf(k).runtime;
    const spec = { name: 'o', progs: [{ name: 's', attach: 'fsession' as const, target: TARGET, body: () => 0n }] };
    const r = rt.tryLoad(spec);
    expect(r.ok || [r.err, r.message]).to.deep.equal([-95, "prog 's': JIT does not support fsession"]);
    expect(() => rt.load(spec)).to.throw(/the kernel refuses it: prog 's': JIT does not support fsession \(use tryLoad\)/);
    // Leaving the fsession program out loads the rest.
    expect(rt.tryLoad({ name: 'o', progs: [...spec.progs, { name: 'f', attach: 'fentry', target: TARGET, body: () => 0n }] }, { only: ['f'] }).ok).to.equal(true);
  });

  for (const name of ['v7.0', 'v7.0-norvc']) {
    it(`${name}: runs at entry and exit, newest first next to fentry / fexit, with its own cookie; detach takes it off both sides`, () => {
      const k = bootKernel(name);
      const bpf = bpfOf(k);
      const seen: string[] = [];
      const session = (n: string, cookie: bigint): ProgSpec => ({
        name: n, attach: 'fsession', target: TARGET, args: [{ name: 'a', type: 'int' }], usesSessionCookie: true,
        body: (c) => {
          if (!c.sessionIsReturn()) {
            c.writeCookie(cookie);
            seen.push(`${n} entry a=${c.arg('a')} ret=${c.ret()} args=${c.argCnt()}`);
          } else seen.push(`${n} exit ret=${c.ret()} cookie=${c.readCookie() === cookie}`);
        },
      });
      const obj = bpf.runtime.load({
        name: 'o',
        progs: [
          { name: 'f', attach: 'fentry', target: TARGET, body: () => void seen.push('f') },
          { name: 'x', attach: 'fexit', target: TARGET, body: () => void seen.push('x') },
          session('s1', 0x1111n),
          session('s2', 0x2222n),
        ],
      });
      const links = new Map<string, BpfLink>();
      for (const p of ['f', 'x', 's1', 's2']) {
        const l = bpf.attach(obj.prog(p));
        if (!l.ok) throw new Error(l.message);
        links.set(p, l.value);
      }
      const r = call(k);
      expect(r.kind === 'returned' && r.value).to.equal(2n);
      expect(seen).to.deep.equal([
        's2 entry a=1 ret=0 args=1', 's1 entry a=1 ret=0 args=1', 'f',
        's2 exit ret=2 cookie=true', 's1 exit ret=2 cookie=true', 'x',
      ]);
      const tr = links.get('s1')!.tramp;
      expect(tr.count, 'an fsession link is on both lists').to.equal(6);
      expect(bpf.detach(links.get('s2')!).ok).to.equal(true);
      seen.length = 0;
      call(k);
      expect(seen).to.deep.equal(['s1 entry a=1 ret=0 args=1', 'f', 's1 exit ret=2 cookie=true', 'x']);
      expect(tr.count).to.equal(4);
    });
  }

  it('an fsession counts twice against BPF_MAX_TRAMP_LINKS (-E2BIG with one slot left)', () => {
    const k = bootKernel('v7.0');
    const bpf = bpfOf(k);
    const max = k.profile.maxTrampLinks;
    const progs: ProgSpec[] = Array.from({ length: max - 1 }, (_, i) => ({ name: `f${i}`, attach: 'fentry', target: TARGET, body: () => 0n }));
    const obj = bpf.runtime.load({ name: 'o', progs: [...progs, { name: 's', attach: 'fsession', target: TARGET, body: () => 0n }] });
    const links = progs.map((p) => {
      const l = bpf.attach(obj.prog(p.name));
      if (!l.ok) throw new Error(l.message);
      return l.value;
    });
    const full = bpf.attach(obj.prog('s'));
    expect(full.ok || full.err).to.equal(-7);
    expect(bpf.detach(links[0]!).ok).to.equal(true);
    const s = bpf.attach(obj.prog('s'));
    expect(s.ok && s.value.tramp.count).to.equal(max);
    expect(call(k).kind).to.equal('returned');
  });
});
