/**
 * What a run produces: one TestRun per (test, profile), with its subtests, raw outcomes as the
 * test recorded them and, after the expectations are applied, a verdict for every part. The
 * reporters (harness/reporters) only read these; everything is plain data (worker threads
 * send TestRuns back as they are).
 */

/** The raw record of a test's own code (outside subtests) or of one subtest. */
export interface PartRecord {
  /** Log lines, in order (assertion lines, t.log lines, kernel WARN/BUG lines, oops reports). */
  readonly log: string[];
  /** Failed checks (upstream error_cnt); > 0 means the part failed. */
  errors: number;
  skipped: boolean;
  skipReason?: string;
  /** Set when the part hit the watchdog or called t.timeout(): the message. */
  timeout?: string;
  /** Wall-clock milliseconds (0 with a fixed clock). */
  durationMs: number;
  /** Set when the runner lost the test (its worker thread died): the verdict is ERROR. */
  broken?: string;
}

/**
 * pass / fail / skip / timeout: as observed, no expectation involved.
 * xfail: failed as an expectation says it must, with its signature in the log.
 * xpass: an expectation says it must fail, and it passed (or skipped): the harness lost the
 *        power to see that bug, so this fails the run.
 * badsig: failed as expected, but the expected signature is not in the log (some other failure).
 * error: the runner could not run it (a worker thread died).
 */
export type Verdict = 'pass' | 'fail' | 'skip' | 'timeout' | 'xfail' | 'xpass' | 'badsig' | 'error';

/** Verdicts that make the run fail (exit code 1). */
export function isFailing(v: Verdict): boolean {
  return v === 'fail' || v === 'timeout' || v === 'xpass' || v === 'badsig' || v === 'error';
}

/** Verdicts that count as "ran and is fine" (test_progs OK). */
export function isOk(v: Verdict): boolean {
  return v === 'pass' || v === 'xfail';
}

export interface Judgement {
  verdict: Verdict;
  /** The expectation's reason (xfail, xpass, badsig). */
  reason?: string;
  /** The expectation's signature (xfail, badsig). */
  signature?: string;
}

export interface SubtestRun extends PartRecord, Judgement {
  readonly name: string;
  /** 1-based, in the order the test called t.subtest(). */
  readonly number: number;
}

export interface TestRun {
  readonly name: string;
  /** 1-based alphabetical position among all discovered tests. */
  readonly number: number;
  readonly serial: boolean;
  readonly profile: string;
  /** The test's own code, outside subtests. */
  readonly own: PartRecord;
  readonly subtests: SubtestRun[];
  /** Subtests the selection filtered out. */
  readonly filtered: number;
  /** The test's overall verdict (its own part and its subtests). */
  judgement: Judgement;
  /** The verdict of the test's own part alone (outside subtests). */
  ownJudgement: Judgement;
  readonly durationMs: number;
}

export interface RunReport {
  /** Profiles in run order. */
  readonly profiles: readonly string[];
  /** Reported runs, profile-major, then by test number. */
  readonly runs: readonly TestRun[];
  /** Problems with the expectations themselves (e.g. an entry that matched no subtest). */
  readonly problems: readonly string[];
}

/** The four numbers of test_progs' Summary line (reference §3.2), over (test, profile) runs. */
export interface Summary {
  /** Runs without a failing verdict (fully skipped ones included). */
  readonly success: number;
  /** Subtests that passed (or failed as expected). */
  readonly successSubtest: number;
  /** Skipped subtests, plus 1 for each test that skipped itself. */
  readonly skipped: number;
  /** Runs with a failing verdict. */
  readonly failed: number;
  readonly xfail: number;
  readonly xpass: number;
}

export function summarize(runs: readonly TestRun[]): Summary {
  let success = 0, successSubtest = 0, skipped = 0, failed = 0;
  for (const r of runs) {
    if (isFailing(r.judgement.verdict)) failed++;
    else success++;
    if (r.own.skipped && !r.own.errors) skipped++;
    for (const s of r.subtests) {
      if (isOk(s.verdict)) successSubtest++;
      if (s.verdict === 'skip') skipped++;
    }
  }
  const { xfail, xpass } = totalsOf(runs);
  return { success, successSubtest, skipped, failed, xfail, xpass };
}

/** kselftest counters (`# Totals:`), over leaves: subtests, tests without subtests, and failing test-level code. */
export interface Totals {
  pass: number;
  fail: number;
  xfail: number;
  xpass: number;
  skip: number;
  error: number;
}

/**
 * A test with subtests whose verdict no subtest carries: its own code did not pass outside
 * them, or it passed where an expectation says the test as a whole must fail (XPASS). Reports
 * that count leaves show it as a leaf of its own, so that the leaves say what the run says.
 */
export function extraLeaf(r: TestRun): { readonly kind: 'own' | 'whole'; readonly judgement: Judgement } | undefined {
  if (r.subtests.length === 0) return undefined;
  if (r.ownJudgement.verdict !== 'pass' && r.ownJudgement.verdict !== 'skip') return { kind: 'own', judgement: r.ownJudgement };
  if (r.judgement.verdict === 'xpass') return { kind: 'whole', judgement: r.judgement };
  return undefined;
}

export function totalsOf(runs: readonly TestRun[]): Totals {
  const t: Totals = { pass: 0, fail: 0, xfail: 0, xpass: 0, skip: 0, error: 0 };
  const count = (v: Verdict) => {
    switch (v) {
      case 'pass': t.pass++; break;
      case 'fail': case 'timeout': case 'badsig': t.fail++; break;
      case 'xfail': t.xfail++; break;
      case 'xpass': t.xpass++; break;
      case 'skip': t.skip++; break;
      case 'error': t.error++; break;
    }
  };
  for (const r of runs) {
    if (r.subtests.length === 0) {
      count(r.judgement.verdict);
      continue;
    }
    for (const s of r.subtests) count(s.verdict);
    const extra = extraLeaf(r);
    if (extra) count(extra.judgement.verdict);
  }
  return t;
}

/** `fexit_test@v6.8` / `fexit_test/fexit@v6.8`: how results name a run. */
export function runName(r: TestRun, sub?: SubtestRun): string {
  return sub ? `${r.name}/${sub.name}@${r.profile}` : `${r.name}@${r.profile}`;
}
