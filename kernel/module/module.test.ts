/**
 * Loaded modules on every profile: laid out like the compiler lays out the image, traceable by
 * the function tracer everywhere and by BPF fentry / fexit wherever the kernel can trace a
 * kernel function, and unloaded without a trace.
 */
import { expect } from 'chai';
import { bootKernel, type Kernel } from '../kernel';
import { PROFILES } from '../profiles/profiles';
import { bpfOf } from '../bpf/bpf';
import { returnSentinel } from '../image';
import { describeError } from '../errno';
import { loadModule, unloadModule, loadedModules, MODULE_AREA, type LoadedModule, type ModuleSpec } from './module';
import { boundaryMonitor } from './view';
import type { FuncModel } from '../bpf/btf';

const model = (name: string, n: number): FuncModel => ({ name, ret: 'long', args: Array.from({ length: n }, (_, i) => ({ name: `x${i}`, type: 'long' as const })) });

/** mod_add(x0, x1) = x0 + 3 * x1, with a frame; mod_twice(x0) = mod_add(x0, x0) + 1, non-leaf. */
const SPEC: ModuleSpec = {
  name: 'rvt_testmod',
  data: [{ name: 'mod_counter', size: 8 }],
  functions: [
    {
      name: 'mod_add', model: model('mod_add', 2),
      asm: (a) => {
        a.addi('sp', 'sp', -16).sd('s0', 8, 'sp').addi('s0', 'sp', 16);
        a.slli('t0', 'a1', 1).add('t0', 't0', 'a1').add('a0', 'a0', 't0');
        a.lla('t1', 'mod_counter').ld('t2', 0, 't1').addi('t2', 't2', 1).sd('t2', 0, 't1');
        a.ld('s0', 8, 'sp').addi('sp', 'sp', 16).ret();
      },
    },
    {
      name: 'mod_twice', model: model('mod_twice', 1),
      asm: (a) => {
        a.addi('sp', 'sp', -16).sd('ra', 8, 'sp').sd('s0', 0, 'sp').addi('s0', 'sp', 16);
        a.mv('a1', 'a0').call('mod_add').label('mod_twice_ret').addi('a0', 'a0', 1);
        a.ld('ra', 8, 'sp').ld('s0', 0, 'sp').addi('sp', 'sp', 16).ret();
      },
    },
  ],
};

function load(k: Kernel, spec: ModuleSpec = SPEC): LoadedModule {
  const m = loadModule(k, spec);
  if (!m.ok) throw new Error(describeError(m));
  return m.value;
}

function ret(k: Kernel, fn: string, args: bigint[]): bigint {
  const r = k.call(fn, args);
  if (r.kind !== 'returned') throw new Error(`${fn}: ${r.kind}`);
  expect(r.abi, `${fn} ABI`).to.deep.equal([]);
  return r.value;
}

const KERNEL_TRACING = PROFILES.filter((p) => p.trampoline !== 'none' && p.directCalls !== 'none').map((p) => p.name);

describe('kernel/module: loading generated code after boot', function () {
  this.timeout(60000);

  for (const p of PROFILES) {
    describe(p.name, () => {
      it('lays functions out like the compiler (alignment, nops before and at the symbol), names them in kallsyms, runs them', () => {
        const k = bootKernel(p);
        const before = k.ftrace.records.size;
        const m = load(k);
        const L = k.image.layout;
        expect(m.base >= MODULE_AREA).to.equal(true);
        for (const f of m.functions.values()) {
          expect(Number(f.sled.address % BigInt(L.funcAlign ?? L.nopSize)), `${f.name} sled alignment`).to.equal(0);
          expect(f.addr - f.sled.address).to.equal(BigInt(L.bytesBefore));
          expect(f.bodyStart - f.addr).to.equal(BigInt(L.bytesAfter));
          expect(k.kallsyms.format(f.addr + 2n)).to.equal(`${f.name}+0x2/0x${f.size.toString(16)} [rvt_testmod]`);
          expect(k.ftrace.locationOf(f.name), `${f.name} is an ftrace location`).to.not.equal(undefined);
        }
        expect(k.ftrace.records.size).to.equal(before + 2);
        expect(ret(k, 'mod_add', [5n, 7n])).to.equal(26n);
        expect(ret(k, 'mod_twice', [4n])).to.equal(17n);
        expect(k.machine.memory.readU(m.address('mod_counter'), 8)).to.equal(2n);
        expect(k.log.problems()).to.deep.equal([]);
      });

      it('the function tracer traces module functions (ip = ftrace location, parent = the call site); disabling restores the text', () => {
        const k = bootKernel(p);
        const m = load(k);
        const text = k.machine.memory.readBytes(m.text.start, Number(m.text.end - m.text.start));
        expect(k.tracer.enable(['mod_add', 'mod_twice']).ok).to.equal(true);
        expect(ret(k, 'mod_twice', [4n])).to.equal(17n);
        expect(k.tracer.buffer).to.deep.equal([
          { ip: k.ftrace.locationOf('mod_twice'), parentIp: returnSentinel(k.machine) },
          { ip: k.ftrace.locationOf('mod_add'), parentIp: m.address('mod_twice_ret') },
        ]);
        expect(unloadModule(k, m).ok, 'unload while traced').to.equal(false);
        expect(k.tracer.disable().ok).to.equal(true);
        expect(k.machine.memory.readBytes(m.text.start, text.length)).to.deep.equal(text);
        expect(unloadModule(k, m).ok).to.equal(true);
        expect(k.log.problems()).to.deep.equal([]);
      });

      it('a tracer on every function covers modules loaded later (ftrace_module_enable)', () => {
        const k = bootKernel(p);
        expect(k.tracer.enable().ok).to.equal(true);
        load(k);
        ret(k, 'mod_add', [1n, 1n]);
        expect(k.tracer.buffer.map((e) => k.kallsyms.lookup(e.ip)?.name)).to.deep.equal(['mod_add']);
      });

      const canTrace = KERNEL_TRACING.includes(p.name);
      it(canTrace ? `BPF fentry and fexit on module functions, nested too; detach restores the text${p.base === 'v6.5+direct-calls' ? ' (broken here: the 2023 bug)' : ''}` : 'BPF on module functions is refused as on kernel functions (-ENOTSUPP), text untouched', () => {
        const k = bootKernel(p);
        const m = load(k);
        const text = k.machine.memory.readBytes(m.text.start, Number(m.text.end - m.text.start));
        const bpf = bpfOf(k);
        const seen: string[] = [];
        const obj = bpf.runtime.load({
          name: 'modtrace',
          progs: [
            { name: 'fe', attach: 'fentry', target: 'mod_add', args: 2, body: (c) => { seen.push(`fentry ${c.arg(0)} ${c.arg(1)}`); } },
            { name: 'fx', attach: 'fexit', target: 'mod_add', args: 2, ret: 'long', body: (c) => { seen.push(`fexit ${c.arg(0)} ${c.arg(1)} = ${c.ret()}`); } },
          ],
        });
        const l1 = bpf.attach(obj.prog('fe'));
        if (!canTrace) {
          expect(l1.ok || l1.errno).to.equal('ENOTSUPP');
          expect(k.machine.memory.readBytes(m.text.start, text.length)).to.deep.equal(text);
          return;
        }
        const l2 = bpf.attach(obj.prog('fx'));
        if (!l1.ok || !l2.ok) throw new Error(`attach: ${describeError(l1)} / ${describeError(l2)}`);
        const mon = boundaryMonitor(k, 'mod_add');
        if (p.base === 'v6.5+direct-calls') {
          // The 2023 bug shows on module functions as on the image's: the 16-byte-era trampoline
          // on the 8-byte sled never gets back to the caller with the right value.
          const r = k.call('mod_add', [5n, 7n]);
          expect(r.kind !== 'returned' || r.value !== 26n || mon.findings.length > 0, `${r.kind}`).to.equal(true);
          return;
        }
        expect(ret(k, 'mod_add', [5n, 7n])).to.equal(26n);
        expect(ret(k, 'mod_twice', [4n])).to.equal(17n);
        mon.remove();
        expect(mon.findings).to.deep.equal([]);
        expect(seen).to.deep.equal(['fentry 5 7', 'fexit 5 7 = 26', 'fentry 4 4', 'fexit 4 4 = 16']);
        const busy = unloadModule(k, m);
        expect(busy.ok || busy.errno).to.equal('EBUSY');
        expect(bpf.detach(l1.value).ok && bpf.detach(l2.value).ok).to.equal(true);
        expect(k.machine.memory.readBytes(m.text.start, text.length)).to.deep.equal(text);
        expect(k.log.problems()).to.deep.equal([]);
      });
    });
  }

  it('unloading removes symbols, ftrace records, models and the mapping; the name can be loaded again', () => {
    const k = bootKernel('v6.16');
    const m = load(k);
    const records = k.ftrace.records.size;
    expect(unloadModule(k, m).ok).to.equal(true);
    expect(k.kallsyms.has('mod_add')).to.equal(false);
    expect(k.ftrace.records.size).to.equal(records - 2);
    expect(bpfOf(k).trampolines.models.get('mod_add')).to.equal(undefined);
    expect(k.machine.memory.isMapped(m.text.start)).to.equal(false);
    expect(loadedModules(k)).to.deep.equal([]);
    const gone = unloadModule(k, m);
    expect(gone.ok || gone.errno).to.equal('ENOENT');
    const again = load(k);
    expect(ret(k, 'mod_add', [1n, 2n])).to.equal(7n);
    expect(again.base > m.base).to.equal(true);
  });

  it('refuses bad specs without mapping anything', () => {
    const k = bootKernel('v6.8');
    expect(loadModule(k, SPEC).ok).to.equal(true);
    expect(loadModule(k, SPEC).ok || 'EEXIST').to.equal('EEXIST');
    const clash = loadModule(k, { ...SPEC, name: 'other' });
    expect(clash.ok || clash.errno).to.equal('EEXIST');
    const noBody = loadModule(k, { name: 'nobody', functions: [{ name: 'nb', model: model('nb', 0) }] });
    expect(noBody.ok || noBody.errno).to.equal('EINVAL');
    const badAsm = loadModule(k, { name: 'badasm', functions: [{ name: 'ba', model: model('ba', 0), asm: (a) => { a.j('nowhere'); } }] });
    expect(badAsm.ok || badAsm.errno).to.equal('EINVAL');
    expect(loadedModules(k).map((m) => m.name)).to.deep.equal(['rvt_testmod']);
  });
});
