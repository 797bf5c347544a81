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
import { PROFILES, type Profile } from '../../kernel/profiles/profiles';
import { judgeRun, staleExpectations } from '../expectations/apply';
import type { Expectation } from '../expectations/types';
import { globMatch } from './glob';
import { DEFAULT_WALL_TIMEOUT_MS, executeTest, listSubtests, trapStrayErrors, type ExecOptions, type ListedSubtest } from './execute';
import { WorkerPool } from './pool';
import type { TestDef } from './registry';
import type { RunReport, TestRun } from './results';
import { SELECT_ALL, subtestSelected, testSelected, type Selector } from './selection';

/** Default instruction budget per test and per subtest (-w). */
export const DEFAULT_WATCHDOG = 200_000_000;

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

/** Profiles named by patterns (names or globs, in PROFILES order); throws naming an unknown one. */
export function resolveProfiles(patterns: readonly string[]): Profile[] {
  if (patterns.length === 0) return [...PROFILES];
  for (const p of patterns) {
    if (!PROFILES.some((x) => globMatch(p, x.name))) {
      throw new Error(`unknown profile '${p}' (known: ${PROFILES.map((x) => x.name).join(', ')})`);
    }
  }
  return PROFILES.filter((x) => patterns.some((p) => globMatch(p, x.name)));
}

export function selectedTests<T extends TestId>(tests: readonly T[], selector: Selector): T[] {
  return tests.filter((t) => testSelected(selector, t.name, t.number));
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

/** What selection and listing need of a test: its name and number. */
export type TestId = Pick<TestDef, 'name' | 'number'>;

/** Where a listing's subtests come from: running the test in list mode, or a cache of that. */
export type SubtestSource<T extends TestId = TestDef> = (test: T, profile: Profile) => Promise<readonly ListedSubtest[] | null>;

/**
 * `-l`: the selected `test/subtest` names (a test without subtests by its own name), each
 * once, in test-number order, from running the tests in list mode on every selected profile
 * (or from `source`, a cache of exactly that: list-cache.ts).
 */
export function listTests(tests: readonly TestDef[], profiles: readonly Profile[], selector?: Selector, source?: SubtestSource): Promise<string[]>;
export function listTests<T extends TestId>(tests: readonly T[], profiles: readonly Profile[], selector: Selector, source: SubtestSource<T>): Promise<string[]>;
export async function listTests<T extends TestId>(tests: readonly T[], profiles: readonly Profile[], selector: Selector = SELECT_ALL, source?: SubtestSource<T>): Promise<string[]> {
  // Without a source the tests are TestDefs (the first signature), run in list mode.
  const subtestsOf = source ?? ((test: T, profile: Profile) => listSubtests(test as unknown as TestDef, profile));
  const names: string[] = [];
  const seen = new Set<string>();
  const add = (n: string) => {
    if (!seen.has(n)) {
      seen.add(n);
      names.push(n);
    }
  };
  for (const test of selectedTests(tests, selector)) {
    // All profiles at once: an async test that never settles costs its wait once, not per profile.
    for (const subs of await Promise.all(profiles.map((p) => subtestsOf(test, p)))) {
      if (subs === null) add(test.name);
      else for (const [s, num] of subs) if (subtestSelected(selector, test.name, test.number, s, num)) add(`${test.name}/${s}`);
    }
  }
  return names;
}
