import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { Parser, type Result } from 'tap-parser';
import { checkGolden } from '../../kernel/testing/golden';
import { totalsOf, type PartRecord, type RunReport, type SubtestRun, type TestRun, type Totals, type Verdict } from '../runner/results';
import { runFixtures } from '../runner/testing';
import { formatJsonSummary, jsonSummary } from './json-summary';
import { formatJunit, xmlEscape } from './junit';
import { formatKtap } from './ktap';
import { formatTestProgs } from './test-progs';

const GOLDEN = join(__dirname, 'golden');
const ACCEPT = 'RVTRAMP_ACCEPT=1 npx mocha --no-config -r ts-node/register/transpile-only harness/reporters/reporters.test.ts';

function golden(name: string, text: string): void {
  const problem = checkGolden(join(GOLDEN, name), text, ACCEPT);
  if (problem) expect.fail(problem);
}

describe('harness/reporters: golden output of the fixture run (v6.2 and v6.8)', () => {
  let report: RunReport;
  before(async () => {
    report = await runFixtures();
  });

  it('test_progs lines, All error logs and Summary', () => golden('fixtures.test-progs.txt', formatTestProgs(report, { verbose: false })));
  it('test_progs lines with -v (every log, no error section)', () => golden('fixtures.test-progs-v.txt', formatTestProgs(report, { verbose: true })));
  it('KTAP', () => golden('fixtures.ktap', formatKtap(report, { verbose: false })));
  it('JSON summary', () => golden('fixtures.json', formatJsonSummary(report)));
  it('JUnit XML', () => golden('fixtures.junit.xml', formatJunit(report, { verbose: false })));

  it('the Summary counts runs (test x profile), as test_progs counts tests', () => {
    const last = formatTestProgs(report, { verbose: false }).trimEnd().split('\n').slice(-2);
    expect(last).to.deep.equal(['Expected failures: 1 XFAIL, 1 XPASS', 'Summary: 10/13 PASSED, 4 SKIPPED, 16 FAILED']);
  });
});

// ---- KTAP through a real TAP parser ------------------------------------------------------------

interface Node {
  readonly ok: boolean;
  readonly id: number;
  readonly name: string;
  readonly skip: boolean;
  readonly children: Node[];
}

interface Level {
  readonly plan: number | undefined;
  readonly results: Node[];
  readonly extras: string[];
  readonly comments: string[];
}

/**
 * tap-parser reads TAP 14, whose subtests are indented by four spaces; KTAP indents by two and
 * says `KTAP version 1`. Re-indenting and renaming the version line is the whole difference.
 */
function ktapToTap14(ktap: string): string {
  return ktap
    .split('\n')
    .map((line) => {
      const indent = /^ */.exec(line)![0].length;
      expect(indent % 2, `odd indentation: ${JSON.stringify(line)}`).to.equal(0);
      const rest = line.slice(indent);
      return '    '.repeat(indent / 2) + (rest === 'KTAP version 1' ? 'TAP version 14' : rest);
    })
    .join('\n');
}

function parseTap(tap: string): Promise<{ top: Level; final: Result }> {
  return new Promise((resolve) => {
    const watch = (p: Parser): Level => {
      const level: Level = { plan: undefined, results: [], extras: [], comments: [] };
      let pending: Level | undefined;
      p.on('plan', (plan: { end: number }) => Object.assign(level, { plan: plan.end }));
      p.on('child', (c: Parser) => {
        pending = watch(c);
      });
      p.on('assert', (a: Result) => {
        level.results.push({ ok: a.ok, id: a.id ?? 0, name: a.name, skip: Boolean(a.skip), children: pending ? pending.results : [] });
        if (pending) {
          expect(pending.plan, `plan of ${a.name}`).to.equal(pending.results.length);
          expect(pending.extras, `unparsed lines under ${a.name}`).to.deep.equal([]);
        }
        pending = undefined;
      });
      p.on('extra', (e: string) => level.extras.push(e));
      p.on('comment', (c: string) => level.comments.push(c));
      return level;
    };
    const parser = new Parser();
    const top = watch(parser);
    parser.on('complete', (final: Result) => resolve({ top, final }));
    parser.end(tap);
  });
}

describe('harness/reporters: KTAP parsed by tap-parser', () => {
  let report: RunReport;
  let parsed: { top: Level; final: Result };
  before(async () => {
    report = await runFixtures();
    parsed = await parseTap(ktapToTap14(formatKtap(report, { verbose: true })));
  });

  it('parses with a plan at every level, results numbered 1..n, and no unparsed lines', () => {
    const { top } = parsed;
    expect(top.extras).to.deep.equal([]);
    expect(top.plan).to.equal(2);
    const check = (nodes: Node[]) => {
      expect(nodes.map((n) => n.id)).to.deep.equal(nodes.map((_, i) => i + 1));
      nodes.forEach((n) => check(n.children));
    };
    check(top.results);
    expect(top.results.map((n) => n.name)).to.deep.equal(['v6.2', 'v6.8']);
    expect(top.results[0]!.children.map((n) => n.name.split(' # ')[0])).to.deep.equal(report.runs.filter((r) => r.profile === 'v6.2').map((r) => r.name));
  });

  it('a parent is not ok exactly when one of its children is not ok', () => {
    const check = (n: Node) => {
      if (n.children.length) expect(n.ok, n.name).to.equal(n.children.every((c) => c.ok));
      n.children.forEach(check);
    };
    parsed.top.results.forEach(check);
    expect(parsed.final.ok).to.equal(false);
  });

  it('directives: SKIP is a skip to the parser; XFAIL ok; XPASS and TIMEOUT not ok', () => {
    const v62 = parsed.top.results[0]!.children;
    const byName = (n: string) => v62.find((x) => x.name.split(' # ')[0] === n)!;
    expect(byName('skip_all')).to.include({ ok: true, skip: true });
    const era = byName('era').children;
    expect(era.map((c) => [c.ok, c.name])).to.deep.equal([
      [false, 'fentry # XPASS claimed broken, but it is not'],
      [true, 'fexit # XFAIL trampoline era too old'],
    ]);
    expect(byName('hang')).to.include({ ok: false, name: 'hang # TIMEOUT watchdog: instruction budget of 100000 exhausted' });
  });

  it('# Totals agrees with the leaves the parser saw and with the run', () => {
    const totals = leafTotals(parsed.top);
    const line = `# Totals: pass:${totals.pass} fail:${totals.fail} xfail:${totals.xfail} xpass:${totals.xpass} skip:${totals.skip} error:${totals.error}\n`;
    expect(parsed.top.comments[parsed.top.comments.length - 1]).to.equal(line);
    expect(totalsOf(report.runs)).to.deep.equal(totals);
  });
});

/** What the leaves of a parsed KTAP document say, counted as `# Totals` counts. */
function leafTotals(top: Level): Totals {
  const totals = { pass: 0, fail: 0, xfail: 0, xpass: 0, skip: 0, error: 0 };
  const leaves = (n: Node): Node[] => (n.children.length ? n.children.flatMap(leaves) : [n]);
  for (const leaf of top.results.flatMap((p) => p.children.flatMap(leaves))) {
    if (leaf.skip) totals.skip++;
    else if (leaf.name.includes(' # XFAIL')) totals.xfail++;
    else if (leaf.name.includes(' # XPASS')) totals.xpass++;
    else if (leaf.name.includes(' # ERROR')) totals.error++;
    else if (leaf.ok) totals.pass++;
    else totals.fail++;
  }
  return totals;
}

describe('harness/reporters: KTAP and JUnit for cases the fixtures do not produce', () => {
  const part = (o: Partial<PartRecord> = {}): PartRecord => ({ log: [], errors: 0, skipped: false, durationMs: 0, ...o });
  const run = (name: string, number: number, o: Partial<TestRun>): TestRun => ({
    name, number, serial: false, profile: 'v6.8', own: part(), subtests: [], filtered: 0, judgement: { verdict: 'pass' }, ownJudgement: { verdict: 'pass' }, durationMs: 0, ...o,
  });
  const sub = (name: string, number: number, verdict: Verdict, o: Partial<PartRecord> = {}): SubtestRun => ({ name, number, verdict, ...part(o) });
  const report: RunReport = {
    profiles: ['v6.8'],
    problems: [],
    runs: [
      // Its subtests pass, its own code fails after them.
      run('wrapper', 1, { own: part({ log: ['test_wrapper:FAIL:own failure'], errors: 1 }), subtests: [sub('s1', 1, 'pass')], judgement: { verdict: 'fail' }, ownJudgement: { verdict: 'fail' } }),
      // Reasons and messages of more than one line.
      run('skipper', 2, { own: part({ skipped: true, skipReason: 'line one\nline two # hash' }), judgement: { verdict: 'skip' }, ownJudgement: { verdict: 'skip' } }),
      run('slow', 3, { subtests: [sub('t', 1, 'timeout', { errors: 1, timeout: 'first\nsecond', log: ['TIMEOUT: first\nsecond'] })], judgement: { verdict: 'timeout' } }),
      // Its subtest passes where an expectation says the test as a whole must fail.
      run('whole_xpass', 4, { subtests: [sub('u', 1, 'pass')], judgement: { verdict: 'xpass', reason: 'must fail here', signature: 'sig' } }),
    ],
  };

  it('KTAP: a verdict no subtest carries (own code failing, a whole-test XPASS) is a leaf of its own; reasons stay on their line', async () => {
    const ktap = formatKtap(report, { verbose: false });
    expect(ktap).to.contain('    ok 1 s1\n    # test_wrapper:FAIL:own failure\n    not ok 2 wrapper (outside subtests)\n  not ok 1 wrapper\n');
    expect(ktap).to.contain('  ok 2 skipper # SKIP line one line two # hash\n');
    expect(ktap).to.contain('    not ok 1 t # TIMEOUT first second\n');
    expect(ktap).to.contain('    ok 1 u\n    not ok 2 whole_xpass (as a whole) # XPASS must fail here\n  not ok 4 whole_xpass # XPASS must fail here\n');
    const { top } = await parseTap(ktapToTap14(ktap));
    expect(top.extras).to.deep.equal([]);
    // A parser that judges by leaves sees the failure, and Totals counts what it sees.
    expect(leafTotals(top)).to.deep.equal(totalsOf(report.runs));
    expect(totalsOf(report.runs)).to.deep.equal({ pass: 2, fail: 2, xfail: 0, xpass: 1, skip: 1, error: 0 });
  });

  it('JUnit: a line break in an attribute is a character reference (a parser would make it a space)', () => {
    const xml = formatJunit(report, { verbose: false });
    expect(xml).to.contain('<skipped message="line one&#10;line two # hash"/>');
    expect(xml).to.contain('<failure type="TIMEOUT" message="first&#10;second">TIMEOUT: first\nsecond</failure>');
    // The same extra cases as KTAP's leaves: own code, and a whole-test XPASS.
    expect(xml).to.contain('<testcase classname="wrapper" name="wrapper@v6.8"');
    expect(xml).to.contain('<testcase classname="whole_xpass" name="whole_xpass@v6.8"');
  });
});

// ---- JSON against its schema; JUnit well-formed ------------------------------------------------

describe('harness/reporters: JSON summary schema', () => {
  const schema = JSON.parse(readFileSync(join(__dirname, 'json-summary.schema.json'), 'utf8')) as object;
  const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

  it('the fixture summary validates; results hold the failed runs and their failed subtests only', async () => {
    const report = await runFixtures();
    const json = JSON.parse(formatJsonSummary(report)) as ReturnType<typeof jsonSummary>;
    expect(validate(json), JSON.stringify(validate.errors)).to.equal(true);
    expect(json.results.map((r) => `${r.name}@${r.profile}:${r.subtests.map((s) => s.name).join(',')}`)).to.deep.equal([
      'era@v6.2:fentry', 'hang@v6.2:', 'kernel_warn@v6.2:', 'never_settles@v6.2:', 'reports_timeout@v6.2:slow', 'subtests@v6.2:bad', 'throws@v6.2:boom', 'unhandled_rejection@v6.2:', 'whole@v6.2:',
      'hang@v6.8:', 'kernel_warn@v6.8:', 'never_settles@v6.8:', 'reports_timeout@v6.8:slow', 'subtests@v6.8:bad', 'throws@v6.8:boom', 'unhandled_rejection@v6.8:',
    ]);
    expect(json.failed).to.equal(json.results.length);
  });

  it('the schema rejects what upstream tools could not read', () => {
    const ok = { success: 1, success_subtest: 0, skipped: 0, failed: 0, results: [] };
    expect(validate(ok)).to.equal(true);
    expect(validate({ ...ok, failed: -1 })).to.equal(false);
    expect(validate({ success: 1, success_subtest: 0, skipped: 0, results: [] })).to.equal(false);
    expect(validate({ ...ok, results: [{ name: 'x', number: 1, message: '', failed: true, subtests: [] }] })).to.equal(false);
  });
});

describe('harness/reporters: JUnit XML', () => {
  it('is well-formed: balanced elements, escaped text, counts that match the cases', async () => {
    const xml = formatJunit(await runFixtures(), { verbose: true });
    const stack: string[] = [];
    for (const m of xml.slice(xml.indexOf('?>') + 2).matchAll(/<(\/?)([A-Za-z-]+)([^>]*?)(\/?)>|([^<]+)/g)) {
      if (m[5] !== undefined) {
        expect(m[5], 'raw & in text').to.not.match(/&(?!(amp|lt|gt|quot);)/);
        continue;
      }
      if (m[1]) expect(stack.pop()).to.equal(m[2]);
      else if (!m[4]) stack.push(m[2]!);
    }
    expect(stack).to.deep.equal([]);
    const tests = Number(/<testsuites [^>]*tests="(\d+)"/.exec(xml)![1]);
    expect(xml.match(/<testcase /g)).to.have.length(tests);
  });

  it('escapes markup and characters XML 1.0 forbids', () => {
    expect(xmlEscape('a<b>&"c"\u0001')).to.equal('a&lt;b&gt;&amp;&quot;c&quot;\ufffd');
  });
});
