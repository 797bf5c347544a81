/**
 * How fast does the fuzzer find the 2023 bug? Cases to the first failure on
 * v6.5+direct-calls for campaign seeds 1..20 (default generators, unsharded), and the median.
 *
 *   node -r ts-node/register/transpile-only harness/fuzz/first-failure.ts [PROFILE] [SEEDS]
 * (the same as `rvtramp fuzz -p v6.5+direct-calls --seed S --runs 100000` per seed, reading
 * "case N of this run failed")
 */
import { getProfile } from '../../kernel/profiles/profiles';
import { runCampaign } from './campaign';

const profile = getProfile(process.argv[2] ?? 'v6.5+direct-calls');
const seeds = Number(process.argv[3] ?? 20);
const at: number[] = [];
for (let seed = 1; seed <= seeds; seed++) {
  const r = runCampaign({ profiles: [profile], seed, runs: 100_000 });
  const n = r.failure ? r.failure.atCase : Infinity;
  at.push(n);
  console.log(`seed ${seed}: ${r.failure ? `case ${n} (${r.failure.target.property})` : 'no failure in 100000 cases'}`);
}
const s = [...at].sort((a, b) => a - b);
const median = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
console.log(`${profile.name}: cases to the first failure over seeds 1..${seeds}: median ${median}, min ${s[0]}, max ${s[s.length - 1]}`);
