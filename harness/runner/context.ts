/**
 * The test context `t` every selftest receives: subtests, fresh kernels, logging, skips,
 * timeouts and the upstream assertion macros (tools/testing/selftests/bpf/test_progs.h, see
 * reference §3.3), reproduced with their failure strings:
 *
 *   test_fexit:FAIL:attach unexpected error: -524 (errno 524)
 *   test_fexit:PASS:skel_open 0 nsec
 *
 * The part before `:FAIL:` is the name of the function that made the check (upstream
 * `__func__`): the nearest named function on the call stack outside this file, or the test's
 * export name. Assertions never throw; they return whether the check held, so tests are
 * written the upstream way: `if (!t.ASSERT_OK(err, 'attach')) return;`.
 *
 * A test is a function exported from `selftests/**\/*.selftest.ts` named `test_<name>` (or
 * `serial_test_<name>` for tests that must not run beside others), sync or async:
 *
 *   export function test_fentry_test(t: TestContext): void {
 *     if (t.subtest('fentry')) { const k = t.boot(); ... }
 *     if (t.subtest('fentry_many_args')) { ... }
 *   }
 */
import { pushAll } from './push-all';
import { describeThrown, stackOf } from './thrown';
import { join } from 'node:path';
import type { BootOptions, Kernel } from '../../kernel/kernel';
import { describeError, type KResult } from '../../kernel/errno';
import type { Profile } from '../../kernel/profiles/profiles';
import type { LogLine } from '../../kernel/image/klog';
import type { RunResult } from '../../emulator/cpu/trap';
import type { PartRecord, SubtestRun } from './results';
import { compareInts, errnoOf, isKResult, lld, pointerError, ptr, resultCode, type CmpOp, type Int } from './values';

export type TestFn = (t: TestContext) => void | Promise<void>;

export interface ContextEnv {
  readonly profile: Profile;
  readonly testName: string;
  /** The exported function's name (test_x / serial_test_x): the fallback `__func__`. */
  readonly funcName: string;
  /** 'list': t.subtest() records names and returns false (for -l / -c). */
  readonly mode: 'run' | 'list';
  /** Whether the selection keeps subtest `name` (number `num`). */
  readonly subtestSelected: (name: string, num: number) => boolean;
  /** 0, 1 (-v), 2 (-vv: every kernel log line goes into the test log). */
  readonly verbosity: number;
  /** Instruction budget per test and per subtest for kernels from t.boot(); 0: none. */
  readonly watchdog: number;
  /** Milliseconds (injected so reporters can be golden-tested). */
  readonly clock: () => number;
}

function newPart(now: number): PartRecord {
  return { log: [], errors: 0, skipped: false, durationMs: now };
}

type Part = PartRecord & { started: number };

export class TestContext {
  /** The kernel profile this run of the test is on. */
  readonly profile: Profile;
  /** The test's name (without test_ / serial_test_). */
  readonly name: string;
  /** 0, 1 (-v) or 2 (-vv). */
  readonly verbosity: number;
  /** The instruction budget per test / subtest for kernels from t.boot() (0: none). */
  readonly watchdog: number;

  /** @internal The test's own part (outside subtests). */
  readonly own: Part;
  /** @internal Subtests that ran, in order. */
  readonly subtests: (SubtestRun & { started: number })[] = [];
  /** @internal Subtest names seen in list mode. */
  readonly listed: string[] = [];
  /** @internal Subtests the selection filtered out. */
  filtered = 0;

  private current: (SubtestRun & { started: number }) | undefined;
  private subNum = 0;

  /** @internal How many times the test called t.subtest(). */
  get subtestCalls(): number {
    return this.subNum;
  }
  private closed = false;
  private budgetLeft: number;
  private readonly seen = new Set<string>();

  constructor(private readonly env: ContextEnv) {
    this.profile = env.profile;
    this.name = env.testName;
    this.verbosity = env.verbosity;
    this.watchdog = env.watchdog;
    this.own = { ...newPart(0), started: env.clock() };
    this.budgetLeft = env.watchdog;
  }

  // ---- structure -------------------------------------------------------------------------------

  /**
   * Starts subtest `name` (ending the previous one). Returns false when the selection filters
   * it out (and always in list mode): write `if (t.subtest('x')) { ... }`.
   */
  subtest(name: string): boolean {
    if (this.closed) return false;
    this.endSubtest();
    const number = ++this.subNum;
    // '/' separates test and subtest in selections, ',' separates names, '#' starts a KTAP directive.
    if (name === '' || /[/,#\s]/.test(name)) {
      this.failOwn(`subtest name '${name}' must be non-empty, without '/', ',', '#' or spaces`);
      return false;
    }
    if (this.seen.has(name)) {
      this.failOwn(`subtest '${name}' started twice (subtest #${number})`);
      return false;
    }
    this.seen.add(name);
    if (this.env.mode === 'list') {
      if (this.env.subtestSelected(name, number)) this.listed.push(name);
      return false;
    }
    if (!this.env.subtestSelected(name, number)) {
      this.filtered++;
      return false;
    }
    this.current = { name, number, log: [], errors: 0, skipped: false, durationMs: 0, started: this.env.clock(), verdict: 'pass' };
    this.budgetLeft = this.env.watchdog;
    return true;
  }

  /**
   * A fresh kernel booted on this run's profile. Its WARN/BUG lines fail the current
   * (sub)test; its harts run under the watchdog (exhausting it is a TIMEOUT). In list mode
   * (-l) its harts run no instruction at all: every call comes back as a timeout.
   */
  boot(opts: BootOptions = {}): Kernel {
    // Loaded on first use: a worker thread that runs no kernel test starts without the emulator.
    const { bootKernel } = require('../../kernel/kernel') as typeof import('../../kernel/kernel');
    const k = bootKernel(this.profile, opts);
    for (const line of k.log.lines()) this.kernelLine(line);
    k.log.subscribe((line) => this.kernelLine(line));
    if (this.env.watchdog > 0 || this.env.mode === 'list') for (const hart of k.harts) this.guard(k, hart);
    return k;
  }

  // ---- log and outcomes ------------------------------------------------------------------------

  /** Adds lines to the current (sub)test's log (shown on failure, or always with -v). */
  log(text: string): void {
    if (this.closed) return;
    pushAll(this.part().log, String(text).replace(/\n$/, '').split('\n'));
  }

  /** Marks the current (sub)test skipped (SKIP, with the reason). Does not stop the code: return after it. */
  skip(reason: string): void {
    if (this.closed) return;
    const p = this.part();
    p.skipped = true;
    p.skipReason = reason;
  }

  /** Fails the current (sub)test with a message (upstream PRINT_FAIL), logged as `func:FAIL:message`. */
  fail(message: string): void {
    if (this.closed) return;
    this.failPart(this.part(), `${this.func()}:FAIL:${message}`);
  }

  /**
   * Reports that the current (sub)test ran out of time, e.g. a kernel call came back with
   * kind 'timeout' (its instruction budget expired): the result is TIMEOUT, not FAIL.
   */
  timeout(message: string): void {
    if (this.closed) return;
    const p = this.part();
    if (p.timeout === undefined) p.timeout = message;
    this.failPart(p, `TIMEOUT: ${message}`);
  }

  /** Puts an oops report (kernel/oops oopsReport()) into the current (sub)test's log. */
  attachOops(text: string): void {
    this.log(text);
  }

  // ---- assertions (upstream names and messages; each returns whether the check held) ---------

  ASSERT_EQ(actual: Int, expected: Int, name: string): boolean {
    return this.cmp(actual, '==', expected, name, '!=');
  }
  ASSERT_NEQ(actual: Int, expected: Int, name: string): boolean {
    return this.cmp(actual, '!=', expected, name, '==');
  }
  ASSERT_LT(actual: Int, expected: Int, name: string): boolean {
    return this.cmp(actual, '<', expected, name, '>=');
  }
  ASSERT_LE(actual: Int, expected: Int, name: string): boolean {
    return this.cmp(actual, '<=', expected, name, '>');
  }
  ASSERT_GT(actual: Int, expected: Int, name: string): boolean {
    return this.cmp(actual, '>', expected, name, '<=');
  }
  ASSERT_GE(actual: Int, expected: Int, name: string): boolean {
    return this.cmp(actual, '>=', expected, name, '<');
  }

  /** Holds when `res` is 0 (a KResult: when ok). `unexpected error: -524 (errno 524)`. */
  ASSERT_OK(res: Int | KResult<unknown>, name: string): boolean {
    const code = resultCode(res);
    const ok = isKResult(res) ? res.ok : compareInts(code, '==', 0);
    const held = this.check(ok, name, () => `unexpected error: ${lld(code)} (errno ${errnoOf(code)})`);
    if (!held && isKResult(res) && !res.ok) this.log(`\t${describeError(res)}`);
    return held;
  }

  /** Holds when `res` is negative (a KResult: when failed). `unexpected success: 0`. */
  ASSERT_ERR(res: Int | KResult<unknown>, name: string): boolean {
    const code = resultCode(res);
    const ok = isKResult(res) ? !res.ok : compareInts(code, '<', 0);
    return this.check(ok, name, () => `unexpected success: ${lld(code)}`);
  }

  ASSERT_TRUE(actual: unknown, name: string): boolean {
    return this.check(Boolean(actual), name, () => `unexpected ${name}: got FALSE`);
  }
  ASSERT_FALSE(actual: unknown, name: string): boolean {
    return this.check(!actual, name, () => `unexpected ${name}: got TRUE`);
  }

  /**
   * Holds when `p` is a usable "pointer" (libbpf_get_error() == 0): not null / undefined, not
   * a failed KResult, not a bigint in the IS_ERR range. `unexpected error: -2`.
   */
  ASSERT_OK_PTR(p: unknown, name: string): boolean {
    const err = pointerError(p);
    return this.check(err === 0, name, () => `unexpected error: ${err}`);
  }

  /** Holds when `p` is an error "pointer" (see ASSERT_OK_PTR). `unexpected pointer: 0xffffffff80001000`. */
  ASSERT_ERR_PTR(p: unknown, name: string): boolean {
    return this.check(pointerError(p) !== 0, name, () => `unexpected pointer: ${ptr(p)}`);
  }

  ASSERT_STREQ(actual: string, expected: string, name: string): boolean {
    return this.check(actual === expected, name, () => `unexpected ${name}: actual '${actual}' != expected '${expected}'`);
  }

  ASSERT_HAS_SUBSTR(str: string, substr: string, name: string): boolean {
    return this.check(String(str).includes(substr), name, () => `unexpected ${name}: '${substr}' is not a substring of '${str}'`);
  }

  // ---- runner side -----------------------------------------------------------------------------

  /** Errors already recorded by uncaught(). */
  private readonly recorded = new WeakSet<object>();

  /** @internal An exception escaped the test (or a promise it dropped was rejected): it fails the current (sub)test. */
  uncaught(e: unknown, what = 'uncaught exception'): void {
    if (this.closed) return;
    // The same error can arrive twice (recorded where it was made, then caught on its way out).
    if ((typeof e === 'object' && e !== null) || typeof e === 'function') {
      if (this.recorded.has(e)) return;
      this.recorded.add(e);
    }
    const p = this.part();
    this.failPart(p, `${what}: ${describeThrown(e)}`);
    const stack = stackOf(e);
    if (stack) pushAll(p.log, userFrames(stack));
  }

  /** @internal Ends the open subtest and closes the context (later calls from stray async code are ignored). */
  finish(): void {
    if (this.closed) return;
    this.endSubtest();
    this.own.durationMs = this.env.clock() - this.own.started;
    this.closed = true;
  }

  // ---- internals -------------------------------------------------------------------------------

  private part(): Part {
    return this.current ?? this.own;
  }

  private endSubtest(): void {
    const c = this.current;
    if (!c) return;
    c.durationMs = this.env.clock() - c.started;
    this.subtests.push(c);
    this.current = undefined;
    this.budgetLeft = this.env.watchdog;
  }

  private failPart(p: Part, line: string): void {
    p.errors++;
    pushAll(p.log, line.split('\n'));
  }

  private failOwn(message: string): void {
    this.failPart(this.own, `${this.env.funcName}:FAIL:${message}`);
  }

  private check(ok: boolean, tag: string, message: () => string): boolean {
    if (this.closed) return ok;
    const p = this.part();
    if (ok) p.log.push(`${this.func()}:PASS:${tag} 0 nsec`);
    else this.failPart(p, `${this.func()}:FAIL:${tag} ${message()}`);
    return ok;
  }

  private cmp(actual: Int, op: CmpOp, expected: Int, name: string, negated: string): boolean {
    return this.check(compareInts(actual, op, expected), name, () => `unexpected ${name}: actual ${lld(actual)} ${negated} expected ${lld(expected)}`);
  }

  /** upstream `__func__`: the nearest named function on the stack outside this file. */
  private func(): string {
    return callerFunction() ?? this.env.funcName;
  }

  private kernelLine(line: LogLine): void {
    if (this.closed) return;
    const p = this.part();
    if (line.kind !== 'printk') this.failPart(p, `kernel: ${line.text}`);
    else if (this.verbosity >= 2) p.log.push(`kernel: ${line.text}`);
  }

  /**
   * Puts a hart under the watchdog: every run is capped at what is left of the (sub)test's
   * budget, and a run stopped by that cap (not by its own smaller budget) is a TIMEOUT.
   */
  private guard(k: Kernel, hart: Kernel['harts'][number]): void {
    const wrap = (orig: (budget: number, depth?: number) => RunResult) => (budget: number, depth?: number): RunResult => {
      // List mode only wants subtest names: kernel code does not run at all.
      if (this.env.mode === 'list') return orig(0, depth);
      const capped = Math.max(0, Math.min(budget, this.budgetLeft));
      const before = hart.instret;
      const r = orig(capped, depth);
      this.budgetLeft -= hart.instret - before;
      if (r.kind === 'budget' && capped < budget && !this.closed) {
        const at = k.kallsyms.format(r.pc);
        const p = this.part();
        if (p.timeout === undefined) {
          p.timeout = `watchdog: instruction budget of ${this.env.watchdog} exhausted`;
          this.failPart(p, `WATCHDOG: ${this.name}${this.current ? `/${this.current.name}` : ''} executed ${this.env.watchdog} instructions; stopped at ${at}`);
        }
      }
      return r;
    };
    const run = hart.run.bind(hart);
    const runTraced = hart.runTraced.bind(hart);
    hart.run = wrap((b) => run(b));
    hart.runTraced = wrap((b, d) => runTraced(b, d));
  }
}

// ---- stack helpers -----------------------------------------------------------------------------

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** The runner's modules that call test functions: stack walks stop there. */
const RUNNER_FILES = new Set(['execute', 'runner', 'pool', 'worker'].flatMap((n) => [join(__dirname, `${n}.ts`), join(__dirname, `${n}.js`)]));

/**
 * The name of the nearest named function on the stack that is not in this file (V8 call
 * sites), looking no further than the runner's (or a test framework's) own code.
 */
function callerFunction(): string | undefined {
  // Capturing a stack costs by its depth (it runs for every passing ASSERT): look at a few
  // frames first (this file's own frames and the assert's caller), the deeper stack only when
  // they hold no answer.
  const near = namedCaller(6);
  if (near !== DEEPER) return near;
  const far = namedCaller(12);
  return far === DEEPER ? undefined : far;
}

/** namedCaller found no answer within its frames. */
const DEEPER = Symbol('deeper');

/** The name, undefined when there is none (the runner called the test), or DEEPER. */
function namedCaller(depth: number): string | undefined | typeof DEEPER {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.prepareStackTrace = (_e, sites) => sites;
    Error.stackTraceLimit = depth;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, callerFunction);
    const sites = holder.stack ?? [];
    for (const s of sites) {
      const file = s.getFileName();
      if (!file || file === __filename || file.startsWith('node:') || s.isNative()) continue;
      // The runner (or a test framework) called the test: nothing named above the test itself.
      if (RUNNER_FILES.has(file) || file.includes('/node_modules/')) return undefined;
      const fn = s.getFunctionName() ?? s.getMethodName();
      if (!fn) continue;
      const last = fn.slice(fn.lastIndexOf('.') + 1);
      if (IDENT.test(last)) return last;
    }
    // The whole stack was seen without a name: nothing deeper either.
    return sites.length < depth ? undefined : DEEPER;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

/**
 * The frames of an exception's stack worth showing: up to the runner's own code, without node
 * internals, with paths relative to the working directory (so logs are the same everywhere).
 */
function userFrames(stack: string): string[] {
  const out: string[] = [];
  const cwd = process.cwd() + '/';
  for (const line of stack.split('\n').slice(1)) {
    if (!/^\s+at /.test(line)) continue;
    if (line.includes('node:internal') || line.includes('(node:')) continue;
    const m = /\(?((?:\/|[A-Za-z]:\\)[^():]+):\d+:\d+\)?$/.exec(line);
    if (m && (RUNNER_FILES.has(m[1]!) || m[1]!.includes('/node_modules/'))) break;
    // `at Object.test_x [as fn] (...)`: how the runner called it is noise; keep the name.
    const frame = line.trim().split(cwd).join('').replace(/^at (async )?(?:Object\.)?([\w$.<>]+) \[as [\w$]+\]/, 'at $1$2');
    out.push(`    ${frame}`);
    if (out.length === 6) break;
  }
  return out;
}
