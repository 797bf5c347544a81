/**
 * Expected failures of the product's selftests, per kernel profile (see ./types.ts for the
 * meaning of each field and ./apply.ts for how a run is judged against them).
 *
 * Add an entry when a profile models a kernel on which a selftest must fail, e.g. the 2023
 * bug (8-byte sled with the 16-byte/ra trampoline):
 *
 *   {
 *     profile: 'v6.5+direct-calls*',
 *     test: 'fexit_test/fexit',
 *     reason: 'trampoline skips 16 bytes and returns through ra on an 8-byte t0 sled',
 *     signature: 'test_run unexpected error: -14',
 *   },
 *
 * `rvtramp run` refuses to start (exit 3) when an entry names no known profile or no
 * discovered test, and fails the run when an entry's subtest pattern matched no subtest of a
 * test that ran in full: a stale entry never silently stops checking anything.
 */
import type { Expectation } from './types';

export type { Expectation } from './types';

export const EXPECTATIONS: readonly Expectation[] = [
  // (entries go here, one per profile glob and test/subtest)
];
