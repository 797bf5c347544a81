import { expect } from 'chai';
import { globMatch } from './glob';
import { parseListFile, parseNames, parseNumbers, SelectionError, subtestSelected, testSelected, type NameEntry, type NumberEntry, type Selector } from './selection';

const sel = (s: { allow?: NameEntry[]; deny?: NameEntry[]; nums?: NumberEntry[] }): Selector => ({ allow: s.allow ?? [], deny: s.deny ?? [], nums: s.nums ?? [] });
const t = (value: string) => parseNames(value, { substring: true });
const a = (value: string, files: Record<string, string> = {}) =>
  parseNames(value, {
    substring: false,
    readFile: (p) => {
      if (!(p in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return files[p]!;
    },
  });

// Tests and subtests as a registry would number them.
const TESTS = ['fentry_fexit', 'fentry_test', 'fexit_test', 'tailcalls', 'trampoline_count'];
const SUBS: Record<string, string[]> = {
  fentry_test: ['fentry', 'fentry_many_args'],
  fexit_test: ['fexit', 'fexit_many_args'],
  tailcalls: ['tailcall_1', 'tailcall_bpf2bpf_1', 'tailcall_bpf2bpf_fentry'],
};

/** Everything a selector runs, as test or test/subtest names. */
function run(s: Selector): string[] {
  const out: string[] = [];
  TESTS.forEach((name, i) => {
    if (!testSelected(s, name, i + 1)) return;
    const subs = SUBS[name];
    if (!subs) return void out.push(name);
    subs.forEach((sub, j) => {
      if (subtestSelected(s, name, i + 1, sub, j + 1)) out.push(`${name}/${sub}`);
    });
  });
  return out;
}

describe('harness/runner/selection: globs', () => {
  it('* and ? only; everything else is literal', () => {
    expect(globMatch('fexit*', 'fexit_test')).to.equal(true);
    expect(globMatch('f?xit_test', 'fexit_test')).to.equal(true);
    expect(globMatch('fexit', 'fexit_test')).to.equal(false);
    expect(globMatch('v6.5+direct-calls*', 'v6.5+direct-calls-norvc')).to.equal(true);
    expect(globMatch('v6.5', 'v6x5')).to.equal(false);
    expect(globMatch('a[b]', 'a[b]')).to.equal(true);
  });
});

describe('harness/runner/selection: -t / -b (substring)', () => {
  it('-t x selects tests whose name contains x, with all their subtests', () => {
    expect(run(sel({ allow: t('fexit') }))).to.deep.equal(['fentry_fexit', 'fexit_test/fexit', 'fexit_test/fexit_many_args']);
  });
  it('-t test/sub: substring on both parts; comma lists add up', () => {
    expect(run(sel({ allow: t('fentry_test/many,tailcalls/bpf2bpf') }))).to.deep.equal([
      'fentry_test/fentry_many_args',
      'tailcalls/tailcall_bpf2bpf_1',
      'tailcalls/tailcall_bpf2bpf_fentry',
    ]);
  });
  it('-b removes by substring; a test/sub deny entry removes only subtests', () => {
    // A bare entry is about test names only: tailcalls' subtest tailcall_bpf2bpf_fentry stays.
    expect(run(sel({ deny: t('fentry') }))).to.deep.equal([
      'fexit_test/fexit',
      'fexit_test/fexit_many_args',
      'tailcalls/tailcall_1',
      'tailcalls/tailcall_bpf2bpf_1',
      'tailcalls/tailcall_bpf2bpf_fentry',
      'trampoline_count',
    ]);
    expect(run(sel({ allow: t('test'), deny: t('test/many_args') }))).to.deep.equal(['fentry_test/fentry', 'fexit_test/fexit']);
  });
});

describe('harness/runner/selection: -a / -d (globs) and @file lists', () => {
  it('-a is exact without metacharacters, a glob with them', () => {
    expect(run(sel({ allow: a('fexit') }))).to.deep.equal([]);
    expect(run(sel({ allow: a('fexit_test') }))).to.deep.equal(['fexit_test/fexit', 'fexit_test/fexit_many_args']);
    expect(run(sel({ allow: a('f*_test/*many*') }))).to.deep.equal(['fentry_test/fentry_many_args', 'fexit_test/fexit_many_args']);
  });
  it('deny wins over allow', () => {
    expect(run(sel({ allow: a('fexit_test'), deny: a('fexit_test') }))).to.deep.equal([]);
    expect(run(sel({ allow: a('fexit_test/fexit'), deny: a('fexit_test/fexit') }))).to.deep.equal([]);
  });
  it('@file in the DENYLIST syntax: # comments, blank lines, test/sub globs', () => {
    const files = {
      'DENYLIST.riscv64': '# riscv64 deny list\nexceptions  # JIT does not support exceptions\n\ntailcalls/tailcall_bpf2bpf*   # JIT does not support mixing bpf2bpf and tailcalls\n  trampoline_count\n',
    };
    expect(a('@DENYLIST.riscv64', files)).to.deep.equal([{ test: 'exceptions' }, { test: 'tailcalls', sub: 'tailcall_bpf2bpf*' }, { test: 'trampoline_count' }]);
    expect(run(sel({ deny: a('@DENYLIST.riscv64,fentry_fexit', files) }))).to.deep.equal([
      'fentry_test/fentry',
      'fentry_test/fentry_many_args',
      'fexit_test/fexit',
      'fexit_test/fexit_many_args',
      'tailcalls/tailcall_1',
    ]);
  });
  it('an unreadable @file is an error naming it', () => {
    expect(() => a('@missing.txt')).to.throw(SelectionError, "cannot read test list 'missing.txt': ENOENT");
  });
  it('parseListFile keeps entries only', () => {
    expect(parseListFile('a # x\n# only a comment\n\n b/c \n')).to.deep.equal(['a', 'b/c']);
  });
});

describe('harness/runner/selection: -n numbers', () => {
  it('single numbers, ranges and sets; optional /subtest numbers', () => {
    expect(parseNumbers('5-10,1,3-4')).to.deep.equal({ tests: [1, 3, 4, 5, 6, 7, 8, 9, 10] });
    expect(parseNumbers('3/2')).to.deep.equal({ tests: [3], subs: [2] });
    expect(run(sel({ nums: [parseNumbers('2-3')] }))).to.deep.equal(['fentry_test/fentry', 'fentry_test/fentry_many_args', 'fexit_test/fexit', 'fexit_test/fexit_many_args']);
    expect(run(sel({ nums: [parseNumbers('3/2')] }))).to.deep.equal(['fexit_test/fexit_many_args']);
    expect(run(sel({ nums: [parseNumbers('4/1,3')] }))).to.deep.equal(['tailcalls/tailcall_1', 'tailcalls/tailcall_bpf2bpf_fentry']);
  });
  it('repeated -n add up, and so do names and numbers (test_progs should_run); deny still wins', () => {
    expect(run(sel({ nums: [parseNumbers('1'), parseNumbers('5')] }))).to.deep.equal(['fentry_fexit', 'trampoline_count']);
    expect(run(sel({ nums: [parseNumbers('1')], allow: t('trampoline') }))).to.deep.equal(['fentry_fexit', 'trampoline_count']);
    expect(run(sel({ nums: [parseNumbers('2')], allow: t('fexit_test/many') }))).to.deep.equal(['fentry_test/fentry', 'fentry_test/fentry_many_args', 'fexit_test/fexit_many_args']);
    expect(run(sel({ nums: [parseNumbers('4/1')], allow: a('fexit_test/fexit') }))).to.deep.equal(['fexit_test/fexit', 'tailcalls/tailcall_1']);
    expect(run(sel({ nums: [parseNumbers('1-3')], deny: a('fentry_test') }))).to.deep.equal(['fentry_fexit', 'fexit_test/fexit', 'fexit_test/fexit_many_args']);
    expect(run(sel({ nums: [parseNumbers('3')], deny: a('fexit_test/fexit') }))).to.deep.equal(['fexit_test/fexit_many_args']);
  });
  it('bad sets are errors that show the accepted forms', () => {
    for (const bad of ['', 'x', '0', '3-1', '1,,2', '2/']) expect(() => parseNumbers(bad), bad).to.throw(SelectionError);
    expect(() => parseNumbers('abc')).to.throw(/bad test number set 'abc' \(use e\.g\. 3, 1-3 or 5-10,1,3-4\)/);
  });
});
