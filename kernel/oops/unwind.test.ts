import { expect } from 'chai';
import fc from 'fast-check';
import { Machine } from '../../emulator/cpu/machine';
import { LAYOUT_NAMES } from '../image/layouts';
import { callTraceLine, formatCallTrace, stackTopAbove, unwind, unwindHart, type UnwindRegs } from './unwind';
import { runScenario } from './testing';

const TEXT = 0xffffffff80000000n;
const STACK = 0xffffffc800001000n;
const TOP = STACK + 0x4000n;

/** A machine with a page of "text" and a 16 KiB stack with guard pages; frame records written by hand. */
function world() {
  const m = new Machine();
  m.memory.map(TEXT, 4096, 'rx');
  m.memory.map(STACK, 0x4000, 'rw');
  const rec = (fp: bigint, prevFp: bigint, ra: bigint) => {
    m.memory.writeU(fp - 16n, 8, prevFp);
    m.memory.writeU(fp - 8n, 8, ra);
  };
  return { mem: m.memory, rec };
}

describe('kernel/oops unwind', () => {
  it('follows frame records [fp-16] = previous fp, [fp-8] = return address, to a zero fp', () => {
    const { mem, rec } = world();
    rec(TOP, 0n, TEXT + 0x100n); // outermost
    rec(TOP - 0x40n, TOP, TEXT + 0x200n);
    rec(TOP - 0x80n, TOP - 0x40n, TEXT + 0x300n);
    const regs: UnwindRegs = { pc: TEXT + 0x10n, ra: TEXT + 0x999n, sp: TOP - 0xa0n, fp: TOP - 0x80n };
    const u = unwind(mem, regs);
    expect(u.frames.map((f) => f.pc - TEXT)).to.deep.equal([0x10n, 0x300n, 0x200n, 0x100n]);
    expect(u.frames.map((f) => f.source)).to.deep.equal(['epc', 'frame', 'frame', 'frame']);
    expect(u.frames.map((f) => f.fp)).to.deep.equal([TOP - 0x80n, TOP - 0x40n, TOP, 0n]);
    expect(u.end).to.equal('end');
  });

  it('takes ra from the register for a leaf whose record holds only the saved fp ([fp-8] is a stack address)', () => {
    const { mem, rec } = world();
    rec(TOP, 0n, TEXT + 0x100n);
    rec(TOP - 0x40n, TOP, TEXT + 0x200n);
    // Leaf: addi sp,sp,-16; sd s0,8(sp); addi s0,sp,16 -> [s0-8] = caller's fp.
    const leafFp = TOP - 0x50n;
    mem.writeU(leafFp - 8n, 8, TOP - 0x40n);
    mem.writeU(leafFp - 16n, 8, 0x1234n); // whatever was below
    const u = unwind(mem, { pc: TEXT + 0x10n, ra: TEXT + 0x280n, sp: TOP - 0x60n, fp: leafFp });
    expect(u.frames.map((f) => [f.pc - TEXT, f.source])).to.deep.equal([[0x10n, 'epc'], [0x280n, 'ra'], [0x200n, 'frame'], [0x100n, 'frame']]);
    expect(u.end).to.equal('end');
  });

  it('uses the leaf rule for the first frame only', () => {
    const { mem, rec } = world();
    rec(TOP, 0n, TEXT + 0x100n);
    // A second-level record whose [fp-8] looks like a stack address: not text, the walk stops.
    rec(TOP - 0x40n, TOP, TOP - 0x20n);
    rec(TOP - 0x80n, TOP - 0x40n, TEXT + 0x300n);
    const u = unwind(mem, { pc: TEXT + 0x10n, ra: 0n, sp: TOP - 0x90n, fp: TOP - 0x80n });
    expect(u.frames.map((f) => f.pc - TEXT)).to.deep.equal([0x10n, 0x300n]);
    expect(u.end).to.equal('not-text');
    expect(u.endValue).to.equal(TOP - 0x20n);
  });

  it('stops at an unaligned fp, an fp off the stack, a non-text return address, and after maxFrames', () => {
    const { mem, rec } = world();
    const sp = TOP - 0x100n;
    expect(unwind(mem, { pc: TEXT, ra: 0n, sp, fp: TOP - 0x7cn }).end).to.equal('bad-fp');
    expect(unwind(mem, { pc: TEXT, ra: 0n, sp, fp: TOP + 0x1000n }).end).to.equal('bad-fp');
    expect(unwind(mem, { pc: TEXT, ra: 0n, sp, fp: sp + 8n }).end, 'below sp + 16').to.equal('bad-fp');
    expect(unwind(mem, { pc: TEXT, ra: 0n, sp, fp: 0n })).to.deep.include({ end: 'end' });
    rec(TOP - 0x40n, TOP, 0xdeadbeef00000001n);
    const bad = unwind(mem, { pc: TEXT, ra: 0n, sp, fp: TOP - 0x40n });
    expect(bad.frames).to.have.length(1);
    expect(bad).to.deep.include({ end: 'not-text', endValue: 0xdeadbeef00000001n });
    // A long chain: 20 records, cut at 5.
    for (let i = 0; i < 20; i++) rec(TOP - BigInt(i) * 0x20n, i === 0 ? 0n : TOP - BigInt(i - 1) * 0x20n, TEXT + BigInt(i) * 4n);
    const cut = unwind(mem, { pc: TEXT, ra: 0n, sp: TOP - 0x400n, fp: TOP - 19n * 0x20n }, { maxFrames: 5 });
    expect(cut.frames).to.have.length(5);
    expect(cut.end).to.equal('max-frames');
    expect(unwind(mem, { pc: TEXT, ra: 0n, sp: TOP - 0x400n, fp: TOP - 19n * 0x20n }).frames).to.have.length(21);
  });

  it('ends at an unreadable record when the given stack top is past the mapped stack', () => {
    const { mem } = world();
    const u = unwind(mem, { pc: TEXT, ra: 0n, sp: TOP - 0x10n, fp: TOP + 0x1010n }, { stackTop: TOP + 0x2000n });
    expect(u).to.deep.include({ end: 'unreadable', endValue: TOP + 0x1010n });
  });

  it('goes on from ra when epc is not text (a jump to nowhere) or frameless', () => {
    const { mem, rec } = world();
    rec(TOP, 0n, TEXT + 0x100n);
    const nowhere = unwind(mem, { pc: 0xffffffff90000000n, ra: TEXT + 0x40n, sp: TOP - 0x20n, fp: TOP });
    expect(nowhere.frames.map((f) => [f.pc, f.source])).to.deep.equal([[0xffffffff90000000n, 'epc'], [TEXT + 0x40n, 'ra'], [TEXT + 0x100n, 'frame']]);
    const helper = unwind(mem, { pc: TEXT + 0x800n, ra: TEXT + 0x40n, sp: TOP - 0x20n, fp: TOP }, { frameless: (pc) => pc === TEXT + 0x800n });
    expect(helper.frames.map((f) => f.pc - TEXT)).to.deep.equal([0x800n, 0x40n, 0x100n]);
    // ret to garbage: ra == epc, nothing to go on from but the frame records.
    const ret = unwind(mem, { pc: 0x1234n, ra: 0x1234n, sp: TOP - 0x20n, fp: TOP });
    expect(ret.frames.map((f) => f.pc)).to.deep.equal([0x1234n, TEXT + 0x100n]);
  });

  it('finds the stack top from sp (guard page above) and never throws on any register values', () => {
    const { mem } = world();
    expect(stackTopAbove(mem, TOP - 0x123n)).to.equal(TOP);
    expect(stackTopAbove(mem, STACK)).to.equal(TOP);
    expect(stackTopAbove(mem, 0x1000n)).to.equal(0x1000n);
    const { mem: m2 } = world();
    const word = fc.oneof(fc.bigUintN(64), fc.constantFrom(TEXT, TEXT + 0x10n, TOP, TOP - 0x40n, STACK, 0n));
    fc.assert(
      fc.property(fc.record({ pc: word, ra: word, sp: word, fp: word }), fc.array(fc.tuple(fc.integer({ min: 0, max: 0x7ff }), word), { maxLength: 40 }), (regs, writes) => {
        for (const [slot, v] of writes) m2.writeU(STACK + BigInt(slot) * 8n, 8, v);
        const u = unwind(m2, regs, { maxFrames: 64 });
        expect(u.frames.length).to.be.within(1, 64);
        for (let i = 2; i < u.frames.length; i++) expect(u.frames[i]!.fp > u.frames[i - 1]!.fp || u.frames[i]!.fp === 0n).to.equal(true);
      }),
      { numRuns: 300, seed: 0x0095 },
    );
  });

  for (const layout of LAYOUT_NAMES) {
    describe(`on the kernel image (${layout})`, () => {
      it('names bpf_fentry_test8, then its caller bpf_prog_test_run_tracing, then the call sentinel', () => {
        const s = runScenario(layout, 'illegal-nested');
        const k = s.booted.kernel.kallsyms;
        const u = unwindHart(s.booted.hart);
        expect(u.frames.map((f) => k.lookup(f.pc)?.name)).to.deep.equal(['bpf_fentry_test8', 'bpf_prog_test_run_tracing', 'kernel_call_return']);
        expect(u.frames.map((f) => f.source)).to.deep.equal(['epc', 'ra', 'frame']);
        expect(u.end).to.equal('end');
        // The return address is right after the call to bpf_fentry_test8.
        expect(s.booted.machine.memory.readU(u.frames[1]!.pc - 4n, 4) & 0x7fn).to.equal(0x67n); // jalr
        const text = formatCallTrace(u, k);
        expect(text.split('\n')[0]).to.equal('Call Trace:');
        expect(text.split('\n')[1]).to.match(/^\[<ffffffff800[0-9a-f]{5}>\] bpf_fentry_test8\+0x[0-9a-f]+\/0x[0-9a-f]+$/);
        expect(text.split('\n')[2]).to.match(/^\[<[0-9a-f]{16}>\] bpf_prog_test_run_tracing\+0x[0-9a-f]+\/0x[0-9a-f]+$/);
        expect(callTraceLine(u, k)).to.match(/^bpf_fentry_test8\+0x[0-9a-f]+ <- bpf_prog_test_run_tracing\+0x[0-9a-f]+ <- kernel_call_return$/);
      });

      it('a faulting leaf after its epilogue restored s0 shows the leaf and the outer frames (as Linux does)', () => {
        const s = runScenario(layout, 'load-fault');
        const u = unwindHart(s.booted.hart);
        expect(u.frames.map((f) => s.booted.kernel.kallsyms.lookup(f.pc)?.name)).to.deep.equal(['bpf_fentry_test9', 'kernel_call_return']);
      });

      it('a jump to nowhere lists the bad pc, the caller (from ra) and its callers', () => {
        const s = runScenario(layout, 'jump-to-nowhere');
        const k = s.booted.kernel.kallsyms;
        const u = unwindHart(s.booted.hart);
        expect(u.frames.map((f) => k.format(f.pc).replace(/\+.*/, ''))).to.deep.equal(['0xffffffff90000000', 'call_fnptr', 'kernel_call_return']);
      });
    });
  }
});
