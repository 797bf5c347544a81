import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { getProfile } from '../../kernel/profiles/profiles';
import { BATCH, batchSeed, batchTarget, runCampaign, shardBatch } from '../fuzz/campaign';
import { readReplay } from '../fuzz/replay-file';
import { BPF_PROFILES } from '../../selftests/properties/suite';
import { parseFuzzArgs, type FuzzOptions } from './cmd-fuzz';
import { expectOneLineError, run } from './testing';

describe('rvtramp fuzz / replay', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'rvtramp-fuzz-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes on v6.16 with a fixed seed (exit 0, summary)', async () => {
    const r = await run(['fuzz', '--runs', '20', '--seed', '7', '-p', 'v6.16', '--out', dir]);
    expect(r.code, r.out + r.err).to.equal(0);
    expect(r.out).to.match(/^rvtramp fuzz: seed 7, shard 1\/1, 20 cases/);
    expect(r.out).to.match(/Summary: 20 cases in [\d.]+ s, [\d.]+ cases\/s, 0 failures\n$/);
  });

  it('-j N: the same report and replay file as one thread', async () => {
    const runs = [] as { out: string; file: string }[];
    for (const j of [[], ['-j', '2']]) {
      const out = join(dir, `j${j.length}`);
      const r = await run(['fuzz', '--runs', '100', '--seed', '1', '-p', 'v6.16,v6.5+direct-calls', '--shard', '2/2', ...j, '--out', out]);
      expect(r.code, r.out + r.err).to.equal(1);
      const files = readdirSync(out);
      expect(files).to.have.length(1);
      runs.push({ out: r.out, file: readFileSync(join(out, files[0]!), 'utf8') });
    }
    const [one, two] = runs as [{ out: string; file: string }, { out: string; file: string }];
    expect(two.out).to.match(/^rvtramp fuzz: seed 1, shard 2\/2, 100 cases, batches of 10, 2 workers, profiles /);
    // Everything between the header and the summary (the failure, its case, the replay command).
    const body = (t: string) => t.split('\n').slice(1, -2).join('\n').replaceAll(join(dir, 'j2'), 'OUT').replaceAll(join(dir, 'j0'), 'OUT');
    expect(body(two.out)).to.equal(body(one.out));
    expect(body(one.out)).to.match(/^FAIL v6\.5\+direct-calls /);
    expect(two.file).to.equal(one.file);
  });

  it('-j parses as in run: a number after it or attached, else the number of CPUs', () => {
    const w = (...a: string[]) => (parseFuzzArgs(a) as FuzzOptions).workers;
    expect([w(), w('-j', '3'), w('-j3'), w('--workers=4'), w('--workers', '2'), w('-j', '--runs', '5')]).to.deep.equal([1, 3, 3, 4, 2, availableParallelism()]);
    expect(() => parseFuzzArgs(['-j0'])).to.throw(/-j 0: expected an integer >= 1/);
  });

  it('finds, shrinks and saves the 2023 bug on v6.5+direct-calls; replay shows the diagnosis', async () => {
    const out = join(dir, 'broken');
    const r = await run(['fuzz', '--runs', '100', '--seed', '1', '-p', 'v6.5+direct-calls', '--out', out]);
    expect(r.code, r.out + r.err).to.equal(1);
    expect(r.out).to.match(/FAIL v6\.5\+direct-calls \w+: case \d+ of this run failed/);
    expect(r.out).to.match(/Summary: \d+ cases? in [\d.]+ s, [\d.]+ cases\/s, 1 failure\n$/);
    const files = readdirSync(out);
    expect(files).to.have.length(1);
    const file = join(out, files[0]!);
    const rep = readReplay(file);
    expect(rep.profile).to.equal('v6.5+direct-calls');
    expect(rep.findings.length).to.be.greaterThan(0);
    expect(rep.rvtramp).to.be.a('string');
    expect(rep.seed).to.be.a('number');
    expect(rep.case.steps.filter((s) => s.op === 'attach')).to.have.length(1); // shrunk
    const d = await run(['replay', file]);
    expect(d.code, d.out + d.err).to.equal(1);
    expect(d.out).to.contain('FAIL: the case still fails on v6.5+direct-calls');
    expect(d.out).to.match(/sled of rvt_gen_f\d/);
    expect(d.out).to.match(/trampoline image for rvt_gen_f\d at bpf_trampoline_rvt_gen_f\d/);
    expect(d.out).to.match(/\tauipc\t/);
    // The same case on a fixed kernel passes: replay says so, exit 0.
    const fixed = join(dir, 'fixed.json');
    writeFileSync(fixed, require('node:fs').readFileSync(file, 'utf8').replace('"profile": "v6.5+direct-calls"', '"profile": "v6.8"'));
    const p = await run(['replay', fixed]);
    expect(p.code, p.out).to.equal(0);
    expect(p.out).to.contain('PASS: the case passes now on v6.8');
  });

  it('a replay file that cannot be written: the report still comes, with the replay JSON to save', async () => {
    // Every name the replay file could get is taken by a directory: writing it fails (EISDIR).
    const out = join(dir, 'taken');
    for (const prop of ['attach', 'steps', 'commands']) for (let b = 0; b < 10; b++) mkdirSync(join(out, `v6.5+direct-calls-${prop}-seed1-batch${b}.json`), { recursive: true });
    const r = await run(['fuzz', '--runs', '100', '--seed', '1', '-p', 'v6.5+direct-calls', '--out', out]);
    expect(r.code, r.out + r.err).to.equal(1);
    expect(r.err).to.match(/^rvtramp fuzz: cannot write the replay file .*taken\/v6\.5\+direct-calls-\w+-seed1-batch\d\.json: EISDIR\n$/);
    expect(r.out).to.match(/FAIL v6\.5\+direct-calls \w+: case \d+ of this run failed/);
    const m = /replay file: cannot write .*; its contents, to save as a file for rvtramp replay:\n(\{[\s\S]*\n\})\nSummary: /.exec(r.out);
    expect(m, r.out).to.not.equal(null);
    const saved = join(dir, 'saved.json');
    writeFileSync(saved, m![1]!);
    const d = await run(['replay', saved]);
    expect(d.code, d.out + d.err).to.equal(1);
    expect(d.out).to.contain('FAIL: the case still fails on v6.5+direct-calls');
  });

  it('Ctrl-C stops the campaign after the running batch: summary, exit 130', async function () {
    // A separate process: the signal goes to it, not to mocha.
    const root = join(__dirname, '..', '..');
    const code = `require('./harness/cli/main').main(['fuzz', '--time', '120', '--seed', '1', '-p', 'v6.16', '--out', ${JSON.stringify(dir)}]).then((c) => { process.exitCode = c; })`;
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', code], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let sent = false;
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      // Started: let it run a few batches, then interrupt (once: a second Ctrl-C ends it at once).
      if (out.includes('rvtramp fuzz: seed 1') && !sent) {
        sent = true;
        setTimeout(() => child.kill('SIGINT'), 500);
      }
    });
    const exit = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    expect(exit, out).to.equal(130);
    expect(out).to.match(/Summary: \d+ cases in [\d.]+ s, [\d.]+ cases\/s, 0 failures \(interrupted by SIGINT\)\n$/);
  });

  it('shards: deterministic, disjoint, and together the unsharded campaign', () => {
    const T = 18;
    const n = 4;
    const seen = new Map<number, number>();
    for (let i = 1; i <= n; i++) for (let k = 0; k < 50; k++) {
      const g = shardBatch({ index: i, count: n }, k);
      expect(seen.has(g), `batch ${g} in two shards`).to.equal(false);
      seen.set(g, i);
    }
    expect([...seen.keys()].sort((a, b) => a - b)).to.deep.equal([...Array(200).keys()]);
    // Every shard visits every target, for any shard count.
    for (const count of [2, 3, 6, 18]) for (let i = 1; i <= count; i++) {
      const ts = new Set<number>();
      for (let k = 0; k < T * 2; k++) ts.add(batchTarget(shardBatch({ index: i, count }, k), T));
      expect(ts.size, `shard ${i}/${count}`).to.equal(T);
    }
    expect(batchSeed(5, 3)).to.equal(batchSeed(5, 3));
    expect(batchSeed(5, 3)).to.not.equal(batchSeed(5, 4));
    expect(batchSeed(5, 3)).to.not.equal(batchSeed(6, 3));
    // Same options, same cases: a run records which batches and seeds it ran.
    const profiles = [getProfile('v6.16')];
    const a = runCampaign({ profiles, seed: 3, shard: { index: 2, count: 3 }, runs: BATCH * 2 });
    const b = runCampaign({ profiles, seed: 3, shard: { index: 2, count: 3 }, runs: BATCH * 2 });
    expect(a.stats.cases).to.equal(BATCH * 2);
    expect(b.stats.batches).to.equal(a.stats.batches);
  });

  it('bad options: exit 3 and one line', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    for (const argv of [['--runs', '0'], ['--runs', 'x'], ['--shard', '5/4'], ['--shard', '1'], ['-p', 'v9.9'], ['--runs', '3', '--time', '2'], ['--bogus'], ['--time', '-1'], ['--out', file], ['--out', join(file, 'sub')]]) {
      const r = await run(['fuzz', ...argv]);
      expect(r.code, argv.join(' ')).to.equal(3);
      expect(r.err.trimEnd().split('\n'), r.err).to.have.length(1);
      expect(r.err).to.match(/^rvtramp fuzz: /);
    }
    const exact: [string[], string][] = [
      // Shard counts stay small enough for exact batch numbers (2^53 + 1 read as 2^53 made two shards one).
      [['--shard', '9007199254740993/9007199254740993'], '--shard 9007199254740993/9007199254740993: expected i/n with 1 <= i <= n <= 1048576'],
      [['--shard', '1/1048577'], '--shard 1/1048577: expected i/n with 1 <= i <= n <= 1048576'],
      [['-p', ','], '-p needs a profile name'],
      [['--time'], '--time needs a value'],
      [['--quiet=yes'], "option '--quiet' takes no value"],
    ];
    for (const [argv, msg] of exact) {
      const r = await run(['fuzz', ...argv]);
      expect([r.code, r.err], argv.join(' ')).to.deep.equal([3, `rvtramp fuzz: ${msg}\n`]);
    }
    // Seeds are 32-bit: 4294967303 would run seed 7's campaign.
    for (const seed of ['4294967303', '2147483648', '-2147483649', '1.5']) {
      const r = await run(['fuzz', '--runs', '1', '--seed', seed]);
      expect(r.code, seed).to.equal(3);
      expect(r.err).to.equal(`rvtramp fuzz: --seed ${seed}: expected an integer from -2147483648 to 2147483647\n`);
    }
    const missing = await run(['replay', join(dir, 'nope.json')]);
    expect(missing.code).to.equal(3);
    expect(missing.err).to.match(/^rvtramp replay: cannot read .*nope\.json: ENOENT\n$/);
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '{"a": 1}');
    const j = await run(['replay', junk]);
    expect(j.code).to.equal(3);
    expect(j.err).to.match(/not an rvtramp replay file/);
    // Another format of replay file: said, not guessed at.
    const future = join(dir, 'future.json');
    writeFileSync(future, JSON.stringify({ format: 'rvtramp-fuzz-replay/9', rvtramp: '9.0.0', profile: 'v6.16', case: { module: { functions: [] }, progs: [], steps: [] } }));
    const fu = await run(['replay', future]);
    expect(fu.code).to.equal(3);
    expect(fu.err).to.match(/future\.json: replay format 'rvtramp-fuzz-replay\/9' \(written by rvtramp 9\.0\.0\); this rvtramp reads 'rvtramp-fuzz-replay\/1'\n$/);
    // A hand-edited case that cannot run: the first wrong field, by its path.
    const edited = join(dir, 'edited.json');
    writeFileSync(edited, JSON.stringify({ profile: 'v6.16', case: { module: { functions: [] }, progs: [], steps: [{ op: 'zap' }] } }));
    const e = await run(['replay', edited]);
    expect(e.code).to.equal(3);
    expect(e.err).to.match(/^rvtramp replay: .*edited\.json: case\.module: a module needs at least one function\n$/);
  });

  it('replay: the descriptive fields are checked too, messages stay one line, a BOM is fine', async () => {
    const one = { module: { functions: [{ args: [], ret: 'char', frame: 'fp', saved: 0, locals: 0, pad: 0, salt: '0x0' }] }, progs: [], steps: [{ op: 'call', fn: 0, args: [] }] };
    const write = (name: string, text: string) => {
      const f = join(dir, name);
      writeFileSync(f, text);
      return f;
    };
    // findings used to reach the PASS report as they were: "x.map is not a function", exit 70.
    for (const [field, value, msg] of [['findings', 'oops', 'findings: expected a list of strings'], ['seed', 1.5, 'seed: expected an integer'], ['path', 7, 'path: expected a string']] as const) {
      const r = await run(['replay', write('field.json', JSON.stringify({ profile: 'v6.16', [field]: value, case: one }))]);
      expect([r.code, r.err], field).to.deep.equal([3, `rvtramp replay: ${join(dir, 'field.json')}: ${msg}\n`]);
    }
    const nl = await run(['replay', write('nl.json', JSON.stringify({ profile: 'v6\nx', case: one }))]);
    expect([nl.code, nl.err]).to.deep.equal([3, `rvtramp replay: ${join(dir, 'nl.json')}: unknown profile 'v6\\nx'\n`]);
    // A byte order mark is skipped; only the case holds "0x..." bigints (rvtramp stays a string).
    const bom = await run(['replay', write('bom.json', `\uFEFF${JSON.stringify({ profile: 'v6.16', rvtramp: '0x10', case: one })}`)]);
    expect(bom.code, bom.err).to.equal(0);
    expect(bom.out).to.match(/^replay .*bom\.json: v6\.16, written by rvtramp 0x10\n/);
    // After --, a name is a file even when it starts with '-'.
    const ok = write('ok.json', JSON.stringify({ profile: 'v6.16', case: one }));
    expect((await run(['replay', '--', ok])).code).to.equal(0);
    expectOneLineError(await run(['replay', '--', ok, ok]), /takes one replay FILE/);
    expectOneLineError(await run(['replay', '-x', '--', ok]), /unknown option '-x'/);
    expectOneLineError(await run(['replay', '--', '--help']), /cannot read --help: ENOENT/);
    // Not JSON: the parser's complaint without its quote of the file (which may span lines).
    const md = await run(['replay', write('notes.md', '# notes\n\nnot a replay file\n')]);
    expect([md.code, md.err]).to.deep.equal([3, `rvtramp replay: ${join(dir, 'notes.md')} is not JSON: Unexpected token '#'\n`]);
  });

  it('--help names the default profiles (every correct BPF profile)', async () => {
    const r = await run(['fuzz', '--help']);
    expect(r.code).to.equal(0);
    const text = r.out.replace(/\s+/g, ' ');
    const m = /\(default: the correct BPF profiles ([^)]*)\)/.exec(text);
    expect(m, text).to.not.equal(null);
    const named = new Set(m![1]!.replace(/ and their -norvc twins$/, '').split(/, | and /));
    const want = BPF_PROFILES.map((p) => p.name);
    const expanded = m![1]!.endsWith('-norvc twins') ? [...named].flatMap((n) => [n, `${n}-norvc`]) : [...named];
    expect(expanded.sort()).to.deep.equal([...want].sort());
    expect(want).to.include('v7.0');
    // The option text keeps its column width (the usage line above it is one long line).
    for (const line of r.out.split('\n').filter((l) => l.startsWith('  '))) expect(line.length, line).to.be.at.most(96);
  });
});
