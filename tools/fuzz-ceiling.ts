/**
 * How fast fuzz cases could get if cases shared kernels: an estimate for the design question
 * behind issue 6's 2,000 cases/s aim, measured, not a target.
 *
 * Each fuzz case boots a kernel, loads its generated module and runs its steps. This runs the
 * attach and step-sequence cases of a campaign's generators on v6.16 twice on one
 * CaseRunner: the first pass is what a case costs today (boot, module, cold steps, teardown);
 * the second runs the same steps again on the now warm kernel and module (trampolines are
 * still generated afresh, as they would be). Generation is timed apart and added to both.
 * The second pass bounds what any reuse of kernels and modules between cases could reach.
 */
import fc from 'fast-check';
import { getProfile } from '../kernel/profiles/profiles';
import { arbAttachCase, arbStepsCase, limitsFor } from '../selftests/properties/gen/arbitraries';
import { CaseRunner } from '../selftests/properties/run-case';
import type { PropCase } from '../selftests/properties/case';

export interface FuzzCeiling {
  readonly profile: string;
  readonly cases: number;
  /** Generation, per case (ms). */
  readonly gen_ms: number;
  /** Boot and module load, steps and teardown on a fresh kernel, per case (ms). */
  readonly fresh_ms: number;
  /** The same steps and teardown again on the warm kernel and module, per case (ms). */
  readonly reused_ms: number;
  readonly fresh_cases_per_s: number;
  readonly reused_cases_per_s: number;
  /** Cases whose steps found something either time (0, or the estimate measures something else). */
  readonly cases_with_findings: number;
}

export function fuzzCeiling(cases = 3000, seed = 1): FuzzCeiling {
  const p = getProfile('v6.16');
  const limits = limitsFor(p);
  const arbs = [arbAttachCase(limits), arbStepsCase(limits)];
  const sample = (n: number, s: number): PropCase[] => arbs.flatMap((a) => fc.sample(a, { seed: s, numRuns: n / 2 }));
  // Warm up generators and the JIT on other cases first.
  const warm = sample(400, seed + 1);
  const run = (list: PropCase[]) => {
    let fresh = 0;
    let reused = 0;
    let findings = 0;
    for (const c of list) {
      const t0 = performance.now();
      const r = new CaseRunner(p, c);
      let n = 0;
      for (const s of c.steps) n += r.step(s).length;
      n += r.finish().length;
      const t1 = performance.now();
      for (const s of c.steps) n += r.step(s).length;
      n += r.finish().length;
      reused += performance.now() - t1;
      fresh += t1 - t0;
      if (n > 0) findings++;
    }
    return { fresh, reused, findings };
  };
  run(warm);
  const g0 = performance.now();
  const list = sample(cases, seed);
  const gen = performance.now() - g0;
  const { fresh, reused, findings } = run(list);
  const n = list.length;
  return {
    profile: p.name,
    cases: n,
    gen_ms: gen / n,
    fresh_ms: fresh / n,
    reused_ms: reused / n,
    fresh_cases_per_s: (1000 * n) / (gen + fresh),
    reused_cases_per_s: (1000 * n) / (gen + reused),
    cases_with_findings: findings,
  };
}

if (require.main === module) {
  const r = fuzzCeiling();
  console.log(JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(3)) : v), 2));
}
