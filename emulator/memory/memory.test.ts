import { expect } from 'chai';
import fc from 'fast-check';
import { Memory, PAGE_SIZE } from './memory';

const BASE = 0x8000_0000n;
/** Pages mapped by the model tests: four, then a hole, then two more. */
const PAGES = [0, 1, 2, 3, 5, 6];

/** A model of the mapped pages: the bytes written so far (every other mapped byte is zero). */
class Model {
  readonly written = new Map<bigint, number>();
  has(a: bigint): boolean {
    const off = Number(a - BASE);
    return off >= 0 && PAGES.includes(Math.floor(off / PAGE_SIZE));
  }
  get(a: bigint): number {
    return this.written.get(a) ?? 0;
  }
  set(a: bigint, v: number): void {
    this.written.set(a, v);
  }
}

function mapped(): Memory {
  const mem = new Memory();
  for (const p of PAGES) mem.map(BASE + BigInt(p * PAGE_SIZE), PAGE_SIZE, 'rw-');
  return mem;
}

/** Addresses near page edges as often as anywhere else: that is where the paths split. */
const addr = fc.oneof(
  fc.integer({ min: 0, max: 7 * PAGE_SIZE - 1 }),
  fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: -9, max: 8 })).map(([p, d]) => Math.max(0, p * PAGE_SIZE + d)),
).map((o) => BASE + BigInt(o));

type Cmd =
  | { readonly op: 'writeU'; readonly addr: bigint; readonly size: 1 | 2 | 4 | 8; readonly value: bigint }
  | { readonly op: 'writeBytes'; readonly addr: bigint; readonly bytes: Uint8Array };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ op: fc.constant('writeU' as const), addr, size: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const), value: fc.bigUintN(64) }),
  fc.record({ op: fc.constant('writeBytes' as const), addr, bytes: fc.uint8Array({ minLength: 0, maxLength: 40 }) }),
);

function inModel(m: Model, a: bigint, n: number): boolean {
  for (let i = 0; i < n; i++) if (!m.has(a + BigInt(i))) return false;
  return true;
}

describe('emulator/memory Memory (host API)', () => {
  it('readBytes, readU and firstDifference agree with a byte model, within and across pages', () => {
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 30 }), addr, fc.integer({ min: 0, max: 40 }), (cmds, ra, rn) => {
        const mem = mapped();
        const m = new Model();
        for (const c of cmds) {
          const bytes =
            c.op === 'writeBytes'
              ? c.bytes
              : Uint8Array.from({ length: c.size }, (_, i) => Number((BigInt.asUintN(c.size * 8, c.value) >> BigInt(8 * i)) & 0xffn));
          const ok = inModel(m, c.addr, bytes.length);
          const write = () => (c.op === 'writeU' ? mem.writeU(c.addr, c.size, c.value) : mem.writeBytes(c.addr, c.bytes));
          if (!ok) {
            // A write touching an unmapped byte fails and changes nothing.
            expect(write).to.throw(/unmapped/);
            continue;
          }
          write();
          bytes.forEach((b, i) => m.set(c.addr + BigInt(i), b));
        }
        const want = inModel(m, ra, rn) ? Uint8Array.from({ length: rn }, (_, i) => m.get(ra + BigInt(i))) : undefined;
        expect(mem.tryReadBytes(ra, rn)).to.deep.equal(want);
        for (const size of [1, 2, 4, 8] as const) {
          if (!inModel(m, ra, size)) {
            expect(() => mem.readU(ra, size)).to.throw(/unmapped/);
            continue;
          }
          let v = 0n;
          for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(m.get(ra + BigInt(i)));
          expect(mem.readU(ra, size), `readU ${size} at ${ra.toString(16)}`).to.equal(v);
        }
        if (want) {
          expect(mem.firstDifference(ra, want)).to.equal(-1);
          if (rn > 0) {
            const at = rn - 1 - (Number(ra) % rn);
            const other = want.slice();
            other[at] = other[at]! ^ 0x5a;
            expect(mem.firstDifference(ra, other)).to.equal(at);
          }
        } else expect(mem.firstDifference(ra, new Uint8Array(rn))).to.equal(undefined);
      }),
      { seed: 0x3e3, numRuns: 300 },
    );
  });

  it('pages are independent although they share storage: each starts zeroed and writes stay in it', () => {
    const mem = new Memory();
    const n = 40; // more than one slab of pages
    for (let p = 0; p < n; p++) mem.map(BASE + BigInt(p * PAGE_SIZE), PAGE_SIZE, 'rw-');
    for (let p = 0; p < n; p++) {
      const page = BASE + BigInt(p * PAGE_SIZE);
      expect(mem.firstDifference(page, new Uint8Array(PAGE_SIZE)), `page ${p} zero-filled`).to.equal(-1);
      mem.writeBytes(page, new Uint8Array(PAGE_SIZE).fill(p + 1));
    }
    for (let p = 0; p < n; p++) {
      expect(mem.readU(BASE + BigInt(p * PAGE_SIZE), 1)).to.equal(BigInt(p + 1));
      expect(mem.readU(BASE + BigInt(p * PAGE_SIZE + PAGE_SIZE - 8), 8)).to.equal(BigInt(p + 1) * 0x0101_0101_0101_0101n);
    }
    // A second memory gets fresh zeroed pages, whatever the first one wrote.
    const other = new Memory();
    other.map(BASE, PAGE_SIZE, 'rw-');
    expect(other.firstDifference(BASE, new Uint8Array(PAGE_SIZE))).to.equal(-1);
  });

  it('firstDifference finds the first of several differences, whatever the alignment of memory and bytes', () => {
    const mem = new Memory();
    mem.map(0x10000n, 2 * PAGE_SIZE, 'rw');
    const content = Uint8Array.from({ length: 2 * PAGE_SIZE }, (_, i) => (i * 7 + 3) & 0xff);
    mem.writeBytes(0x10000n, content);
    for (const start of [0, 1, 4, 6, PAGE_SIZE - 8, PAGE_SIZE - 3]) {
      for (const viewOff of [0, 1, 2, 4]) {
        for (const [p, q] of [[0, 1], [3, 4], [5, 13], [9, 10], [17, 40]]) {
          const len = 48;
          const backing = new Uint8Array(len + viewOff);
          const bytes = backing.subarray(viewOff);
          bytes.set(content.subarray(start, start + len));
          const at = `start ${start}, view +${viewOff}`;
          expect(mem.firstDifference(0x10000n + BigInt(start), bytes), at).to.equal(-1);
          bytes[q] = bytes[q]! ^ 0xff;
          expect(mem.firstDifference(0x10000n + BigInt(start), bytes), `${at}, ${q}`).to.equal(q);
          bytes[p] = bytes[p]! ^ 0x01;
          expect(mem.firstDifference(0x10000n + BigInt(start), bytes), `${at}, ${p} and ${q}`).to.equal(p);
        }
      }
    }
  });

  it('firstDifference of an empty range is -1 on mapped memory and undefined on unmapped memory', () => {
    const mem = mapped();
    expect(mem.firstDifference(BASE, new Uint8Array(0))).to.equal(-1);
    expect(mem.firstDifference(BASE + BigInt(4 * PAGE_SIZE), new Uint8Array(1))).to.equal(undefined);
  });
});
