/**
 * struct_ops maps of bpf_testmod_ops in the kernel model: the members' trampolines packed into
 * pages, kdata's pointers and data, refusals that leave nothing behind, .reg called from C
 * through the map's pointers, ksyms since v6.13, and freeing. The upstream selftest is
 * selftests/struct_ops_module.
 */
import { expect } from 'chai';
import { PAGE_SIZE } from '../../emulator/memory/memory';
import { bootKernel, type Kernel } from '../kernel';
import { bpfOf } from './bpf';
import type { BpfProg, ProgSpec } from './runtime';
import { structOpsLinkAttached, structOpsLinkCreate, structOpsLinkDetach, structOpsMapFree, structOpsMapUpdate } from './struct-ops-map';

const op = (member: string, body: ProgSpec['body'], args?: ProgSpec['args']): ProgSpec => ({
  name: member, attach: 'struct_ops', target: `bpf_testmod_ops.${member}`, body, ...(args ? { args } : {}),
});

function load(k: Kernel, specs: ProgSpec[]): Record<string, BpfProg> {
  const obj = bpfOf(k).runtime.load({ name: 'o', progs: specs });
  return Object.fromEntries(specs.map((s) => [s.name, obj.prog(s.name)]));
}

describe('struct_ops maps (bpf_testmod_ops)', function () {
  this.timeout(30000);

  it('attach: trampolines back to back in a page, kdata points at them and holds data; .reg calls them from C', () => {
    const k = bootKernel('v6.16');
    const bpf = bpfOf(k);
    const seen: bigint[][] = [];
    const progs = load(k, [
      op('test_1', () => { seen.push([]); return 0n; }),
      op('test_2', (c) => { seen.push([c.word(0), c.word(1)]); }, [{ name: 'a', type: 'int' }, { name: 'b', type: 'int' }]),
    ]);
    const map = structOpsMapUpdate(bpf, { type: 'bpf_testmod_ops', progs, data: { data: 13n } });
    if (!map.ok) throw new Error(map.message);
    const m = map.value;
    const mem = k.machine.memory;
    expect(m.pages).to.have.length(1);
    const [t1, t2] = m.trampolines;
    expect([t1!.member, t2!.member]).to.deep.equal(['test_1', 'test_2']);
    expect(t1!.addr).to.equal(m.pages[0]);
    expect(t2!.addr, 'the next trampoline starts where the first ends').to.equal(t1!.addr + BigInt(t1!.size));
    expect(mem.readU(m.kdata, 8)).to.equal(t1!.addr);
    expect(mem.readU(m.kdata + 8n, 8)).to.equal(t2!.addr);
    expect(mem.readU(m.kdata + 16n, 8), 'a member without a program stays NULL').to.equal(0n);
    expect(mem.readU(m.kdata + 60n, 4), 'data at 60 in the v6.15+ struct').to.equal(13n);
    expect(k.kallsyms.lookup(t2!.addr)?.name, 'ksym since v6.13').to.equal('bpf__bpf_testmod_ops_test_2');

    const reg = structOpsLinkCreate(m);
    if (!reg.ok) throw new Error(reg.message);
    const r = k.call(reg.value.fn, [...reg.value.args]);
    expect(r.kind === 'returned' && r.abi.length === 0 && r.value).to.equal(0n);
    expect(seen).to.deep.equal([[], [4n, 13n]]);
    expect(structOpsLinkAttached(m, 0).ok).to.equal(true);
    expect(structOpsLinkCreate(m).ok, 'attached once').to.equal(false);
    const unreg = structOpsLinkDetach(m);
    expect(unreg.ok && unreg.value.fn).to.equal('bpf_dummy_unreg');

    const allocs = bpf.trampolines.allocations.length;
    structOpsMapFree(bpf, m);
    expect(bpf.trampolines.allocations.slice(-allocs).every((a) => a.to !== undefined), 'pages freed').to.equal(true);
    expect(k.kallsyms.has('bpf__bpf_testmod_ops_test_2')).to.equal(false);
    expect(mem.isMapped(m.kdata)).to.equal(false);
  });

  it('before v6.13 the trampolines have no ksym; before v6.9 there is no bpf_testmod_ops', () => {
    const k = bootKernel('v6.11');
    const map = structOpsMapUpdate(bpfOf(k), { type: 'bpf_testmod_ops', progs: load(k, [op('test_1', () => 0n)]) });
    expect(map.ok && k.kallsyms.lookup(map.value.trampolines[0]!.addr)).to.equal(undefined);
    const old = bootKernel('v6.8');
    const r = structOpsMapUpdate(bpfOf(old), { type: 'bpf_testmod_ops', progs: {} });
    expect(r.ok || [r.err, r.message]).to.deep.equal([-95, 'struct bpf_testmod_ops is not found in kernel BTF']);
  });

  it('refusals leave nothing allocated: a program for another member, a data member init_member does not take', () => {
    const k = bootKernel('v6.16');
    const bpf = bpfOf(k);
    const progs = load(k, [op('test_1', () => 0n)]);
    const before = bpf.trampolines.allocations.length;
    const wrong = structOpsMapUpdate(bpf, { type: 'bpf_testmod_ops', progs: { test_2: progs.test_1! } });
    expect(wrong.ok || wrong.err).to.equal(-22);
    const data = structOpsMapUpdate(bpf, { type: 'bpf_testmod_ops', progs, data: { onebyte: 1n } });
    expect(data.ok || data.err).to.equal(-22);
    expect(bpf.trampolines.allocations.length).to.equal(before);
  });

  it('all 40 tramp_* members: none split across two pages; v6.11 builds them for int (int) and needs two pages, v6.15+ for the empty model registration left them (one page with RVC)', () => {
    for (const [name, pages] of [['v6.11', 2], ['v6.11-norvc', 2], ['v7.0', 1], ['v7.0-norvc', 2]] as const) {
      const k = bootKernel(name);
      const bpf = bpfOf(k);
      const specs = Array.from({ length: 40 }, (_, i) => op(`tramp_${i + 1}`, (c) => c.word(0), [{ name: 'a', type: 'int' }]));
      const map = structOpsMapUpdate(bpf, { type: 'bpf_testmod_ops', progs: load(k, specs) });
      if (!map.ok) throw new Error(`${name}: ${map.message}`);
      expect(map.value.pages.length, name).to.equal(pages);
      for (const t of map.value.trampolines) {
        const page = map.value.pages.find((p) => t.addr >= p && t.addr < p + BigInt(PAGE_SIZE))!;
        expect(t.addr + BigInt(t.size) <= page + BigInt(PAGE_SIZE), `${name}: ${t.member}`).to.equal(true);
      }
      if (name.startsWith('v6.11')) {
        // Built for int (int): the argument reaches the program, its value comes back.
        const t7 = map.value.trampolines.find((t) => t.member === 'tramp_7')!;
        const r = k.call(t7.addr, [0x1234n]);
        expect(r.kind === 'returned' && r.value, name).to.equal(0x1234n);
      }
      structOpsMapFree(bpf, map.value);
    }
  });
});
