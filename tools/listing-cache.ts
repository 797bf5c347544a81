/**
 * Writes dist/listing-cache.json (harness/runner/list-cache.ts): the `run -l` listing of the
 * product's selftests on every profile, keyed by a hash of the compiled code. Run by
 * `npm run build` after tsc; `rvtramp run -l` lists by running the tests when it is missing
 * or stale.
 */
import { relative } from 'node:path';
import { PROFILES } from '../kernel/profiles/profiles';
import { discoverTests } from '../harness/runner/registry';
import { codeKey, recordListing, writeListingCache, LISTING_CACHE_FILE } from '../harness/runner/list-cache';

async function main(): Promise<void> {
  const t0 = performance.now();
  const tests = discoverTests();
  const cache = await recordListing(tests, PROFILES, codeKey());
  writeListingCache(cache);
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  process.stdout.write(`listing cache: ${tests.length} tests on ${PROFILES.length} profiles in ${s} s -> ${relative(process.cwd(), LISTING_CACHE_FILE)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`listing cache: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
