/**
 * Privileged instructions (table tag 'S'): the table knows them so listings are complete,
 * but harts do not execute them. By default a hart leaves 'S' out of its extensions, so
 * each one is an illegal instruction, as it would be for user-mode code on real hardware.
 */
import { expect } from 'chai';
import { machineWith, CODE } from '../testing/program';
import { decode } from '../isa/decode';
import { encode } from '../isa/encode';
import type { Args } from '../isa/decode';
import { HANDLERS, NOT_EXECUTED } from './handlers';

const PRIVILEGED: readonly (readonly [string, Args])[] = [
  ['sret', {}],
  ['mret', {}],
  ['wfi', {}],
  ['sfence.vma', { rs1: 10, rs2: 11 }],
];

describe('hart: privileged instructions', () => {
  for (const [name, args] of PRIVILEGED) {
    it(`${name} decodes, and traps as an illegal instruction without running`, () => {
      // Arrange: one instruction before it, so the trap pc shows it was not skipped.
      const word = encode(name, args);
      expect(decode(word)?.entry.name, 'the table decodes it').to.equal(name);
      const { hart } = machineWith([['addi', { rd: 10, rs1: 0, imm12: 1 }], word]);
      // Act
      const r = hart.run(10);
      // Assert
      expect(r).to.deep.equal({ kind: 'trap', trap: { kind: 'illegal-instruction', pc: CODE + 4n, word, size: 4 } });
      expect(hart.pc).to.equal(CODE + 4n);
      expect(hart.instret).to.equal(1);
    });
  }

  it('a hart that enables S reports them as an unsupported extension (they have no handlers)', () => {
    const { hart } = machineWith([['wfi', {}]], CODE, { exts: ['I', 'S'] });
    const r = hart.run(10);
    expect(r.kind === 'trap' && r.trap.kind === 'unsupported-extension' && [r.trap.ext, r.trap.name]).to.deep.equal(['S', 'wfi']);
    expect(NOT_EXECUTED.has('S')).to.equal(true);
    for (const [name] of PRIVILEGED) expect(HANDLERS.has(name), name).to.equal(false);
  });
});
