/**
 * The decoded-instruction cache against memory: what fence.i discards under each model, that
 * permission changes and unmapping reach decoded code and the memory caches, and that code
 * hooks are applied to already decoded instructions in place.
 */
import { expect } from 'chai';
import { Machine } from './machine';
import { assemble } from '../asm';

const BASE = 0x10000n;
const DATA = 0x20000n;

function setup(source: string, opts: { stale?: boolean; translate?: boolean } = {}) {
  const machine = new Machine();
  const code = assemble(source, { base: BASE, compressed: false });
  machine.memory.map(BASE, 0x1000, 'rwx');
  machine.memory.writeBytes(BASE, code.bytes, true);
  machine.memory.map(DATA, 0x2000, 'rw');
  const hart = machine.addHart({ staleIcache: opts.stale ?? false, translate: opts.translate ?? false, hotThreshold: 1 });
  const run = (from: bigint = BASE) => {
    hart.pc = from;
    return hart.run(10_000);
  };
  return { machine, hart, code, run };
}

describe('instruction cache and memory changes', () => {
  it('a coherent hart keeps its decoded code across fence.i; a stale one decodes again', () => {
    for (const stale of [false, true]) {
      const { hart, run } = setup('li a0, 1\n fence.i\n ebreak\n', { stale });
      run();
      const before = hart.fetch(Number(BASE));
      hart.flushIcache();
      const after = hart.fetch(Number(BASE));
      expect(after === before, stale ? 'stale' : 'coherent').to.equal(!stale);
    }
  });

  it('a coherent hart sees a store to code at once, fence.i or not', () => {
    // The store rewrites `li a0, 1` (at BASE) into `li a0, 2` before the loop runs it again.
    const src = ['_start:', '  li s0, 2', 'top:', '  li a0, 1', '  addi s0, s0, -1', '  beqz s0, out', `  li t0, ${DATA}`, '  lw t1, 0(t0)', '  lla t2, top', '  sw t1, 0(t2)', '  j top', 'out:', '  ebreak', ''].join('\n');
    const { machine, hart, run } = setup(src);
    machine.memory.writeU(DATA, 4, BigInt(new DataView(assemble('li a0, 2', { compressed: false }).bytes.buffer).getUint32(0, true)));
    expect(run().kind).to.equal('trap');
    expect(hart.reg(10)).to.equal(2n);
  });

  it('a write to code drops the instructions it overlaps and keeps the rest of the page decoded', () => {
    const src = ['li a0, 1', 'li a1, 2', 'li a2, 3', 'add a0, a0, a1', 'add a0, a0, a2', 'ebreak', ''].join('\n');
    const { machine, hart, run } = setup(src);
    run();
    expect(hart.reg(10)).to.equal(6n);
    const ops = [0, 4, 8, 12, 16].map((o) => hart.fetch(Number(BASE) + o));
    // `li a1, 2` -> `li a1, 20` (the whole word), and the upper half of `add a0, a0, a2` -> `sub`:
    // a write into the second halfword of a 4-byte instruction drops it too.
    machine.memory.writeBytes(BASE + 4n, assemble('li a1, 20', { compressed: false }).bytes, true);
    const sub = assemble('sub a0, a0, a2', { compressed: false }).bytes;
    machine.memory.writeBytes(BASE + 18n, sub.subarray(2), true);
    run();
    expect(hart.reg(10)).to.equal(18n);
    const now = [0, 4, 8, 12, 16].map((o) => hart.fetch(Number(BASE) + o));
    expect(now.map((o, i) => o === ops[i])).to.deep.equal([true, false, true, true, false]);
  });

  it('taking execute permission away from decoded code makes the next fetch fault', () => {
    const { machine, run } = setup('li a0, 1\n ebreak\n');
    expect(run()).to.deep.include({ kind: 'trap' });
    machine.memory.protect(BASE, 0x1000, 'r');
    expect(run()).to.deep.equal({ kind: 'trap', trap: { kind: 'access-fault', pc: BASE, access: 'fetch', addr: BASE, reason: 'permission' } });
  });

  it('unmapping or write-protecting a page the memory cache holds: the next access faults', () => {
    const src = [`li t0, ${DATA + 0x1000n}`, 'lw a0, 0(t0)', 'sw a0, 4(t0)', 'ebreak', ''].join('\n');
    const { machine, run } = setup(src);
    expect(run()).to.deep.include({ kind: 'trap' });
    machine.memory.protect(DATA + 0x1000n, 0x1000, 'r');
    const r = run();
    expect(r.kind === 'trap' && r.trap.kind === 'access-fault' && r.trap.access).to.equal('store');
    machine.memory.unmap(DATA + 0x1000n, 0x1000);
    const u = run();
    expect(u.kind === 'trap' && u.trap.kind === 'access-fault' && u.trap.access).to.equal('load');
  });

  for (const translate of [false, true]) {
    it(`the same store instruction rewriting code that runs in between is always seen${translate ? ' (translator)' : ''}`, () => {
      // f (on its own page) starts as `li a0, 1`; each iteration stores `li a0, i+2` over it twice
      // with the same sw (the second store finds the page in the caches), then calls f. Once f's
      // page holds decoded code, the sw must not write it through a cached page again.
      const words = [2, 3, 4].map((v) => new DataView(assemble(`li a0, ${v}`, { compressed: false }).bytes.buffer).getUint32(0, true));
      const src = ['_start:', '  li s0, 0', `  li s2, ${DATA}`, `  li s1, ${BASE + 0x1000n}`, '  li s3, 0', 'loop:', '  slli t0, s0, 2', '  add t0, t0, s2', '  lw t1, 0(t0)',
        '  li t3, 2', 'twice:', '  sw t1, 0(s1)', '  addi t3, t3, -1', '  bnez t3, twice', '  jalr ra, 0(s1)', '  li t2, 10', '  mul s3, s3, t2', '  add s3, s3, a0', '  addi s0, s0, 1', '  li t2, 3', '  blt s0, t2, loop', '  ebreak', ''].join('\n');
      const { machine, hart, run } = setup(src, { translate });
      machine.memory.map(BASE + 0x1000n, 0x1000, 'rwx');
      machine.memory.writeBytes(BASE + 0x1000n, assemble('li a0, 1\n ret\n', { compressed: false }).bytes, true);
      words.forEach((w, i) => machine.memory.writeU(DATA + BigInt(4 * i), 4, BigInt(w)));
      expect(run().kind).to.equal('trap');
      expect(hart.reg(19)).to.equal(234n);
    });

    it(`code hooks added and removed after decoding apply at once${translate ? ' (translator)' : ''}`, () => {
      const src = ['_start:', '  li s0, 5', 'loop:', '  addi a0, a0, 1', '  addi s0, s0, -1', '  bnez s0, loop', '  ebreak', ''].join('\n');
      const { machine, hart, code, run } = setup(src, { translate });
      run();
      const loop = code.symbols.get('loop')!;
      const op = hart.fetch(Number(loop));
      const seen: bigint[] = [];
      const remove = machine.addCodeHook(loop, loop + 4n, (h) => seen.push(h.reg(10)));
      hart.setReg(10, 0n);
      run();
      expect(seen).to.deep.equal([0n, 1n, 2n, 3n, 4n]);
      if (!translate) expect(hart.fetch(Number(loop)) === op, 'decoded op kept').to.equal(true);
      remove();
      run();
      expect(seen.length).to.equal(5);
      expect(hart.reg(10)).to.equal(10n); // ran again from 5, unhooked
    });
  }
});
