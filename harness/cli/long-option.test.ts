import { expect } from 'chai';
import { splitLongOption } from './long-option';

describe('harness/cli/long-option', () => {
  it('splits --name=value at the first =; everything else comes back whole', () => {
    expect(splitLongOption('--symbol=a=b')).to.deep.equal({ name: '--symbol', inline: 'a=b' });
    expect(splitLongOption('--ktap=')).to.deep.equal({ name: '--ktap', inline: '' });
    for (const arg of ['--stats', '-p=x', 'file=x', '--=x', '-j4']) expect(splitLongOption(arg), arg).to.deep.equal({ name: arg, inline: undefined });
  });
});
