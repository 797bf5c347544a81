/**
 * BPF program images: the entry sled of each trampoline era (4-byte nops only), the
 * tail-call counter init after it, and a call of the image running the body and returning
 * a0 = sext.w(a5) with the callee-saved registers intact.
 */
import { expect } from 'chai';
import { bootKernel } from '../../kernel';
import { scratchPage } from '../../image';
import { encode } from '../../../emulator/isa/encode';
import { listBytes } from '../../../emulator/disasm/listing';
import type { TrampolineEra } from '../../profiles/profiles';
import { bpfRuntime } from './runtime';
import { progImageCode, sledInsns, tailCallOffset } from './image';
import { BPF_TEXT } from './layout';

const NOP = encode('addi', { rd: 0, rs1: 0, imm12: 0 });
const TCC_INIT = encode('addi', { rd: 16, rs1: 0, imm12: 33 });
const ERAS: readonly [TrampolineEra, number][] = [['none', 0], ['v6.3', 4], ['v6.6', 2], ['v6.11', 2], ['v6.16', 2]];

function words(bytes: Uint8Array, n: number): number[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  return Array.from({ length: n }, (_, i) => v.getUint32(4 * i, true));
}

/** The mnemonic column of an objdump-style listing. */
function mnemonics(bytes: Uint8Array, addr: bigint): string[] {
  return listBytes(bytes, addr).split('\n').filter((l) => l.includes(':\t')).map((l) => l.split('\t').slice(2).join(' ').replace(/ #.*$/, ''));
}

describe('bpf program images', () => {
  for (const [era, n] of ERAS) {
    for (const rvc of [false, true]) {
      it(`era ${era}${rvc ? ' (rvc)' : ''}: ${n} 4-byte nops, then addi a6, zero, 33; tail calls enter at +${(n + 1) * 4}`, () => {
        expect(sledInsns(era)).to.equal(n);
        expect(tailCallOffset(era)).to.equal((n + 1) * 4);
        const p = progImageCode(era, BPF_TEXT, [BPF_TEXT + 0x1000n], { rvc });
        expect(words(p.bytes, n + 1)).to.deep.equal([...Array<number>(n).fill(NOP), TCC_INIT]);
        expect(p.address('tail_call_entry') - BPF_TEXT).to.equal(BigInt((n + 1) * 4));
      });
    }
  }

  it('the v6.6-era image, instruction by instruction (no RVC)', () => {
    const p = progImageCode('v6.6', BPF_TEXT, [BPF_TEXT + 0x1000n]);
    expect(mnemonics(p.bytes, BPF_TEXT)).to.deep.equal([
      'nop', 'nop', 'li a6,33',
      'add sp,sp,-16', 'sd ra,8(sp)', 'sd s0,0(sp)', 'add s0,sp,16',
      'auipc t1,0x1', 'jalr -28(t1)',
      'ld ra,8(sp)', 'ld s0,0(sp)', 'add sp,sp,16', 'sext.w a0,a5', 'ret',
    ]);
  });

  it('the v6.3-era image ends with mv a0, a5: no sign extension before 2f1b0d3d7331 (B-T4)', () => {
    const p = progImageCode('v6.3', BPF_TEXT, [BPF_TEXT + 0x1000n]);
    expect(mnemonics(p.bytes, BPF_TEXT).slice(-2)).to.deep.equal(['mv a0,a5', 'ret']);
  });

  for (const profile of ['v6.3', 'v6.11-norvc', 'v6.16']) {
    const sext = profile !== 'v6.3';
    it(`${profile}: calling a loaded program's image runs its body and returns ${sext ? 'sext.w(a5)' : 'a5 as it is (B-T4)'} in a0`, () => {
      const k = bootKernel(profile);
      const rt = bpfRuntime(k);
      const skb = scratchPage(k.machine);
      let seen = 0n;
      const p = rt.loadProg({ name: 'test_pkt_access', attach: 'classifier', body: (ctx) => { seen = ctx.addr; return 0x1_8000_0000n; } });
      const im = p.image!;
      expect(p.bpfFunc).to.equal(im.addr);
      expect(im.sled).to.deep.equal({ addr: im.addr, size: 4 * sledInsns(k.profile.trampoline), insns: sledInsns(k.profile.trampoline) });
      expect(im.tailCallEntry).to.equal(im.addr + BigInt(tailCallOffset(k.profile.trampoline)));
      expect(rt.isBpfText(im.addr)).to.equal(true);
      expect(k.kallsyms.format(im.addr + 4n)).to.match(/^bpf_prog_[0-9a-f]{16}_test_pkt_access\+0x4\/0x[0-9a-f]+ \[bpf\]$/);
      const r = k.call(p.bpfFunc, [skb]);
      if (r.kind !== 'returned') throw new Error(r.kind);
      expect(seen).to.equal(skb);
      expect(r.value).to.equal(sext ? 0xffff_ffff_8000_0000n : 0x1_8000_0000n);
      expect(k.hart.reg(15)).to.equal(0x1_8000_0000n);
      expect(r.abi).to.deep.equal([]);
      expect(p.runs).to.equal(1);
    });
  }

  it('an image calls its list in order; R0 is a5 after the last call', () => {
    const k = bootKernel('v6.11');
    const rt = bpfRuntime(k);
    const order: string[] = [];
    const sub = rt.loadProg({ name: 'subprog', attach: 'classifier', body: () => { order.push('sub'); return 148; } });
    const main = rt.loadProg({ name: 'main', attach: 'classifier', image: ['body', sub.bpfFunc], body: () => { order.push('main'); return 1; } });
    const r = k.call(main.bpfFunc, [0n]);
    expect(r.kind === 'returned' && r.value).to.equal(148n);
    expect(order).to.deep.equal(['main', 'sub']);
    expect(main.image!.retAddrs).to.have.length(2);
  });

  it('a tracing program with image: true has a sled too; without, bpf_func is the body', () => {
    const k = bootKernel('v6.16');
    const rt = bpfRuntime(k);
    const a = rt.loadProg({ name: 'a', attach: 'fentry', target: 'f', image: true, body: () => 0 });
    const b = rt.loadProg({ name: 'b', attach: 'fentry', target: 'f', body: () => 0 });
    expect(a.bpfFunc).to.equal(a.image!.addr);
    expect(b.image).to.equal(undefined);
    expect(b.bpfFunc).to.equal(b.bodyAddr);
    expect(rt.isBpfText(b.bpfFunc)).to.equal(false);
  });
});
