/**
 * The kernel on the block translator: with every block head translated on first entry
 * (hotThreshold 1), sleds, ftrace_caller, trampolines and the traced functions run as
 * translated code, and everything observable must be what the interpreter gives: call
 * results (values, traps, instruction counts), what the programs see, the function tracer's
 * entries and the registers afterwards. The 2023 bug (v6.5+direct-calls) must look the same.
 */
import { expect } from 'chai';
import { bootKernel } from './kernel';
import { PROFILES } from './profiles/profiles';
import { bpfOf } from './bpf/bpf';
import { scratchPage } from './image';
import type { ObjectSpec } from './bpf/runtime';

const FENTRY = 24n, FEXIT = 25n, MODIFY_RETURN = 26n;
const TARGETS = [
  ['bpf_fentry_test1', ['int']],
  ['bpf_fentry_test2', ['int', 'u64']],
  ['bpf_fentry_test3', ['char', 'int', 'u64']],
  ['bpf_fentry_test6', ['u64', 'ptr', 'short', 'int', 'ptr', 'u64']],
] as const;

function scenario(profile: string, translate: boolean) {
  const k = bootKernel(profile, { engine: { translate, hotThreshold: 1 } });
  const seen: string[] = [];
  const spec: ObjectSpec = {
    name: 'engines',
    progs: [
      ...TARGETS.flatMap(([fn, types]) =>
        (['fentry', 'fexit'] as const).map((attach) => ({
          name: `${attach}_${fn}`,
          attach,
          target: fn,
          args: types.map((type, i) => ({ name: `a${i}`, type })),
          ...(attach === 'fexit' ? { ret: 'int' as const } : {}),
          body: (c: import('./bpf/runtime/ctx').ProgCtx) => {
            seen.push(`${attach} ${fn}(${types.map((_, i) => c.arg(`a${i}`)).join(', ')})${attach === 'fexit' ? ` = ${c.ret()}` : ''}`);
          },
        })),
      ),
      { name: 'fmod', attach: 'fmod_ret' as const, target: 'bpf_modify_return_test', args: [{ name: 'a', type: 'int' as const }, { name: 'b', type: 'ptr' as const }], ret: 'int' as const, body: () => { seen.push('fmod_ret'); return 0n; } },
    ],
  };
  const bpf = bpfOf(k);
  const out: unknown[] = [];
  const loaded = (() => {
    try {
      return bpf.runtime.load(spec);
    } catch (e) {
      return String(e);
    }
  })();
  if (typeof loaded === 'string') return { loaded };
  const links = [...loaded.progs.values()].map((p) => {
    const l = bpf.attach(p);
    return l.ok ? 'ok' : l.errno;
  });
  const tracer = k.tracer.enable(['bpf_fentry_test2', 'bpf_fentry_test3']);
  const buf = scratchPage(k.machine);
  for (const type of [FENTRY, FEXIT, MODIFY_RETURN]) {
    const r = k.call('bpf_prog_test_run_tracing', [type, buf]);
    out.push(r, k.machine.memory.readU(buf, 4), k.hart.regs());
  }
  return { links, tracer: tracer.ok, out, seen, trace: k.tracer.buffer.map((e) => JSON.stringify(e, (_, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))) };
}

describe('the kernel on the block translator', function () {
  this.timeout(120_000);
  for (const p of PROFILES) {
    it(`${p.name}: fentry/fexit/fmod_ret and the function tracer behave as on the interpreter`, () => {
      const a = scenario(p.name, false);
      const b = scenario(p.name, true);
      expect(b).to.deep.equal(a);
    });
  }
});
