/**
 * `run -l` / `-c`: the names a run would report, without running anything. A test's subtests
 * come from running its body in list mode on each profile (the subtests a test starts can
 * depend on the kernel), or from the build's cache of exactly that (list-cache.ts).
 */
import type { Profile } from '../../kernel/profiles/profiles';
import type { ListedSubtest } from './execute';
import type { TestDef } from './registry';
import { SELECT_ALL, selectedTests, subtestSelected, type Selector, type TestId } from './selection';

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
  const subtestsOf = source ?? ((test: T, profile: Profile) => import('./execute').then((e) => e.listSubtests(test as unknown as TestDef, profile)));
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
