import { expect } from 'chai';
import fc from 'fast-check';
import { PageRanges } from './page-ranges';

type Op = { kind: 'set' | 'delete' | 'update'; first: number; len: number; value: number };

const arbOp: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('set' as const, 'delete' as const, 'update' as const),
  first: fc.integer({ min: 0, max: 40 }),
  len: fc.integer({ min: 1, max: 12 }),
  value: fc.integer({ min: 1, max: 7 }),
});

describe('emulator/memory/page-ranges', () => {
  it('answers like a map of single pages after any sequence of set, delete and update', () => {
    fc.assert(
      fc.property(fc.array(arbOp, { maxLength: 30 }), (ops) => {
        const r = new PageRanges();
        const m = new Map<number, number>();
        for (const o of ops) {
          const last = o.first + o.len - 1;
          if (o.kind === 'set') r.set(o.first, last, o.value);
          else if (o.kind === 'delete') r.delete(o.first, last);
          else r.update(o.first, last, o.value);
          for (let pn = o.first; pn <= last; pn++) {
            if (o.kind === 'set') m.set(pn, o.value);
            else if (o.kind === 'delete') m.delete(pn);
            else if (m.has(pn)) m.set(pn, o.value);
          }
          for (let pn = -1; pn <= 60; pn++) {
            expect(r.get(pn), `page ${pn}`).to.equal(m.get(pn));
            expect(r.has(pn), `page ${pn}`).to.equal(m.has(pn));
          }
        }
      }),
      { seed: 20261129, numRuns: 300 },
    );
  });

  it('keeps a large mapping as one range, split once by a page taken out of its middle', () => {
    const r = new PageRanges();
    r.set(1000, 1511, 5);
    expect(r.count).to.equal(1);
    r.delete(1200);
    expect(r.count).to.equal(2);
    expect([r.get(1199), r.get(1200), r.get(1201)]).to.deep.equal([5, undefined, 5]);
    r.delete(0, 5000);
    expect(r.count).to.equal(0);
  });
});
