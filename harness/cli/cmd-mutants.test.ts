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

  it('--json reports kills by properties with the number of cases', async () => {
    const r = await capture(['--json', '--only=direct-via-ftrace-caller']);
    expect(r.code).to.equal(0);
    const j = JSON.parse(r.out) as { results: { id: string; killed: boolean; by: string; cases: number }[]; killRate: number };
    expect(j.killRate).to.equal(1);
    expect(j.results[0]).to.include({ id: 'direct-via-ftrace-caller', killed: true, by: 'property' });
    expect(j.results[0]!.cases).to.be.a('number').greaterThan(0);
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
