/**
 * JUnit XML (`--junit FILE`), the common denominator of CI dashboards: one <testsuite> per
 * profile, one <testcase> per subtest (classname = the test, name = `subtest@profile`), or per
 * test when it has no subtests (name = `test@profile`); a verdict of a test with subtests that
 * none of them carries (its own code did not pass, or a whole-test XPASS: results.ts
 * extraLeaf) gets a testcase of its own too.
 *
 *   FAIL / wrong failure  -> <failure type="FAIL" | "WRONG_FAILURE" message="first failing line">log</failure>
 *   TIMEOUT               -> <failure type="TIMEOUT" message="...">
 *   XPASS                 -> <failure type="XPASS" message="...">
 *   ERROR                 -> <error message="...">
 *   SKIP                  -> <skipped message="reason"/>
 *   XFAIL                 -> passes, with the reason in <system-out>
 *
 * The log of every failing case is the element's text; -v adds passing logs as <system-out>.
 */
import { extraLeaf, isFailing, type Judgement, type PartRecord, type RunReport, type TestRun } from '../runner/results';
import { expectationNote } from './notes';

export interface JunitOptions {
  readonly verbose: boolean;
}

/** XML text / attribute escaping; characters XML 1.0 forbids become U+FFFD. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** xmlEscape for an attribute value: line breaks and tabs as references, which a parser keeps (it turns raw ones into spaces). */
export function xmlAttr(s: string): string {
  return xmlEscape(s).replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

interface Case {
  readonly classname: string;
  readonly name: string;
  readonly part: PartRecord;
  readonly j: Judgement;
}

function casesOf(r: TestRun): Case[] {
  if (r.subtests.length === 0) return [{ classname: r.name, name: `${r.name}@${r.profile}`, part: r.own, j: r.judgement.reason !== undefined ? r.judgement : r.ownJudgement }];
  const out: Case[] = r.subtests.map((s) => ({ classname: r.name, name: `${s.name}@${r.profile}`, part: s, j: s }));
  // A verdict no subtest carries (own code, a whole-test XPASS): a case of its own, as KTAP's leaf and Totals.
  const extra = extraLeaf(r);
  if (extra) out.unshift({ classname: r.name, name: `${r.name}@${r.profile}`, part: r.own, j: extra.judgement });
  return out;
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

function firstFailure(part: PartRecord): string {
  return part.log.find((l) => l.includes(':FAIL:') || l.startsWith('TIMEOUT') || l.startsWith('WATCHDOG') || l.startsWith('uncaught') || l.startsWith('kernel:')) ?? part.log[0] ?? 'failed';
}

function caseXml(c: Case, profile: string, verbose: boolean): string[] {
  const head = `    <testcase classname="${xmlAttr(c.classname)}" name="${xmlAttr(c.name)}" time="${seconds(c.part.durationMs)}"`;
  const note = expectationNote(c.j, c.part, profile);
  const log = [...c.part.log, ...(note ? [note] : [])].join('\n');
  const body = (tag: string, type: string | undefined, message: string) =>
    `      <${tag}${type ? ` type="${type}"` : ''} message="${xmlAttr(message)}">${xmlEscape(log)}</${tag}>`;
  const out: string[] = [];
  switch (c.j.verdict) {
    case 'fail': out.push(body('failure', 'FAIL', firstFailure(c.part))); break;
    case 'timeout': out.push(body('failure', 'TIMEOUT', c.part.timeout ?? 'timeout')); break;
    case 'xpass': out.push(body('failure', 'XPASS', note ?? 'unexpected pass')); break;
    case 'badsig': out.push(body('failure', 'WRONG_FAILURE', note ?? 'wrong failure')); break;
    case 'error': out.push(body('error', undefined, firstFailure(c.part))); break;
    case 'skip': out.push(`      <skipped message="${xmlAttr(c.part.skipReason ?? 'skipped')}"/>`); break;
    case 'xfail': out.push(`      <system-out>${xmlEscape(log)}</system-out>`); break;
    case 'pass': if (verbose && log) out.push(`      <system-out>${xmlEscape(log)}</system-out>`); break;
  }
  return out.length ? [`${head}>`, ...out, '    </testcase>'] : [`${head}/>`];
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  ms: number;
}

function count(cases: readonly Case[]): Counts {
  const c: Counts = { tests: cases.length, failures: 0, errors: 0, skipped: 0, ms: 0 };
  for (const x of cases) {
    if (x.j.verdict === 'error') c.errors++;
    else if (isFailing(x.j.verdict)) c.failures++;
    else if (x.j.verdict === 'skip') c.skipped++;
    c.ms += x.part.durationMs;
  }
  return c;
}

const attrs = (c: Counts) => `tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}" time="${seconds(c.ms)}"`;

export function formatJunit(report: RunReport, opts: JunitOptions): string {
  const suites: string[] = [];
  const all: Case[] = [];
  for (const p of report.profiles) {
    const runs = report.runs.filter((r) => r.profile === p);
    const cases = runs.flatMap(casesOf);
    all.push(...cases);
    const body = runs.flatMap((r) => casesOf(r).flatMap((c) => caseXml(c, p, opts.verbose)));
    suites.push(`  <testsuite name="${xmlAttr(p)}" ${attrs(count(cases))}${body.length ? '>' : '/>'}`, ...(body.length ? [...body, '  </testsuite>'] : []));
  }
  return ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="rvtramp" ${attrs(count(all))}>`, ...suites, '</testsuites>', ''].join('\n');
}
