import { expect } from 'chai';
import type { PartRecord, SubtestRun, TestRun } from '../runner/results';
import { invalidExpectations, judgeRun, staleExpectations } from './apply';
import { EXPECTATIONS } from './expectations';
import type { Expectation } from './types';

const SIG = 'test_run unexpected error: -14';
const part = (errors: number, log: string[] = [], extra: Partial<PartRecord> = {}): PartRecord => ({ log, errors, skipped: false, durationMs: 0, ...extra });
const failing = (log = [`test_fexit:FAIL:${SIG} (errno 14)`]) => part(1, log);
const sub = (name: string, number: number, p: PartRecord): SubtestRun => ({ name, number, ...p, verdict: 'pass' });

function run(profile: string, name: string, own: PartRecord, subtests: SubtestRun[] = [], filtered = 0): TestRun {
  return { name, number: 1, serial: false, profile, own, subtests, filtered, judgement: { verdict: 'pass' }, ownJudgement: { verdict: 'pass' }, durationMs: 0 };
}

const E = (test: string, profile: Expectation['profile'] = 'v6.5+direct-calls*'): Expectation => ({ profile, test, reason: 'the 2023 bug', signature: SIG });

describe('harness/expectations: judging runs', () => {
  it('without expectations: pass, fail, skip, timeout as observed; a parent fails with a child', () => {
    const r = run('v6.8', 'fexit_test', part(0), [
      sub('a', 1, part(0)),
      sub('b', 2, part(0, [], { skipped: true, skipReason: 'x' })),
      sub('c', 3, part(1, [], { timeout: 'budget' })),
    ]);
    judgeRun(r, []);
    expect(r.subtests.map((s) => s.verdict)).to.deep.equal(['pass', 'skip', 'timeout']);
    expect(r.judgement.verdict).to.equal('timeout');
    const all = run('v6.8', 't', part(0), [sub('a', 1, part(0, [], { skipped: true }))]);
    judgeRun(all, []);
    expect(all.judgement.verdict).to.equal('skip');
  });

  it('a subtest entry: failed with the signature is xfail, the parent stays ok', () => {
    const r = run('v6.5+direct-calls', 'fexit_test', part(0), [sub('fexit', 1, failing()), sub('fexit_many_args', 2, part(0))]);
    judgeRun(r, [E('fexit_test/fexit')]);
    expect(r.subtests.map((s) => s.verdict)).to.deep.equal(['xfail', 'pass']);
    expect(r.subtests[0]).to.include({ reason: 'the 2023 bug', signature: SIG });
    expect(r.judgement.verdict).to.equal('pass');
  });

  it('a subtest entry on another profile does nothing (profile globs)', () => {
    const r = run('v6.8', 'fexit_test', part(0), [sub('fexit', 1, failing())]);
    judgeRun(r, [E('fexit_test/fexit')]);
    expect(r.subtests[0]!.verdict).to.equal('fail');
    const norvc = run('v6.5+direct-calls-norvc', 'fexit_test', part(0), [sub('fexit', 1, failing())]);
    judgeRun(norvc, [E('fexit_test/fexit')]);
    expect(norvc.subtests[0]!.verdict).to.equal('xfail');
  });

  it('passing (or skipping) where a failure is expected is xpass and fails the test', () => {
    const r = run('v6.5+direct-calls', 'fexit_test', part(0), [sub('fexit', 1, part(0)), sub('x', 2, part(0, [], { skipped: true }))]);
    judgeRun(r, [E('fexit_test/fexit'), E('fexit_test/x')]);
    expect(r.subtests.map((s) => s.verdict)).to.deep.equal(['xpass', 'xpass']);
    expect(r.judgement.verdict).to.equal('fail');
  });

  it('failing without the signature is badsig', () => {
    const r = run('v6.5+direct-calls', 'fexit_test', part(0), [sub('fexit', 1, failing(['test_fexit:FAIL:attach unexpected error: -524 (errno 524)']))]);
    judgeRun(r, [E('fexit_test/fexit')]);
    expect(r.subtests[0]!.verdict).to.equal('badsig');
    expect(r.judgement.verdict).to.equal('fail');
  });

  it('a whole-test entry on a test without subtests', () => {
    for (const [own, verdict] of [[failing(), 'xfail'], [part(0), 'xpass'], [failing(['other']), 'badsig']] as const) {
      const r = run('v6.5+direct-calls', 'fentry_fexit', own);
      judgeRun(r, [E('fentry_fexit')]);
      expect(r.judgement.verdict, verdict).to.equal(verdict);
      expect(r.ownJudgement.verdict).to.equal(verdict);
    }
  });

  it('a whole-test entry over subtests: some part must fail, and every failing part must show the signature', () => {
    const xfail = run('v6.5+direct-calls', 'fexit_test', part(0), [sub('fexit', 1, failing()), sub('many', 2, part(0))]);
    judgeRun(xfail, [E('fexit_test')]);
    expect([xfail.judgement.verdict, ...xfail.subtests.map((s) => s.verdict)]).to.deep.equal(['xfail', 'xfail', 'pass']);

    const mixed = run('v6.5+direct-calls', 'fexit_test', part(0), [sub('fexit', 1, failing()), sub('many', 2, failing(['other']))]);
    judgeRun(mixed, [E('fexit_test')]);
    expect([mixed.judgement.verdict, ...mixed.subtests.map((s) => s.verdict)]).to.deep.equal(['badsig', 'xfail', 'badsig']);

    const none = run('v6.5+direct-calls', 'fexit_test', part(0), [sub('fexit', 1, part(0))]);
    judgeRun(none, [E('fexit_test')]);
    expect(none.judgement.verdict).to.equal('xpass');

    // With subtests filtered out, the failing one may not have run: no xpass.
    const filtered = run('v6.5+direct-calls', 'fexit_test', part(0), [sub('many', 2, part(0))], 1);
    judgeRun(filtered, [E('fexit_test')]);
    expect(filtered.judgement.verdict).to.equal('pass');
  });

  it('a subtest entry wins over a whole-test entry for its subtest', () => {
    const r = run('v6.5+direct-calls', 'fexit_test', part(0), [sub('fexit', 1, failing()), sub('many', 2, part(0))]);
    judgeRun(r, [E('fexit_test'), E('fexit_test/many')]);
    expect(r.subtests.map((s) => s.verdict)).to.deep.equal(['xfail', 'xpass']);
    expect(r.judgement.verdict).to.equal('fail');
  });
});

describe('harness/expectations: stale and invalid entries', () => {
  it('entries naming no profile or no test are reported; lists of profiles are checked one by one', () => {
    const problems = invalidExpectations(
      [E('fexit_test/fexit', ['v6.2', 'v9.9']), E('nosuch_test'), { ...E('fexit_test'), signature: '' }],
      ['fexit_test'],
      ['v6.2', 'v6.8'],
    );
    expect(problems).to.deep.equal([
      `expectation { profile: ["v6.2","v9.9"], test: 'fexit_test/fexit' }: profile 'v9.9' matches no profile`,
      `expectation { profile: "v6.5+direct-calls*", test: 'nosuch_test' }: profile 'v6.5+direct-calls*' matches no profile`,
      `expectation { profile: "v6.5+direct-calls*", test: 'nosuch_test' }: 'nosuch_test' matches no test`,
      `expectation { profile: "v6.5+direct-calls*", test: 'fexit_test' }: profile 'v6.5+direct-calls*' matches no profile`,
      `expectation { profile: "v6.5+direct-calls*", test: 'fexit_test' }: empty signature`,
    ]);
  });

  it('a subtest entry that matched no subtest of a fully run test is stale', () => {
    const runs = [
      run('v6.5+direct-calls', 'fexit_test', part(0), [sub('fexit', 1, failing())]),
      run('v6.5+direct-calls-norvc', 'fexit_test', part(0), [sub('fexit', 1, failing())], 1),
    ];
    expect(staleExpectations([E('fexit_test/fexit'), E('fexit_test/renamed')], runs)).to.deep.equal([
      "expectation 'fexit_test/renamed' (the 2023 bug) matched no subtest of fexit_test on v6.5+direct-calls",
    ]);
  });

  it('the product list is well-formed (every entry has a reason and a signature)', () => {
    for (const e of EXPECTATIONS) {
      expect(e.reason, e.test).to.not.equal('');
      expect(e.signature, e.test).to.not.equal('');
    }
  });
});
