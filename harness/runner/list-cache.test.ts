import { expect } from 'chai';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedListing, cachedSource, codeKey, readListingCache, recordListing, writeListingCache } from './list-cache';
import { discoverTests } from './registry';
import { listTests } from './listing';
import { parseNames, parseNumbers, resolveProfiles, type Selector } from './selection';
import { FIXTURES_DIR } from './testing';

describe('harness/runner/list-cache (run -l from the build)', () => {
  // never_settles waits out list mode's wall clock; the rest lists at once.
  const tests = discoverTests(FIXTURES_DIR).filter((t) => t.name !== 'never_settles');
  const profiles = resolveProfiles(['v6.2', 'v6.8', 'v6.16']);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rvtramp-listcache-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lists exactly what running the tests lists, for any selection and profile order', async () => {
    const cache = await recordListing(tests, profiles, 'k');
    const source = cachedSource(cache, tests);
    expect(source).to.not.equal(undefined);
    const selectors: Selector[] = [
      { allow: [], deny: [], nums: [] },
      { allow: parseNames('subtests,throws/b', { substring: true }), deny: parseNames('subtests/skip*', { substring: false }), nums: [] },
      { allow: [], deny: parseNames('era', { substring: true }), nums: [parseNumbers('1-3,10')] },
      { allow: [], deny: [], nums: [parseNumbers('2/2'), parseNumbers('10/1,3')] },
      { allow: parseNames('era/fexit', { substring: false }), deny: [], nums: [] },
    ];
    for (const sel of selectors) {
      for (const ps of [profiles, [profiles[2]!, profiles[0]!]]) {
        const want = await listTests(tests, ps, sel);
        expect(await listTests(tests, ps, sel, source), JSON.stringify(sel)).to.deep.equal(want);
        // The cache alone, without the loaded tests: what `run -l` uses.
        const alone = cachedListing(cache, ps)!;
        expect(await listTests(alone.tests, ps, sel, alone.source), JSON.stringify(sel)).to.deep.equal(want);
      }
    }
    expect(cache.tests.find((t) => t.name === 'era')!.subtests['v6.8']).to.deep.equal([['fentry', 1], ['fexit', 2]]);
    expect(cache.tests.find((t) => t.name === 'pass')!.subtests['v6.8']).to.equal(null);
  });

  it('is read only when its key is the code it is read by', async () => {
    const cache = await recordListing(tests, profiles, 'key-1');
    const file = join(dir, 'listing-cache.json');
    writeListingCache(cache, file);
    expect(readListingCache(file, () => 'key-1')).to.deep.equal(cache);
    expect(readListingCache(file, () => 'key-2')).to.equal(undefined);
    expect(readListingCache(join(dir, 'missing.json'), () => 'key-1')).to.equal(undefined);
    writeFileSync(file, '{"format":1,"key":"key-1"');
    expect(readListingCache(file, () => 'key-1')).to.equal(undefined);
    writeFileSync(file, '{"format":2,"key":"key-1","tests":[]}');
    expect(readListingCache(file, () => 'key-1')).to.equal(undefined);
  });

  it('does not describe another set of tests', async () => {
    const cache = await recordListing(tests, profiles, 'k');
    expect(cachedSource(cache, tests.slice(1))).to.equal(undefined);
    const renumbered = tests.map((t) => (t.name === 'pass' ? { ...t, number: t.number + 1 } : t));
    expect(cachedSource(cache, renumbered)).to.equal(undefined);
  });

  it('lists a profile it lacks by running the test', async () => {
    const cache = await recordListing(tests, [profiles[0]!], 'k');
    const source = cachedSource(cache, tests)!;
    expect(await listTests(tests, profiles, undefined, source)).to.deep.equal(await listTests(tests, profiles));
    expect(cachedListing(cache, profiles), 'on its own').to.equal(undefined);
    expect(cachedListing(cache, [profiles[0]!])).to.not.equal(undefined);
  });

  it('keys on every code file and image, by path and content', () => {
    const mk = (files: Record<string, string>) => {
      const root = mkdtempSync(join(dir, 'root-'));
      for (const [p, text] of Object.entries(files)) {
        mkdirSync(join(root, p, '..'), { recursive: true });
        writeFileSync(join(root, p), text);
      }
      return codeKey(root, '.js');
    };
    const base = { 'kernel/a.js': 'a', 'selftests/x.selftest.js': 'x', 'harness/h.js': 'h', 'emulator/e.js': 'e' };
    const k = mk(base);
    expect(mk(base)).to.equal(k);
    expect(mk({ ...base, 'kernel/a.js': 'A' })).to.not.equal(k);
    expect(mk({ ...base, 'selftests/y.selftest.js': 'y' })).to.not.equal(k);
    expect(mk({ ...base, 'kernel/image/out/k.elf': '\x7fELF' })).to.not.equal(k);
    const moved = { ...base } as Record<string, string>;
    delete moved['harness/h.js'];
    moved['harness/g.js'] = 'h';
    expect(mk(moved)).to.not.equal(k);
    // What the listing does not depend on: other extensions, dot directories.
    expect(mk({ ...base, 'kernel/notes.md': 'n', 'kernel/.cache/z.js': 'z' })).to.equal(k);
  });
});
