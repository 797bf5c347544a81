import { expect } from 'chai';
import { Machine } from '../../emulator/cpu/machine';
import { Kallsyms } from './kallsyms';
import { KernelLog, formatLine } from './klog';
import { mapKernelStack, THREAD_SIZE } from './stack';
import { HostCallArea, hostCallArea, HOSTCALL_SLOT } from './hostcalls';
import { HOSTCALL_BASE, STACKS_BASE } from './memmap';
import { readKernelElf } from './loader';

describe('kernel/image klog', () => {
  it('records printk lines with levels, and WARN/BUG lines as problems', () => {
    const log = new KernelLog();
    const seen: string[] = [];
    const off = log.subscribe((l) => seen.push(l.text));
    log.info('bpf_testmod: loaded');
    log.printk('notice', 'note');
    expect(log.hasProblems()).to.equal(false);
    log.warn('arch/riscv/kernel/ftrace.c:42 ftrace_make_call');
    log.bug('unable to handle kernel paging request at 0000000000000008');
    off();
    log.err('after unsubscribe');
    expect(seen).to.have.length(4);
    expect(log.problems().map((l) => [l.kind, l.level, l.text])).to.deep.equal([
      ['warn', 'warning', 'WARNING: arch/riscv/kernel/ftrace.c:42 ftrace_make_call'],
      ['bug', 'alert', 'BUG: unable to handle kernel paging request at 0000000000000008'],
    ]);
    expect(log.atLeast('err').map((l) => l.text)).to.deep.equal([log.lines()[3]!.text, 'after unsubscribe']);
    expect(formatLine(log.lines()[2]!)).to.equal('<4>WARNING: arch/riscv/kernel/ftrace.c:42 ftrace_make_call');
    expect(log.toString().split('\n')).to.have.length(5);
    log.clear();
    expect(log.hasProblems()).to.equal(false);
    expect(log.info('x').seq).to.equal(5);
  });
});

describe('kernel/image stacks', () => {
  it('map THREAD_SIZE bytes with unmapped guard pages, one after another', () => {
    const m = new Machine();
    const a = mapKernelStack(m);
    const b = mapKernelStack(m, { size: 8192 });
    expect(a.base).to.equal(STACKS_BASE + 4096n);
    expect(a.top - a.base).to.equal(BigInt(THREAD_SIZE));
    expect(a.top % 16n).to.equal(0n);
    expect(m.memory.isMapped(a.base)).to.equal(true);
    expect(m.memory.isMapped(a.top - 1n)).to.equal(true);
    expect(m.memory.isMapped(a.guardBelow)).to.equal(false);
    expect(m.memory.isMapped(a.guardAbove)).to.equal(false);
    expect(b.guardBelow).to.equal(a.guardAbove);
    expect(b.top - b.base).to.equal(8192n);
    expect(m.memory.isMapped(b.top)).to.equal(false);
    expect(() => mapKernelStack(m, { size: 1000 })).to.throw(/multiple of 4096/);
  });
});

describe('kernel/image host calls', () => {
  it('get ebreak-filled slots, named in kallsyms', () => {
    const m = new Machine();
    const area = hostCallArea(m);
    expect(hostCallArea(m)).to.equal(area);
    const k = Kallsyms.fromElf(readKernelElf('sled8-norvc'));
    const a = area.add('__bpf_prog_enter', () => 0n);
    area.attach(k);
    const b = area.add('__bpf_prog_exit', () => undefined);
    expect(a).to.equal(HOSTCALL_BASE);
    expect(b).to.equal(HOSTCALL_BASE + BigInt(HOSTCALL_SLOT));
    expect(m.memory.readU(a + 4n, 4)).to.equal(0x00100073n);
    expect(k.format(a)).to.equal('__bpf_prog_enter+0x0/0x10');
    expect(k.format(b + 4n)).to.equal('__bpf_prog_exit+0x4/0x10');
    expect(m.hostCallAt(b)).to.equal('__bpf_prog_exit');
    expect(() => area.add('__bpf_prog_enter', () => 0n)).to.throw(/already exists/);
    expect(() => new HostCallArea(new Machine(), HOSTCALL_BASE, HOSTCALL_SLOT).add('x', () => 0n)).to.not.throw();
  });
});

describe('kernel/image kallsyms (runtime regions)', () => {
  it('adds, finds and removes regions, and refuses overlaps', () => {
    const k = Kallsyms.fromElf(readKernelElf('callops-rvc'));
    const tramp = 0xffffffff7f000000n;
    k.add('bpf_trampoline_6442', tramp, 0x180, { module: 'bpf' });
    expect(k.format(tramp + 0x2cn)).to.equal('bpf_trampoline_6442+0x2c/0x180 [bpf]');
    expect(k.lookup(tramp + 0x180n)).to.equal(undefined);
    expect(() => k.add('other', tramp + 0x100n, 0x100)).to.throw(/overlaps bpf_trampoline_6442/);
    expect(() => k.add('inside_text', k.addressOf('bpf_fentry_test2'), 4)).to.throw(/overlaps bpf_fentry_test2/);
    expect(k.addressOf('bpf_trampoline_6442')).to.equal(tramp);
    expect(k.remove(tramp)).to.equal(true);
    expect(k.remove(tramp)).to.equal(false);
    expect(k.format(tramp)).to.equal('0xffffffff7f000000');
    expect(k.has('bpf_trampoline_6442')).to.equal(false);
  });

  it('names the lower of two regions a new one overlaps, and finds overlaps on either side', () => {
    const k = Kallsyms.fromElf(readKernelElf('callops-rvc'));
    const base = 0xffffffff7f000000n;
    k.add('a', base, 0x100);
    k.add('b', base + 0x200n, 0x100);
    k.add('c', base + 0x100n, 0x100); // exactly between: touches both, overlaps neither
    expect(() => k.add('x', base + 0xf0n, 0x20)).to.throw(/x .* overlaps a /);
    expect(() => k.add('y', base + 0x1f0n, 0x20)).to.throw(/y .* overlaps c /);
    expect(() => k.add('z', base - 0x10n, 0x20)).to.throw(/z .* overlaps a /);
    expect(k.entries().filter((s) => s.addr >= base && s.addr < base + 0x300n).map((s) => s.name)).to.deep.equal(['a', 'c', 'b']);
    expect(k.remove(base + 0x100n)).to.equal(true);
    expect(k.remove(base + 0x180n)).to.equal(false);
  });

  it('clone() is independent of the original', () => {
    const k = Kallsyms.fromElf(readKernelElf('callops-rvc'));
    const c = k.clone();
    c.add('only_in_clone', 0xffffffff7f000000n, 0x10);
    expect(k.has('only_in_clone')).to.equal(false);
    expect(c.format(0xffffffff7f000004n)).to.equal('only_in_clone+0x4/0x10');
    expect(k.lookup(0xffffffff7f000004n)).to.equal(undefined);
    expect(c.entries().length).to.equal(k.entries().length + 1);
  });
});
