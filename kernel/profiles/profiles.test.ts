import { expect } from 'chai';
import { PROFILES, PROFILE_NAMES, getProfile, describeProfile, UnknownProfileError } from './profiles';
import { LAYOUTS } from '../image/layouts';

describe('kernel profiles', () => {
  it('has exactly the issue-named profiles, v7.0 (fsession, added since), and their -norvc twins', () => {
    const bases = ['v6.2', 'v6.3', 'v6.5+direct-calls', 'v6.6', 'v6.8', 'v6.11', 'v6.16', 'v7.0'];
    expect(PROFILE_NAMES).to.deep.equal(bases.flatMap((b) => [b, `${b}-norvc`]));
  });

  it('maps each profile to a built image layout that matches its RVC setting and scheme', () => {
    for (const p of PROFILES) {
      const l = LAYOUTS[p.layout];
      expect(l.rvc, p.name).to.equal(p.rvc);
      // Scheme A's 16-byte detour; without RVC, v6.2's sled had 16 unused bytes after it.
      const bytes = p.scheme === 'A' ? (p.rvc ? 16 : 32) : 8;
      expect(l.bytesAfter, p.name).to.equal(bytes);
      expect(l.bytesBefore, p.name).to.equal(p.scheme === 'C' ? 8 : 0);
    }
  });

  it('keeps the historical facts: direct calls from v6.5+direct-calls and v6.8 on, 12 arguments from v6.11', () => {
    expect(getProfile('v6.2').trampoline).to.equal('none');
    expect(getProfile('v6.3').directCalls).to.equal('none');
    expect(getProfile('v6.6').directCalls).to.equal('none');
    expect(getProfile('v6.5+direct-calls').trampoline).to.equal('v6.3');
    expect(getProfile('v6.8').directCalls).to.equal('regs-t1');
    expect(getProfile('v6.8').argLimit).to.deep.equal({ count: 'slots', max: 8 });
    expect(getProfile('v6.11-norvc').argLimit).to.deep.equal({ count: 'args', max: 12 });
    expect(getProfile('v6.16').argLimit).to.deep.equal({ count: 'args', max: 12 });
    expect(getProfile('v6.16').directCalls).to.equal('call-ops');
  });

  it('rejects an unknown name with the list of known ones', () => {
    expect(() => getProfile('v5.10')).to.throw(UnknownProfileError, /unknown profile 'v5\.10' \(known: v6\.2, v6\.2-norvc/);
  });

  it('describes a profile in one line', () => {
    expect(describeProfile(getProfile('v6.5+direct-calls'))).to.equal('profile v6.5+direct-calls: sled 8B auipc t0/jalr t0, direct calls via t1, trampoline era v6.3');
    expect(describeProfile(getProfile('v6.11-norvc'))).to.equal('profile v6.11-norvc: sled 8B auipc t0/jalr t0 (no RVC), direct calls via t1, ftrace WITH_ARGS, trampoline era v6.11');
  });
});
