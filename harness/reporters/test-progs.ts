/**
 * test_progs' console format (reference §3.2), one run per (test, profile):
 *
 *   #12/1    fexit_test/fexit@v6.8:OK
 *   #12/2    fexit_test/fexit_many_args@v6.8:SKIP (needs 12 argument slots)
 *   #12      fexit_test@v6.8:OK (SKIP: 1/2)
 *
 * A (sub)test's log is printed just before its line, only when it failed (or always with -v).
 * After all runs: `All error logs:` repeating each failed run with its failed subtests (not
 * with -v), then `Summary: <ok runs>/<ok subtests> PASSED, <skipped> SKIPPED, <failed> FAILED`.
 *
 * Beyond upstream (parenthesised after the status word, so `:OK` / `:FAIL` / `:SKIP` still
 * start the status for anything that greps them):
 *   :SKIP (reason)
 *   :OK (expected failure: reason)            an XFAIL: failed as an expectation says it must
 *   :OK (SKIP: 1/3, expected failures: 1/3)   a test with skipped / XFAIL subtests
 *   :FAIL (TIMEOUT: message)                  the watchdog or t.timeout()
 *   :FAIL (unexpected pass: reason)           an XPASS
 *   :FAIL (wrong failure: reason)             failed, but without the expected signature
 *   :FAIL (ERROR: the runner lost the test)   a worker thread died
 * and, before the Summary when expectations were involved, `Expected failures: N XFAIL, M XPASS`.
 */
import { pushAll } from '../runner/push-all';
import { isFailing, runName, summarize, type Judgement, type PartRecord, type RunReport, type SubtestRun, type TestRun } from '../runner/results';
import { expectationNote } from './notes';

export interface TestProgsOptions {
  /** -v: logs of passing tests too, and no `All error logs:` section. */
  readonly verbose: boolean;
}

function status(j: Judgement, part: PartRecord | undefined): string {
  switch (j.verdict) {
    case 'pass': return 'OK';
    case 'fail': return 'FAIL';
    case 'skip': return part?.skipReason ? `SKIP (${part.skipReason})` : 'SKIP';
    case 'timeout': return part?.timeout ? `FAIL (TIMEOUT: ${part.timeout})` : 'FAIL (TIMEOUT)';
    case 'xfail': return `OK (expected failure: ${j.reason})`;
    case 'xpass': return `FAIL (unexpected pass: ${j.reason})`;
    case 'badsig': return `FAIL (wrong failure: ${j.reason})`;
    case 'error': return 'FAIL (ERROR: the runner lost the test)';
  }
}

function testStatus(r: TestRun): string {
  const j = r.judgement;
  if (r.subtests.length === 0) return status(j, r.own);
  if (j.verdict === 'pass') {
    const n = r.subtests.length;
    const skipped = r.subtests.filter((s) => s.verdict === 'skip').length;
    const xfail = r.subtests.filter((s) => s.verdict === 'xfail').length;
    const notes = [...(skipped ? [`SKIP: ${skipped}/${n}`] : []), ...(xfail ? [`expected failures: ${xfail}/${n}`] : [])];
    return notes.length ? `OK (${notes.join(', ')})` : 'OK';
  }
  if (j.verdict === 'skip') return r.own.skipReason ? `SKIP (${r.own.skipReason})` : 'SKIP';
  if (j.verdict === 'timeout') return 'FAIL (TIMEOUT)';
  return status(j, r.own.skipped ? r.own : undefined);
}

/** `#12/3    fexit_test/fexit@v6.8:OK` (upstream `#%-7s %s/%s:%s`). */
export function subtestLine(r: TestRun, s: SubtestRun): string {
  return `#${`${r.number}/${s.number}`.padEnd(7)} ${runName(r, s)}:${status(s, s)}`;
}

/** `#12      fexit_test@v6.8:OK` (upstream `#%-7d %s:`). */
export function testLine(r: TestRun): string {
  return `#${String(r.number).padEnd(7)} ${runName(r)}:${testStatus(r)}`;
}

function partLog(part: PartRecord, j: Judgement, profile: string, show: boolean): string[] {
  if (!show) return [];
  const note = expectationNote(j, part, profile);
  return [...part.log, ...(note ? [note] : [])];
}

/**
 * One run: the test's own log, each subtest's log and line, the test line. `onlyFailed`
 * leaves out subtests that did not fail (the `All error logs:` view).
 */
export function formatRun(r: TestRun, verbose: boolean, onlyFailed = false): string {
  const out: string[] = [];
  const testFailed = isFailing(r.judgement.verdict);
  // A whole-test expectation's note (the judgement carries its reason) goes with the test's own log.
  const ownJ = r.judgement.reason !== undefined ? r.judgement : r.ownJudgement;
  pushAll(out, partLog(r.own, ownJ, r.profile, verbose || testFailed));
  for (const s of r.subtests) {
    const failed = isFailing(s.verdict);
    if (onlyFailed && !failed) continue;
    pushAll(out, partLog(s, s, r.profile, verbose || failed));
    out.push(subtestLine(r, s));
  }
  out.push(testLine(r));
  return out.map((l) => `${l}\n`).join('');
}

/** After the runs: the error-log section, expectation notes and the Summary line. */
export function formatEpilogue(report: RunReport, opts: TestProgsOptions): string {
  const out: string[] = [];
  const failed = report.runs.filter((r) => isFailing(r.judgement.verdict));
  if (failed.length > 0 && !opts.verbose) {
    out.push('', 'All error logs:');
    for (const r of failed) out.push(formatRun(r, false, true).replace(/\n$/, ''));
  }
  if (report.problems.length > 0) {
    out.push('', 'Expectation problems (these entries checked nothing):');
    for (const p of report.problems) out.push(`  ${p}`);
  }
  const s = summarize(report.runs);
  out.push('');
  if (s.xfail > 0 || s.xpass > 0) out.push(`Expected failures: ${s.xfail} XFAIL, ${s.xpass} XPASS`);
  out.push(`Summary: ${s.success}/${s.successSubtest} PASSED, ${s.skipped} SKIPPED, ${s.failed} FAILED`);
  return out.map((l) => `${l}\n`).join('');
}

/** The whole console output of a run. */
export function formatTestProgs(report: RunReport, opts: TestProgsOptions): string {
  return report.runs.map((r) => formatRun(r, opts.verbose)).join('') + formatEpilogue(report, opts);
}
