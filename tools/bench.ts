/**
 * `npm run bench`: the emulator side by side with qemu-riscv64 and native code, in one run.
 *
 * Builds ../shared/bench (its build.sh) into bench-out/, runs each workload with
 * `rvtramp exec --stats` (instructions retired and run-loop seconds), qemu-riscv64 and the
 * native build (wall time, best of 3), checks that rvtramp printed what qemu printed, and
 * reports MIPS and ratios. qemu and native MIPS use rvtramp's retired-instruction count for
 * the same program and input (so native MIPS means "RV64 instructions' worth per second").
 * Writes bench-out/bench.json for tracking.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { haveTool } from '../emulator/testing/oracles';
import { getProfile } from '../kernel/profiles/profiles';
import { runCampaign } from '../harness/fuzz/campaign';

const root = resolve(__dirname, __dirname.includes(`${'/'}dist${'/'}`) ? '../..' : '..');
const shared = process.env['RVTRAMP_SHARED'] ?? resolve(root, '../shared');
const out = join(root, 'bench-out');

interface Row {
  workload: string;
  instret: number;
  rvtramp_s: number;
  rvtramp_mips: number;
  qemu_s?: number;
  qemu_mips?: number;
  native_s?: number;
  native_mips?: number;
  ratio_vs_qemu?: number;
  ratio_vs_native?: number;
  output_matches_qemu?: boolean;
}

function timed(cmd: string, args: string[]): { secs: number; stdout: string; status: number | null } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error) throw new Error(`bench: cannot run ${cmd}: ${r.error.message}`);
  return { secs, stdout: r.stdout, status: r.status };
}

function best(n: number, cmd: string, args: string[]): { secs: number; stdout: string } {
  let b = { secs: Infinity, stdout: '' };
  for (let i = 0; i < n; i++) {
    const r = timed(cmd, args);
    if (r.secs < b.secs) b = r;
  }
  return b;
}

function rvtramp(elf: string, args: string[]): { instret: number; secs: number; stdout: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin/rvtramp.js'), 'exec', '--stats', elf, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const m = /instret (\d+) seconds ([\d.]+)/.exec(r.stderr);
  if (!m) throw new Error(`bench: rvtramp exec ${elf} printed no stats: ${r.stderr.trim()}`);
  return { instret: Number(m[1]), secs: Number(m[2]), stdout: r.stdout };
}

/** rvtramp fuzz throughput: property cases per second on one core (v6.16, seed 1, ~5 s). */
function fuzzThroughput(): { profile: string; seed: number; seconds: number; cases: number; cases_per_s: number } {
  const seconds = Number(process.env['RVTRAMP_BENCH_FUZZ_SECONDS'] ?? '5');
  const r = runCampaign({ profiles: [getProfile('v6.16')], seed: 1, timeMs: seconds * 1000 });
  const secs = r.stats.elapsedMs / 1000;
  return { profile: 'v6.16', seed: 1, seconds: secs, cases: r.stats.cases, cases_per_s: r.stats.cases / secs };
}

function main(): number {
  if (!existsSync(join(shared, 'bench/build.sh'))) {
    console.error(`bench: ${shared}/bench/build.sh not found (set RVTRAMP_SHARED to the shared/ folder)`);
    return 1;
  }
  if (!haveTool('riscv64-linux-gnu-gcc')) {
    console.error('bench: riscv64-linux-gnu-gcc is needed to build the workloads (apt-get install gcc-riscv64-linux-gnu)');
    return 1;
  }
  mkdirSync(out, { recursive: true });
  const b = spawnSync('sh', [join(shared, 'bench/build.sh'), out], { encoding: 'utf8' });
  if (b.status !== 0) {
    console.error(`bench: build.sh failed: ${b.stderr.trim()}`);
    return 1;
  }
  const iters = process.env['RVTRAMP_BENCH_ITERS'] ?? '400';
  const workloads: [string, string, string[], string | undefined][] = [
    [`bench-rv64gc ${iters}`, 'bench-rv64gc.elf', [iters], 'bench-native'],
    [`bench-rv64imac ${iters}`, 'bench-rv64imac.elf', [iters], undefined],
    ['loop-rv64 (1e9 insns)', 'loop-rv64.elf', [], undefined],
  ];
  const qemu = haveTool('qemu-riscv64');
  const rows: Row[] = [];
  for (const [name, elf, args, native] of workloads) {
    const path = join(out, elf);
    const ours = rvtramp(path, args);
    const row: Row = { workload: name, instret: ours.instret, rvtramp_s: ours.secs, rvtramp_mips: ours.instret / ours.secs / 1e6 };
    if (qemu) {
      const q = best(3, 'qemu-riscv64', [path, ...args]);
      row.qemu_s = q.secs;
      row.qemu_mips = ours.instret / q.secs / 1e6;
      row.ratio_vs_qemu = row.rvtramp_mips / row.qemu_mips;
      row.output_matches_qemu = q.stdout === ours.stdout;
    }
    if (native && existsSync(join(out, native))) {
      const n = best(3, join(out, native), args);
      row.native_s = n.secs;
      row.native_mips = ours.instret / n.secs / 1e6;
      row.ratio_vs_native = row.rvtramp_mips / row.native_mips;
    }
    rows.push(row);
  }
  const fuzz = fuzzThroughput();
  const f = (v: number | undefined, d = 1) => (v === undefined ? '-' : v.toFixed(d));
  console.log(`rvtramp bench (${new Date().toISOString()}, node ${process.version})`);
  console.log('workload                  instret      rvtramp MIPS  qemu MIPS  native MIPS  rvtramp/qemu  rvtramp/native  same output');
  for (const r of rows) {
    console.log(
      `${r.workload.padEnd(25)} ${String(r.instret).padStart(11)}  ${f(r.rvtramp_mips).padStart(12)}  ${f(r.qemu_mips).padStart(9)}  ${f(r.native_mips).padStart(11)}  ${f(r.ratio_vs_qemu, 3).padStart(12)}  ${f(r.ratio_vs_native, 4).padStart(14)}  ${r.output_matches_qemu === undefined ? '-' : r.output_matches_qemu ? 'yes' : 'NO'}`,
    );
  }
  console.log(`${`fuzz ${fuzz.profile} (seed ${fuzz.seed})`.padEnd(25)} ${`${fuzz.cases} cases`.padStart(11)}  ${`${f(fuzz.cases_per_s)} cases/s`.padStart(12)}  (rvtramp fuzz, one core, ${f(fuzz.seconds)} s)`);
  if (!qemu) console.log('qemu-riscv64 not installed: qemu columns empty (apt-get install qemu-user)');
  console.log('rvtramp seconds are its run loop (after load); qemu and native are wall time, best of 3.');
  writeFileSync(join(out, 'bench.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, rows, fuzz }, null, 2));
  console.log(`wrote ${join(out, 'bench.json')}`);
  return rows.some((r) => r.output_matches_qemu === false) ? 1 : 0;
}

process.exitCode = main();
