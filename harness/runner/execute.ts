/**
 * Runs one test on one profile: a fresh TestContext, the test function (sync or async) with
 * every exception caught, a wall-clock guard for async tests that never settle, and the raw
 * TestRun (verdicts are filled in later from the expectations, see harness/expectations).
 */
import { describeThrown } from './thrown';
import type { Profile } from '../../kernel/profiles/profiles';
import { TestContext } from './context';
import type { TestDef } from './registry';
import type { TestRun } from './results';
import { subtestSelected, type Selector } from './selection';

export interface ExecOptions {
  readonly selector: Selector;
  readonly verbosity: number;
  /** Instructions per test and per subtest (0: none). */
  readonly watchdog: number;
  /** An async test still pending after this long is a TIMEOUT (0: no limit). */
  readonly wallTimeoutMs: number;
  readonly clock: () => number;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** What process.exit() throws while a test runs. */
export class ProcessExitCalled extends Error {
  constructor(code: number | string | null | undefined) {
    super(`the test called process.exit(${code ?? ''})`);
    this.name = 'ProcessExitCalled';
  }
}

/** The test running in this thread (sequential runs and each worker run one at a time). */
let running: TestContext | undefined;

/**
 * Until the returned function is called, an exception thrown from a timer or a promise
 * rejection nobody handles fails the test running at that moment, instead of ending the
 * process (Node's default) and with it the whole run.
 */
export function trapStrayErrors(): () => void {
  const onException = (e: unknown) => {
    if (running) running.uncaught(e, 'uncaught exception (async)');
    else process.stderr.write(`rvtramp: uncaught exception outside any test: ${describeThrown(e)}\n`);
  };
  // Some hosts re-emit the event (mocha does): report each promise once.
  const seen = new WeakSet<Promise<unknown>>();
  const onRejection = (e: unknown, promise: Promise<unknown>) => {
    if (seen.has(promise)) return;
    seen.add(promise);
    if (running) running.uncaught(e, 'unhandled promise rejection');
    else process.stderr.write(`rvtramp: unhandled promise rejection outside any test: ${describeThrown(e)}\n`);
  };
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}

/**
 * process.exit() from a test would end the whole run (or, in a worker, lose the test): until
 * the returned function is called (when the test returns or times out), a call fails the test
 * instead, even if the test catches what it throws, the same with and without -j. Code the
 * test leaves running after that, such as a timer, meets the real process.exit again.
 */
function guardExit(t: TestContext): () => void {
  const exit = process.exit;
  process.exit = ((code?: number | string | null) => {
    const e = new ProcessExitCalled(code);
    t.uncaught(e, 'forbidden call');
    throw e;
  }) as typeof process.exit;
  return () => {
    process.exit = exit;
  };
}

/** Runs the test; resolves to the raw run, or undefined when the selection left nothing of it to report. */
export async function executeTest(def: TestDef, profile: Profile, opts: ExecOptions): Promise<TestRun | undefined> {
  const t = new TestContext({
    profile,
    testName: def.name,
    funcName: def.exportName,
    mode: 'run',
    subtestSelected: (sub, num) => subtestSelected(opts.selector, def.name, def.number, sub, num),
    verbosity: opts.verbosity,
    watchdog: opts.watchdog,
    clock: opts.clock,
  });
  const start = opts.clock();
  running = t;
  const restoreExit = guardExit(t);
  try {
    const r = def.fn(t);
    if (isThenable(r)) await settleWithin(r, opts.wallTimeoutMs, t);
    // Let rejections of promises the test dropped surface while it is still the running one.
    await new Promise((resolve) => setImmediate(resolve));
  } catch (e) {
    t.uncaught(e);
  } finally {
    running = undefined;
    restoreExit();
  }
  t.finish();
  const own = { log: t.own.log, errors: t.own.errors, skipped: t.own.skipped, durationMs: t.own.durationMs, ...(t.own.skipReason !== undefined ? { skipReason: t.own.skipReason } : {}), ...(t.own.timeout !== undefined ? { timeout: t.own.timeout } : {}) };
  // Everything the test had was filtered out and nothing went wrong outside its subtests.
  if (t.subtests.length === 0 && t.filtered > 0 && own.errors === 0) return undefined;
  return {
    name: def.name,
    number: def.number,
    serial: def.serial,
    profile: profile.name,
    own,
    subtests: t.subtests.map(({ started: _s, ...s }) => s),
    filtered: t.filtered,
    judgement: { verdict: 'pass' },
    ownJudgement: { verdict: 'pass' },
    durationMs: opts.clock() - start,
  };
}

async function settleWithin(p: PromiseLike<unknown>, ms: number, t: TestContext): Promise<void> {
  if (ms <= 0) {
    await p;
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), ms);
  });
  try {
    const r = await Promise.race([Promise.resolve(p).then(() => 'done' as const), expired]);
    if (r === 'expired') t.timeout(`the test did not finish within ${ms / 1000} s (wall clock)`);
  } finally {
    clearTimeout(timer);
  }
}

/** How long list mode waits for an async test (its subtests do nothing, so it settles at once). */
const LIST_WAIT_MS = 1000;

/** A subtest as list mode saw it: its name and its number (its position among t.subtest calls). */
export type ListedSubtest = readonly [name: string, number: number];

/**
 * Runs the test in list mode (t.subtest() records the name and returns false): every subtest
 * it starts, numbered, or null when it has no subtests at all. The selection is applied by
 * the caller (list mode runs the same code whatever is selected).
 */
export async function listSubtests(def: TestDef, profile: Profile): Promise<ListedSubtest[] | null> {
  const all: ListedSubtest[] = [];
  const t = new TestContext({
    profile,
    testName: def.name,
    funcName: def.exportName,
    mode: 'list',
    subtestSelected: (sub, num) => {
      all.push([sub, num]);
      return true;
    },
    verbosity: 0,
    watchdog: 0,
    clock: () => 0,
  });
  const restoreExit = guardExit(t);
  try {
    const r = def.fn(t);
    if (isThenable(r)) await settleWithin(r, LIST_WAIT_MS, t);
  } catch {
    // a test that throws in list mode still listed what it had
  } finally {
    restoreExit();
  }
  t.finish();
  return t.subtestCalls === 0 ? null : all;
}
