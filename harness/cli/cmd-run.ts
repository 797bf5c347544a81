/**
 * `rvtramp run`: the selftests on every kernel profile, with test_progs' options and output
 * (harness/runner, harness/reporters). Exit codes as test_progs: 0 all as expected, 1 a
 * failure, 2 no test matched, 3 setup error.
 */
import { availableParallelism } from 'node:os';
import { closeSync, existsSync, lstatSync, openSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { PROFILE_NAMES } from '../../kernel/profiles/profiles';
import type { Expectation } from '../expectations/types';
import { DEFAULT_WALL_TIMEOUT_MS, DEFAULT_WATCHDOG } from '../runner/limits';
import { DEFAULT_SELFTESTS_DIR, discoverTests, RegistryError, unloadableTsSelftests } from '../runner/registry';
import { cachedListing, cachedSource, readListingCache } from '../runner/list-cache';
import { listTests } from '../runner/listing';
import { parseNames, parseNumbers, resolveProfiles, selectedTests, SelectionError, type NameEntry, type NumberEntry, type Selector } from '../runner/selection';
import { splitLongOption } from './long-option';
import { CliError } from './errors';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_NO_TEST = 2;
export const EXIT_SETUP = 3;

export const RUN_USAGE = `usage: rvtramp run [options]

Runs the selftests (selftests/**/*.selftest.ts) on kernel profiles, as test_progs runs prog_tests.
Each (test, profile) prints a result line, e.g. #12/3    fexit_test/fexit@v6.8:OK

selection (NAMES: comma-separated test or test/subtest, or @FILE in DENYLIST syntax, # comments):
  -t, --name NAMES             run tests whose names contain NAMES (substring)
  -b, --name-blacklist NAMES   skip tests whose names contain NAMES
  -a, --allow NAMES            run tests matching NAMES (globs: * and ?; exact otherwise)
  -d, --deny NAMES             skip tests matching NAMES; deny wins over allow
  -n, --num NUM[/SUB]          by number (1-based alphabetical position): 3, 1-3, 5-10,1/2
  -p, --profile NAME           kernel profile, name or glob, repeatable (default: all; see rvtramp profiles)
listing:
  -l, --list                   print the selected test/subtest names, one a line; run nothing
  -c, --count                  print how many names -l would print
running:
  -v, -vv                      -v: print the logs of passing tests too; -vv: also every kernel log line
  -j, --workers[=N]            run on N worker threads (default N: the number of CPUs);
                               serial_test_* tests run afterwards in the main thread
  -w, --watchdog N             instruction budget per test and per subtest for its kernels
                               (suffixes k, M, G; default ${DEFAULT_WATCHDOG / 1e6}M; 0: none); running out is a TIMEOUT
      --wall-timeout SECONDS   an async test still running after this is a TIMEOUT (default ${DEFAULT_WALL_TIMEOUT_MS / 1000}; 0: none);
                               with -j this also stops a test stuck in synchronous code
                               (not a serial_test_*, which runs in the main thread)
output:
      --ktap                   KTAP version 1 on stdout instead of test_progs lines
      --ktap=FILE              KTAP version 1 to FILE (stdout keeps the test_progs lines; with --ktap too: both)
  -J, --json-summary FILE      test_progs' JSON summary
      --junit FILE             JUnit XML
project:
      --selftests DIR          the tests to run (default: the selftests/ of this installation):
                               *.selftest.js, and *.selftest.ts under node -r ts-node/register
      --expectations FILE      a module exporting EXPECTATIONS, or 'none' (default: harness/expectations
                               for the default selftests, none for --selftests DIR)

expected failures (harness/expectations): a failure with the expected signature is OK / # XFAIL;
a pass where a failure is expected (XPASS) or a failure without the signature fails the run.

exit status: 0 all as expected, 1 a failure, 2 no test matched, 3 setup error (bad option,
unknown profile, a selftest that does not load, an expectation that names nothing)
`;

interface Options {
  allow: NameEntry[];
  deny: NameEntry[];
  nums: NumberEntry[];
  profiles: string[];
  list: boolean;
  count: boolean;
  verbosity: number;
  workers: number;
  watchdog: number;
  wallTimeoutMs: number;
  ktap: boolean;
  ktapFile?: string;
  json?: string;
  junit?: string;
  selftests?: string;
  expectations?: string;
}

const setup = (message: string) => new CliError(message, EXIT_SETUP);

/** The longest --wall-timeout (about 23 days): its timers, grace included, must fit Node's 2^31-1 ms. */
const MAX_WALL_TIMEOUT_S = 2_000_000;

/** `5000`, `50k`, `200M`, `1G` → instructions. */
export function parseCount(text: string, what: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(text.trim());
  if (!m) throw setup(`bad ${what} '${text}' (a number of instructions, e.g. 5000000 or 5M)`);
  const scale = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * scale;
}

// Options that take a value: short letter -> long name.
const WITH_VALUE: Record<string, string> = { t: 'name', b: 'name-blacklist', a: 'allow', d: 'deny', n: 'num', p: 'profile', w: 'watchdog', J: 'json-summary' };
const LONG_WITH_VALUE = new Set(['name', 'name-blacklist', 'allow', 'deny', 'num', 'profile', 'watchdog', 'json-summary', 'junit', 'selftests', 'expectations', 'wall-timeout']);
const LONG_FLAGS = new Set(['list', 'count', 'verbose', 'help']);

export function parseRunArgs(argv: readonly string[]): Options | 'help' {
  const o: Options = { allow: [], deny: [], nums: [], profiles: [], list: false, count: false, verbosity: 0, workers: 0, watchdog: DEFAULT_WATCHDOG, wallTimeoutMs: DEFAULT_WALL_TIMEOUT_MS, ktap: false };
  const apply = (name: string, value: string) => {
    try {
      switch (name) {
        case 'name': o.allow.push(...parseNames(value, { substring: true })); break;
        case 'name-blacklist': o.deny.push(...parseNames(value, { substring: true })); break;
        case 'allow': o.allow.push(...parseNames(value, { substring: false })); break;
        case 'deny': o.deny.push(...parseNames(value, { substring: false })); break;
        case 'num': o.nums.push(parseNumbers(value)); break;
        case 'profile': {
          const names = value.split(',').map((s) => s.trim()).filter(Boolean);
          if (names.length === 0) throw setup(`option '-p' needs a profile name (see rvtramp profiles)`);
          o.profiles.push(...names);
          break;
        }
        case 'watchdog': o.watchdog = parseCount(value, 'watchdog budget'); break;
        case 'wall-timeout': {
          if (!/^\d+(\.\d+)?$/.test(value)) throw setup(`bad --wall-timeout '${value}' (seconds)`);
          const ms = Math.round(Number(value) * 1000);
          // Timers hold at most 2^31-1 ms; a positive value must not round to 0 ("none").
          if (ms > MAX_WALL_TIMEOUT_S * 1000 || (ms === 0 && Number(value) > 0)) {
            throw setup(`bad --wall-timeout '${value}' (0 for none, or 0.001 to ${MAX_WALL_TIMEOUT_S} seconds)`);
          }
          o.wallTimeoutMs = ms;
          break;
        }
        case 'json-summary': o.json = value; break;
        case 'junit': o.junit = value; break;
        case 'selftests': o.selftests = value; break;
        case 'expectations': o.expectations = value; break;
        case 'workers': {
          if (!/^\d+$/.test(value) || Number(value) < 1) throw setup(`bad number of workers '${value}'`);
          o.workers = Number(value);
          break;
        }
      }
    } catch (e) {
      if (e instanceof SelectionError) throw setup(e.message);
      throw e;
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = (opt: string) => {
      const v = argv[++i];
      if (v === undefined) throw setup(`option '${opt}' needs a value`);
      return v;
    };
    if (arg.startsWith('--')) {
      const split = splitLongOption(arg);
      const name = split.name.slice(2);
      const inline = split.inline;
      if (name === 'help') return 'help';
      if (name === 'ktap') {
        // --ktap: KTAP on stdout; --ktap=FILE: KTAP to FILE. Either may be given with the other.
        if (inline === undefined) o.ktap = true;
        else {
          if (inline === '') throw setup(`option '--ktap=' needs a file name`);
          o.ktapFile = inline;
        }
      } else if (name === 'workers') {
        if (inline !== undefined) apply('workers', inline);
        else if (argv[i + 1] !== undefined && /^\d+$/.test(argv[i + 1]!)) apply('workers', argv[++i]!);
        else o.workers = availableParallelism();
      } else if (LONG_WITH_VALUE.has(name)) {
        apply(name, inline ?? next(arg));
      } else if (LONG_FLAGS.has(name) && inline === undefined) {
        if (name === 'list') o.list = true;
        else if (name === 'count') o.count = true;
        else if (name === 'verbose') o.verbosity = Math.max(o.verbosity, 1);
      } else {
        throw setup(`unknown option '${arg}' (see rvtramp run --help)`);
      }
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') throw setup(`unexpected argument '${arg}' (see rvtramp run --help)`);
    const letter = arg[1]!;
    const rest = arg.slice(2);
    if (letter === 'h') return 'help';
    if (/^-[lcv]*[lc][lcv]*$/.test(arg)) {
      // Flags without a value combine as with argp: -lv, -cvv.
      const vs = arg.split('v').length - 1;
      if (vs > 2) throw setup(`Unrecognized verbosity setting ('${'v'.repeat(vs)}'), only -v and -vv are supported`);
      if (arg.includes('l')) o.list = true;
      if (arg.includes('c')) o.count = true;
      o.verbosity = Math.max(o.verbosity, vs);
      continue;
    }
    if (WITH_VALUE[letter]) {
      apply(WITH_VALUE[letter]!, rest !== '' ? rest : next(arg));
    } else if (letter === 'v') {
      if (!/^v*$/.test(rest) || rest.length > 1) throw setup(`Unrecognized verbosity setting ('${arg.slice(1)}'), only -v and -vv are supported`);
      o.verbosity = Math.max(o.verbosity, 1 + rest.length);
    } else if (letter === 'j') {
      if (rest !== '') apply('workers', rest);
      else if (argv[i + 1] !== undefined && /^\d+$/.test(argv[i + 1]!)) apply('workers', argv[++i]!);
      else o.workers = availableParallelism();
    } else {
      throw setup(`unknown option '${arg}' (see rvtramp run --help)`);
    }
  }
  return o;
}

function loadExpectations(file: string, shapeProblem: (e: unknown) => string | undefined): readonly Expectation[] {
  let mod: { EXPECTATIONS?: unknown };
  try {
    mod = require(resolve(file)) as { EXPECTATIONS?: unknown };
  } catch (e) {
    throw setup(`cannot load expectations '${file}': ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  if (!Array.isArray(mod.EXPECTATIONS)) throw setup(`expectations '${file}' does not export an EXPECTATIONS array`);
  mod.EXPECTATIONS.forEach((e: unknown, i: number) => {
    const bad = shapeProblem(e);
    if (bad) throw setup(`expectations '${file}': entry ${i}: ${bad}`);
  });
  return mod.EXPECTATIONS as Expectation[];
}

/** Refuses a report file that could not be written, now rather than after the whole run. */
function checkOutputPath(file: string, opt: string): void {
  if (file === '') throw setup(`option '${opt}' needs a file name`);
  probeWritable(file, file, opt, 0);
}

/**
 * Checks that `path` (the report file, or what a symlink to it names) can be written: its
 * directory exists, and opening it for appending works. That creates it without touching what
 * it holds; a file made only for this check is removed again. A named pipe or a device is left
 * alone (opening a pipe would take its reader's input away); a symlink is followed, never
 * replaced.
 */
function probeWritable(path: string, file: string, opt: string, links: number): void {
  const d = dirname(resolve(path));
  if (!existsSync(d) || !statSync(d).isDirectory()) {
    if (links > 0) throw setup(`${opt} ${file}: links to a file in ${d}, which is not a directory`);
    throw setup(existsSync(d) ? `${opt} ${file}: ${d} is not a directory` : `${opt} ${file}: directory ${d} does not exist`);
  }
  let st;
  try {
    st = lstatSync(path);
  } catch {
    st = undefined;
  }
  if (st?.isSymbolicLink()) {
    if (links < 8) probeWritable(resolve(d, readlinkSync(path)), file, opt, links + 1);
    return;
  }
  if (st?.isDirectory()) throw setup(`${opt} ${file}: is a directory`);
  if (st !== undefined && !st.isFile()) return;
  try {
    closeSync(openSync(path, 'a'));
  } catch (e) {
    throw setup(`${opt} ${file}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (st === undefined) rmSync(path, { force: true });
}

function writeOutput(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw setup(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * That a selftests directory gave no tests, and why when it holds `*.selftest.ts` files: the
 * compiled CLI loads `*.selftest.js` (and .ts only when ts-node is registered).
 */
function noSelftests(dir: string): string {
  const ts = unloadableTsSelftests(dir);
  if (ts.length === 0) return `no selftests in ${dir}`;
  return `no selftests in ${dir}: ${ts.length} *.selftest.ts file${ts.length === 1 ? '' : 's'} (${relative(dir, ts[0]!)}${ts.length > 1 ? ', ...' : ''}) ${ts.length === 1 ? 'needs' : 'need'} ts-node, e.g. node -r ts-node/register/transpile-only bin/rvtramp.js run --selftests DIR, or compiling to .js`;
}

export async function cmdRun(argv: string[]): Promise<number> {
  const o = parseRunArgs(argv);
  if (o === 'help') {
    process.stdout.write(RUN_USAGE);
    return EXIT_OK;
  }
  const out = (s: string) => process.stdout.write(s);

  let profiles;
  try {
    profiles = resolveProfiles(o.profiles);
  } catch (e) {
    throw setup((e as Error).message);
  }
  const selector: Selector = { allow: o.allow, deny: o.deny, nums: o.nums };
  const dir = o.selftests !== undefined ? resolve(o.selftests) : DEFAULT_SELFTESTS_DIR;
  const discover = () => {
    try {
      return discoverTests(dir, o.selftests !== undefined);
    } catch (e) {
      if (e instanceof RegistryError) throw setup(e.message);
      throw e;
    }
  };

  if (o.list || o.count) {
    // The build's cache of this listing, when it was made from this very code (list-cache.ts):
    // on its own when it has every profile asked for, else as the source of the profiles it has.
    const cache = o.selftests === undefined && process.env['RVTRAMP_LIST_CACHE'] !== '0' ? readListingCache() : undefined;
    const cached = cache && cachedListing(cache, profiles);
    let names: string[];
    if (cached) names = await listTests(cached.tests, profiles, selector, cached.source);
    else {
      const tests = discover();
      if (tests.length === 0) {
        // An empty listing would not say why.
        process.stderr.write(`rvtramp run: ${noSelftests(dir)}\n`);
        return EXIT_NO_TEST;
      }
      names = await listTests(tests, profiles, selector, cache && cachedSource(cache, tests));
    }
    if (o.count) out(`${names.length}\n`);
    else out(names.map((n) => `${n}\n`).join(''));
    return names.length > 0 ? EXIT_OK : EXIT_NO_TEST;
  }
  const tests = discover();

  // What only a run needs is loaded here: `run -l` is the CLI's start-up and a cache read.
  const [{ invalidExpectations, expectationShapeProblem }, { runTests }, { isFailing }, { formatJsonSummary }, { formatJunit }, { formatKtap, ktapHeader, ktapProfile, ktapTrailer }, { formatEpilogue, formatRun }] = await Promise.all([
    import('../expectations/apply'),
    import('../runner/runner'),
    import('../runner/results'),
    import('../reporters/json-summary'),
    import('../reporters/junit'),
    import('../reporters/ktap'),
    import('../reporters/test-progs'),
  ]);
  let expectations: readonly Expectation[];
  if (o.expectations === 'none') expectations = [];
  else if (o.expectations !== undefined) expectations = loadExpectations(o.expectations, expectationShapeProblem);
  else if (o.selftests === undefined) expectations = (await import('../expectations/expectations')).EXPECTATIONS;
  else expectations = [];
  const invalid = invalidExpectations(expectations, tests.map((t) => t.name), PROFILE_NAMES);
  if (invalid.length > 0) throw setup(`${invalid[0]}${invalid.length > 1 ? ` (and ${invalid.length - 1} more)` : ''}`);

  for (const [file, opt] of [[o.json, '-J'], [o.junit, '--junit'], [o.ktapFile, '--ktap']] as const) if (file !== undefined) checkOutputPath(file, opt);
  if (selectedTests(tests, selector).length === 0) {
    process.stderr.write(`rvtramp run: no test matched${tests.length === 0 ? ` (${noSelftests(dir)})` : ''}\n`);
    return EXIT_NO_TEST;
  }

  const verbose = o.verbosity > 0;
  let profileIndex = 0;
  if (o.ktap) out(ktapHeader(profiles.length));
  const report = await runTests({
    tests,
    dir,
    profiles,
    selector,
    verbosity: o.verbosity,
    watchdog: o.watchdog,
    wallTimeoutMs: o.wallTimeoutMs,
    workers: o.workers,
    expectations,
    ...(o.ktap
      ? { onProfile: (p, runs) => out(ktapProfile(++profileIndex, p, runs, { verbose })) }
      : { onRun: (r) => out(formatRun(r, verbose)) }),
  });
  out(o.ktap ? ktapTrailer(report) : formatEpilogue(report, { verbose }));

  if (o.json !== undefined) writeOutput(o.json, formatJsonSummary(report));
  if (o.junit !== undefined) writeOutput(o.junit, formatJunit(report, { verbose }));
  if (o.ktapFile !== undefined) writeOutput(o.ktapFile, formatKtap(report, { verbose }));

  if (report.runs.length === 0) {
    process.stderr.write('rvtramp run: no test matched (every selected subtest was filtered out)\n');
    return EXIT_NO_TEST;
  }
  const failed = report.runs.some((r) => isFailing(r.judgement.verdict)) || report.problems.length > 0;
  return failed ? EXIT_FAILURE : EXIT_OK;
}
