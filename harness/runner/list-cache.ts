/**
 * The listing cache behind `rvtramp run -l` / `-c`. Listing runs every test body in list mode
 * on every profile (a test may start different subtests on different kernels), which costs
 * about a second; the result only depends on the code, so the build (`npm run build`) records
 * it once in `dist/listing-cache.json`, keyed by a hash of the code it was made from: every
 * compiled module of emulator/, kernel/, harness/ and selftests/ and the kernel image ELFs.
 * A cache whose key does not match the code it is read by is ignored, so a stale cache can
 * only cost time, never give a different listing. Only the product's own selftests directory
 * is cached; `--selftests DIR` always lists by running the tests.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { Profile } from '../../kernel/profiles/profiles';
import { repoRoot } from '../../kernel/image/repo-root';
import type { ListedSubtest } from './execute';
import type { TestDef } from './registry';
import type { SubtestSource } from './listing';
import type { TestId } from './selection';

/** The tree this module was loaded from: dist/ when compiled, the repository under ts-node. */
export const CODE_ROOT = resolve(__dirname, '../..');
export const LISTING_CACHE_FILE = join(CODE_ROOT, 'listing-cache.json');
const CODE_DIRS = ['emulator', 'kernel', 'harness', 'selftests'];
const FORMAT = 1;

export interface CachedTest extends TestId {
  readonly name: string;
  readonly number: number;
  /** Per profile name: the subtests list mode saw, or null (no subtests). */
  readonly subtests: Readonly<Record<string, readonly ListedSubtest[] | null>>;
}

export interface ListingCache {
  readonly format: typeof FORMAT;
  readonly key: string;
  readonly tests: readonly CachedTest[];
}

/**
 * A hash of the code a listing depends on: the modules under `root` with this module's
 * extension (.js in dist/, .ts under ts-node), path and content, and the kernel image ELFs.
 */
export function codeKey(root: string = CODE_ROOT, ext: string = extname(__filename)): string {
  const h = createHash('sha256');
  const walk = (dir: string, rel: string) => {
    if (!existsSync(dir)) return;
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p, `${rel}/${e.name}`);
      else if (e.name.endsWith(ext) || e.name.endsWith('.elf')) {
        h.update(`${rel}/${e.name}\0`);
        h.update(readFileSync(p));
      }
    }
  };
  for (const d of CODE_DIRS) walk(join(root, d), d);
  if (resolve(repoRoot()) !== resolve(root)) walk(join(repoRoot(), 'kernel', 'image', 'out'), 'image');
  return h.digest('hex');
}

/** Lists every test on every profile (no selection) for a cache with the given key. */
export async function recordListing(tests: readonly TestDef[], profiles: readonly Profile[], key: string): Promise<ListingCache> {
  const { listSubtests } = await import('./execute');
  const out: CachedTest[] = [];
  for (const t of tests) {
    const subtests: Record<string, readonly ListedSubtest[] | null> = {};
    const lists = await Promise.all(profiles.map((p) => listSubtests(t, p)));
    profiles.forEach((p, i) => (subtests[p.name] = lists[i]!));
    out.push({ name: t.name, number: t.number, subtests });
  }
  return { format: FORMAT, key, tests: out };
}

export function writeListingCache(cache: ListingCache, file: string = LISTING_CACHE_FILE): void {
  writeFileSync(file, `${JSON.stringify(cache)}\n`);
}

/** The cache in `file` if it is one and was made from this code (`key`), else undefined. */
export function readListingCache(file: string = LISTING_CACHE_FILE, key: () => string = () => codeKey()): ListingCache | undefined {
  let c: unknown;
  try {
    c = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof c !== 'object' || c === null) return undefined;
  const cache = c as Partial<ListingCache>;
  if (cache.format !== FORMAT || typeof cache.key !== 'string' || !Array.isArray(cache.tests)) return undefined;
  return cache.key === key() ? (cache as ListingCache) : undefined;
}

/**
 * The cache as a subtest source for these tests, or undefined when it does not describe them
 * (a test missing or numbered differently). A profile the cache lacks is listed by running.
 */
export function cachedSource(cache: ListingCache, tests: readonly TestDef[]): SubtestSource | undefined {
  const byName = new Map(cache.tests.map((t) => [t.name, t]));
  if (cache.tests.length !== tests.length) return undefined;
  for (const t of tests) if (byName.get(t.name)?.number !== t.number) return undefined;
  return (test, profile) => {
    const subs = byName.get(test.name)!.subtests[profile.name];
    return subs === undefined ? import('./execute').then((e) => e.listSubtests(test, profile)) : Promise.resolve(subs);
  };
}

/**
 * The cache on its own as the listing, without loading a single selftest (what keeps `run -l`
 * at the CLI's start-up time): sound because the key covers every selftest module, so a cache
 * read by this code lists exactly the tests discovery would find. Undefined when a profile
 * asked for is not in the cache.
 */
export function cachedListing(cache: ListingCache, profiles: readonly Profile[]): { tests: readonly CachedTest[]; source: SubtestSource<CachedTest> } | undefined {
  if (!cache.tests.every((t) => profiles.every((p) => t.subtests[p.name] !== undefined))) return undefined;
  return { tests: cache.tests, source: (test, profile) => Promise.resolve(test.subtests[profile.name]!) };
}
