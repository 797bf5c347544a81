import { expect } from 'chai';
import { describeThrown, messageOf, stackOf } from './thrown';

describe('harness/runner/thrown', () => {
  it('describes anything a test can throw, without throwing itself', () => {
    const badGetter = new Error('x');
    // (stack first: replacing it formats the old one, which reads the message)
    Object.defineProperty(badGetter, 'stack', { get: () => { throw new Error('no'); } });
    Object.defineProperty(badGetter, 'message', { get: () => { throw new Error('no'); } });
    const cases: [unknown, string][] = [
      [new TypeError('bad'), 'TypeError: bad'],
      ['text', 'thrown value: text'],
      [undefined, 'thrown value: undefined'],
      [Symbol('s'), 'thrown value: Symbol(s)'],
      [Object.create(null), 'thrown value: [object Object]'],
      [{ toString: () => { throw new Error('no'); } }, 'thrown value: [object Object]'],
      [badGetter, 'thrown value: [object Error]'],
    ];
    for (const [e, want] of cases) expect(describeThrown(e), want).to.equal(want);
    expect(messageOf(new Error('only this'))).to.equal('only this');
    expect(messageOf(badGetter)).to.equal('thrown value: [object Error]');
    expect(stackOf(badGetter)).to.equal(undefined);
    expect(stackOf(new Error('s'))).to.match(/^Error: s\n/);
  });
});
