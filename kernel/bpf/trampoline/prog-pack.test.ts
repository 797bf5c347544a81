import { expect } from 'chai';
import { ProgPacks, PROG_PACK_SIZE, PROG_CHUNK_SIZE } from './prog-pack';
import { bootKernel } from '../../kernel';
import { bpfOf } from '../bpf';

function packs(): { p: ProgPacks; mapped: bigint[]; dropped: bigint[] } {
  const mapped: bigint[] = [];
  const dropped: bigint[] = [];
  let next = 0x100000000n;
  const p = new ProgPacks({
    newPack: () => {
      if (mapped.length - dropped.length >= 2) return undefined;
      const b = next;
      next += BigInt(PROG_PACK_SIZE);
      mapped.push(b);
      return b;
    },
    dropPack: (b) => dropped.push(b),
  });
  return { p, mapped, dropped };
}

describe('bpf_prog_pack (trampoline images since v6.11)', () => {
  it('hands out 64-byte chunks first fit, reuses freed ones, and opens a new pack only when full', () => {
    const { p, mapped } = packs();
    const a = p.alloc(100)!; // 2 chunks
    const b = p.alloc(64)!; // 1 chunk
    expect(b - a).to.equal(128n);
    p.free(a, 100);
    expect(p.alloc(60), 'the first free run that fits').to.equal(a);
    expect(p.alloc(70), 'two chunks do not fit in the one left before b').to.equal(b + 64n);
    expect(mapped).to.have.length(1);
    // Chunks 0, 2, 3 and 4 are in use. The tail run (5 on) takes the whole tail, chunk 1 the
    // next single chunk; only then does a second pack open.
    const tail = PROG_PACK_SIZE / PROG_CHUNK_SIZE - 5;
    expect(p.alloc(tail * PROG_CHUNK_SIZE)).to.equal(a + 5n * 64n);
    expect(p.alloc(1)).to.equal(a + 64n);
    expect(mapped).to.have.length(1);
    expect(p.alloc(1)).to.equal(mapped[1]);
    expect(mapped).to.have.length(2);
    // No room for a third pack (the area is used up): no image.
    expect(p.alloc(PROG_PACK_SIZE)).to.equal(undefined);
  });

  it('gives an empty pack back, and refuses what does not fit a pack', () => {
    const { p, mapped, dropped } = packs();
    const a = p.alloc(200)!;
    const b = p.alloc(200)!;
    p.free(a, 200);
    expect(dropped).to.deep.equal([]);
    p.free(b, 200);
    expect(dropped).to.deep.equal([mapped[0]]);
    expect(p.alloc(PROG_PACK_SIZE + 1)).to.equal(undefined);
  });

  it('v6.16: trampolines sit next to each other in a pack; a freed one is zeroed, leaves the BPF text, and its chunks go to the next', () => {
    const k = bootKernel('v6.16');
    const bpf = bpfOf(k);
    const obj = bpf.runtime.load({
      name: 'pack',
      progs: ['bpf_fentry_test1', 'bpf_fentry_test2', 'bpf_fentry_test3'].map((target, i) => ({ name: `fe${i}`, attach: 'fentry' as const, target, args: i + 1, body: () => undefined })),
    });
    const links = [0, 1, 2].map((i) => {
      const l = bpf.attach(obj.prog(`fe${i}`));
      if (!l.ok) throw new Error(l.message);
      return l.value;
    });
    const imgs = links.map((l) => l.tramp.image!);
    const round = (n: number) => BigInt(Math.ceil(n / PROG_CHUNK_SIZE) * PROG_CHUNK_SIZE);
    expect(imgs[1]!.addr - imgs[0]!.addr).to.equal(round(imgs[0]!.size));
    expect(imgs[2]!.addr - imgs[1]!.addr).to.equal(round(imgs[1]!.size));
    const first = imgs[0]!;
    expect(bpf.detach(links[0]!).ok).to.equal(true);
    expect(Buffer.from(k.machine.memory.readBytes(first.addr, first.size)).equals(Buffer.alloc(first.size))).to.equal(true);
    // text_poke may patch live images only (is_bpf_text_address), not the pack around them.
    expect(bpf.trampolines.poke!.isText(first.addr)).to.equal(false);
    expect(bpf.trampolines.poke!.isText(imgs[1]!.addr)).to.equal(true);
    expect(bpf.trampolines.poke!.isText(imgs[2]!.addr + BigInt(imgs[2]!.size) + 64n)).to.equal(false);
    const again = bpf.attach(obj.prog('fe0'));
    expect(again.ok && again.value.tramp.image!.addr).to.equal(first.addr);
    const r = k.call('bpf_fentry_test1', [1n]);
    expect(r.kind === 'returned' && r.value).to.equal(2n);
    expect(k.log.problems()).to.deep.equal([]);
  });

  it('v6.8: a page of its own for each trampoline, unmapped when freed', () => {
    const k = bootKernel('v6.8');
    const bpf = bpfOf(k);
    const obj = bpf.runtime.load({
      name: 'page',
      progs: ['bpf_fentry_test1', 'bpf_fentry_test2'].map((target, i) => ({ name: `fe${i}`, attach: 'fentry' as const, target, args: i + 1, body: () => undefined })),
    });
    const l0 = bpf.attach(obj.prog('fe0'));
    const l1 = bpf.attach(obj.prog('fe1'));
    if (!l0.ok || !l1.ok) throw new Error('attach');
    const a0 = l0.value.tramp.image!.addr;
    expect(l1.value.tramp.image!.addr - a0).to.equal(4096n);
    expect(bpf.detach(l0.value).ok).to.equal(true);
    expect(k.machine.memory.isMapped(a0)).to.equal(false);
  });
});
