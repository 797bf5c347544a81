/**
 * Recursion through real trampolines: a program whose body calls back into the function it is
 * attached to (through callFromHost, as a BPF helper reaching a traced kernel function would)
 * re-enters its own trampoline; __bpf_prog_enter must refuse the nested run (recursion_misses)
 * and __bpf_prog_exit must still get exactly what enter returned.
 */
import { expect } from 'chai';
import { bootKernel } from '../kernel';
import { bpfOf } from './bpf';
import { callFromHost } from '../image/nested-call';

function recurse(profile: string) {
  const k = bootKernel(profile);
  const bpf = bpfOf(k);
  let runs = 0;
  const obj = bpf.runtime.load({
    name: 'recursion',
    progs: [{
      name: 'on_test2', attach: 'fentry', target: 'bpf_fentry_test2', args: 2,
      body: (c) => {
        runs++;
        // Twice re-enter the traced function while this program is active.
        for (let i = 0; i < 2; i++) {
          const r = callFromHost(c.hart, k.sym('bpf_fentry_test2'), [2n, 3n]);
          if (r.kind !== 'returned' || r.value !== 5n) throw new Error(`nested bpf_fentry_test2: ${r.kind}`);
        }
      },
    }],
  });
  const link = bpf.attach(obj.prog('on_test2'));
  if (!link.ok) throw new Error(link.message);
  const r = k.call('bpf_fentry_test2', [2n, 3n]);
  return { k, r, runs, prog: obj.prog('on_test2') };
}

describe('recursion through the trampoline', function () {
  this.timeout(30000);
  for (const name of ['v6.11', 'v6.11-norvc', 'v6.16', 'v6.16-norvc']) {
    it(`${name}: nested entries are counted as recursion misses, and exit receives what enter returned`, () => {
      const { k, r, runs, prog } = recurse(name);
      expect(r.kind === 'returned' && r.value).to.equal(5n);
      expect(runs).to.equal(1);
      expect(prog.recursionMisses).to.equal(2n);
      expect(prog.active).to.equal(0);
      expect(k.log.problems().map((l) => l.text)).to.deep.equal([]);
    });
  }

  // Before 10541b374aa0 ("riscv, bpf: Fix incorrect runtime stats") the skip branch came before
  // `mv s1, a0`, so a skipped program's exit received the outer invocation's start time.
  for (const name of ['v6.8', 'v6.8-norvc']) {
    it(`${name}: the pre-2024 trampoline passes a stale start to __bpf_prog_exit on a recursion miss (WARN)`, () => {
      const { k, r, prog } = recurse(name);
      expect(r.kind === 'returned' && r.value).to.equal(5n);
      expect(prog.recursionMisses).to.equal(2n);
      expect(k.log.problems().map((l) => l.text).join('\n')).to.match(/WARNING: .*exit.*start/i);
    });
  }
});
