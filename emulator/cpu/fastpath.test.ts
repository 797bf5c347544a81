/**
 * The inline fast path must behave exactly like the reference handlers: random programs run
 * with and without it give the same output, registers, outcome and instruction count.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { programArb, PROG_CODE, PROG_DATA } from '../testing/progen';
import { assemble } from '../asm';
import { writeElf } from '../elf/writer';
import { loadProgram, runProgram } from '../user/runner';
import { FAST_KIND } from './fastpath';
import { HANDLERS } from './handlers';
import { FAST_BY_HANDLER } from './hart';
import { fcParams, propertyTimeout, runParams } from '../testing/params';

describe('interpreter fast path', () => {
  it('names only instructions that have a reference handler', () => {
    for (const name of FAST_KIND.keys()) expect(HANDLERS.has(name), name).to.equal(true);
  });

  it('every instruction has a handler of its own, so the hart finds fast kinds by handler', () => {
    expect(new Set(HANDLERS.values()).size).to.equal(HANDLERS.size);
    for (const [name, h] of HANDLERS) expect(FAST_BY_HANDLER.get(h), name).to.equal(FAST_KIND.get(name));
    expect(FAST_BY_HANDLER.size).to.equal(FAST_KIND.size);
  });

  it('random programs: fast path and reference handlers agree', function () {
    this.timeout(propertyTimeout(60000));
    fc.assert(
      fc.property(programArb, (p) => {
        const code = assemble(p.source, { base: PROG_CODE, compressed: p.compressed });
        const data = new Uint8Array(0x1000);
        data.set(p.data);
        const elf = writeElf({ entry: PROG_CODE, segments: [{ vaddr: PROG_CODE, bytes: code.bytes, flags: 'rx' }, { vaddr: PROG_DATA, bytes: data, flags: 'rw' }] });
        const results = [false, true].map((reference) => {
          const out: Buffer[] = [];
          const prog = loadProgram(elf, 'p.elf', { hart: { reference } });
          const outcome = runProgram(prog, { stdout: (b) => out.push(Buffer.from(b)), maxInstructions: 100_000 });
          return { outcome, out: Buffer.concat(out).toString('hex'), regs: prog.hart.regs().map(String), instret: prog.hart.instret };
        });
        expect(results[0]).to.deep.equal(results[1]);
      }),
      fcParams(runParams({ seed: 0xfa57, numRuns: 300 })),
    );
  });
});
