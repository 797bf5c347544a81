/** decode()'s memo: one frozen result per distinct word, the same as a first decode. */
import { expect } from 'chai';
import { decode } from './decode';
import { encode } from './encode';

describe('emulator/isa decode memo', () => {
  it('gives the same frozen result for the same word, and a 16-bit parcel regardless of the upper half', () => {
    const w = encode('addi', { rd: 10, rs1: 11, imm12: -5 });
    const a = decode(w)!;
    expect(decode(w)).to.equal(a);
    expect(a.entry.name).to.equal('addi');
    expect(a.args).to.deep.equal({ rd: 10, rs1: 11, imm12: -5 });
    expect(Object.isFrozen(a) && Object.isFrozen(a.args) && Object.isFrozen(a.base) && Object.isFrozen(a.base.args)).to.equal(true);
    const c = encode('c.addi', { crd: 10, c_imm6: 3 });
    const lo = decode(c)!;
    expect(decode((0xabcd0000 | c) >>> 0)).to.equal(lo);
    expect(lo.base.entry.name).to.equal('addi');
  });

  it('remembers illegal words as illegal', () => {
    expect(decode(0)).to.equal(undefined);
    expect(decode(0)).to.equal(undefined);
    expect(decode(0xffffffff)).to.equal(undefined);
  });
});
