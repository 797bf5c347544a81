import { expect } from 'chai';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverTests, findSelftestFiles, RegistryError, unloadableTsSelftests } from './registry';
import type { RunReport, TestRun } from './results';
import { listTests } from './listing';
import { runTests } from './runner';
import { parseNames, parseNumbers, resolveProfiles } from './selection';
import { FIXTURES_DIR, runFixtures, WORKER_FIXTURES_DIR } from './testing';

/** `name@profile verdict [sub:verdict ...]` per run: the whole outcome of a run in a few lines. */
function verdicts(report: RunReport): string[] {
  return report.runs.map((r) => [`${r.name}@${r.profile} ${r.judgement.verdict}`, ...r.subtests.map((s) => `${s.name}:${s.verdict}`)].join(' '));
}

describe('harness/runner/registry', () => {
  it('finds *.selftest files recursively, one per base name, in path order', () => {
    const files = findSelftestFiles(FIXTURES_DIR).map((f) => f.slice(FIXTURES_DIR.length + 1));
    expect(files).to.deep.equal(['basic.selftest.ts', 'failures.selftest.ts', 'profiles.selftest.ts', 'timeouts.selftest.ts']);
  });

  it('without ts-node, *.selftest.ts files without a compiled twin are named as unloadable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rvtramp-tsonly-'));
    try {
      mkdirSync(join(dir, 'sub'));
      for (const f of ['a.selftest.ts', 'b.selftest.ts', 'b.selftest.js', 'sub/c.selftest.ts', 'd.d.ts']) writeFileSync(join(dir, f), '');
      expect(findSelftestFiles(dir, false).map((f) => f.slice(dir.length + 1))).to.deep.equal(['b.selftest.js']);
      expect(unloadableTsSelftests(dir, false).map((f) => f.slice(dir.length + 1))).to.deep.equal(['a.selftest.ts', 'sub/c.selftest.ts']);
      expect(unloadableTsSelftests(dir, true)).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('numbers tests by the alphabetical position of their names (serial_ prefix dropped)', () => {
    const tests = discoverTests(FIXTURES_DIR);
    expect(tests.map((t) => `${t.number} ${t.name}${t.serial ? ' (serial)' : ''}`)).to.deep.equal([
      '1 async', '2 era', '3 hang', '4 kernel_warn', '5 never_settles', '6 pass', '7 reports_timeout', '8 serial (serial)', '9 skip_all', '10 subtests', '11 throws', '12 unhandled_rejection', '13 whole',
    ]);
    expect(tests.find((t) => t.name === 'serial')!.exportName).to.equal('serial_test_serial');
  });

  describe('on a scratch directory of compiled (.js) selftests', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'rvtramp-registry-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('loads .js selftests from subdirectories and ignores other exports and files', () => {
      mkdirSync(join(dir, 'progs'));
      writeFileSync(join(dir, 'progs', 'b.selftest.js'), 'exports.test_zeta = () => {}; exports.helper = () => {}; exports.test_ = 1 && undefined;');
      writeFileSync(join(dir, 'a.selftest.js'), 'exports.serial_test_alpha = () => {};');
      writeFileSync(join(dir, 'notes.js'), 'exports.test_not_a_selftest = () => {};');
      expect(discoverTests(dir).map((t) => t.name)).to.deep.equal(['alpha', 'zeta']);
    });

    it('a duplicate name, a non-function test export or a file that throws is a RegistryError naming the file', () => {
      writeFileSync(join(dir, 'a.selftest.js'), 'exports.test_x = () => {};');
      writeFileSync(join(dir, 'b.selftest.js'), 'exports.test_x = () => {};');
      expect(() => discoverTests(dir)).to.throw(RegistryError, /test 'x' is defined twice: .*a\.selftest\.js and .*b\.selftest\.js/);
      rmSync(join(dir, 'b.selftest.js'));
      // (new file names each time: require() caches what it loaded)
      writeFileSync(join(dir, 'c.selftest.js'), 'exports.test_y = 42;');
      expect(() => discoverTests(dir)).to.throw(RegistryError, /c\.selftest\.js: export test_y is not a function/);
      rmSync(join(dir, 'c.selftest.js'));
      writeFileSync(join(dir, 'd.selftest.js'), 'throw new Error("syntax trouble")');
      expect(() => discoverTests(dir)).to.throw(RegistryError, /cannot load .*d\.selftest\.js: syntax trouble/);
      rmSync(join(dir, 'd.selftest.js'));
      // Whatever a module throws, or an export getter: still a RegistryError, not a crash.
      writeFileSync(join(dir, 'e.selftest.js'), 'throw Object.create(null);');
      expect(() => discoverTests(dir)).to.throw(RegistryError, /cannot load .*e\.selftest\.js: thrown value: \[object Object\]/);
      rmSync(join(dir, 'e.selftest.js'));
      writeFileSync(join(dir, 'f.selftest.js'), 'Object.defineProperty(exports, "test_g", { enumerable: true, get() { throw new Error("getter"); } });');
      expect(() => discoverTests(dir)).to.throw(RegistryError, /cannot load .*f\.selftest\.js: reading export test_g: getter/);
      rmSync(join(dir, 'f.selftest.js'));
      // A name -t/-a could not select, or that KTAP would misread.
      writeFileSync(join(dir, 'g.selftest.js'), 'exports["test_a#b"] = () => {};');
      expect(() => discoverTests(dir)).to.throw(RegistryError, /export test_a#b: a test name has letters, digits/);
    });

    it('a missing directory has no tests, unless it must exist', () => {
      expect(discoverTests(join(dir, 'nope'))).to.deep.equal([]);
      expect(() => discoverTests(join(dir, 'nope'), true)).to.throw(RegistryError, /does not exist/);
    });
  });
});

describe('harness/runner: running the fixtures', () => {
  let report: RunReport;
  before(async () => {
    report = await runFixtures();
  });

  it('every (test, profile) gets the verdict its outcome and the expectations call for', () => {
    expect(verdicts(report)).to.deep.equal([
      'async@v6.2 pass first:pass second:pass',
      'era@v6.2 fail fentry:xpass fexit:xfail',
      'hang@v6.2 timeout',
      'kernel_warn@v6.2 fail',
      'never_settles@v6.2 timeout',
      'pass@v6.2 pass',
      'reports_timeout@v6.2 timeout quick:pass slow:timeout',
      'serial@v6.2 pass',
      'skip_all@v6.2 skip',
      'subtests@v6.2 fail ok:pass bad:fail skipped:skip',
      'throws@v6.2 fail before:pass boom:fail',
      'unhandled_rejection@v6.2 fail',
      'whole@v6.2 badsig',
      'async@v6.8 pass first:pass second:pass',
      'era@v6.8 pass fentry:pass fexit:pass',
      'hang@v6.8 timeout',
      'kernel_warn@v6.8 fail',
      'never_settles@v6.8 timeout',
      'pass@v6.8 pass',
      'reports_timeout@v6.8 timeout quick:pass slow:timeout',
      'serial@v6.8 pass',
      'skip_all@v6.8 skip',
      'subtests@v6.8 fail ok:pass bad:fail skipped:skip',
      'throws@v6.8 fail before:pass boom:fail',
      'unhandled_rejection@v6.8 fail',
      'whole@v6.8 pass',
    ]);
    expect(report.problems).to.deep.equal([]);
  });

  it('a promise the test dropped that rejects fails that test, and the run goes on', () => {
    const r = report.runs.find((x) => x.name === 'unhandled_rejection')!;
    expect(r.own.log.slice(0, 2)).to.deep.equal(['test_unhandled_rejection:PASS:before 0 nsec', 'unhandled promise rejection: Error: nobody waited for this']);
  });

  it('a test that throws ends there: later subtests never run', () => {
    const throws = report.runs.find((r) => r.name === 'throws')!;
    expect(throws.subtests.map((s) => s.name)).to.deep.equal(['before', 'boom']);
    expect(throws.subtests[1]!.log[0]).to.equal('uncaught exception: Error: kaboom');
    expect(throws.subtests[1]!.log[1]).to.match(/^ {4}at .*test_throws .*harness\/runner\/fixtures\/failures\.selftest\.ts:\d+:\d+\)$/);
  });

  it('hands runs on in order (profile, then test number) and each profile once complete', async () => {
    const seen: string[] = [];
    const r = await runFixtures({
      selector: { allow: parseNames('pass,async', { substring: false }), deny: [], nums: [] },
      onRun: (run) => seen.push(`${run.name}@${run.profile}`),
      onProfile: (p, runs) => seen.push(`[${p}: ${runs.length}]`),
    });
    expect(seen).to.deep.equal(['async@v6.2', 'pass@v6.2', '[v6.2: 2]', 'async@v6.8', 'pass@v6.8', '[v6.8: 2]']);
    expect(r.runs).to.have.length(4);
  });

  it('a test whose selected subtests all got filtered out is not reported; -n picks subtests by number', async () => {
    const none = await runFixtures({ selector: { allow: parseNames('subtests/nosuch', { substring: false }), deny: [], nums: [] } });
    expect(none.runs).to.deep.equal([]);
    const one = await runFixtures({ profiles: resolveProfiles(['v6.8']), selector: { allow: [], deny: [], nums: [parseNumbers('10/2')] } });
    expect(verdicts(one)).to.deep.equal(['subtests@v6.8 fail bad:fail']);
    expect(one.runs[0]!.filtered).to.equal(2);
  });

  it('stale expectations are reported after the run', async () => {
    const r = await runFixtures({
      selector: { allow: parseNames('era', { substring: false }), deny: [], nums: [] },
      expectations: [{ profile: 'v6.8', test: 'era/renamed', reason: 'r', signature: 's' }],
    });
    expect(r.problems).to.deep.equal(["expectation 'era/renamed' (r) matched no subtest of era on v6.8"]);
  });

  it('-l lists test/subtest names once each, in number order, honouring the selection', async () => {
    const tests = discoverTests(FIXTURES_DIR);
    const profiles = resolveProfiles(['v6.2', 'v6.8']);
    const all = await listTests(tests, profiles);
    expect(all.slice(0, 6)).to.deep.equal(['async/first', 'async/second', 'era/fentry', 'era/fexit', 'hang', 'kernel_warn']);
    expect(all).to.include('throws/never');
    const some = await listTests(tests, profiles, { allow: parseNames('subtests,throws/b', { substring: true }), deny: parseNames('subtests/skip*', { substring: false }), nums: [] });
    expect(some).to.deep.equal(['subtests/ok', 'subtests/bad', 'throws/before', 'throws/boom']);
  });
});

describe('harness/runner: worker threads (-j)', function () {
  this.timeout(120_000);

  it('give the same runs as one thread, serial tests included', async () => {
    const strip = (r: TestRun) => ({ ...r, durationMs: 0, own: { ...r.own, durationMs: 0 }, subtests: r.subtests.map((s) => ({ ...s, durationMs: 0 })) });
    // A generous wall clock (a loaded machine must not turn a slow run into a TIMEOUT), so
    // without the test that waits for it; wall-clock limits in workers are the next test's.
    const opts = { wallTimeoutMs: 60_000, selector: { allow: [], deny: parseNames('never_settles', { substring: false }), nums: [] } };
    const one = await runFixtures(opts);
    const two = await runFixtures({ ...opts, workers: 2 });
    expect(one.runs).to.have.length(24);
    expect(two.runs.map(strip)).to.deep.equal(one.runs.map(strip));
  });

  it('a worker that dies costs one ERROR run, one stuck in synchronous code one TIMEOUT; the rest still run', async () => {
    const tests = discoverTests(WORKER_FIXTURES_DIR);
    const report = await runTests({ tests, dir: WORKER_FIXTURES_DIR, profiles: resolveProfiles(['v6.8']), workers: 2, wallTimeoutMs: 300, clock: () => 0 });
    expect(verdicts(report)).to.deep.equal(['exits@v6.8 error', 'fine@v6.8 pass', 'spins@v6.8 timeout']);
    expect(report.runs[0]!.own.log).to.deep.equal(['worker thread exited with code 7']);
    expect(report.runs[2]!.own.log[0]).to.match(/^TIMEOUT: the test did not finish within 0\.3 s \(wall clock\); its worker thread was terminated$/);
    // The reason alone, as the result line prints it after "TIMEOUT: " (not "TIMEOUT: TIMEOUT: ...").
    expect(report.runs[2]!.own.timeout).to.equal('the test did not finish within 0.3 s (wall clock); its worker thread was terminated');
  });
});

describe('harness/runner: a misbehaving selftest fails itself, the same with and without -j', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rvtramp-misbehaving-'));
    writeFileSync(
      join(dir, 'bad.selftest.js'),
      [
        // String() throws on an object without a prototype: describing it used to end the run (exit 70).
        'exports.test_a_nullproto = () => { throw Object.create(null); };',
        // process.exit() used to end the whole run silently without -j, and lose the test with it.
        'exports.test_b_exits = (t) => { t.log("bye"); process.exit(0); };',
        // Catching what the guard throws does not make the call go away.
        'exports.test_b_swallows = (t) => { try { process.exit(1); } catch {} t.ASSERT_EQ(1, 1, "after"); };',
        // ~130,000 log lines used to overflow the stack of the reporters (push(...lines)).
        'exports.test_c_biglog = (t) => { for (let i = 0; i < 130000; i++) t.log("l" + i); t.ASSERT_TRUE(false, "fails"); };',
        // Names that -a could not select or KTAP would misread.
        'exports.test_d_names = (t) => { if (t.subtest("a,b")) {} if (t.subtest("c#d")) {} };',
        'exports.test_e_fine = (t) => { t.ASSERT_EQ(1, 1, "one"); };',
      ].join('\n'),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('each fails with what it did; the run goes on; -j 2 gives the same', async () => {
    const tests = discoverTests(dir);
    const run = (workers: number) => runTests({ tests, dir, profiles: resolveProfiles(['v6.8']), workers, clock: () => 0 });
    const one = await run(0);
    expect(verdicts(one)).to.deep.equal(['a_nullproto@v6.8 fail', 'b_exits@v6.8 fail', 'b_swallows@v6.8 fail', 'c_biglog@v6.8 fail', 'd_names@v6.8 fail', 'e_fine@v6.8 pass']);
    const log = (name: string) => one.runs.find((r) => r.name === name)!.own.log;
    expect(log('a_nullproto')).to.include('uncaught exception: thrown value: [object Object]');
    expect(log('b_exits')).to.deep.equal(['bye', 'forbidden call: ProcessExitCalled: the test called process.exit(0)']);
    expect(log('b_swallows')[0]).to.equal('forbidden call: ProcessExitCalled: the test called process.exit(1)');
    // In list mode too (it used to end `run -l` silently).
    const listed = await listTests(tests, resolveProfiles(['v6.8']));
    expect(listed).to.include.members(['b_exits', 'b_swallows', 'e_fine']);
    expect(log('c_biglog')).to.have.length(130001);
    expect(log('d_names').filter((l) => l.includes('must be non-empty'))).to.have.length(2);
    // The reporters take the long log too.
    const { formatTestProgs } = await import('../reporters/test-progs');
    const { formatKtap } = await import('../reporters/ktap');
    expect(formatTestProgs(one, { verbose: false })).to.contain('l129999\n');
    expect(formatKtap(one, { verbose: false })).to.contain('# l129999\n');
    const two = await run(2);
    const strip = (r: TestRun) => ({ ...r, durationMs: 0, own: { ...r.own, durationMs: 0, log: r.own.log.filter((l) => !l.startsWith('    at ')) } });
    expect(two.runs.map(strip)).to.deep.equal(one.runs.map(strip));
  });
});
