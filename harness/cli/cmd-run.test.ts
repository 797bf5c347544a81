import { expect } from 'chai';
import { closeSync, existsSync, lstatSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { FIXTURE_EXPECTATIONS_FILE, FIXTURES_DIR } from '../runner/testing';
import { parseCount, parseRunArgs } from './cmd-run';
import { expectOneLineError, run } from './testing';

const F = ['--selftests', FIXTURES_DIR, '--expectations', FIXTURE_EXPECTATIONS_FILE, '--wall-timeout', '0.2', '-w', '100k'];

describe('rvtramp run: exit codes', function () {
  this.timeout(120_000);

  it('0 when everything is as expected (passes, skips, expected failures)', async () => {
    const r = await run(['run', ...F, '-p', 'v6.2,v6.8', '-a', 'pass,skip_all,era/fexit,async']);
    expect(r.code, r.out + r.err).to.equal(0);
    expect(r.out).to.contain('#2/2     era/fexit@v6.2:OK (expected failure: trampoline era too old)\n');
    expect(r.out).to.contain('#9       skip_all@v6.8:SKIP (no BPF trampoline on this profile)\n');
    expect(r.out).to.match(/\nSummary: 8\/6 PASSED, 2 SKIPPED, 0 FAILED\n$/);
    expect(r.err).to.equal('');
  });

  it('1 for a failure, a TIMEOUT, an XPASS or a wrong failure', async () => {
    for (const sel of ['subtests', 'hang', 'era/fentry', 'whole']) {
      const r = await run(['run', ...F, '-p', 'v6.2', '-a', sel]);
      expect(r.code, `${sel}: ${r.out}`).to.equal(1);
      expect(r.out).to.contain('All error logs:');
    }
  });

  it('2 when no test matched (also for -l)', async () => {
    const r = await run(['run', ...F, '-t', 'no_such_test']);
    expect(r.code).to.equal(2);
    expect(r.err).to.equal('rvtramp run: no test matched\n');
    expect((await run(['run', ...F, '-l', '-a', 'pass/nosub'])).code).to.equal(0); // pass has no subtests: listed as itself
    expect((await run(['run', ...F, '-l', '-a', 'subtests/nosub'])).code).to.equal(2);
  });

  it('3, with one line naming the problem, for setup errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rvtramp-run-'));
    try {
      const stale = join(dir, 'stale.js');
      writeFileSync(stale, "exports.EXPECTATIONS = [{ profile: 'v6.2', test: 'renamed_test', reason: 'r', signature: 's' }];");
      const cases: [string[], RegExp][] = [
        [['-x'], /^rvtramp run: unknown option '-x' \(see rvtramp run --help\)\n$/],
        [['--frobnicate'], /unknown option '--frobnicate'/],
        [['extra'], /unexpected argument 'extra'/],
        [['-p', 'v9.9'], /unknown profile 'v9\.9' \(known: v6\.2, /],
        [['-n', '3-1'], /bad test number range '3-1'/],
        [['-vvv'], /^rvtramp run: Unrecognized verbosity setting \('vvv'\), only -v and -vv are supported\n$/],
        [['-t', '@/nonexistent/DENYLIST'], /cannot read test list '\/nonexistent\/DENYLIST': ENOENT/],
        [['-w', 'lots'], /bad watchdog budget 'lots'/],
        [['-j', '0'], /bad number of workers '0'/],
        [['-t'], /option '-t' needs a value/],
        [['--expectations', stale], /expectation \{ profile: "v6\.2", test: 'renamed_test' \}: 'renamed_test' matches no test/],
        [['--expectations', join(dir, 'missing.js')], /cannot load expectations/],
        [['-J', join(dir, 'no/such/dir/out.json')], /-J .*: directory .* does not exist/],
        [['--junit', join(stale, 'out.xml')], /--junit .*: .*stale.* is not a directory$/m],
        [['-J', dir], /-J .*: is a directory$/m],
        [[`--ktap=${dir}`], /--ktap .*: is a directory$/m],
        // Report files are checked before the run, not after it.
        [['-J', ''], /^rvtramp run: option '-J' needs a file name\n$/],
        [['--junit='], /^rvtramp run: option '--junit' needs a file name\n$/],
        [['-J', '/proc/rvtramp-no-such-entry'], /^rvtramp run: -J \/proc\/rvtramp-no-such-entry: cannot write: ENOENT\n$/],
        // Node's timers hold 2^31-1 ms; a positive timeout must not round to 0 (none).
        [['--wall-timeout', '3000000'], /^rvtramp run: bad --wall-timeout '3000000' \(0 for none, or 0\.001 to 2000000 seconds\)\n$/],
        [['--wall-timeout', '0.0004'], /bad --wall-timeout '0\.0004'/],
        [['-p', ''], /^rvtramp run: option '-p' needs a profile name \(see rvtramp profiles\)\n$/],
        [['-p', ','], /option '-p' needs a profile name/],
        [['-lvvv'], /Unrecognized verbosity setting \('vvv'\)/],
      ];
      // Malformed expectations entries: a setup error naming the entry, not an internal error (70).
      const entries: [string, RegExp][] = [
        ['[null]', /entry 0: not an object$/m],
        ["[{ profile: 5, test: 'pass', reason: 'r', signature: 's' }]", /entry 0: profile: a profile name or glob, or a non-empty list of them$/m],
        ["[{ profile: [], test: 'pass', reason: 'r', signature: 's' }]", /entry 0: profile: /],
        ["[{ profile: 'v6.8', reason: 'r', signature: 's' }]", /entry 0: test: a test or test\/subtest name/],
        ["[{ profile: 'v6.8', test: 'pass', reason: 'r' }]", /entry 0: signature: a non-empty string/],
      ];
      entries.forEach(([list, msg], i) => {
        const f = join(dir, `bad-exp-${i}.js`);
        writeFileSync(f, `exports.EXPECTATIONS = ${list};`);
        cases.push([['--expectations', f], msg]);
      });
      for (const [args, msg] of cases) {
        const r = await run(['run', ...F, ...args]);
        expect(r.code, args.join(' ')).to.equal(3);
        expectOneLineError(r, msg);
      }
      const noDir = await run(['run', '--selftests', join(dir, 'nope')]);
      expect(noDir.code).to.equal(3);
      expectOneLineError(noDir, /selftests directory '.*nope' does not exist/);
      const notDir = await run(['run', '--selftests', stale]);
      expect(notDir.code).to.equal(3);
      expectOneLineError(notDir, /selftests directory '.*stale.*' is not a directory/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rvtramp run: listing, output files and options', function () {
  this.timeout(120_000);

  it('-l lists test/subtest names; -c counts them; selection applies', async () => {
    const l = await run(['run', ...F, '-l', '-t', 'subtests,era']);
    expect(l.code).to.equal(0);
    expect(l.out).to.equal('era/fentry\nera/fexit\nsubtests/ok\nsubtests/bad\nsubtests/skipped\n');
    const c = await run(['run', ...F, '-c', '-t', 'subtests,era', '-d', 'subtests/skipped']);
    expect(c.out).to.equal('4\n');
    // One -n: a set of tests and one set of subtests for all of them; several -n add up.
    const n = await run(['run', ...F, '-l', '-n', '1-2,10/2']);
    expect(n.out).to.equal('async/second\nera/fexit\nsubtests/bad\n');
    const nn = await run(['run', ...F, '-l', '-n', '1-2', '-n', '10/2']);
    expect(nn.out).to.equal('async/first\nasync/second\nera/fentry\nera/fexit\nsubtests/bad\n');
    // Names and numbers add up too, as in test_progs: test 1 and the era tests.
    const tn = await run(['run', ...F, '-l', '-n', '1', '-t', 'era']);
    expect(tn.out).to.equal('async/first\nasync/second\nera/fentry\nera/fexit\n');
    // Flags without a value combine as with argp.
    const lv = await run(['run', ...F, '-lv', '-t', 'era']);
    expect([lv.code, lv.out]).to.deep.equal([0, 'era/fentry\nera/fexit\n']);
    expect((await run(['run', ...F, '-cv', '-t', 'era'])).out).to.equal('2\n');
    // A selection that matches nothing lists nothing (exit 2); a directory without tests says so.
    const none = await run(['run', ...F, '-l', '-t', 'nomatch']);
    expect([none.code, none.out, none.err]).to.deep.equal([2, '', '']);
    const empty = mkdtempSync(join(tmpdir(), 'rvtramp-empty-'));
    try {
      for (const flag of ['-l', '-c']) {
        const e = await run(['run', '--selftests', empty, flag]);
        expect(e.code).to.equal(2);
        expect(e.err).to.equal(`rvtramp run: no selftests in ${empty}\n`);
      }
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('--ktap prints KTAP instead of test_progs lines; -J, --junit and --ktap=FILE write files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rvtramp-run-'));
    try {
      const k = await run(['run', ...F, '--ktap', '-p', 'v6.8', '-a', 'pass,era']);
      expect(k.code).to.equal(0);
      expect(k.out).to.equal(
        [
          'KTAP version 1',
          '1..1',
          '  KTAP version 1',
          '  1..2',
          '    KTAP version 1',
          '    1..2',
          '    ok 1 fentry',
          '    ok 2 fexit',
          '  ok 1 era',
          '  ok 2 pass',
          'ok 1 v6.8',
          '# Totals: pass:3 fail:0 xfail:0 xpass:0 skip:0 error:0',
          '',
        ].join('\n'),
      );
      const files = { json: join(dir, 's.json'), junit: join(dir, 'j.xml'), ktap: join(dir, 'k.tap') };
      const r = await run(['run', ...F, '-p', 'v6.2', '-a', 'subtests', '-J', files.json, '--junit', files.junit, `--ktap=${files.ktap}`]);
      expect(r.code).to.equal(1);
      expect(r.out).to.contain('#10      subtests@v6.2:FAIL\n');
      const json = JSON.parse(readFileSync(files.json, 'utf8')) as { failed: number; results: { name: string; subtests: { name: string; message: string }[] }[] };
      expect(json.failed).to.equal(1);
      expect(json.results[0]!.subtests[0]).to.deep.include({ name: 'bad', message: 'check_retval:FAIL:retval unexpected retval: actual 5 != expected 2\nafter the failed check\n' });
      expect(readFileSync(files.junit, 'utf8')).to.contain('<testsuite name="v6.2" tests="3" failures="1" errors="0" skipped="1"');
      expect(readFileSync(files.ktap, 'utf8')).to.match(/^KTAP version 1\n1\.\.1\n[\s\S]*# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:0\n$/);
      // --ktap and --ktap=FILE together: KTAP on both, whichever comes first.
      for (const order of [['--ktap', `--ktap=${files.ktap}`], [`--ktap=${files.ktap}`, '--ktap']]) {
        rmSync(files.ktap);
        const both = await run(['run', ...F, ...order, '-p', 'v6.8', '-a', 'pass,era']);
        expect(both.out, order.join(' ')).to.equal(k.out);
        expect(readFileSync(files.ktap, 'utf8')).to.equal(k.out);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('-v prints passing logs; -w sets the watchdog budget', async () => {
    const v = await run(['run', ...F, '-v', '-p', 'v6.8', '-a', 'pass']);
    expect(v.out).to.equal('test_pass:PASS:sum 0 nsec\ntest_pass:PASS:zero 0 nsec\n#6       pass@v6.8:OK\n\nSummary: 1/0 PASSED, 0 SKIPPED, 0 FAILED\n');
    const w = await run(['run', ...F, '-w', '2k', '-p', 'v6.8', '-a', 'hang']);
    expect(w.out).to.contain('#3       hang@v6.8:FAIL (TIMEOUT: watchdog: instruction budget of 2000 exhausted)\n');
  });

  it('-j N runs on worker threads with the same output', async () => {
    const args = ['run', ...F, '--wall-timeout', '60', '-p', 'v6.2', '-a', 'pass,era,serial,subtests'];
    const one = await run(args);
    const two = await run([...args, '-j', '2']);
    expect(two.out).to.equal(one.out);
    expect(two.code).to.equal(one.code);
  });

  it('a reader that goes away (rvtramp run | head): exit 141, nothing on stderr', async function () {
    // A separate process with a pipe that is closed after the first line.
    const root = join(__dirname, '..', '..');
    const code = `require('./harness/cli/main').main(['run', '--selftests', ${JSON.stringify(FIXTURES_DIR)}, '--expectations', ${JSON.stringify(FIXTURE_EXPECTATIONS_FILE)}, '-w', '20000']).then((c) => { process.exitCode = c; })`;
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', code], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    // A CLI that does not notice the closed pipe would run on (or hang): stop it after 30 s.
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const exit = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    clearTimeout(guard);
    expect(exit, `exit ${exit}; stderr: ${err}`).to.equal(141);
    expect(err).to.equal('');
  });

  it('-J through a symlink whose target does not exist yet: the target is written, the link kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rvtramp-link-'));
    try {
      symlinkSync(join(dir, 'target.json'), join(dir, 'link.json'));
      const r = await run(['run', ...F, '-p', 'v6.8', '-a', 'pass', '-J', join(dir, 'link.json')]);
      expect(r.code, r.err).to.equal(0);
      expect(lstatSync(join(dir, 'link.json')).isSymbolicLink()).to.equal(true);
      expect(JSON.parse(readFileSync(join(dir, 'target.json'), 'utf8'))).to.include({ success: 1, failed: 0 });
      // A link into a directory that does not exist is refused before the run, and kept.
      symlinkSync(join(dir, 'no', 'such', 'x.json'), join(dir, 'bad.json'));
      const bad = await run(['run', ...F, '-p', 'v6.8', '-a', 'pass', '-J', join(dir, 'bad.json')]);
      expect(bad.code).to.equal(3);
      expectOneLineError(bad, /bad\.json: links to a file in .*no\/such, which is not a directory/);
      expect(lstatSync(join(dir, 'bad.json')).isSymbolicLink()).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the command ends when the run is done, even if a selftest left a timer running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rvtramp-timer-'));
    try {
      writeFileSync(join(dir, 'timer.selftest.js'), 'exports.test_timer = (t) => { setInterval(() => {}, 1000); t.ASSERT_EQ(1, 1, "one"); };');
      const root = join(__dirname, '..', '..');
      const r = spawnSync(process.execPath, [join(root, 'bin', 'rvtramp.js'), 'run', '--selftests', dir, '-p', 'v6.8'], { encoding: 'utf8', timeout: 60_000 });
      expect([r.status, r.signal], r.stderr).to.deep.equal([0, null]);
      expect(r.stdout).to.contain('#1       timer@v6.8:OK\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('output that cannot be written (> /dev/full): one line on stderr, exit 74', async function () {
    if (!existsSync('/dev/full')) return this.skip(); // no /dev/full on this system: nothing to write to
    const root = join(__dirname, '..', '..');

    const code = `require('./harness/cli/main').main(['profiles']).then((c) => { process.exitCode = c; })`;
    const full = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', code], { cwd: root, stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
      expect([r.status, r.stderr]).to.deep.equal([74, 'rvtramp: cannot write standard output: ENOSPC\n']);
      // Through the command itself too: its exit at the end must not hide the write error.
      const viaBin = spawnSync(process.execPath, [join(root, 'bin', 'rvtramp.js'), 'run', '--help'], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
      expect([viaBin.status, viaBin.stderr]).to.deep.equal([74, 'rvtramp: cannot write standard output: ENOSPC\n']);
    } finally {
      closeSync(full);
    }
  });

  it('--help documents the options and exit codes', async () => {
    const h = await run(['run', '--help']);
    expect(h.code).to.equal(0);
    for (const opt of ['-t, --name', '-b, --name-blacklist', '-a, --allow', '-d, --deny', '-n, --num', '-p, --profile', '-l, --list', '-c, --count', '-v, -vv', '-j, --workers', '-w, --watchdog', '--ktap', '-J, --json-summary', '--junit', '--selftests', '--expectations', 'exit status: 0']) {
      expect(h.out).to.contain(opt);
    }
  });
});

describe('rvtramp run: argument parsing', () => {
  it('short options take their value attached or next; long ones with = or next', () => {
    const o = parseRunArgs(['-tfoo', '-t', 'bar/baz', '--allow=x*', '--deny', 'y', '-n3/2', '-pv6.8', '--profile=v6.2,v6.11', '-vv', '-j3', '-w5M', '--json-summary=o.json', '--ktap']);
    if (o === 'help') throw new Error('help');
    expect(o.allow).to.deep.equal([{ test: '*foo*' }, { test: '*bar*', sub: '*baz*' }, { test: 'x*' }]);
    expect(o.deny).to.deep.equal([{ test: 'y' }]);
    expect(o.nums).to.deep.equal([{ tests: [3], subs: [2] }]);
    expect(o.profiles).to.deep.equal(['v6.8', 'v6.2', 'v6.11']);
    expect([o.verbosity, o.workers, o.watchdog, o.json, o.ktap]).to.deep.equal([2, 3, 5_000_000, 'o.json', true]);
  });

  it('watchdog counts take k / M / G', () => {
    expect([parseCount('0', 'x'), parseCount('50k', 'x'), parseCount('2M', 'x'), parseCount('1G', 'x')]).to.deep.equal([0, 50_000, 2_000_000, 1_000_000_000]);
  });
});
