import { expect } from 'chai';
import fc from 'fast-check';
import { fail, ok } from '../../kernel/errno';
import { assemble } from '../../emulator/asm';
import { MODULES_VADDR } from '../../kernel/image/memmap';
import { makeContext } from './testing';
import type { TestContext } from './context';

/** The log lines of the part that is current (own part when no subtest ran). */
function lastLog(t: TestContext): string[] {
  t.finish();
  return t.subtests.length ? t.subtests[t.subtests.length - 1]!.log : t.own.log;
}

describe('harness/runner/context: assertions', () => {
  // Each check is made from a named helper so the FAIL line shows that name (upstream __func__).
  function test_fexit(t: TestContext, check: (t: TestContext) => boolean): boolean {
    return check(t);
  }

  // Built through a call, so V8 gives the arrows no inferred name (an anonymous caller is skipped).
  const cases: [string, (t: TestContext) => boolean, string][] = [];
  const c = (name: string, check: (t: TestContext) => boolean, line: string) => cases.push([name, check, line]);
  c('ASSERT_EQ', (t) => t.ASSERT_EQ(5, 2, 'retval'), 'test_fexit:FAIL:retval unexpected retval: actual 5 != expected 2');
  c('ASSERT_NEQ', (t) => t.ASSERT_NEQ(3n, 3, 'fd'), 'test_fexit:FAIL:fd unexpected fd: actual 3 == expected 3');
  c('ASSERT_LT', (t) => t.ASSERT_LT(4, 4, 'cnt'), 'test_fexit:FAIL:cnt unexpected cnt: actual 4 >= expected 4');
  c('ASSERT_LE', (t) => t.ASSERT_LE(5, 4, 'cnt'), 'test_fexit:FAIL:cnt unexpected cnt: actual 5 > expected 4');
  c('ASSERT_GT', (t) => t.ASSERT_GT(-1, 1, 'bpf_max_tramp_links'), 'test_fexit:FAIL:bpf_max_tramp_links unexpected bpf_max_tramp_links: actual -1 <= expected 1');
  c('ASSERT_GE', (t) => t.ASSERT_GE(-1n, 1n, 'bpf_max_tramp_links'), 'test_fexit:FAIL:bpf_max_tramp_links unexpected bpf_max_tramp_links: actual -1 < expected 1');
  c('ASSERT_OK', (t) => t.ASSERT_OK(-524, 'fentry_first_attach'), 'test_fexit:FAIL:fentry_first_attach unexpected error: -524 (errno 524)');
  c('ASSERT_ERR', (t) => t.ASSERT_ERR(0, 'attach_extra'), 'test_fexit:FAIL:attach_extra unexpected success: 0');
  c('ASSERT_TRUE', (t) => t.ASSERT_TRUE(0, 'result'), 'test_fexit:FAIL:result unexpected result: got FALSE');
  c('ASSERT_FALSE', (t) => t.ASSERT_FALSE('x', 'result'), 'test_fexit:FAIL:result unexpected result: got TRUE');
  c('ASSERT_OK_PTR', (t) => t.ASSERT_OK_PTR(null, 'skel_open'), 'test_fexit:FAIL:skel_open unexpected error: -2');
  c('ASSERT_ERR_PTR', (t) => t.ASSERT_ERR_PTR(0xffffffff80001000n, 'link'), 'test_fexit:FAIL:link unexpected pointer: 0xffffffff80001000');
  c('ASSERT_STREQ', (t) => t.ASSERT_STREQ('fentry', 'fexit', 'name'), "test_fexit:FAIL:name unexpected name: actual 'fentry' != expected 'fexit'");
  c('ASSERT_HAS_SUBSTR', (t) => t.ASSERT_HAS_SUBSTR('a log', 'ret=5', 'log'), "test_fexit:FAIL:log unexpected log: 'ret=5' is not a substring of 'a log'");

  for (const [name, check, line] of cases) {
    it(`${name}: returns false, counts an error and logs the upstream failure string`, () => {
      const t = makeContext();
      expect(test_fexit(t, check)).to.equal(false);
      t.finish();
      expect(t.own.errors).to.equal(1);
      expect(t.own.log).to.deep.equal([line]);
    });
  }

  it('a check that holds returns true and logs `func:PASS:tag 0 nsec`, as upstream', () => {
    const t = makeContext();
    expect(test_fexit(t, (c) => c.ASSERT_EQ(33, 33n, 'retval'))).to.equal(true);
    t.finish();
    expect(t.own.errors).to.equal(0);
    expect(t.own.log).to.deep.equal(['test_fexit:PASS:retval 0 nsec']);
  });

  it('integers print as %lld: bigint and number alike, 64-bit values as signed', () => {
    const t = makeContext();
    t.ASSERT_EQ(0xfffffffffffffff2n, 0, 'ret');
    t.ASSERT_EQ(1n << 63n, 0, 'big');
    t.ASSERT_EQ(true, 0, 'flag');
    expect(lastLog(t)).to.deep.equal([
      'test_unit:FAIL:ret unexpected ret: actual -14 != expected 0',
      'test_unit:FAIL:big unexpected big: actual -9223372036854775808 != expected 0',
      'test_unit:FAIL:flag unexpected flag: actual 1 != expected 0',
    ]);
  });

  it('a 64-bit register value equals the negative errno it encodes', () => {
    const t = makeContext();
    expect(t.ASSERT_EQ(0xfffffffffffffff2n, -14, 'ret')).to.equal(true);
  });

  it('comparisons agree with bigint arithmetic on signed 64-bit values (property)', () => {
    const i64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
    fc.assert(
      fc.property(i64, i64, (a, b) => {
        const t = makeContext();
        expect(t.ASSERT_LT(a, b, 'x')).to.equal(a < b);
        expect(t.ASSERT_GE(a, b, 'x')).to.equal(a >= b);
        expect(t.ASSERT_EQ(BigInt.asUintN(64, a), b, 'x')).to.equal(a === b);
      }),
      { seed: 0xc0de },
    );
  });

  it('ASSERT_OK / ASSERT_ERR take kernel results: the errno, and its message on the next line', () => {
    const t = makeContext();
    expect(t.ASSERT_OK(ok(5), 'fine')).to.equal(true);
    expect(t.ASSERT_OK(fail('ENOTSUPP', 'no trampoline on this profile'), 'attach')).to.equal(false);
    expect(t.ASSERT_ERR(fail('E2BIG', 'too many links'), 'extra')).to.equal(true);
    expect(t.ASSERT_ERR(ok(undefined), 'extra2')).to.equal(false);
    expect(lastLog(t)).to.deep.equal([
      'test_unit:PASS:fine 0 nsec',
      'test_unit:FAIL:attach unexpected error: -524 (errno 524)',
      '\t-524 (ENOTSUPP): no trampoline on this profile',
      'test_unit:PASS:extra 0 nsec',
      'test_unit:FAIL:extra2 unexpected success: 0',
    ]);
  });

  it('ASSERT_OK_PTR / ASSERT_ERR_PTR follow libbpf_get_error: IS_ERR values, failed results, null', () => {
    const t = makeContext();
    expect(t.ASSERT_OK_PTR({ link: 1 }, 'obj')).to.equal(true);
    expect(t.ASSERT_OK_PTR(0xffffffff80001000n, 'addr')).to.equal(true);
    expect(t.ASSERT_OK_PTR(BigInt.asUintN(64, -22n), 'errptr')).to.equal(false);
    expect(t.ASSERT_OK_PTR(fail('EBUSY', 'busy'), 'res')).to.equal(false);
    expect(t.ASSERT_ERR_PTR(fail('EBUSY', 'busy'), 'res2')).to.equal(true);
    expect(t.ASSERT_ERR_PTR(ok(0x1000n), 'res3')).to.equal(false);
    expect(lastLog(t).filter((l) => l.includes(':FAIL:'))).to.deep.equal([
      'test_unit:FAIL:errptr unexpected error: -22',
      'test_unit:FAIL:res unexpected error: -16',
      'test_unit:FAIL:res3 unexpected pointer: 0x1000',
    ]);
  });

  it('the function name is the nearest named caller: a helper, an async test after await, or the export name', async () => {
    const t = makeContext();
    async function test_async_thing(c: TestContext): Promise<void> {
      await Promise.resolve();
      c.ASSERT_TRUE(false, 'later');
    }
    await test_async_thing(t);
    [1].forEach(() => t.ASSERT_TRUE(false, 'in_callback'));
    const log = lastLog(t);
    expect(log[0]).to.equal('test_async_thing:FAIL:later unexpected later: got FALSE');
    // Only anonymous functions up to the caller of the test (mocha here, the runner in a run): the export name.
    expect(log[1]).to.equal('test_unit:FAIL:in_callback unexpected in_callback: got FALSE');
  });
});

describe('harness/runner/context: structure and outcomes', () => {
  it('subtests: numbered in call order, each with its own log; a new subtest ends the previous one', () => {
    const t = makeContext();
    t.log('setup');
    expect(t.subtest('a')).to.equal(true);
    t.ASSERT_EQ(1, 1, 'x');
    expect(t.subtest('b')).to.equal(true);
    t.fail('broken');
    t.finish();
    expect(t.own.log).to.deep.equal(['setup']);
    expect(t.subtests.map((s) => [s.name, s.number, s.errors, s.log])).to.deep.equal([
      ['a', 1, 0, ['test_unit:PASS:x 0 nsec']],
      ['b', 2, 1, ['test_unit:FAIL:broken']],
    ]);
  });

  it('a filtered subtest returns false, keeps its number and is counted as filtered', () => {
    const t = makeContext({ subtestSelected: (name, num) => name === 'b' && num === 2 });
    expect(t.subtest('a')).to.equal(false);
    expect(t.subtest('b')).to.equal(true);
    expect(t.subtest('c')).to.equal(false);
    t.finish();
    expect(t.filtered).to.equal(2);
    expect(t.subtests.map((s) => s.number)).to.deep.equal([2]);
  });

  it('list mode records selected names and never runs a subtest', () => {
    const t = makeContext({ mode: 'list', subtestSelected: (name) => name !== 'b' });
    expect([t.subtest('a'), t.subtest('b'), t.subtest('c')]).to.deep.equal([false, false, false]);
    expect(t.listed).to.deep.equal(['a', 'c']);
    expect(t.subtestCalls).to.equal(3);
  });

  it('a subtest started twice or with a bad name fails the test itself', () => {
    const t = makeContext();
    t.subtest('a');
    expect(t.subtest('a')).to.equal(false);
    expect(t.subtest('x/y')).to.equal(false);
    t.finish();
    expect(t.own.errors).to.equal(2);
    expect(t.own.log[0]).to.equal("test_unit:FAIL:subtest 'a' started twice (subtest #2)");
  });

  it('skip and timeout go to the current part; log splits lines; attachOops logs the report', () => {
    const t = makeContext();
    t.subtest('s');
    t.skip('needs 12 argument slots');
    t.subtest('tm');
    t.timeout('test_run instruction budget of 1000 exhausted');
    t.attachOops('Oops [#1]\nCall Trace:\n');
    t.finish();
    const [s, tm] = t.subtests;
    expect(s).to.include({ skipped: true, skipReason: 'needs 12 argument slots', errors: 0 });
    expect(tm).to.include({ timeout: 'test_run instruction budget of 1000 exhausted', errors: 1 });
    expect(tm!.log).to.deep.equal(['TIMEOUT: test_run instruction budget of 1000 exhausted', 'Oops [#1]', 'Call Trace:']);
  });

  it('an uncaught exception fails the current part with its message and user frames', () => {
    const t = makeContext();
    t.subtest('boom');
    t.uncaught(new TypeError('x is undefined'));
    t.finish();
    expect(t.subtests[0]!.errors).to.equal(1);
    expect(t.subtests[0]!.log[0]).to.equal('uncaught exception: TypeError: x is undefined');
  });

  it('after finish() nothing changes (stray async code of a finished test)', () => {
    const t = makeContext();
    t.finish();
    t.fail('late');
    t.log('late');
    expect(t.subtest('late')).to.equal(false);
    expect(t.own.log).to.deep.equal([]);
    expect(t.own.errors).to.equal(0);
  });
});

describe('harness/runner/context: kernels from t.boot()', () => {
  it('boots the run profile; a WARN in its log fails the current part', () => {
    const t = makeContext();
    const k = t.boot();
    expect(k.profile.name).to.equal('v6.8');
    t.subtest('w');
    k.log.warn('something odd');
    k.log.info('fine');
    t.finish();
    expect(t.subtests[0]!.errors).to.equal(1);
    expect(t.subtests[0]!.log).to.deep.equal(['kernel: WARNING: something odd']);
  });

  it('-vv puts every kernel log line into the test log', () => {
    const t = makeContext({ verbosity: 2 });
    const k = t.boot();
    k.log.info('hello from the kernel');
    t.finish();
    expect(t.own.log).to.include('kernel: hello from the kernel');
    expect(t.own.errors).to.equal(0);
  });

  function loop(t: TestContext) {
    const k = t.boot();
    const at = MODULES_VADDR + 0x10000n;
    k.machine.memory.map(at, 4096, 'rx');
    k.machine.memory.writeBytes(at, assemble('j .', { base: at }).bytes, true);
    return { k, at };
  }

  it('the watchdog caps every run of its harts; the cap expiring is a TIMEOUT of the current part', () => {
    const t = makeContext({ watchdog: 5000 });
    const { k, at } = loop(t);
    t.subtest('hang');
    const r = k.call(at, [], { budget: 1_000_000 });
    expect(r).to.include({ kind: 'timeout', instructions: 5000 });
    t.subtest('next');
    // The budget is per subtest: the next one starts with a fresh budget.
    const r2 = k.call(at, [], { budget: 100 });
    expect(r2).to.include({ kind: 'timeout', instructions: 100 });
    t.finish();
    expect(t.subtests[0]).to.include({ timeout: 'watchdog: instruction budget of 5000 exhausted', errors: 1 });
    expect(t.subtests[0]!.log[0]).to.match(/^WATCHDOG: unit\/hang executed 5000 instructions; stopped at 0xffffffff0001000[0-9a-f]/);
    // A call's own smaller budget running out is the test's business, not the watchdog's.
    expect(t.subtests[1]).to.include({ errors: 0 });
    expect(t.subtests[1]!.timeout).to.equal(undefined);
  });

  it('the budget is shared by the calls of one part', () => {
    const t = makeContext({ watchdog: 3000 });
    const { k, at } = loop(t);
    expect(k.call(at, [], { budget: 2000 }).instructions).to.equal(2000);
    expect(k.call(at, [], { budget: 2000 }).instructions).to.equal(1000);
    t.finish();
    expect(t.own.timeout).to.equal('watchdog: instruction budget of 3000 exhausted');
  });
});
