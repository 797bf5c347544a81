import { expect } from 'chai';
import fc from 'fast-check';
import { machineWith, assembleWords, CODE, DATA, KCODE, type Insn } from '../testing/program';
import { Machine, poisonValue } from './machine';
import { StopSignal } from './trap';
import { decode } from '../isa/decode';
import { encode } from '../isa/encode';

const A0 = 10, A1 = 11, A2 = 12, T0 = 5, RA = 1;

describe('hart: execution and traps', () => {
  it('runs straight-line code and stops at ecall with a precise pc', () => {
    const { hart } = machineWith([
      ['addi', { rd: A0, rs1: 0, imm12: 5 }],
      ['addi', { rd: A1, rs1: A0, imm12: -7 }],
      ['ecall', {}],
    ]);
    const r = hart.run(100);
    expect(r).to.deep.equal({ kind: 'trap', trap: { kind: 'ecall', pc: CODE + 8n } });
    expect(hart.reg(A0)).to.equal(5n);
    expect(hart.reg(A1)).to.equal(BigInt.asUintN(64, -2n));
    expect(hart.instret).to.equal(2);
  });

  it('never writes x0', () => {
    const { hart } = machineWith([['addi', { rd: 0, rs1: 0, imm12: 1 }], ['add', { rd: A0, rs1: 0, rs2: 0 }], ['ebreak', {}]]);
    hart.run(10);
    expect(hart.reg(0)).to.equal(0n);
    expect(hart.reg(A0)).to.equal(0n);
  });

  it('stops at the instruction budget (watchdog) and resumes where it stopped', () => {
    // a tight infinite loop: j .
    const { hart } = machineWith([['jal', { rd: 0, jimm20: 0 }]]);
    expect(hart.run(1000)).to.deep.equal({ kind: 'budget', pc: CODE });
    expect(hart.instret).to.equal(1000);
  });

  it('reports an illegal instruction with its bytes, without executing it', () => {
    const { hart } = machineWith([['addi', { rd: A0, rs1: 0, imm12: 1 }], 0x0000]);
    expect(hart.run(10)).to.deep.equal({ kind: 'trap', trap: { kind: 'illegal-instruction', pc: CODE + 4n, word: 0, size: 2 } });
    expect(hart.pc).to.equal(CODE + 4n);
  });

  it('reports F/D instructions as an unsupported extension', () => {
    const { hart } = machineWith([['fadd.d', { fd: 1, fs1: 2, fs2: 3, rm: 7 }]]);
    const r = hart.run(10);
    expect(r.kind === 'trap' && r.trap.kind).to.equal('unsupported-extension');
    expect(r.kind === 'trap' && r.trap.kind === 'unsupported-extension' && r.trap.ext).to.equal('D');
  });

  it('treats compressed words as illegal when C is disabled', () => {
    const { hart } = machineWith([0x4505 /* c.li a0,1 */], CODE, { exts: ['I', 'M', 'A', 'Zicsr', 'Zifencei'] });
    expect(hart.run(1)).to.deep.include({ kind: 'trap' });
  });

  it('faults on a load from an unmapped address and leaves rd unchanged', () => {
    const { hart } = machineWith([['ld', { rd: A0, rs1: A1, imm12: 8 }]]);
    hart.setReg(A0, 0x1234n);
    hart.setReg(A1, 0x900000n);
    expect(hart.run(10)).to.deep.equal({
      kind: 'trap', trap: { kind: 'access-fault', pc: CODE, access: 'load', addr: 0x900008n, reason: 'unmapped' },
    });
    expect(hart.reg(A0)).to.equal(0x1234n);
  });

  it('faults on a store to a read-only page, a fetch from a non-executable page, and a jump to nowhere', () => {
    let { hart } = machineWith([['sd', { rs2: A0, rs1: A1, simm12: 0 }]]);
    hart.setReg(A1, CODE);
    expect(hart.run(10)).to.deep.equal({ kind: 'trap', trap: { kind: 'access-fault', pc: CODE, access: 'store', addr: CODE, reason: 'permission' } });
    ({ hart } = machineWith([['jalr', { rd: RA, rs1: A1, imm12: 0 }]]));
    hart.setReg(A1, DATA);
    expect(hart.run(10)).to.deep.equal({ kind: 'trap', trap: { kind: 'access-fault', pc: DATA, access: 'fetch', addr: DATA, reason: 'permission' } });
    expect(hart.reg(RA)).to.equal(CODE + 4n, 'the jump itself completed');
    ({ hart } = machineWith([['jalr', { rd: RA, rs1: A1, imm12: 0 }]]));
    hart.setReg(A1, 0xdead000000000000n);
    const r = hart.run(10);
    expect(r.kind === 'trap' && r.trap.kind).to.equal('access-fault');
    expect(r.kind === 'trap' && r.trap.kind === 'access-fault' && r.trap.addr).to.equal(0xdead000000000000n);
  });

  it('a store that crosses into an unmapped page changes nothing', () => {
    const { hart, machine } = machineWith([['sd', { rs2: A0, rs1: A1, simm12: 0 }]]);
    hart.setReg(A0, 0x1122334455667788n);
    hart.setReg(A1, DATA + 0x10000n - 4n);
    const r = hart.run(10);
    expect(r.kind === 'trap' && r.trap.kind === 'access-fault' && r.trap.addr).to.equal(DATA + 0x10000n);
    expect(machine.memory.readU(DATA + 0x10000n - 4n, 4)).to.equal(0n);
  });

  it('traps a misaligned jump when C is disabled', () => {
    const { hart } = machineWith([['jalr', { rd: 0, rs1: A1, imm12: 2 }]], CODE, { exts: ['I', 'M', 'A', 'Zicsr', 'Zifencei'] });
    hart.setReg(A1, CODE);
    expect(hart.run(10)).to.deep.equal({ kind: 'trap', trap: { kind: 'misaligned-fetch', pc: CODE, target: CODE + 2n } });
  });

  it('runs at kernel addresses (0xffffffff8xxxxxxx) with auipc/jalr pairs', () => {
    // auipc t0,0 ; jalr t0,12(t0) ; ebreak ; ecall   -> jumps over the ebreak
    const { hart } = machineWith([
      ['auipc', { rd: T0, imm20: 0 }], ['jalr', { rd: T0, rs1: T0, imm12: 12 }], ['ebreak', {}], ['ecall', {}],
    ], KCODE);
    expect(hart.run(10)).to.deep.equal({ kind: 'trap', trap: { kind: 'ecall', pc: KCODE + 12n } });
    expect(hart.reg(T0)).to.equal(KCODE + 8n);
  });

  it('counter CSRs read the instructions retired so far, mid-run and across runs', () => {
    // addi x3 ; csrrs a0, instret, x0 ; ebreak
    const { hart } = machineWith([
      ['addi', { rd: A1, rs1: 0, imm12: 1 }], ['addi', { rd: A1, rs1: 0, imm12: 2 }], ['addi', { rd: A1, rs1: 0, imm12: 3 }],
      ['csrrs', { rd: A0, rs1: 0, csr: 0xc02 }], ['ebreak', {}],
    ]);
    hart.run(2);
    hart.run(100);
    expect(hart.reg(A0)).to.equal(3n);
    expect(hart.instret).to.equal(4);
  });

  it('writing a read-only counter CSR is an illegal instruction', () => {
    const { hart } = machineWith([['csrrw', { rd: A0, rs1: A1, csr: 0xc00 }]]);
    expect(hart.run(10)).to.deep.include({ kind: 'trap' });
  });

  it('implements 64-bit arithmetic corner cases (mul/div/shifts)', () => {
    const { hart } = machineWith([
      ['mul', { rd: 12, rs1: A0, rs2: A1 }], ['mulh', { rd: 13, rs1: A0, rs2: A1 }], ['mulhu', { rd: 14, rs1: A0, rs2: A1 }],
      ['div', { rd: 15, rs1: A0, rs2: 0 }], ['rem', { rd: 16, rs1: A0, rs2: 0 }], ['divw', { rd: 17, rs1: A0, rs2: A1 }],
      ['srai', { rd: 18, rs1: A0, shamt6: 63 }], ['srliw', { rd: 19, rs1: A0, shamt5: 1 }], ['sraiw', { rd: 20, rs1: A0, shamt5: 31 }],
      ['ebreak', {}],
    ]);
    const a = -0x123456789abcdefn, b = 0x7edcba9876543211n;
    hart.setReg(A0, a);
    hart.setReg(A1, b);
    hart.run(20);
    const u = (v: bigint) => BigInt.asUintN(64, v);
    expect(hart.reg(12)).to.equal(u(a * b));
    expect(hart.reg(13)).to.equal(u((a * b) >> 64n));
    expect(hart.reg(14)).to.equal(u((u(a) * u(b)) >> 64n));
    expect(hart.reg(15)).to.equal(u(-1n));
    expect(hart.reg(16)).to.equal(u(a));
    const a32 = BigInt.asIntN(32, a), b32 = BigInt.asIntN(32, b);
    expect(hart.reg(17)).to.equal(u(a32 / b32));
    expect(hart.reg(18)).to.equal(u(-1n));
    expect(hart.reg(19)).to.equal(u(BigInt.asIntN(32, BigInt.asUintN(32, a) >> 1n)));
    expect(hart.reg(20)).to.equal(u(a32 < 0n ? -1n : 0n));
  });
});

describe('hart: instruction cache and fence.i', () => {
  // The first instruction is patched between two runs: li a0,1 -> li a0,2.
  const prog = (): Insn[] => [['addi', { rd: A0, rs1: 0, imm12: 1 }], ['addi', { rd: 0, rs1: 0, imm12: 0 }], ['ebreak', {}]];
  const patch = (m: Machine) => m.memory.writeBytes(CODE, assembleWords([['addi', { rd: A0, rs1: 0, imm12: 2 }]]), true);

  it('coherent mode: a store to code is seen at once', () => {
    const { hart, machine } = machineWith(prog());
    hart.run(10);
    patch(machine);
    hart.pc = CODE;
    hart.run(10);
    expect(hart.reg(A0)).to.equal(2n);
  });

  it('stale mode: the old instruction runs until fence.i', () => {
    // li a0,1 ; ebreak ; fence.i ; ebreak
    const { hart, machine } = machineWith([['addi', { rd: A0, rs1: 0, imm12: 1 }], ['ebreak', {}], ['fence.i', {}], ['ebreak', {}]], CODE, { staleIcache: true });
    hart.run(10);
    patch(machine);
    hart.pc = CODE;
    hart.run(10);
    expect(hart.reg(A0)).to.equal(1n, 'stale instruction executed');
    hart.pc = CODE + 8n;
    expect(hart.run(10)).to.deep.equal({ kind: 'trap', trap: { kind: 'ebreak', pc: CODE + 12n } });
    hart.pc = CODE;
    hart.run(10);
    expect(hart.reg(A0)).to.equal(2n, 'after fence.i the new instruction runs');
  });

  it('stale mode per hart: another hart still coherent sees the store', () => {
    const { hart, machine } = machineWith(prog(), CODE, { staleIcache: true });
    const other = machine.addHart();
    hart.run(10);
    other.pc = CODE;
    other.run(10);
    patch(machine);
    hart.pc = CODE;
    other.pc = CODE;
    hart.run(10);
    other.run(10);
    expect(hart.reg(A0)).to.equal(1n);
    expect(other.reg(A0)).to.equal(2n);
  });

  it('self-modifying code within a page is seen in coherent mode', () => {
    // sw a1,8(a2) overwrites the instruction after next with li a0,7
    const newWord = encode('addi', { rd: A0, rs1: 0, imm12: 7 });
    const { hart, machine } = machineWith([['sw', { rs2: A1, rs1: A2, simm12: 8 }], ['addi', { rd: 0, rs1: 0, imm12: 0 }], ['addi', { rd: A0, rs1: 0, imm12: 3 }], ['ebreak', {}]]);
    machine.memory.protect(CODE, 0x1000, 'rwx');
    hart.setReg(A1, BigInt(newWord));
    hart.setReg(A2, CODE);
    hart.run(10);
    expect(hart.reg(A0)).to.equal(7n);
  });
});

describe('hart: host calls and hooks', () => {
  const HOST = 0x30000n;

  it('a host call runs the callback, returns through ra and poisons caller-saved registers', () => {
    // jal ra, HOST via auipc/jalr; then ebreak
    const { hart, machine } = machineWith([['auipc', { rd: RA, imm20: 0x20000 }], ['jalr', { rd: RA, rs1: RA, imm12: 0 }], ['ebreak', {}]]);
    machine.memory.map(HOST, 0x1000, 'rx');
    let seen = 0n;
    machine.addHostCall(HOST, (h) => {
      seen = h.reg(A0);
      return 42n;
    }, { name: 'helper' });
    hart.setReg(A0, 7n);
    hart.setReg(8, 0x5050n); // s0 survives
    expect(hart.run(10)).to.deep.equal({ kind: 'trap', trap: { kind: 'ebreak', pc: CODE + 8n } });
    expect(seen).to.equal(7n);
    expect(hart.reg(A0)).to.equal(42n);
    expect(hart.reg(A1)).to.equal(poisonValue(A1));
    expect(hart.reg(T0)).to.equal(poisonValue(T0));
    expect(hart.reg(8)).to.equal(0x5050n);
  });

  it('a host call sees its own address as the pc (for stack walks from inside it)', () => {
    const { hart, machine } = machineWith([['jalr', { rd: RA, rs1: A1, imm12: 0 }], ['ebreak', {}]]);
    machine.memory.map(HOST, 0x1000, 'rx');
    let pc = 0n;
    machine.addHostCall(HOST, (h) => {
      pc = h.pc;
    });
    hart.setReg(A1, HOST);
    hart.run(10);
    expect(pc).to.equal(HOST);
  });

  it('a host call can stop the run', () => {
    const { hart, machine } = machineWith([['jalr', { rd: RA, rs1: A1, imm12: 0 }]]);
    machine.memory.map(HOST, 0x1000, 'rx');
    machine.addHostCall(HOST, () => {
      throw new StopSignal('BUG at helper');
    });
    hart.setReg(A1, HOST);
    expect(hart.run(10)).to.deep.equal({ kind: 'stop', reason: 'BUG at helper', pc: HOST });
  });

  it('code hooks see every execution of their range; memory watches see stores', () => {
    const { hart, machine } = machineWith([['addi', { rd: A0, rs1: A0, imm12: 1 }], ['sd', { rs2: A0, rs1: A1, simm12: 0 }], ['ebreak', {}]]);
    const pcs: bigint[] = [];
    machine.addCodeHook(CODE, CODE + 8n, (_h, pc) => pcs.push(pc));
    const stores: bigint[] = [];
    machine.memory.watch(DATA, 8, 'write', (_k, addr, _s, v) => stores.push(addr, v));
    hart.setReg(A1, DATA);
    hart.run(10);
    expect(pcs).to.deep.equal([CODE, CODE + 4n]);
    expect(stores).to.deep.equal([DATA, 1n]);
  });

  for (const [engine, opts] of [['interpreter', {}], ['translator', { translate: true, hotThreshold: 1 }]] as const) {
    it(`${engine}: a watch sees every access of its kind, and only those, however the caches were filled`, () => {
      // a2 = 3; loop: lw a0, 0(a1); sw a2, 0(a1); addi a2, a2, -1; bnez a2, loop; ebreak
      // (32-bit accesses: the hart makes a 64-bit load of two 32-bit ones, each seen by a watch)
      const prog: Insn[] = [
        ['addi', { rd: A2, rs1: 0, imm12: 3 }],
        ['lw', { rd: A0, rs1: A1, imm12: 0 }],
        ['sw', { rs2: A2, rs1: A1, simm12: 0 }],
        ['addi', { rd: A2, rs1: A2, imm12: -1 }],
        ['bne', { rs1: A2, rs2: 0, bimm12: -12 }],
        ['ebreak', {}],
      ];
      for (const on of ['read', 'write', 'both'] as const) {
        const { hart, machine } = machineWith(prog, CODE, opts);
        const seen: string[] = [];
        // The watch covers the last 4 bytes of the page; the accesses go to its first 4, then
        // (second run) to the watched ones: a cache filled by the first run must not hide them.
        machine.memory.watch(DATA + 0xffcn, 4, on, (kind, addr, _s, v) => seen.push(`${kind} ${(addr - DATA).toString(16)} ${v}`));
        hart.setReg(A1, DATA);
        expect(hart.run(100).kind, on).to.equal('trap');
        hart.pc = CODE;
        hart.setReg(A1, DATA + 0xffcn);
        expect(hart.run(100).kind, on).to.equal('trap');
        const reads = ['read ffc 0', 'read ffc 3', 'read ffc 2'];
        const writes = ['write ffc 3', 'write ffc 2', 'write ffc 1'];
        const want = on === 'read' ? reads : on === 'write' ? writes : reads.flatMap((r, i) => [r, writes[i]!]);
        expect(seen, on).to.deep.equal(want);
      }
    });
  }

  it('an access across a page boundary is seen by a watch on either page (both engines)', () => {
    // lw a0, 0(a1); sw a2, 0(a1); ebreak, with a1 two bytes before the end of a page
    const prog: Insn[] = [['lw', { rd: A0, rs1: A1, imm12: 0 }], ['sw', { rs2: A2, rs1: A1, simm12: 0 }], ['ebreak', {}]];
    for (const opts of [{}, { translate: true, hotThreshold: 1 }] as const) for (const [where, at] of [['first', DATA + 0xffen], ['second', DATA + 0x1000n]] as const) {
      const { hart, machine } = machineWith(prog, CODE, opts);
      const seen: string[] = [];
      machine.memory.watch(at, 2, 'both', (kind, addr, size) => seen.push(`${kind} ${(addr - DATA).toString(16)} ${size}`));
      hart.setReg(A1, DATA + 0xffen);
      hart.setReg(A2, 0x11223344n);
      const r = hart.run(10);
      expect(r.kind === 'trap' && r.trap.kind, where).to.equal('ebreak');
      expect(seen, `watch on the ${where} page`).to.deep.equal(['read ffe 4', 'write ffe 4']);
      expect(machine.memory.readU(DATA + 0xffen, 4)).to.equal(0x11223344n);
    }
  });

  it('runTraced records the last executed pcs', () => {
    const { hart } = machineWith([['addi', { rd: A0, rs1: 0, imm12: 1 }], ['addi', { rd: A0, rs1: 0, imm12: 2 }], 0x0000]);
    hart.runTraced(10, 4);
    expect(hart.recentPcs()).to.deep.equal([CODE, CODE + 4n, CODE + 8n]);
  });
});

describe('hart: compressed instructions execute exactly like their expansion', () => {
  it('every legal 16-bit word (random register states)', function () {
    this.timeout(120000);
    const legal: number[] = [];
    for (let w = 0; w < 0x10000; w++) {
      if ((w & 3) === 3) continue;
      const d = decode(w);
      if (d && d.base.entry.ext !== 'D') legal.push(w);
    }
    const mk = () => {
      const m = new Machine();
      const h = m.addHart();
      m.memory.map(CODE, 0x1000, 'rx');
      m.memory.map(DATA, 0x2000, 'rw');
      return { m, h };
    };
    const A = mk(), B = mk();
    const regVal = fc.oneof(fc.bigUintN(64), fc.integer({ min: 0, max: 0x1ff8 }).map((o) => DATA + BigInt(o)));
    fc.assert(
      fc.property(fc.constantFrom(...legal), fc.array(regVal, { minLength: 32, maxLength: 32 }), (w, regs) => {
        const d = decode(w)!;
        const base = encode(d.base.entry, d.base.args);
        for (const [t, word] of [[A, w], [B, base]] as const) {
          t.m.memory.writeBytes(CODE, assembleWords([word, 0x0000]), true);
          t.m.memory.writeBytes(DATA, new Uint8Array(0x2000));
          t.h.flushIcache();
          regs.forEach((v, i) => t.h.setReg(i, v));
          t.h.pc = CODE;
        }
        const ra = A.h.step(), rb = B.h.step();
        expect(ra.kind).to.equal(rb.kind);
        const isJump = d.base.entry.name === 'jal' || d.base.entry.name === 'jalr';
        const linkReg = d.base.args.rd ?? 0;
        // A jump that wrote its link register links pc+2 in the compressed form.
        const linked = isJump && linkReg !== 0 && B.h.reg(linkReg) !== BigInt.asUintN(64, regs[linkReg]!);
        for (let i = 0; i < 32; i++) {
          const expected = linked && i === linkReg ? B.h.reg(i) - 2n : B.h.reg(i);
          expect(A.h.reg(i), `x${i} after ${d.entry.name} (${w.toString(16)})`).to.equal(expected);
        }
        if (ra.kind === 'budget' && rb.kind === 'budget') {
          // Taken-ness from the architectural condition (c.beqz/c.bnez compare rs1 with zero),
          // since a branch to pc+2 or pc+4 looks like a fall-through in one of the two forms.
          const n = d.base.entry.name;
          const rs1zero = BigInt.asUintN(64, regs[d.base.args.rs1 ?? 0]!) === 0n || (d.base.args.rs1 ?? 0) === 0;
          const taken = isJump || (n === 'beq' && rs1zero) || (n === 'bne' && !rs1zero);
          expect(A.h.pc).to.equal(taken ? B.h.pc : CODE + 2n);
        } else {
          expect(JSON.stringify(ra, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).to.equal(JSON.stringify(rb, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)).replace(/"word":\d+,"size":4/, `"word":${w},"size":2`));
        }
        expect(A.m.memory.readBytes(DATA, 0x2000)).to.deep.equal(B.m.memory.readBytes(DATA, 0x2000));
      }),
      { numRuns: 20000, seed: 0x5eed },
    );
  });
});
