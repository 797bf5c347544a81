/**
 * Helpers for the runner's and reporters' own tests: a bare test context, and a run of the
 * fixture selftests (./fixtures) with settings that make every output reproducible.
 */
import { resolve } from 'node:path';
import { getProfile } from '../../kernel/profiles/profiles';
import { EXPECTATIONS as FIXTURE_EXPECTATIONS } from './fixtures/expectations';
import { TestContext, type ContextEnv } from './context';
import { discoverTests } from './registry';
import type { RunReport } from './results';
import { runTests, type RunOptions } from './runner';
import { resolveProfiles } from './selection';

export const FIXTURES_DIR = resolve(__dirname, 'fixtures');
export const FIXTURE_EXPECTATIONS_FILE = resolve(__dirname, 'fixtures/expectations.ts');
/** Fixtures only a worker thread may run (they end or block the thread they run on). */
export const WORKER_FIXTURES_DIR = resolve(__dirname, 'fixtures-workers');

/** A context as the runner makes one, with defaults for everything not given. */
export function makeContext(env: Partial<ContextEnv> = {}): TestContext {
  return new TestContext({
    profile: getProfile('v6.8'),
    testName: 'unit',
    funcName: 'test_unit',
    mode: 'run',
    subtestSelected: () => true,
    verbosity: 0,
    watchdog: 0,
    clock: () => 0,
    ...env,
  });
}

/** The fixture settings the golden files were made with: v6.2 and v6.8, small limits, a fixed clock. */
export const FIXTURE_RUN = {
  profiles: ['v6.2', 'v6.8'],
  watchdog: 100_000,
  wallTimeoutMs: 200,
} as const;

export async function runFixtures(over: Partial<RunOptions> = {}): Promise<RunReport> {
  return runTests({
    tests: discoverTests(FIXTURES_DIR),
    dir: FIXTURES_DIR,
    profiles: resolveProfiles(FIXTURE_RUN.profiles),
    watchdog: FIXTURE_RUN.watchdog,
    wallTimeoutMs: FIXTURE_RUN.wallTimeoutMs,
    expectations: FIXTURE_EXPECTATIONS,
    clock: () => 0,
    ...over,
  });
}
