/**
 * The runner: every selected test on every selected profile, each (test, profile) on fresh
 * kernels, in this thread or on worker threads (-j), the expectations applied, and the runs
 * handed to reporters in a fixed order (profile, then test number) whatever finished first.
 *
 * With workers, tests run in parallel and `serial_test_*` tests run afterwards in this thread,
 * as test_progs does. A worker that dies, or a test stuck in synchronous code past the wall
 * clock limit, costs that one run (ERROR / TIMEOUT), never the whole run. Without workers a
 * synchronous endless loop in TypeScript cannot be interrupted; endless loops in kernel code
 * are stopped by the instruction watchdog either way.
 */
import { performance } from 'node:perf_hooks';
import type { Profile } from '../../kernel/profiles/profiles';
import { judgeRun, staleExpectations } from '../expectations/apply';
import type { Expectation } from '../expectations/types';
import { executeTest, trapStrayErrors, type ExecOptions } from './execute';
import { DEFAULT_WALL_TIMEOUT_MS, DEFAULT_WATCHDOG } from './limits';
import { WorkerPool } from './pool';
import type { TestDef } from './registry';
import type { RunReport, TestRun } from './results';
import { SELECT_ALL, selectedTests, type Selector } from './selection';

/** Default instruction budget per test and per subtest (-w). */
export interface RunOptions {
  /** All discovered tests (numbered); the selector picks among them. */
  readonly tests: readonly TestDef[];
  /** The directory the tests came from (workers load it again). */
  readonly dir: string;
  readonly profiles: readonly Profile[];
  readonly selector?: Selector;
  readonly verbosity?: number;
  /** Instructions per test and per subtest; 0: no watchdog. */
  readonly watchdog?: number;
  /** Wall-clock limit per test in milliseconds; 0: none. */
  readonly wallTimeoutMs?: number;
  /** Worker threads; 0 or 1: run everything in this thread. */
  readonly workers?: number;
  readonly expectations?: readonly Expectation[];
  /** Milliseconds; inject a constant clock for reproducible output. Workers always use the real one. */
  readonly clock?: () => number;
  /** Each reported run, in order, as soon as it and every run before it are done. */
  readonly onRun?: (run: TestRun) => void;
  /** All reported runs of a profile, once they are done (in profile order). */
  readonly onProfile?: (profile: string, runs: readonly TestRun[]) => void;
}

interface Item {
  readonly test: TestDef;
  readonly profile: Profile;
  done: boolean;
  run: TestRun | undefined;
}

export async function runTests(opts: RunOptions): Promise<RunReport> {
  const selector = opts.selector ?? SELECT_ALL;
  const clock = opts.clock ?? (() => performance.now());
  const exec: ExecOptions = {
    selector,
    verbosity: opts.verbosity ?? 0,
    watchdog: opts.watchdog ?? DEFAULT_WATCHDOG,
    wallTimeoutMs: opts.wallTimeoutMs ?? DEFAULT_WALL_TIMEOUT_MS,
    clock,
  };
  const expectations = opts.expectations ?? [];
  const tests = selectedTests(opts.tests, selector);
  const items: Item[] = opts.profiles.flatMap((profile) => tests.map((test) => ({ test, profile, done: false, run: undefined })));

  // Hand finished runs on in order.
  let cursor = 0;
  const reported: TestRun[] = [];
  let profileRuns: TestRun[] = [];
  const flush = () => {
    while (cursor < items.length && items[cursor]!.done) {
      const it = items[cursor]!;
      if (it.run) {
        reported.push(it.run);
        profileRuns.push(it.run);
        opts.onRun?.(it.run);
      }
      cursor++;
      const next = items[cursor];
      if (!next || next.profile !== it.profile) {
        opts.onProfile?.(it.profile.name, profileRuns);
        profileRuns = [];
      }
    }
  };
  const finish = (it: Item, run: TestRun | undefined) => {
    if (run) judgeRun(run, expectations);
    it.run = run;
    it.done = true;
    flush();
  };

  const workers = opts.workers ?? 0;
  const parallel = workers > 1 ? items.filter((i) => !i.test.serial) : [];
  const untrap = trapStrayErrors();
  try {
    if (parallel.length > 0) {
      const pool = new WorkerPool(Math.min(workers, parallel.length), { dir: opts.dir, exec: { ...exec, clock: undefined } });
      try {
        await Promise.all(parallel.map(async (it) => finish(it, await pool.run(it.test, it.profile))));
      } finally {
        await pool.close();
      }
    }
    for (const it of items) if (!it.done) finish(it, await executeTest(it.test, it.profile, exec));
  } finally {
    untrap();
  }
  if (items.length === 0) for (const p of opts.profiles) opts.onProfile?.(p.name, []);

  return { profiles: opts.profiles.map((p) => p.name), runs: reported, problems: staleExpectations(expectations, reported) };
}
