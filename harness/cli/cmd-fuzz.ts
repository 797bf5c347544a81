/**
 * `rvtramp fuzz`: the property cases of selftests/properties on kernel profiles, with
 * fast-check, for as many cases or seconds as asked; progress while it runs, a summary at the
 * end, and a replay file for a counterexample (harness/fuzz). Exit 0 no failure, 1 a failure,
 * 3 bad options, 130 interrupted (Ctrl-C or SIGTERM: the summary of what ran is printed).
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { Profile } from '../../kernel/profiles/profiles';
import { describeCase } from '../../selftests/properties/case';
import { BPF_PROFILES } from '../../selftests/properties/suite';
import { resolveProfiles } from '../runner/selection';
import { BATCH, runCampaignAsync, type CampaignStats } from '../fuzz/campaign';
import { runCampaignParallel } from '../fuzz/parallel';
import { replayOf, replayToJson } from '../fuzz/replay-file';
import { CliError } from './errors';
import { splitLongOption } from './long-option';
import { ensureDir, outDirProblem } from './out-dir';

export const EXIT_SETUP = 3;
/** A campaign stopped by SIGINT or SIGTERM before its budget was spent (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** The default profiles as the help names them ("A, B and C and their -norvc twins"), wrapped
 *  under the option text (derived from BPF_PROFILES, so a new era shows up here by itself). */
function defaultProfilesText(): string {
  const names = BPF_PROFILES.map((p) => p.name);
  const base = names.filter((n) => !n.endsWith('-norvc'));
  const twins = base.every((n) => names.includes(`${n}-norvc`)) && names.length === 2 * base.length;
  const list = twins ? base : names;
  const text = `${list.slice(0, -1).join(', ')}${list.length > 1 ? ' and ' : ''}${list[list.length - 1] ?? ''}${twins ? ' and their -norvc twins' : ''}`;
  const lines: string[] = [];
  let line = 'correct BPF profiles';
  for (const w of `${text})`.split(' ')) {
    if (22 + line.length + 1 + w.length > 94) {
      lines.push(line);
      line = w;
    } else line += ` ${w}`;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(22)}`);
}

export const FUZZ_USAGE = `usage: rvtramp fuzz [--runs N | --time SECONDS] [--seed S] [--shard i/n] [-j N] [-p PROFILE...] [--out DIR]

Runs the property cases (attachment sets, step sequences, fc.commands sequences) with
fast-check on kernel profiles until N cases ran or SECONDS passed; stops at the first failure,
shrinks it and writes a replay file (rvtramp replay FILE).

  --runs N            cases to run (default 1000 unless --time)
  --time SECONDS      run for this long (the batch running at the end finishes)
  --seed S            campaign seed, a 32-bit integer (default: from the clock, printed)
  --shard i/n         run shard i of n (1 <= i <= n <= 1048576): the batches g with
                      g mod n = i-1 of the campaign; shards of one seed are disjoint
                      (see README "Fuzzing")
  -j, --workers[=N]   run the shard on N worker threads (default N: the number of CPUs): the
                      same cases and the same first failure as one thread
  -p, --profile NAME  kernel profile, name or glob, repeatable or comma-separated (default: the
                      ${defaultProfilesText()}
  --out DIR           where replay files go (default ./fuzz-out)
  -q, --quiet         no progress output

Ctrl-C (or SIGTERM) stops the campaign after the running batch and prints its summary; a
second one ends it at once.

exit status: 0 no failure, 1 a property failed (replay file written), 3 bad options,
130 interrupted
`;

export interface FuzzOptions {
  runs?: number;
  timeMs?: number;
  seed: number;
  seedGiven: boolean;
  shard: { index: number; count: number };
  /** Worker threads; 1: the campaign runs in this thread. */
  workers: number;
  profiles: Profile[];
  out: string;
  quiet: boolean;
}

const bad = (m: string) => new CliError(m, EXIT_SETUP);

/** The most shards a campaign may be split into (a CI matrix has far fewer jobs). */
const MAX_SHARDS = 1 << 20;

function int(opt: string, v: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) throw bad(`${opt} needs a value`);
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < min || Number(v) > max) throw bad(`${opt} ${v}: expected an integer ${range}`);
  return Number(v);
}

export function parseFuzzArgs(argv: readonly string[]): FuzzOptions | 'help' {
  let runs: number | undefined;
  let timeMs: number | undefined;
  let seed: number | undefined;
  let shard = { index: 1, count: 1 };
  let workers = 1;
  const patterns: string[] = [];
  let out = 'fuzz-out';
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    let { name: a, inline: v } = splitLongOption(argv[i]!);
    if (v === undefined && /^-j./.test(a)) {
      v = a.slice(2);
      a = '-j';
    }
    const value = () => (v !== undefined ? v : argv[++i]);
    switch (a) {
      case '-h':
      case '--help':
        return 'help';
      case '--runs':
        runs = int('--runs', value(), 1);
        break;
      case '--time': {
        const s = value();
        if (s === undefined) throw bad('--time needs a value');
        if (!/^\d+(\.\d+)?$/.test(s) || Number(s) <= 0) throw bad(`--time ${s}: expected a positive number of seconds`);
        timeMs = Number(s) * 1000;
        break;
      }
      case '--seed':
        // The schedule mixes the seed as 32 bits (campaign.ts batchSeed): a wider one would
        // silently run the campaign of its low 32 bits.
        seed = int('--seed', value(), -(2 ** 31), 2 ** 31 - 1);
        break;
      case '--shard': {
        const s = value();
        const m = s === undefined ? null : /^(\d+)\/(\d+)$/.exec(s);
        // Bounded so that batch numbers (shard + k * n, times the -j workers) stay exact.
        if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2]) || Number(m[2]) > MAX_SHARDS) {
          throw bad(`--shard ${s ?? ''}: expected i/n with 1 <= i <= n <= ${MAX_SHARDS}`.replace(/ :/, ':'));
        }
        shard = { index: Number(m[1]), count: Number(m[2]) };
        break;
      }
      case '-j':
      case '--workers': {
        // A value only when attached (-j4, --workers=4) or a number follows, as in `run -j`.
        const s = v ?? (/^\d+$/.test(argv[i + 1] ?? '') ? argv[++i] : undefined);
        workers = s === undefined ? availableParallelism() : int(a, s, 1);
        break;
      }
      case '-p':
      case '--profile': {
        const s = value();
        const names = (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);
        if (names.length === 0) throw bad(`${a} needs a profile name`);
        patterns.push(...names);
        break;
      }
      case '--out': {
        const s = value();
        if (s === undefined || s === '') throw bad('--out needs a directory');
        const why = outDirProblem(s);
        if (why) throw bad(`--out ${s}: ${why}`);
        out = s;
        break;
      }
      case '-q':
      case '--quiet':
        if (v !== undefined) throw bad(`option '${a}' takes no value`);
        quiet = true;
        break;
      default:
        throw bad(a.startsWith('-') ? `unknown option '${a}' (see rvtramp fuzz --help)` : `unexpected argument '${a}'`);
    }
  }
  if (runs !== undefined && timeMs !== undefined) throw bad('--runs and --time exclude each other');
  let profiles: Profile[];
  try {
    profiles = patterns.length === 0 ? [...BPF_PROFILES] : resolveProfiles(patterns);
  } catch (e) {
    throw bad((e as Error).message);
  }
  const seedGiven = seed !== undefined;
  return {
    ...(runs === undefined && timeMs === undefined ? { runs: 1000 } : runs !== undefined ? { runs } : { timeMs: timeMs! }),
    seed: seed ?? (Date.now() & 0x7fffffff),
    seedGiven,
    shard,
    workers,
    profiles,
    out,
    quiet,
  };
}

const rate = (s: CampaignStats) => (s.elapsedMs > 0 ? (s.cases * 1000) / s.elapsedMs : 0);

function progressLine(s: CampaignStats, o: FuzzOptions): string {
  const budget = o.runs !== undefined ? `/${o.runs}` : '';
  const left = o.timeMs !== undefined ? `, ${Math.max(0, (o.timeMs - s.elapsedMs) / 1000).toFixed(0)} s left` : '';
  return `fuzz: ${s.cases}${budget} cases, ${rate(s).toFixed(1)} cases/s, ${s.failures} failures${left}`;
}

export async function cmdFuzz(argv: string[]): Promise<number> {
  const o = parseFuzzArgs(argv);
  if (o === 'help') {
    process.stdout.write(FUZZ_USAGE);
    return 0;
  }
  const shardText = `${o.shard.index}/${o.shard.count}`;
  const err = process.stderr;
  const tty = err.isTTY === true && !o.quiet;
  const names = o.profiles.map((p) => p.name).join(', ');
  process.stdout.write(
    `rvtramp fuzz: seed ${o.seed}${o.seedGiven ? '' : ' (from the clock)'}, shard ${shardText}, ${o.runs !== undefined ? `${o.runs} cases` : `${o.timeMs! / 1000} s`}, batches of ${BATCH}${o.workers > 1 ? `, ${o.workers} workers` : ''}, profiles ${names}\n`,
  );
  let lastPrint = 0;
  const progress = (s: CampaignStats) => {
    if (o.quiet) return;
    if (tty) {
      if (s.elapsedMs - lastPrint < 200) return;
      lastPrint = s.elapsedMs;
      err.write(`\r\x1b[K${progressLine(s, o)}`);
    } else if (s.elapsedMs - lastPrint >= 10_000) {
      lastPrint = s.elapsedMs;
      err.write(`${progressLine(s, o)}\n`);
    }
  };
  // Ctrl-C (SIGINT) or SIGTERM: stop after the running batch and report what ran; a second
  // signal ends the process at once.
  let interrupt: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupt !== undefined) process.exit(EXIT_INTERRUPTED);
    interrupt = sig;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let r;
  try {
    const campaign = {
      profiles: o.profiles,
      seed: o.seed,
      shard: o.shard,
      ...(o.runs !== undefined ? { runs: o.runs } : {}),
      ...(o.timeMs !== undefined ? { timeMs: o.timeMs } : {}),
      progress,
      stop: () => interrupt !== undefined,
    };
    r = o.workers > 1 ? await runCampaignParallel({ ...campaign, workers: o.workers }) : await runCampaignAsync(campaign);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (tty) err.write('\r\x1b[K');
  const s = r.stats;
  const lines: string[] = [];
  const f = r.failure;
  if (f) {
    const file = resolve(o.out, `${f.target.profile.name}-${f.target.property}-seed${o.seed}-batch${f.batch}.json`);
    const json = replayToJson(replayOf(f, { seed: o.seed, shard: shardText }));
    // The report comes first: a replay file that cannot be written must not lose the case.
    let written: string | undefined;
    try {
      ensureDir(o.out);
      writeFileSync(file, json);
    } catch (e) {
      written = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      process.stderr.write(`rvtramp fuzz: cannot write the replay file ${file}: ${written}\n`);
    }
    lines.push(
      `FAIL ${f.target.profile.name} ${f.target.property}: case ${f.atCase} of this run failed (batch ${f.batch}), shrunk in ${f.shrinks} steps to:`,
      describeCase(f.case),
      'findings:',
      ...f.findings.map((x) => `  ${x}`),
      `fast-check: seed ${f.seed} path ${f.path} (batch ${f.batch} of campaign seed ${o.seed})`,
      ...(written === undefined
        ? [`replay file: ${file}`, `replay: rvtramp replay ${join(o.out, file.slice(resolve(o.out).length + 1))}`]
        : [`replay file: cannot write ${file} (${written}); its contents, to save as a file for rvtramp replay:`, json.trimEnd()]),
    );
  }
  lines.push(`Summary: ${s.cases} case${s.cases === 1 ? "" : "s"} in ${(s.elapsedMs / 1000).toFixed(1)} s, ${rate(s).toFixed(1)} cases/s, ${s.failures} failure${s.failures === 1 ? '' : 's'}${s.failures > 1 ? ' (batches run in parallel; the first is reported)' : ''}${r.interrupted ? ` (interrupted by ${interrupt})` : ''}`);
  process.stdout.write(lines.join('\n') + '\n');
  return f ? 1 : r.interrupted ? EXIT_INTERRUPTED : 0;
}
