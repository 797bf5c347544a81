/**
 * BPF trampolines on the real kernel images, per profile: what programs see, what callers get
 * back, the ABI at the traced call, limits, and the 2023 regression on v6.5+direct-calls.
 * Programs check the same things as the upstream fentry_test / fexit_test / modify_return
 * programs (bpf-tracing-selftests.md §2).
 */
import { expect } from 'chai';
import { bootKernel, type Kernel } from '../kernel';
import { bpfOf } from './bpf';
import { scratchPage } from '../image';
import { describeError } from '../errno';
import type { ObjectSpec } from './runtime';

const FENTRY = 24n, MODIFY_RETURN = 26n;
const b = (x: boolean) => (x ? 1n : 0n);

function testRun(k: Kernel, type: bigint): { err: bigint | string; retval: bigint } {
  const buf = scratchPage(k.machine);
  k.machine.memory.writeU(buf, 4, 0xdeadn);
  const r = k.call('bpf_prog_test_run_tracing', [type, buf]);
  return { err: r.kind === 'returned' ? BigInt.asIntN(32, r.value) : r.kind, retval: k.machine.memory.readU(buf, 4) };
}

const FENTRY_OBJ: ObjectSpec = {
  name: 'fentry_test',
  bss: { test1_result: 0, test2_result: 0, test3_result: 0, test4_result: 0, test5_result: 0, test6_result: 0, test7_result: 0, test8_result: 0 },
  progs: [
    { name: 'test1', attach: 'fentry', target: 'bpf_fentry_test1', args: [{ name: 'a', type: 'int' }], body: (c) => { c.bss.test1_result = b(c.arg('a') === 1n); } },
    { name: 'test2', attach: 'fentry', target: 'bpf_fentry_test2', args: [{ name: 'a', type: 'int' }, { name: 'b', type: 'u64' }], body: (c) => { c.bss.test2_result = b(c.arg('a') === 2n && c.arg('b') === 3n); } },
    { name: 'test3', attach: 'fentry', target: 'bpf_fentry_test3', args: [{ name: 'a', type: 'char' }, { name: 'b', type: 'int' }, { name: 'c', type: 'u64' }], body: (c) => { c.bss.test3_result = b(c.arg('a') === 4n && c.arg('b') === 5n && c.arg('c') === 6n); } },
    { name: 'test4', attach: 'fentry', target: 'bpf_fentry_test4', args: [{ name: 'a', type: 'ptr' }, { name: 'b', type: 'char' }, { name: 'c', type: 'int' }, { name: 'd', type: 'u64' }], body: (c) => { c.bss.test4_result = b(c.arg('a') === 7n && c.arg('b') === 8n && c.arg('c') === 9n && c.arg('d') === 10n); } },
    { name: 'test5', attach: 'fentry', target: 'bpf_fentry_test5', args: [{ name: 'a', type: 'u64' }, { name: 'b', type: 'ptr' }, { name: 'c', type: 'short' }, { name: 'd', type: 'int' }, { name: 'e', type: 'u64' }], body: (c) => { c.bss.test5_result = b(c.arg('a') === 11n && c.arg('b') === 12n && c.arg('c') === 13n && c.arg('d') === 14n && c.arg('e') === 15n); } },
    { name: 'test6', attach: 'fentry', target: 'bpf_fentry_test6', args: [{ name: 'a', type: 'u64' }, { name: 'b', type: 'ptr' }, { name: 'c', type: 'short' }, { name: 'd', type: 'int' }, { name: 'e', type: 'ptr' }, { name: 'f', type: 'u64' }], body: (c) => { c.bss.test6_result = b(c.arg('a') === 16n && c.arg('b') === 17n && c.arg('c') === 18n && c.arg('d') === 19n && c.arg('e') === 20n && c.arg('f') === 21n); } },
    { name: 'test7', attach: 'fentry', target: 'bpf_fentry_test7', args: [{ name: 'arg', type: 'ptr' }], body: (c) => { if (c.arg('arg') === 0n) c.bss.test7_result = 1n; } },
    { name: 'test8', attach: 'fentry', target: 'bpf_fentry_test8', args: [{ name: 'arg', type: 'ptr' }], body: (c) => { if (c.read(c.arg('arg'), 'u64') === 0n) c.bss.test8_result = 1n; } },
  ],
};

const RETS = [2n, 5n, 15n, 34n, 65n, 111n];
const FEXIT_OBJ: ObjectSpec = {
  name: 'fexit_test',
  bss: Object.fromEntries(RETS.map((_, i) => [`test${i + 1}_result`, 0])),
  progs: FENTRY_OBJ.progs.slice(0, 6).map((p, i) => ({
    ...p, attach: 'fexit' as const,
    body: (c) => {
      p.body(c);
      const key = `test${i + 1}_result`;
      c.bss[key] = b(c.bss[key] === 1n && c.ret() === RETS[i]);
    },
  })),
};

function attachAll(k: Kernel, spec: ObjectSpec) {
  const bpf = bpfOf(k);
  const obj = bpf.runtime.load(spec);
  const links = [...obj.progs.values()].map((p) => {
    const l = bpf.attach(p);
    if (!l.ok) throw new Error(`attach ${p.name}: ${describeError(l)}`);
    return l.value;
  });
  return { bpf, obj, links };
}

function allResults(obj: { bss: Record<string, bigint> }): Record<string, bigint> {
  return { ...obj.bss };
}

const KERNEL_TRACING = ['v6.8', 'v6.8-norvc', 'v6.11', 'v6.11-norvc', 'v6.16', 'v6.16-norvc'];

describe('BPF trampolines on kernel functions', function () {
  this.timeout(60000);

  for (const name of KERNEL_TRACING) {
    describe(name, () => {
      it('fentry programs see the exact arguments; test_run returns 0; detach -> attach works', () => {
        const k = bootKernel(name);
        const sled = k.machine.memory.readBytes(k.sym('bpf_fentry_test1'), 8);
        for (let round = 0; round < 2; round++) {
          const { bpf, obj, links } = attachAll(k, FENTRY_OBJ);
          expect(testRun(k, FENTRY)).to.deep.equal({ err: 0n, retval: 0n });
          expect(Object.values(allResults(obj)), `round ${round}`).to.deep.equal(Array(8).fill(1n));
          // attaching test1 a second time fails
          const again = bpf.attach(obj.prog('test1'));
          expect(again.ok || again.err).to.equal(-16);
          for (const l of links) expect(bpf.detach(l).ok).to.equal(true);
          for (const p of obj.progs.values()) bpf.runtime.unload(p);
          expect(k.machine.memory.readBytes(k.sym('bpf_fentry_test1'), 8), 'sled restored').to.deep.equal(sled);
        }
        expect(k.log.problems()).to.deep.equal([]);
      });

      it('fexit programs see arguments and return values; callers get the real return values back', () => {
        const k = bootKernel(name);
        const { obj } = attachAll(k, FEXIT_OBJ);
        expect(testRun(k, FENTRY)).to.deep.equal({ err: 0n, retval: 0n });
        expect(Object.values(allResults(obj))).to.deep.equal(Array(6).fill(1n));
        expect(k.log.problems()).to.deep.equal([]);
      });

      for (const [input, ret] of [[0n, 0x00020021n], [-22n, 0x00010007n]] as const) {
        it(`fmod_ret returning ${input}: ${input ? 'skips the original and becomes its return value' : 'lets the original run'}; fentry and fexit run in order`, () => {
          const k = bootKernel(name);
          const order: string[] = [];
          const spec: ObjectSpec = {
            name: 'modify_return', bss: { fentry_result: 0, fmod_ret_result: 0, fexit_result: 0 },
            progs: [
              { name: 'fentry_test', attach: 'fentry', target: 'bpf_modify_return_test', args: [{ name: 'a', type: 'int' }, { name: 'b', type: 'ptr' }], body: (c) => { order.push('fentry'); c.bss.fentry_result = b(order.length === 1); } },
              { name: 'fmod_ret_test', attach: 'fmod_ret', target: 'bpf_modify_return_test', args: [{ name: 'a', type: 'int' }, { name: 'b', type: 'ptr' }], body: (c) => { order.push('fmod_ret'); c.bss.fmod_ret_result = b(order.length === 2 && c.ret() === 0n); return input; } },
              { name: 'fexit_test', attach: 'fexit', target: 'bpf_modify_return_test', args: [{ name: 'a', type: 'int' }, { name: 'b', type: 'ptr' }], body: (c) => { order.push('fexit'); c.bss.fexit_result = b(order.length === 3 && c.ret() === (input ? input : 4n)); } },
            ],
          };
          const { obj } = attachAll(k, spec);
          expect(testRun(k, MODIFY_RETURN)).to.deep.equal({ err: 0n, retval: ret });
          expect(allResults(obj)).to.deep.equal({ fentry_result: 1n, fmod_ret_result: 1n, fexit_result: 1n });
          expect(k.log.problems()).to.deep.equal([]);
        });
      }

      it('the traced call returns to its call site with sp, gp, tp and s0-s11 preserved', () => {
        const k = bootKernel(name);
        attachAll(k, FEXIT_OBJ);
        const r = k.call('bpf_fentry_test6', [16n, 17n, 18n, 19n, 20n, 21n]);
        expect(r.kind).to.equal('returned');
        if (r.kind === 'returned') {
          expect(r.value).to.equal(111n);
          expect(r.abi).to.deep.equal([]);
        }
      });

      it(`11-argument functions: ${name.startsWith('v6.8') ? '-ENOTSUPP before v6.11' : 'arguments 9-11 come from the stack'}`, () => {
        const k = bootKernel(name);
        const args11 = ['u64', 'ptr', 'short', 'int', 'ptr', 'char', 'int', 'u32', 'long', 'u64', 'u64'] as const;
        const spec: ObjectSpec = {
          name: 'many_args', bss: { fentry11: 0, fexit11: 0 },
          progs: [
            { name: 'f11', attach: 'fentry', target: 'bpf_testmod_fentry_test11', args: args11.map((type, i) => ({ name: `a${i}`, type })), body: (c) => { c.bss.fentry11 = b(args11.every((_, i) => c.arg(`a${i}`) === BigInt(16 + i))); } },
            { name: 'x11', attach: 'fexit', target: 'bpf_testmod_fentry_test11', args: 11, body: (c) => { c.bss.fexit11 = b(Array.from({ length: 11 }, (_, i) => c.arg(i)).every((v, i) => v === BigInt(16 + i)) && c.ret() === 231n); } },
          ],
        };
        const bpf = bpfOf(k);
        const obj = bpf.runtime.load(spec);
        const l = bpf.attach(obj.prog('f11'));
        if (name.startsWith('v6.8')) {
          expect(l.ok || l.err).to.equal(-524);
          return;
        }
        expect(l.ok).to.equal(true);
        expect(bpf.attach(obj.prog('x11')).ok).to.equal(true);
        const r = k.call('bpf_testmod_test_read', [0n, 0n, 0n, 0n, 0n, 1n]);
        expect(r.kind === 'returned' && BigInt.asIntN(64, r.value)).to.equal(-5n);
        expect(k.machine.memory.readU(k.sym('bpf_testmod_fentry_ok'), 4)).to.equal(1n);
        expect(allResults(obj)).to.deep.equal({ fentry11: 1n, fexit11: 1n });
      });

      it('BPF_MAX_TRAMP_LINKS: 38 links work, the 39th is -E2BIG and changes nothing', () => {
        const k = bootKernel(name);
        const bpf = bpfOf(k);
        let hits = 0;
        const obj = bpf.runtime.load({ name: 'stress', progs: Array.from({ length: 39 }, (_, i) => ({ name: `p${i}`, attach: i % 2 ? 'fexit' as const : 'fentry' as const, target: 'bpf_fentry_test1', body: () => { hits++; } })) });
        for (let i = 0; i < 38; i++) expect(bpf.attach(obj.prog(`p${i}`)).ok, `link ${i}`).to.equal(true);
        const extra = bpf.attach(obj.prog('p38'));
        expect(extra.ok || extra.err).to.equal(-7);
        expect(testRun(k, FENTRY).err).to.equal(0n);
        expect(hits).to.equal(38);
      });
    });
  }
});

describe('BPF trampolines on BPF programs (fexit_bpf2bpf) in every era', function () {
  this.timeout(60000);
  for (const name of ['v6.3', 'v6.3-norvc', 'v6.6', 'v6.8', 'v6.11-norvc', 'v6.16']) {
    it(`${name}: fentry and fexit on a program's image, through bpf_arch_text_poke`, () => {
      const k = bootKernel(name);
      const bpf = bpfOf(k);
      const target = bpf.runtime.load({ name: 'target', progs: [{ name: 'classifier', attach: 'classifier', body: () => 42n }] }).prog('classifier');
      const seen: bigint[] = [];
      const tracer = bpf.runtime.load({
        name: 'tracer',
        progs: [
          { name: 'fe', attach: 'fentry', target: 'classifier', args: 1, body: (c) => { seen.push(c.arg(0)); } },
          { name: 'fx', attach: 'fexit', target: 'classifier', args: 1, ret: 'u64', body: (c) => { seen.push(c.ret()); } },
        ],
      });
      const sled = k.machine.memory.readBytes(target.image!.sled.addr, target.image!.sled.size);
      const l1 = bpf.attach(tracer.prog('fe'), { targetProg: target });
      const l2 = bpf.attach(tracer.prog('fx'), { targetProg: target });
      expect(l1.ok && l2.ok, l1.ok ? (l2.ok ? '' : l2.message) : l1.message).to.equal(true);
      const r = k.call(target.bpfFunc, [0x1234n]);
      expect(r.kind === 'returned' && r.value).to.equal(42n);
      expect(seen).to.deep.equal([0x1234n, 42n]);
      if (l1.ok) expect(bpf.detach(l1.value).ok).to.equal(true);
      if (l2.ok) expect(bpf.detach(l2.value).ok).to.equal(true);
      expect(k.machine.memory.readBytes(target.image!.sled.addr, target.image!.sled.size)).to.deep.equal(sled);
      expect(k.log.problems()).to.deep.equal([]);
    });
  }
});

describe('the 2023 regression (v6.5+direct-calls: 8-byte sled, trampoline built for 16 bytes and ra)', function () {
  this.timeout(60000);
  for (const name of ['v6.5+direct-calls', 'v6.5+direct-calls-norvc']) {
    it(`${name}: fentry on bpf_fentry_test1 returns to the parent without running it: test_run gives -EFAULT`, () => {
      const k = bootKernel(name);
      attachAll(k, { ...FENTRY_OBJ, progs: [FENTRY_OBJ.progs[0]!] });
      expect(testRun(k, FENTRY).err).to.equal(-14n);
    });
    it(`${name}: fexit on bpf_fentry_test1 calls into its body and returns through a garbage slot`, () => {
      const k = bootKernel(name);
      attachAll(k, { ...FEXIT_OBJ, progs: [FEXIT_OBJ.progs[0]!] });
      const r = testRun(k, FENTRY);
      expect(r.err === -14n || r.err === 'trap', String(r.err)).to.equal(true);
    });
  }
  for (const name of ['v6.8', 'v6.11', 'v6.16']) {
    it(`${name}: the same fentry and fexit pass`, () => {
      const k = bootKernel(name);
      attachAll(k, { ...FENTRY_OBJ, progs: [FENTRY_OBJ.progs[0]!] });
      attachAll(k, { ...FEXIT_OBJ, name: 'fx', progs: [FEXIT_OBJ.progs[0]!] });
      expect(testRun(k, FENTRY).err).to.equal(0n);
    });
  }
});

describe('attach errors leave nothing half-patched', function () {
  this.timeout(60000);
  it('v6.2 has no trampoline: -ENOTSUPP (-524)', () => {
    const k = bootKernel('v6.2');
    const obj = bpfOf(k).runtime.load({ ...FENTRY_OBJ, progs: [FENTRY_OBJ.progs[0]!] });
    const r = bpfOf(k).attach(obj.prog('test1'));
    expect(r.ok || r.err).to.equal(-524);
  });
  for (const name of ['v6.3', 'v6.6-norvc']) {
    it(`${name}: kernel functions cannot be traced without direct calls (-ENOTSUPP), sled untouched`, () => {
      const k = bootKernel(name);
      const sled = k.machine.memory.readBytes(k.sym('bpf_fentry_test1'), 8);
      const obj = bpfOf(k).runtime.load({ ...FENTRY_OBJ, progs: [FENTRY_OBJ.progs[0]!] });
      const r = bpfOf(k).attach(obj.prog('test1'));
      expect(r.ok || r.err).to.equal(-524);
      expect(k.machine.memory.readBytes(k.sym('bpf_fentry_test1'), 8)).to.deep.equal(sled);
    });
  }
  // A trampoline longer than its image (here a 64-byte stand-in for the page) is refused
  // before anything is written: -EFBIG by riscv's arch_prepare_bpf_trampoline up to v6.7,
  // -E2BIG by bpf_trampoline_update after arch_bpf_trampoline_size from v6.8. No WARN.
  for (const [name, errno] of [['v6.5+direct-calls', -27], ['v6.8', -7], ['v6.11', -7], ['v6.16-norvc', -7]] as const) {
    it(`${name}: a trampoline longer than its image: ${errno === -27 ? '-EFBIG' : '-E2BIG'}, no WARN, nothing written, sled untouched`, () => {
      const k = bootKernel(name);
      const bpf = bpfOf(k, { imageSize: 64 });
      const sled = k.machine.memory.readBytes(k.sym('bpf_fentry_test1'), 8);
      const obj = bpf.runtime.load({ ...FENTRY_OBJ, progs: [FENTRY_OBJ.progs[0]!] });
      const patches = k.text.history.length;
      const r = bpf.attach(obj.prog('test1'));
      expect(r.ok || r.err).to.equal(errno);
      expect(k.text.history.length, 'no text written').to.equal(patches);
      expect(k.log.problems()).to.deep.equal([]);
      expect(k.machine.memory.readBytes(k.sym('bpf_fentry_test1'), 8)).to.deep.equal(sled);
      expect(testRun(k, FENTRY).err).to.equal(0n);
    });
  }
  it('v6.16: 38 fmod_ret programs with 64-bit cookies on an 11-argument function need more than a page: -E2BIG (the fmod_ret branches would not reach)', () => {
    const k = bootKernel('v6.16');
    const bpf = bpfOf(k);
    const progs = Array.from({ length: 38 }, (_, i) => ({ name: `m${i}`, attach: 'fmod_ret' as const, target: 'bpf_testmod_fentry_test11', args: 11, body: () => 0n }));
    const obj = bpf.runtime.load({ name: 'many', progs });
    const results = progs.map((p) => bpf.attach(obj.prog(p.name), { cookie: 0x7fff7ff7ff7ff7ffn }));
    const firstRefused = results.findIndex((x) => !x.ok);
    expect(firstRefused, 'some attach is refused').to.be.greaterThan(0);
    const r = results[firstRefused]!;
    expect(r.ok || r.err).to.equal(-7);
    expect(r.ok || r.message).to.match(/needs \d+ bytes, the image has 4096/);
    expect(k.log.problems()).to.deep.equal([]);
  });
  it('detaching twice: -ENOENT', () => {
    const k = bootKernel('v6.16');
    const { bpf, links } = attachAll(k, { ...FENTRY_OBJ, progs: [FENTRY_OBJ.progs[0]!] });
    expect(bpf.detach(links[0]!).ok).to.equal(true);
    const r = bpf.detach(links[0]!);
    expect(r.ok || r.err).to.equal(-2);
  });
});
