/**
 * Judging runs against the expectations (./types.ts):
 *
 *   failed, signature in its log      -> xfail   (fine: reported OK / `# XFAIL reason`)
 *   failed, signature not in its log  -> badsig  (fails the run: some other failure)
 *   passed or skipped                 -> xpass   (fails the run: the bug went unseen)
 *   no expectation                    -> pass / fail / skip / timeout as observed
 *
 * A `test/sub` entry judges each matching subtest. A bare `test` entry judges the test as a
 * whole: it must fail somewhere (else xpass), and each failing part (a subtest, or the test's
 * own code) must show the signature (else badsig); its passing subtests stay pass.
 */
import { globMatch } from '../runner/glob';
import { isFailing, type Judgement, type PartRecord, type TestRun, type Verdict } from '../runner/results';
import type { Expectation } from './types';

function split(e: Expectation): { test: string; sub?: string } {
  const slash = e.test.indexOf('/');
  return slash < 0 ? { test: e.test } : { test: e.test.slice(0, slash), sub: e.test.slice(slash + 1) };
}

export function profilePatterns(e: Expectation): readonly string[] {
  return typeof e.profile === 'string' ? [e.profile] : e.profile;
}

export function appliesToProfile(e: Expectation, profile: string): boolean {
  return profilePatterns(e).some((p) => globMatch(p, profile));
}

/** The verdict of one part as observed. */
export function observed(p: PartRecord): Verdict {
  if (p.broken !== undefined) return 'error';
  if (p.errors > 0) return p.timeout !== undefined ? 'timeout' : 'fail';
  return p.skipped ? 'skip' : 'pass';
}

/**
 * One part against an expectation. `mustFail`: the expectation is about this part itself (a
 * passing part is xpass); otherwise (a whole-test entry seen from one of its subtests) only
 * a failing part is checked for the signature.
 */
function judgePart(p: PartRecord, e: Expectation | undefined, mustFail: boolean): Judgement {
  const seen = observed(p);
  if (!e || seen === 'error') return { verdict: seen };
  const about = { reason: e.reason, signature: e.signature };
  if (p.errors > 0) return { verdict: p.log.some((l) => l.includes(e.signature)) ? 'xfail' : 'badsig', ...about };
  return mustFail ? { verdict: 'xpass', ...about } : { verdict: seen };
}

/** Fills in the verdicts of a run (its subtests, its own part and the test as a whole). */
export function judgeRun(run: TestRun, expectations: readonly Expectation[]): void {
  const applicable = expectations.filter((e) => appliesToProfile(e, run.profile) && globMatch(split(e).test, run.name));
  const whole = applicable.find((e) => split(e).sub === undefined);
  const forSub = (name: string) => applicable.find((e) => {
    const s = split(e).sub;
    return s !== undefined && globMatch(s, name);
  });

  for (const s of run.subtests) {
    const e = forSub(s.name);
    const j = judgePart(s, e ?? whole, e !== undefined);
    s.verdict = j.verdict;
    s.reason = j.reason;
    s.signature = j.signature;
  }

  if (run.subtests.length === 0) {
    const j = judgePart(run.own, whole, whole !== undefined && run.filtered === 0);
    run.ownJudgement = j;
    run.judgement = { ...j };
    return;
  }

  run.ownJudgement = judgePart(run.own, whole, false);
  const parts: Judgement[] = [run.ownJudgement, ...run.subtests];
  const failing = parts.filter((p) => isFailing(p.verdict));

  if (whole) {
    const about = { reason: whole.reason, signature: whole.signature };
    const anyFailed = run.own.errors > 0 || run.subtests.some((s) => s.errors > 0);
    if (!anyFailed) {
      // Nothing failed; with subtests filtered out the failing one may not have run.
      run.judgement = run.filtered > 0 ? aggregate(run) : { verdict: 'xpass', ...about };
    } else if (failing.some((p) => p.verdict === 'badsig')) {
      run.judgement = { verdict: 'badsig', ...about };
    } else if (failing.length > 0) {
      run.judgement = { verdict: failing.every((p) => p.verdict === 'timeout') ? 'timeout' : 'fail' };
    } else {
      run.judgement = { verdict: 'xfail', ...about };
    }
    return;
  }
  run.judgement = aggregate(run);
}

/** A test's verdict from its parts when no whole-test expectation applies. */
function aggregate(run: TestRun): Judgement {
  const parts: Judgement[] = [run.ownJudgement, ...run.subtests];
  const failing = parts.filter((p) => isFailing(p.verdict));
  if (failing.length > 0) return { verdict: failing.every((p) => p.verdict === 'timeout') ? 'timeout' : 'fail' };
  if (run.subtests.length > 0 && run.subtests.every((s) => s.verdict === 'skip')) return { verdict: 'skip' };
  return { verdict: 'pass' };
}

/**
 * Entries that cannot apply to anything: a profile pattern matching no profile, a test
 * pattern matching no test. `rvtramp run` treats these as a setup error.
 */
/**
 * What is wrong with the shape of an expectations entry (a hand-written --expectations file),
 * or undefined: a profile (name, glob, or a non-empty list of them), a test, a reason and a
 * non-empty signature, all strings.
 */
export function expectationShapeProblem(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'not an object';
  const x = e as Record<string, unknown>;
  const p = x['profile'];
  const names = typeof p === 'string' ? [p] : Array.isArray(p) ? p : undefined;
  if (names === undefined || names.length === 0 || !names.every((n) => typeof n === 'string' && n !== '')) return 'profile: a profile name or glob, or a non-empty list of them';
  if (typeof x['test'] !== 'string' || x['test'] === '') return 'test: a test or test/subtest name (globs allowed)';
  if (typeof x['reason'] !== 'string') return 'reason: a string';
  if (typeof x['signature'] !== 'string' || x['signature'] === '') return 'signature: a non-empty string the failure log must contain';
  return undefined;
}

export function invalidExpectations(expectations: readonly Expectation[], tests: readonly string[], profiles: readonly string[]): string[] {
  const out: string[] = [];
  for (const e of expectations) {
    const label = `expectation { profile: ${JSON.stringify(e.profile)}, test: '${e.test}' }`;
    for (const p of profilePatterns(e)) if (!profiles.some((n) => globMatch(p, n))) out.push(`${label}: profile '${p}' matches no profile`);
    const t = split(e).test;
    if (!tests.some((n) => globMatch(t, n))) out.push(`${label}: '${t}' matches no test`);
    if (e.signature === '') out.push(`${label}: empty signature`);
  }
  return out;
}

/**
 * After a run: `test/sub` entries whose subtest pattern matched no subtest of a test that ran
 * in full (nothing filtered) on a profile they apply to. Such an entry checks nothing.
 */
export function staleExpectations(expectations: readonly Expectation[], runs: readonly TestRun[]): string[] {
  const out: string[] = [];
  for (const e of expectations) {
    const { test, sub } = split(e);
    if (sub === undefined) continue;
    for (const r of runs) {
      if (r.filtered > 0 || !appliesToProfile(e, r.profile) || !globMatch(test, r.name)) continue;
      if (!r.subtests.some((s) => globMatch(sub, s.name))) out.push(`expectation '${e.test}' (${e.reason}) matched no subtest of ${r.name} on ${r.profile}`);
    }
  }
  return out;
}
