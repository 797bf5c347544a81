/**
 * The memo of encoded instructions (encoded.ts) as the assembler uses it: an instruction is
 * remembered by exactly what was written, so a second assembly gives the bytes and the listing
 * of a first one, and operands that could mean something else (a symbol named like a number,
 * a label) are never served from the memo.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Assembler } from './assembler';
import { EncodedMemo } from './encoded';
import { assemble } from './text';

describe('emulator/asm encoded-instruction memo', () => {
  it('keys only on numbers, bigints and register names, telling 5, 5n and "5" apart', () => {
    const m = new EncodedMemo<string>();
    expect(m.op(false, 'addi', ['a0', 'a0', 'sym'])).to.equal(undefined);
    expect(m.op(false, 'addi', ['a0', 'a0', { kind: 'num', value: 1n }])).to.equal(undefined);
    const n = m.op(false, 'addi', ['a0', 'a0', 5])!;
    const b = m.op(false, 'addi', ['a0', 'a0', 5n])!;
    n.value = { form: 'n', words: [1], sizes: [4] };
    expect(b.value).to.equal(undefined);
    expect(m.op(false, 'addi', ['a0', 'a0', 5])!.value!.form).to.equal('n');
    expect(m.op(true, 'addi', ['a0', 'a0', 5])!.value).to.equal(undefined);
    expect(m.op(false, 'addi', ['a0', 'a0'])!.value).to.equal(undefined);
    expect(m.op(false, 'addi', ['a0', 'a0', 5, 0])!.value).to.equal(undefined);
    expect(m.op(false, 'addi', ['x10', 'a0', 5])!.value).to.equal(undefined);
  });

  it('a second assembly of the same code (memo filled) gives the same bytes and listing, with RVC on and off', () => {
    const regs = ['a0', 'a1', 't0', 's1', 'sp', 'zero'] as const;
    const insn = fc.oneof(
      fc.tuple(fc.constantFrom('addi', 'xori', 'slli', 'srai', 'addiw'), fc.constantFrom(...regs), fc.constantFrom(...regs), fc.integer({ min: 0, max: 31 })),
      fc.tuple(fc.constantFrom('add', 'xor', 'mul', 'sub', 'and'), fc.constantFrom(...regs), fc.constantFrom(...regs), fc.constantFrom(...regs)),
      fc.tuple(fc.constantFrom('li'), fc.constantFrom(...regs), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
      fc.tuple(fc.constantFrom('sd', 'ld'), fc.constantFrom(...regs), fc.integer({ min: -256, max: 255 }).map((x) => x * 8), fc.constantFrom(...regs)),
    );
    fc.assert(
      fc.property(fc.array(insn, { maxLength: 30 }), fc.boolean(), (list, rvc) => {
        const build = () => {
          const a = new Assembler({ base: 0xffffffff80000000n, compressed: rvc });
          for (const [name, ...ops] of list) a.op(name, ...ops);
          const p = a.finish();
          return { bytes: Buffer.from(p.bytes).toString('hex'), listing: p.listing };
        };
        const first = build();
        expect(build()).to.deep.equal(first);
        // The text front end chooses forms itself (no memo) for everything but li.
        if (list.every(([name]) => name !== 'li')) {
          const src = list.map(([name, ...ops]) => (name === 'sd' || name === 'ld' ? `${name} ${ops[0]}, ${ops[1]}(${ops[2]})` : `${name} ${ops.join(', ')}`)).join('\n');
          expect(Buffer.from(assemble(src, { base: 0xffffffff80000000n, compressed: rvc }).bytes).toString('hex')).to.equal(first.bytes);
        }
      }),
      { seed: 0xe4c0, numRuns: 200 },
    );
  });

  it('a symbol named like a register-free operand is still resolved per assembler', () => {
    const a = new Assembler({ symbols: { K: 4 } });
    a.op('addi', 'a0', 'a0', 'K');
    const b = new Assembler({ symbols: { K: 8 } });
    b.op('addi', 'a0', 'a0', 'K');
    expect(Buffer.from(a.finish().bytes).toString('hex')).to.not.equal(Buffer.from(b.finish().bytes).toString('hex'));
  });
});
