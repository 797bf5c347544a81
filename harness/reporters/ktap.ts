/**
 * KTAP version 1 (reference §3.6, style anchor L13): one level per profile, one per test,
 * one per subtest, each a full KTAP document (version line, plan, results) indented two
 * spaces per level, followed by its parent's result line:
 *
 *   KTAP version 1
 *   1..2
 *     KTAP version 1
 *     1..1
 *       KTAP version 1
 *       1..2
 *       ok 1 fexit
 *       # test_fexit_many_args:FAIL:attach unexpected error: -524 (errno 524)
 *       not ok 2 fexit_many_args
 *     not ok 1 fexit_test
 *   not ok 1 v6.8
 *   ...
 *   # Totals: pass:1 fail:1 xfail:0 xpass:0 skip:0 error:0
 *
 * Directives: `# SKIP reason`, `# TIMEOUT message`, `# XFAIL reason` (ok: failed as
 * expected), `# XPASS reason` (not ok: passed where it must fail), `# ERROR message`; a reason
 * is kept on its result line (line breaks become spaces). A test without subtests is a plain
 * result line; a parent is `not ok` when any child is. A failed (sub)test's log comes as `# `
 * diagnostic lines just before its result line (all logs with -v). Numbers count the results
 * of each level from 1 (the test_progs numbers are in the test_progs format).
 *
 * Totals count leaves: subtests, tests without subtests, and a verdict of a test with
 * subtests that none of them carries (results.ts extraLeaf). That last one is a leaf in the
 * output too, after the subtests: `not ok 3 fexit_test (outside subtests)` when the test's own
 * code failed, `not ok 3 fexit_test (as a whole) # XPASS reason` when it passed where it must
 * fail. Parsers that judge a run by its leaves (the kernel's kunit_parser.py) would otherwise
 * read such a test as passing.
 */
import { pushAll } from '../runner/push-all';
import { extraLeaf, isFailing, totalsOf, type Judgement, type PartRecord, type RunReport, type TestRun } from '../runner/results';
import { expectationNote } from './notes';

export interface KtapOptions {
  readonly verbose: boolean;
}

const IND = '  ';

/** A directive's text on one line: a line break (or other control character) would end the result line. */
function flat(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

function directive(j: Judgement, part: PartRecord | undefined, fallbackSkip?: string): string {
  switch (j.verdict) {
    case 'pass': case 'fail': case 'badsig': return '';
    case 'skip': {
      const why = part?.skipReason ?? fallbackSkip;
      return why ? ` # SKIP ${flat(why)}` : ' # SKIP';
    }
    case 'timeout': return ` # TIMEOUT${part?.timeout ? ` ${flat(part.timeout)}` : ''}`;
    case 'xfail': return ` # XFAIL ${flat(j.reason ?? '')}`;
    case 'xpass': return ` # XPASS ${flat(j.reason ?? '')}`;
    case 'error': return ' # ERROR the runner lost the test';
  }
}

function result(depth: number, n: number, name: string, j: Judgement, part?: PartRecord, fallbackSkip?: string): string {
  return `${IND.repeat(depth)}${isFailing(j.verdict) ? 'not ok' : 'ok'} ${n} ${name}${directive(j, part, fallbackSkip)}`;
}

function diag(depth: number, lines: readonly string[]): string[] {
  // A log entry may hold line breaks of its own: every line gets its '#'.
  return lines.flatMap((l) => l.split('\n')).map((l) => `${IND.repeat(depth)}#${l === '' ? '' : ` ${l}`}`);
}

function partDiag(depth: number, part: PartRecord, j: Judgement, profile: string, show: boolean): string[] {
  if (!show) return [];
  const note = expectationNote(j, part, profile);
  return diag(depth, [...part.log, ...(note ? [note] : [])]);
}

/** The lines of one test (at `depth`), numbered n within its profile. */
export function ktapTest(r: TestRun, n: number, depth: number, opts: KtapOptions): string[] {
  const out: string[] = [];
  const ownJ = r.judgement.reason !== undefined ? r.judgement : r.ownJudgement;
  // With subtests, a verdict no subtest carries gets a leaf of its own (after them), as Totals counts it.
  const extra = extraLeaf(r);
  const ownLeaf = extra?.kind === 'own';
  if (!ownLeaf) pushAll(out, partDiag(depth, r.own, ownJ, r.profile, opts.verbose || isFailing(r.judgement.verdict)));
  if (r.subtests.length > 0) {
    const d = depth + 1;
    out.push(`${IND.repeat(d)}KTAP version 1`, `${IND.repeat(d)}1..${r.subtests.length + (extra ? 1 : 0)}`);
    r.subtests.forEach((s, i) => {
      pushAll(out, partDiag(d, s, s, r.profile, opts.verbose || isFailing(s.verdict)));
      out.push(result(d, i + 1, s.name, s, s));
    });
    if (extra?.kind === 'own') {
      pushAll(out, partDiag(d, r.own, r.ownJudgement, r.profile, true));
      out.push(result(d, r.subtests.length + 1, `${r.name} (outside subtests)`, r.ownJudgement, r.own));
    } else if (extra) out.push(result(d, r.subtests.length + 1, `${r.name} (as a whole)`, extra.judgement));
  }
  const own = r.subtests.length === 0 || r.judgement.verdict === 'skip' ? r.own : undefined;
  out.push(result(depth, n, r.name, r.judgement, own, r.subtests.length > 0 ? 'all subtests skipped' : undefined));
  return out;
}

/** `KTAP version 1` and the plan: one result per profile. */
export function ktapHeader(profiles: number): string {
  return `KTAP version 1\n1..${profiles}\n`;
}

/** A profile's block: its tests, then its own result line (number n). */
export function ktapProfile(n: number, profile: string, runs: readonly TestRun[], opts: KtapOptions): string {
  const out = [`${IND}KTAP version 1`, `${IND}1..${runs.length}`];
  runs.forEach((r, i) => pushAll(out, ktapTest(r, i + 1, 1, opts)));
  const failed = runs.some((r) => isFailing(r.judgement.verdict));
  const skipped = runs.length === 0 ? ' # SKIP no test selected' : runs.every((r) => r.judgement.verdict === 'skip') ? ' # SKIP all tests skipped' : '';
  out.push(`${failed ? 'not ok' : 'ok'} ${n} ${profile}${failed ? '' : skipped}`);
  return out.map((l) => `${l}\n`).join('');
}

/** Expectation problems as diagnostics, and `# Totals: ...` (kselftest's closing line). */
export function ktapTrailer(report: RunReport): string {
  const t = totalsOf(report.runs);
  const out = report.problems.map((p) => `# expectation problem: ${p}`);
  out.push(`# Totals: pass:${t.pass} fail:${t.fail} xfail:${t.xfail} xpass:${t.xpass} skip:${t.skip} error:${t.error}`);
  return out.map((l) => `${l}\n`).join('');
}

export function formatKtap(report: RunReport, opts: KtapOptions): string {
  let s = ktapHeader(report.profiles.length);
  report.profiles.forEach((p, i) => {
    s += ktapProfile(i + 1, p, report.runs.filter((r) => r.profile === p), opts);
  });
  return s + ktapTrailer(report);
}
