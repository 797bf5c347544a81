/**
 * Host-call outputs: the registers a host function writes as results survive the psABI
 * poisoning of caller-saved registers; every other temporary and argument register does not.
 */
import { expect } from 'chai';
import { machineWith, CODE } from '../testing/program';
import { clobberedBy, poisonValue, type HostCallOptions } from './machine';

const RA = 1, T0 = 5, A0 = 10, A1 = 11, A5 = 15, A6 = 16;
const HOST = 0x30000n;

/** Calls a host function that writes a0 = 0x11 (return value), a1 = 0x22 and a5 = 0x55. */
function callHost(opts: HostCallOptions) {
  const { hart, machine } = machineWith([['jalr', { rd: RA, rs1: A6, imm12: 0 }], ['ebreak', {}]]);
  machine.memory.map(HOST, 0x1000, 'rx');
  machine.addHostCall(HOST, (h) => {
    h.setReg(A1, 0x22n);
    h.setReg(A5, 0x55n);
    return 0x11n;
  }, opts);
  hart.setReg(A6, HOST);
  expect(hart.run(10)).to.deep.equal({ kind: 'trap', trap: { kind: 'ebreak', pc: CODE + 4n } });
  return hart;
}

describe('host calls: outputs', () => {
  it('a5 survives when listed in outputs, as a0 does', () => {
    const hart = callHost({ outputs: [A0, A5] });
    expect(hart.reg(A0)).to.equal(0x11n);
    expect(hart.reg(A5)).to.equal(0x55n);
    expect(hart.reg(A1)).to.equal(poisonValue(A1));
    expect(hart.reg(T0)).to.equal(poisonValue(T0));
  });

  it('a5 is poisoned when not listed (default outputs: a0 only)', () => {
    const hart = callHost({});
    expect(hart.reg(A0)).to.equal(0x11n);
    expect(hart.reg(A5)).to.equal(poisonValue(A5));
    expect(hart.reg(A1)).to.equal(poisonValue(A1));
  });

  it('returns keeps working: 2 keeps a0 and a1, 0 keeps neither', () => {
    const two = callHost({ returns: 2 });
    expect([two.reg(A0), two.reg(A1), two.reg(A5)]).to.deep.equal([0x11n, 0x22n, poisonValue(A5)]);
    const none = callHost({ returns: 0 });
    expect([none.reg(A0), none.reg(A1)]).to.deep.equal([poisonValue(A0), poisonValue(A1)]);
  });

  it('outputs override returns; poison: false keeps everything', () => {
    const hart = callHost({ returns: 2, outputs: [A5] });
    expect([hart.reg(A0), hart.reg(A1), hart.reg(A5)]).to.deep.equal([poisonValue(A0), poisonValue(A1), 0x55n]);
    const kept = callHost({ poison: false });
    expect([kept.reg(A0), kept.reg(A1), kept.reg(A5)]).to.deep.equal([0x11n, 0x22n, 0x55n]);
  });

  it('clobberedBy lists t0-t6 and a0-a7 minus the outputs', () => {
    expect(clobberedBy({})).to.deep.equal([5, 6, 7, 28, 29, 30, 31, 11, 12, 13, 14, 15, 16, 17]);
    expect(clobberedBy({ outputs: [A0, A5] })).to.not.include.members([A0, A5]);
    expect(clobberedBy({ outputs: [A0, A5] })).to.have.length(13);
  });
});
