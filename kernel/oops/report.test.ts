import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { XREG_NAMES } from '../../emulator/isa/regnames';
import { poisonValue } from '../../emulator/cpu/machine';
import { LAYOUT_NAMES, type LayoutName } from '../image/layouts';
import { entryValue, unusedValue } from '../image/call';
import { repoRoot } from '../image/repo-root';
import type { Trap } from '../../emulator/cpu/trap';
import { bootImage } from '../image/testing';
import { markerOf, oopsCause, oopsHeadline, oopsReport, registerDump, type OopsCause } from './report';
import { runScenario, SCENARIOS, type ScenarioName } from './testing';

const report = (layout: LayoutName, name: ScenarioName) => {
  const s = runScenario(layout, name);
  return { ...s, text: oopsReport(s.input), lines: oopsReport(s.input).split('\n') };
};

/** The lines of the report's objdump-style listing (after `Code around`), without blank and header lines. */
function listing(lines: readonly string[]): string[] {
  const at = lines.findIndex((l) => l.startsWith('Code around'));
  return lines.slice(at + 1).filter((l) => /^[0-9a-f]{16}:\t/.test(l));
}

const committedListing = new Map<LayoutName, Set<string>>();
/** The committed objdump -d lines of a layout's image, `# comments` dropped. */
function objdumpLines(layout: LayoutName): Set<string> {
  let s = committedListing.get(layout);
  if (!s) {
    const text = fs.readFileSync(path.join(repoRoot(), 'kernel', 'image', 'out', `${layout}.objdump`), 'utf8');
    s = new Set(text.split('\n').map((l) => l.replace(/ # .*$/, '')));
    committedListing.set(layout, s);
  }
  return s;
}

describe('kernel/oops report', () => {
  it('recognises marker values: poison, unused and entry values, of any register', () => {
    expect(markerOf(poisonValue(5))).to.deep.equal({ kind: 'poison', reg: 5 });
    expect(markerOf(unusedValue(17))).to.deep.equal({ kind: 'unused', reg: 17 });
    expect(markerOf(entryValue(27))).to.deep.equal({ kind: 'entry', reg: 27 });
    expect(markerOf(0xdeadbeef00000020n)).to.equal(undefined);
    expect(markerOf(0n)).to.equal(undefined);
    expect(markerOf(0xffffffff80000000n)).to.equal(undefined);
  });

  it('dumps registers in the riscv show_regs layout', () => {
    const regs = Array.from({ length: 32 }, (_, i) => BigInt(i) * 0x1111n);
    const d = registerDump(0xffffffff80001234n, regs);
    expect(d).to.have.length(11);
    expect(d[0]).to.equal('epc : ffffffff80001234 ra : 0000000000001111 sp : 0000000000002222');
    expect(d[8]).to.equal(' s8 : 0000000000019998 s9 : 000000000001aaa9 s10: 000000000001bbba');
    expect(d[10]).to.equal(' t5 : 000000000001fffe t6 : 000000000002110f');
    const names = d.join('').match(/[a-z0-9]+ ?:/g)!.map((n) => n.replace(/ ?:$/, ''));
    expect(names).to.deep.equal(['epc', ...XREG_NAMES.slice(1)]);
  });

  it('names every trap kind the way riscv die() does, with its scause code', () => {
    const b = bootImage('sled8-rvc');
    const pc = b.kernel.sym('bpf_fentry_test2') + 8n;
    b.hart.pc = pc;
    const rep = (cause: OopsCause) => oopsReport({ cause, hart: b.hart, kallsyms: b.kernel.kallsyms }).split('\n');
    const cases: [Trap, string[], string][] = [
      [{ kind: 'misaligned-fetch', pc, target: pc + 3n }, ['Oops - instruction address misaligned [#1]'], `badaddr: ${(pc + 3n).toString(16)} cause: 0000000000000000`],
      [{ kind: 'misaligned-access', pc, access: 'load', addr: 0x1001n }, ['Oops - load address misaligned [#1]'], 'cause: 0000000000000004'],
      [{ kind: 'misaligned-access', pc, access: 'store', addr: 0x1001n }, ['Oops - store (or AMO) address misaligned [#1]'], 'cause: 0000000000000006'],
      [{ kind: 'ecall', pc }, ['Oops - environment call from S-mode [#1]'], 'cause: 0000000000000009 (ecall)'],
      [{ kind: 'ebreak', pc }, ['Kernel BUG [#1]'], 'cause: 0000000000000003 (breakpoint: ebreak)'],
      [{ kind: 'unsupported-extension', pc, word: 0x0005b787, ext: 'D', name: 'fld' }, ['Oops - illegal instruction [#1]'], '(illegal instruction 0005b787: fld needs extension D, which the emulator does not execute)'],
      [{ kind: 'access-fault', pc, access: 'fetch', addr: pc, reason: 'permission' }, [`Unable to handle kernel paging request at virtual address ${pc.toString(16)}`, 'Oops [#1]'], 'cause: 000000000000000c (instruction page fault: permission, page is r-x)'],
    ];
    for (const [trap, head, line] of cases) {
      const l = rep({ kind: 'trap', trap });
      expect(l.slice(0, head.length), trap.kind).to.deep.equal(head);
      expect(l.find((x) => x.startsWith('badaddr:')), trap.kind).to.include(line);
    }
    const warn = rep({ kind: 'warn', message: 'WARNING: trampoline image too large', location: 'arch/riscv/net/bpf_jit_comp64.c:1040' });
    expect(warn.slice(0, 3)).to.deep.equal([
      '------------[ cut here ]------------',
      'trampoline image too large',
      `WARNING: CPU: 0 at arch/riscv/net/bpf_jit_comp64.c:1040 bpf_fentry_test2+0x8/0x${b.kernel.kallsyms.lookup(pc)!.size.toString(16)}`,
    ]);
    const bug = rep({ kind: 'bug', message: '', location: 'kernel/bpf/trampoline.c:42' });
    expect(bug.slice(0, 3)).to.deep.equal(['------------[ cut here ]------------', 'kernel BUG at kernel/bpf/trampoline.c:42!', 'Kernel BUG [#1]']);
  });

  it('oopsCause maps call results: traps, timeouts, BUG/WARN stops, broken ABI; a clean return is no oops', () => {
    const trap: Trap = { kind: 'ecall', pc: 0n };
    expect(oopsCause({ kind: 'trap', trap, instructions: 3 })).to.deep.equal({ kind: 'trap', trap });
    expect(oopsCause({ kind: 'timeout', pc: 0n, instructions: 50 })).to.deep.equal({ kind: 'watchdog', instructions: 50 });
    expect(oopsCause({ kind: 'stop', reason: 'WARNING: x', pc: 0n, instructions: 1 })).to.deep.equal({ kind: 'warn', message: 'WARNING: x' });
    expect(oopsCause({ kind: 'stop', reason: 'BUG: y', pc: 0n, instructions: 1 })).to.deep.equal({ kind: 'bug', message: 'BUG: y' });
    expect(oopsCause({ kind: 'returned', value: 0n, a1: 0n, abi: [], instructions: 1 })).to.equal(undefined);
    const abi = [{ reg: 's1' as const, expected: 1n, actual: 2n }];
    expect(oopsCause({ kind: 'returned', value: 0n, a1: 0n, abi, instructions: 1 }, 0x10n)).to.deep.equal({ kind: 'abi', violations: abi, fn: 0x10n });
  });

  for (const layout of LAYOUT_NAMES) {
    describe(`on ${layout}`, () => {
      it('every scenario gives a complete, deterministic report', () => {
        for (const name of SCENARIOS) {
          const a = report(layout, name);
          expect(report(layout, name).text, `${name}: same report twice`).to.equal(a.text);
          const l = a.lines;
          // The headline first, or after the `cut here` line.
          expect(l.find((x) => !x.startsWith('------------[ cut here ]')), name).to.equal(oopsHeadline(a.input));
          const epcAt = l.findIndex((x) => /^epc : [0-9a-f]{16} ra : [0-9a-f]{16} sp : [0-9a-f]{16}$/.test(x));
          expect(epcAt, `${name}: register dump`).to.be.greaterThan(0);
          expect(l[epcAt - 2], name).to.match(/^epc : /);
          expect(l[epcAt - 1], name).to.match(/^ ra : /);
          expect(l[epcAt + 10], name).to.match(/^ t5 : [0-9a-f]{16} t6 : [0-9a-f]{16}$/);
          expect(l[epcAt + 11], name).to.match(/^badaddr: [0-9a-f-]{16} cause: [0-9a-f-]{16} \(.+\)$/);
          expect(l.filter((x) => x.startsWith('Call Trace:')), name).to.have.length(1);
          expect(l.some((x) => x.startsWith('Code:')) || name === 'abi', name).to.equal(true);
          expect(l[l.length - 2], name).to.equal('---[ end trace 0000000000000000 ]---');
          expect(a.text, `${name}: no host paths or times`).to.not.match(/\/work|\d{4}-\d\d-\d\d|NaN|undefined/);
        }
      });

      it('lists code around epc exactly as objdump lists the image, from instruction boundaries', () => {
        for (const name of ['load-fault', 'store-readonly', 'illegal-nested', 'illegal-entry'] as const) {
          const a = report(layout, name);
          const lst = listing(a.lines);
          expect(lst.length, name).to.be.within(name === 'illegal-entry' ? 2 : 9, 13);
          const marked = lst.filter((x) => x.endsWith('    <-- epc'));
          expect(marked, name).to.have.length(1);
          expect(marked[0]!.slice(0, 16), name).to.equal(a.booted.hart.pc.toString(16));
          // Contiguous: each line starts where the previous instruction ended.
          for (let i = 1; i < lst.length; i++) {
            const prev = lst[i - 1]!;
            const len = prev.split('\t')[1]!.trim().length / 2;
            expect(BigInt('0x' + lst[i]!.slice(0, 16)), `${name}: ${lst[i]}`).to.equal(BigInt('0x' + prev.slice(0, 16)) + BigInt(len));
          }
          // Unchanged code is listed as the committed objdump listing lists it.
          const want = objdumpLines(layout);
          for (const x of lst) {
            if (name.startsWith('illegal') && /\t0000 {16}\t/.test(x)) continue; // the zeroed instruction
            expect(want.has(x.replace(/    <-- epc$/, '').replace(/ # .*$/, '')), `${name}: ${x}`).to.equal(true);
          }
          // 8 instructions before epc (bpf_fentry_test1 comes first in the image: fewer there).
          if (name !== 'illegal-entry') expect(lst.findIndex((x) => x.endsWith('<-- epc')), name).to.equal(8);
        }
      });

      it('load from an unmapped address: paging request, load page fault, in bpf_fentry_test9', () => {
        const { lines, text } = report(layout, 'load-fault');
        expect(lines.slice(0, 2)).to.deep.equal(['Unable to handle kernel paging request at virtual address dead000000000100', 'Oops [#1]']);
        expect(text).to.match(/^epc : bpf_fentry_test9\+0x[0-9a-f]+\/0x[0-9a-f]+$/m);
        expect(text).to.match(/^ ra : kernel_call_return\+0x0\/0x10$/m);
        expect(text).to.include('badaddr: dead000000000100 cause: 000000000000000d (load page fault: not mapped)');
        expect(text).to.match(/^ s1 : 5a5a5a5a00000009 a0 : dead000000000100 a1 : 0badbad00000000b$/m);
        expect(text).to.include('(unused) t0 t1 t2 a1 a2 a3 a4 a5 a6 a7 t3 t4 t5 t6: ');
        expect(text).to.include('(entry) gp tp s1 s2 s3 s4 s5 s6 s7 s8 s9 s10 s11: ');
        expect(text).to.match(/^Last \d+ instructions \(oldest first\):\n[0-9a-f]{16}: [0-9a-f]+ +nop +<bpf_fentry_test9>$/m);
        expect(text).to.match(/lw +a0,0\(a0\) +<bpf_fentry_test9\+0x[0-9a-f]+>  <-- epc$/m);
        expect(text).to.match(/^Code: ([0-9a-f]{4} ){10}\([0-9a-f]{4}\) [0-9a-f]{4}$/m);
      });

      it('NULL pointer dereference below the first page', () => {
        const { lines } = report(layout, 'null-deref');
        expect(lines[0]).to.equal('Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008');
      });

      it('illegal instruction at a function entry: the listing starts in the function before', () => {
        const { lines, text, booted } = report(layout, 'illegal-entry');
        expect(lines[0]).to.equal('Oops - illegal instruction [#1]');
        expect(text).to.match(/^epc : bpf_fentry_test1\+0x0\/0x[0-9a-f]+$/m);
        expect(text).to.match(/cause: 0000000000000002 \(illegal instruction 0000\)$/m);
        const lst = lines.slice(lines.findIndex((x) => x.startsWith('Code around')));
        const fn = booted.kernel.sym('bpf_fentry_test1').toString(16);
        expect(lst).to.include(`${fn} <bpf_fentry_test1>:`);
        expect(lst.find((x) => x.startsWith(`${fn}:`))).to.match(/\t0000 {16}\t(unimp|\.2byte\t0x0)    <-- epc$/);
      });

      it('jump to nowhere: instruction page fault at the target, listing around the jump', () => {
        const { lines, text } = report(layout, 'jump-to-nowhere');
        expect(lines[0]).to.equal('Unable to handle kernel paging request at virtual address ffffffff90000000');
        expect(text).to.match(/^epc : 0xffffffff90000000\n ra : call_fnptr\+0x[0-9a-f]+\/0x[0-9a-f]+ \[bpf\]$/m);
        expect(text).to.include('cause: 000000000000000c (instruction page fault: not mapped)');
        expect(text).to.include('Code: Unable to access instruction at 0xffffffff8fffffec.');
        expect(text).to.match(/^Code around the last executed instruction \(call_fnptr\+0x[0-9a-f]+\/0x[0-9a-f]+ \[bpf\]\):$/m);
        expect(text).to.match(/\tjalr\ta0    <-- last executed$/m);
        expect(text).to.match(/^\[<ffffffff90000000>\] 0xffffffff90000000\n\[<[0-9a-f]{16}>\] call_fnptr\+/m);
      });

      it('watchdog: soft lockup headline, timer cause, the loop folded in the last instructions', () => {
        const { lines, text } = report(layout, 'watchdog');
        expect(lines[0]).to.equal('watchdog: BUG: soft lockup - CPU#0 stuck for 500 instructions!');
        expect(text).to.include('cause: 8000000000000005 (supervisor timer interrupt: instruction budget of 500 exhausted)');
        expect(text).to.match(/^Last 16 instructions \(oldest first\):\n[0-9a-f]{16}: [0-9a-f]+ +j +([0-9a-f]{16}) <bpf_fentry_test8\+0x[0-9a-f]+> +<bpf_fentry_test8\+0x[0-9a-f]+>  \(x16\)  <-- epc$/m);
        expect(text).to.match(/^\[<[0-9a-f]{16}>\] bpf_fentry_test8\+.*\n\[<[0-9a-f]{16}>\] bpf_prog_test_run_tracing\+/m);
      });

      it('store to a read-only page: permission fault, with the page permissions', () => {
        const { lines, text } = report(layout, 'store-readonly');
        expect(lines[0]).to.equal('Unable to handle kernel paging request at virtual address ffffffd000000040');
        expect(text).to.include('cause: 000000000000000f (store page fault: permission, page is r--)');
        expect(text).to.match(/^epc : bpf_modify_return_test\+/m);
      });

      it('a clobbered temporary: poison in the fault address and the register dump', () => {
        const { lines, text } = report(layout, 'poisoned-temp');
        expect(lines[0]).to.equal('Unable to handle kernel paging request at virtual address deadbeef00000005');
        expect(text).to.match(/^\(poison\) t0 t1 t2 a1 a2 a3 a4 a5 a6 a7 t3 t4 t5 t6: deadbeef000000NN: clobbered by a host call/m);
        expect(text).to.match(/^epc : bpf_trampoline_6442\+0x[0-9a-f]+\/0x[0-9a-f]+ \[bpf\]$/m);
        expect(text).to.match(/^[0-9a-f]{16}: 00100073  \(host call\) +<__bpf_prog_enter>$/m);
      });

      it('BUG() from a host helper: cut line, message, Kernel BUG, trace through the helper caller', () => {
        const { lines, text } = report(layout, 'bug');
        expect(lines.slice(0, 3)).to.deep.equal(['------------[ cut here ]------------', 'BUG: bpf_trampoline_6442: entered with no program attached', 'Kernel BUG [#1]']);
        const trace = lines.slice(lines.indexOf('Call Trace:') + 1, lines.indexOf('Call Trace:') + 4).map((x) => x.replace(/^\[<[0-9a-f]{16}>\] /, '').replace(/\+.*/, ''));
        expect(trace).to.deep.equal(['__bpf_tramp_enter', 'bpf_trampoline_6442', 'kernel_call_return']);
        expect(text).to.include('cause: 0000000000000003 (breakpoint: BUG())');
      });

      it('psABI violation: what changed, against what, and the code that returned', () => {
        const { lines, text } = report(layout, 'abi');
        expect(lines[0]).to.equal('BUG: bpf_trampoline_6442 returned with the psABI broken (registers it must preserve changed)');
        expect(lines[1]).to.equal(' s3 : 0000000000000007 expected 5a5a5a5a00000013');
        expect(text).to.include('Call Trace: (none: the call had returned)');
        expect(text).to.match(/\(unused\) .*a0=t1/);
        expect(text).to.match(/\tret    <-- last executed$/m);
      });
    });
  }
});
