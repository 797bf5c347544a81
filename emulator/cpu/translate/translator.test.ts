/**
 * The translator against the interpreter (the reference): random programs run on both engines
 * must end in the same state, with the same traps at the same pcs, the same instruction counts
 * at every watchdog budget, and the same hook, host call and memory watch events. The
 * programs include small loops (which become JavaScript loops), compressed code,
 * self-modifying code with and without fence.i under both icache models, and traps.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Machine } from '../machine';
import type { RunResult } from '../trap';
import { assemble } from '../../asm';
import { programArb, simple, PROG_CODE, PROG_DATA, DATA_WINDOW, type GenProgram } from '../../testing/progen';
import { buildTrace } from './trace';
import { checkGolden } from '../../testing/golden';
import { fcParams, propertyTimeout, runParams } from '../../testing/params';

type Engine = 'interpreter' | 'translator';

interface RunSpec {
  readonly source: string;
  readonly data: Uint8Array;
  readonly compressed: boolean;
  readonly hot: number;
  /** Budgets of successive run() calls (cycled) until a trap. */
  readonly slices: readonly number[];
  readonly stale?: boolean;
  /** Code hook on [PROG_CODE + hookAt, +hookLen): records the pc and a0 it sees. */
  readonly hook?: { readonly at: number; readonly len: number };
  readonly watch?: boolean;
}

const TOTAL = 100_000;

function run(engine: Engine, p: RunSpec) {
  const machine = new Machine();
  const mem = machine.memory;
  const code = assemble(p.source, { base: PROG_CODE, compressed: p.compressed });
  mem.map(PROG_CODE, 0x8000, 'rwx');
  mem.writeBytes(PROG_CODE, code.bytes, true);
  mem.map(PROG_DATA, 0x1000, 'rw');
  mem.writeBytes(PROG_DATA, p.data);
  const hart = machine.addHart({ translate: engine === 'translator', hotThreshold: p.hot, staleIcache: p.stale ?? false });
  hart.pc = PROG_CODE;
  const events: string[] = [];
  if (p.hook) {
    const start = PROG_CODE + BigInt(p.hook.at);
    machine.addCodeHook(start, start + BigInt(p.hook.len), (h, pc) => events.push(`hook ${pc} a0=${h.reg(10)}`));
  }
  if (p.watch) mem.watch(PROG_DATA, 64, 'both', (kind, addr, size, value) => events.push(`${kind} ${addr} ${size} ${value}`));
  const results: RunResult[] = [];
  let done = 0;
  for (let i = 0; done < TOTAL; i++) {
    const before = hart.instret;
    const r = hart.run(p.slices[i % p.slices.length]!);
    done += hart.instret - before;
    results.push(r);
    if (r.kind !== 'budget') break;
  }
  return { results, regs: hart.regs(), pc: hart.pc, instret: hart.instret, data: Buffer.from(mem.readBytes(PROG_DATA, 0x1000)).toString('hex'), code: Buffer.from(mem.readBytes(PROG_CODE, code.bytes.length)).toString('hex'), events };
}

function agree(p: RunSpec): void {
  const a = run('interpreter', p);
  const b = run('translator', p);
  expect(b).to.deep.equal(a);
}

/**
 * Dense straight-line code (every inline template many times, edge-value operands) inside a
 * loop, so that most of it runs translated.
 */
const EDGES = [0n, 1n, -1n, 1n << 63n, (1n << 63n) - 1n, 0x80000000n, 0x7fffffffn, 0xffffffffn, -0x80000000n];
const denseArb: fc.Arbitrary<GenProgram> = fc
  .record({
    init: fc.array(fc.oneof(fc.bigUintN(64), fc.constantFrom(...EDGES), fc.integer({ min: -4096, max: 4096 }).map(BigInt)), { minLength: 25, maxLength: 25 }),
    body: fc.array(simple, { minLength: 20, maxLength: 60 }),
    iters: fc.integer({ min: 1, max: 4 }),
    data: fc.uint8Array({ minLength: DATA_WINDOW, maxLength: DATA_WINDOW }),
    compressed: fc.boolean(),
  })
  .map(({ init, body, iters, data, compressed }) => {
    const regs = init.map((v, i) => `  li x${i + 1 === 25 ? 31 : i + 1}, ${BigInt.asIntN(64, v)}`);
    const source = ['_start:', `  li s11, ${PROG_DATA}`, ...regs, `  li s10, ${iters}`, 'loop:', ...body.map((b) => `  ${b}`), '  addi s10, s10, -1', '  bnez s10, loop', '  ebreak', ''].join('\n');
    return { source, data, compressed };
  });

const slicesArb = fc.oneof(fc.constant([TOTAL]), fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 5 }));
const hotArb = fc.integer({ min: 1, max: 3 });

/** programArb with a trap inserted at a random line of its body. */
const TRAPS = ['ld a0, 8(zero)', 'sd a0, -8(zero)', '.word 0', 'ebreak', 'lw a1, 1(s11)\n  lla s9, 0f\n  jr s9\n0:', 'lla s9, 1f\n  jalr zero, 2(s9)\n1:'];

describe('block translator', () => {
  it('random programs (loops, branches, jumps, RVC, M/A/Zb*): same state, outcome and counts at any budget', function () {
    this.timeout(propertyTimeout(120_000));
    fc.assert(
      fc.property(programArb, hotArb, slicesArb, (p: GenProgram, hot, slices) => agree({ ...p, hot, slices })),
      fcParams(runParams({ seed: 0x7a11, numRuns: 250 })),
    );
  });

  it('dense straight-line code in a loop: every inline template against the interpreter', function () {
    this.timeout(propertyTimeout(120_000));
    fc.assert(
      fc.property(denseArb, hotArb, slicesArb, (p, hot, slices) => agree({ ...p, hot, slices })),
      fcParams(runParams({ seed: 0x7a15, numRuns: 300 })),
    );
  });

  it('traps inside translated code: same trap, same pc, nothing of the faulting instruction committed', function () {
    this.timeout(propertyTimeout(60_000));
    fc.assert(
      fc.property(programArb, fc.constantFrom(...TRAPS), fc.nat(), hotArb, slicesArb, (p, trap, pos, hot, slices) => {
        const lines = p.source.split('\n');
        const body = lines.findIndex((l) => l.includes('sd zero'));
        const at = 2 + (pos % Math.max(1, body - 2));
        lines.splice(at, 0, `  ${trap}`);
        agree({ ...p, source: lines.join('\n'), hot, slices });
      }),
      fcParams(runParams({ seed: 0x7a12, numRuns: 200 })),
    );
  });

  it('self-modifying code: patching an instruction in a loop, coherent and stale icache, with and without fence.i', function () {
    this.timeout(propertyTimeout(60_000));
    const rd = fc.constantFrom('a0', 'a1', 'a2', 't2', 's0', 's1');
    const patch = fc.tuple(fc.constantFrom('addi', 'xori', 'ori', 'slti'), rd, rd, fc.integer({ min: -2048, max: 2047 })).map(([op, d, s, i]) => `${op} ${d}, ${s}, ${i}`);
    fc.assert(
      fc.property(
        fc.array(simple, { maxLength: 6 }),
        fc.array(simple, { maxLength: 6 }),
        fc.array(patch, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom('sw t0, 0(s9)', 'amoswap.w zero, t0, (s9)'),
        hotArb,
        slicesArb,
        (before, after, patches, iters, stale, fence, compressed, store, hot, slices) => {
          // Under the stale model a hart may run old code until fence.i: only fenced programs
          // have one defined outcome there.
          const fenced = stale || fence;
          const words = patches.map((s) => new DataView(assemble(s, { compressed: false }).bytes.buffer).getUint32(0, true));
          const data = new Uint8Array(DATA_WINDOW);
          const dv = new DataView(data.buffer);
          for (let i = 0; i < 16; i++) dv.setUint32(512 + 4 * i, words[i % words.length]!, true);
          const source = [
            '_start:',
            `  li s11, ${PROG_DATA}`,
            `  li s10, ${iters}`,
            '  lla s9, site',
            'loop:',
            ...before.map((s) => `  ${s}`),
            'site:',
            '  addi a0, a1, 2047',
            ...after.map((s) => `  ${s}`),
            '  andi t1, s10, 15',
            '  slli t1, t1, 2',
            '  add t1, t1, s11',
            '  lw t0, 512(t1)',
            `  ${store}`,
            ...(fenced ? ['  fence.i'] : []),
            '  addi s10, s10, -1',
            '  bnez s10, loop',
            '  ecall',
          ].join('\n');
          agree({ source: source + '\n', data, compressed, hot, slices, stale });
        },
      ),
      fcParams(runParams({ seed: 0x7a13, numRuns: 200 })),
    );
  });

  it('code hooks and memory watches see the same events in the same order', function () {
    this.timeout(propertyTimeout(60_000));
    fc.assert(
      fc.property(programArb, fc.nat({ max: 400 }), fc.integer({ min: 2, max: 40 }), hotArb, slicesArb, (p, at, len, hot, slices) => {
        agree({ ...p, hot, slices, hook: { at: at & ~1, len }, watch: true });
      }),
      fcParams(runParams({ seed: 0x7a14, numRuns: 120 })),
    );
  });

  it('a watch callback that write-protects a page mid-trace: the next store there faults in both engines', () => {
    const source = ['_start:', `  li s11, ${PROG_DATA}`, `  li s10, ${PROG_DATA + 0x1000n}`, '  li s0, 6', 'loop:', '  sw s0, 0x100(s11)', '  sw s0, 0x100(s10)', '  lw a0, 0x200(s11)', '  addi s0, s0, -1', '  bnez s0, loop', '  ebreak', ''].join('\n');
    const results = (['interpreter', 'translator'] as const).map((engine) => {
      const machine = new Machine();
      const code = assemble(source, { base: PROG_CODE, compressed: true });
      machine.memory.map(PROG_CODE, 0x1000, 'rx');
      machine.memory.writeBytes(PROG_CODE, code.bytes, true);
      machine.memory.map(PROG_DATA, 0x2000, 'rw');
      let reads = 0;
      machine.memory.watch(PROG_DATA + 0x200n, 4, 'read', () => {
        if (++reads === 3) machine.memory.protect(PROG_DATA + 0x1000n, 0x1000, 'r');
      });
      const hart = machine.addHart({ translate: engine === 'translator', hotThreshold: 1 });
      hart.pc = PROG_CODE;
      const r = hart.run(10_000);
      return { r, reads, s0: hart.reg(8), instret: hart.instret };
    });
    expect(results[0]!.r.kind).to.equal('trap');
    expect(results[0]!.reads).to.equal(3);
    expect(results[1]).to.deep.equal(results[0]);
  });

  it('host calls inside a hot loop run once per call and return through ra', () => {
    const source = ['_start:', '  li s0, 300', '  li s1, 0', 'loop:', '  mv a0, s0', '  call host', '  add s1, s1, a0', '  addi s0, s0, -1', '  bnez s0, loop', '  ebreak', 'host:', '  ret', ''].join('\n');
    const results = (['interpreter', 'translator'] as const).map((engine) => {
      const machine = new Machine();
      const code = assemble(source, { base: PROG_CODE, compressed: true });
      machine.memory.map(PROG_CODE, 0x1000, 'rx');
      machine.memory.writeBytes(PROG_CODE, code.bytes, true);
      let calls = 0;
      machine.addHostCall(code.symbols.get('host')!, (h) => {
        calls++;
        return h.reg(10) * 3n;
      });
      const hart = machine.addHart({ translate: engine === 'translator', hotThreshold: 1 });
      hart.pc = PROG_CODE;
      const r = hart.run(1_000_000);
      return { r, calls, s1: hart.reg(9), instret: hart.instret };
    });
    expect(results[0]!.calls).to.equal(300);
    expect(results[0]!.s1).to.equal(3n * (300n * 301n) / 2n);
    expect(results[1]).to.deep.equal(results[0]);
  });

  it('a guest loop becomes a JavaScript loop that keeps the watchdog budget exact', () => {
    const source = ['_start:', '  li a0, 0', 'loop:', '  addi a0, a0, 1', '  j loop', ''].join('\n');
    for (const budget of [1, 2, 3, 1000, 12_345]) {
      const machine = new Machine();
      const code = assemble(source, { base: PROG_CODE, compressed: false });
      machine.memory.map(PROG_CODE, 0x1000, 'rx');
      machine.memory.writeBytes(PROG_CODE, code.bytes, true);
      const hart = machine.addHart({ translate: true, hotThreshold: 1 });
      hart.pc = PROG_CODE;
      const r = hart.run(budget);
      expect(r.kind).to.equal('budget');
      expect(hart.instret).to.equal(budget);
      // li; then (addi, j) pairs: a0 counts the addis retired.
      expect(hart.reg(10)).to.equal(BigInt(Math.floor(budget / 2)));
    }
  });

  it('the trace of a loop is one JavaScript loop with its exits (golden)', () => {
    const machine = new Machine();
    const code = assemble(['_start:', '  li a0, 0', '  li a1, 100', 'loop:', '  lw t0, 0(a2)', '  add a0, a0, t0', '  sw a0, 8(a2)', '  addi a1, a1, -1', '  bnez a1, loop', '  ret', ''].join('\n'), { base: PROG_CODE, compressed: true });
    machine.memory.map(PROG_CODE, 0x1000, 'rx');
    machine.memory.writeBytes(PROG_CODE, code.bytes, true);
    const hart = machine.addHart();
    const head = hart.fetch(Number(code.symbols.get('loop')!));
    const tr = buildTrace(head, (pc) => hart.fetch(pc));
    expect(tr).to.not.equal(null);
    const failure = checkGolden('emulator/cpu/translate/golden/loop-trace.txt', tr!.source + '\n', 'RVTRAMP_ACCEPT=1 npx mocha emulator/cpu/translate/translator.test.ts');
    expect(failure, failure).to.equal(undefined);
  });
});
