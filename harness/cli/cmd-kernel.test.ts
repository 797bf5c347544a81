import { expect } from 'chai';
import { run, expectOneLineError } from './testing';

describe('rvtramp profiles and disasm --kernel', function () {
  this.timeout(30000);

  it('profiles lists every profile with its sled layout, scheme and direct-call support', async () => {
    const r = await run(['profiles']);
    expect(r.code).to.equal(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).to.have.length(17);
    expect(lines[0]).to.match(/^profile\s+sled layout\s+ftrace scheme\s+ftrace with\s+direct calls\s+trampoline era$/);
    expect(r.out).to.match(/\nv6\.8 +8B c\.nop x4 -fpatchable-function-entry=4 +B: auipc t0\/jalr t0 +REGS +yes \(t1\) +v6\.8\n/);
    expect(r.out).to.match(/\nv6\.11 +8B c\.nop x4 -fpatchable-function-entry=4 +B: auipc t0\/jalr t0 +ARGS +yes \(t1\) +v6\.11\n/);
    expect(r.out).to.match(/\nv6\.16-norvc +16B nop x4 \(8B before\) -fpatchable-function-entry=4,2 +C: /);
    expect(r.out).to.match(/\nv7\.0 +16B c\.nop x8 \(8B before\) -fpatchable-function-entry=8,4 +C: .* +ARGS +yes \(ops->direct_call\) +v7\.0\n/);
    const j = await run(['profiles', '--json']);
    expect(JSON.parse(j.out)).to.have.length(16);
    // Every argument is checked: an empty one used to end the check, so 'bogus' passed.
    const e = await run(['profiles', '', 'bogus']);
    expect(e.code).to.equal(2);
    expectOneLineError(e, /^rvtramp profiles: unexpected argument ''\n$/);
  });

  it('disasm --kernel lists a function as booted and, with --traced, with its sled patched', async () => {
    const booted = await run(['disasm', '--kernel', '-p', 'v6.8', '--symbol', 'bpf_fentry_test1']);
    expect(booted.code).to.equal(0);
    expect(booted.out).to.contain('ffffffff80000000:\t00000013          \tnop\nffffffff80000004:\t00000013          \tnop\n');
    const traced = await run(['disasm', '--kernel', '-p', 'v6.8', '--symbol', 'bpf_fentry_test1', '--traced']);
    // (v6.8's entry file starts with ftrace_regs_caller, so ftrace_caller is a little further in.)
    expect(traced.out).to.match(/ffffffff80000000:\t00400297          \tauipc\tt0,0x400\nffffffff80000004:\t[0-9a-f]{8}          \tjalr\tt0,\d+\(t0\) # ffffffff804000[0-9a-f]{2} <ftrace_caller>\n/);
  });

  it('disasm --kernel rejects an unknown profile or symbol in one line', async () => {
    expectOneLineError(await run(['disasm', '--kernel', '-p', 'v9', '--symbol', 'x']), /unknown profile 'v9' \(known: v6\.2/);
    expectOneLineError(await run(['disasm', '--kernel', '-p', 'v6.8', '--symbol', 'nosuch']), /nosuch is not a function of the v6\.8 kernel image/);
    expectOneLineError(await run(['disasm', '--kernel', '--symbol', 'x']), /needs -p PROFILE/);
  });
});
