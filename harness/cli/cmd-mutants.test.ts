import { expect } from 'chai';
import { cmdMutants } from './cmd-mutants';
import { CliError } from './errors';

async function capture(argv: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string | Uint8Array) => (out.push(Buffer.from(s).toString()), true)) as typeof process.stdout.write;
  try {
    return { code: await cmdMutants(argv), out: out.join('') };
  } finally {
    process.stdout.write = ow;
  }
}

describe('rvtramp mutants', function () {
  this.timeout(120000);

  it('--list prints the catalogue', async () => {
    const r = await capture(['--list']);
    expect(r.code).to.equal(0);
    expect(r.out).to.match(/^mutant\s+source\s+profiles\s+description/);
    expect(r.out).to.include('bt1a-orig-call-16');
  });

  it('--only runs one mutant and prints who killed it and the kill rate', async () => {
    const r = await capture(['--only', 'bt1a-orig-call-16']);
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.match(/bt1a-orig-call-16\s+B-T1a\s+killed\s+\S+ \(v6\.11-norvc\)/);
    expect(r.out).to.match(/kill rate: 1\/1 \(100\.0%\)/);
  });

  it('-v shows, after the table, what a developer who wrote each bug would see', async () => {
    const r = await capture(['-v', '--only', 'bt1a-orig-call-16']);
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.match(/\n== bt1a-orig-call-16: orig_call = func \+ 16 on the 8-byte sled[^\n]*\nkilled by \S+ \(v6\.11-norvc\)\n/);
    // The diagnosis of the 2023 bug: the monitor's line and the oops report.
    expect(r.out).to.contain('  monitor: bpf_fentry_test1 entered its body at +0x10, 8 bytes past its start +0x8 (after the 8-byte sled)\n');
    expect(r.out).to.match(/\n {2}Oops \[#1\]\n/);
    expect(r.out).to.match(/kill rate: 1\/1 \(100\.0%\)[^\n]*\n$/);
  });

  it('--json reports kills by properties with the number of cases', async () => {
    const r = await capture(['--json', '--only=direct-via-ftrace-caller']);
    expect(r.code).to.equal(0);
    const j = JSON.parse(r.out) as { results: { id: string; killed: boolean; by: string; cases: number }[]; killRate: number };
    expect(j.killRate).to.equal(1);
    expect(j.results[0]).to.include({ id: 'direct-via-ftrace-caller', killed: true, by: 'property' });
    expect(j.results[0]!.cases).to.be.a('number').greaterThan(0);
    // With the findings of the case that killed it.
    expect((j.results[0] as unknown as { log: string[] }).log.length).to.be.greaterThan(0);
  });

  it('refuses an unknown mutant or option', async () => {
    for (const argv of [['--only', 'nope'], ['--bogus']]) {
      let err: unknown;
      try {
        await cmdMutants(argv);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(CliError);
    }
  });
});
