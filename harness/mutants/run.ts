/**
 * Mutation testing (DESIGN.md decision 8): boots every kernel of a suite with one mutant of the
 * catalogue (kernel/mutants/catalogue.ts) and reports which test killed it.
 *
 * For each mutant: the scripted selftests, one test at a time on the mutant's first profile
 * (then its second), stopping at the first test that fails as `rvtramp run` judges it (with
 * the profile's expectations: v6.8 may not trace 12 arguments); if it survives them, the property
 * suites (transparency/ABI/visibility/... via runCase) with a fixed seed and a small budget,
 * stopping at the first failing case. Every kernel runs with incoherent instruction caches
 * (staleIcache), so a missing fence.i / flush is observable, as on hardware; the unmutated
 * kernel passes everything in that mode too (checked by `baseline`).
 */
import fc from 'fast-check';
import { discoverTests, DEFAULT_SELFTESTS_DIR, type TestDef } from '../runner/registry';
import { runTests } from '../runner/runner';
import { resolveProfiles } from '../runner/selection';
import { isFailing, type PartRecord, type TestRun, type Verdict } from '../runner/results';
import { EXPECTATIONS } from '../expectations/expectations';
import { withBootDefaults } from '../../kernel/mutants/active';
import { MUTANTS, type Mutant, type MutantId } from '../../kernel/mutants/catalogue';
import { getProfile } from '../../kernel/profiles/profiles';
import { runCase, tracesKernelFunctions } from '../../selftests/properties/run-case';
import { arbAttachCase, arbStepsCase, limitsFor } from '../../selftests/properties/gen/arbitraries';
import type { PropCase } from '../../selftests/properties/case';

export interface MutantOptions {
  /** Scripted selftests on this many of the mutant's profiles (default 2). */
  readonly scriptedProfiles?: number;
  /** Property cases per property and profile (default 25). */
  readonly fuzzBudget?: number;
  /** Base seed of the property runs (default 0x5eed). */
  readonly seed?: number;
}

export interface MutantResult {
  readonly id: MutantId;
  readonly source: string;
  readonly description: string;
  readonly killed: boolean;
  /** 'selftest' or 'property' (undefined when it survived). */
  readonly by?: 'selftest' | 'property';
  /** The profile it was killed on. */
  readonly profile?: string;
  /** test/subtest name, or the property name. */
  readonly test?: string;
  /** First failure line of the test, or the first finding of the property case. */
  readonly detail?: string;
  /**
   * What a developer who wrote this bug would see: the killing part's log (failing checks,
   * monitor lines, oops report), or every finding of the property case.
   */
  readonly log?: readonly string[];
  /** For kills by a property: generated cases run up to and including the failing one. */
  readonly cases?: number;
  readonly ms: number;
}

export interface MutantsReport {
  readonly results: readonly MutantResult[];
  readonly killed: number;
  readonly total: number;
  readonly ms: number;
}

/** The property suites a surviving mutant meets: name, case generator. */
const PROPERTIES: readonly { readonly name: string; readonly arb: (p: string) => fc.Arbitrary<PropCase> }[] = [
  { name: 'attach-case', arb: (p) => arbAttachCase(limitsFor(getProfile(p))) },
  { name: 'steps-case', arb: (p) => arbStepsCase(limitsFor(getProfile(p))) },
];

const firstLine = (p: PartRecord) => p.timeout ?? p.broken ?? p.log.find((l) => /:FAIL:|^kernel: |^TIMEOUT|^WATCHDOG|^uncaught/.test(l)) ?? p.log[0] ?? '';
const whyNot = (v: Verdict, p: PartRecord) => (v === 'xpass' ? `XPASS: passed where the profile's expectations say it fails` : firstLine(p));

/**
 * The first part of a test run that fails it as `rvtramp run` judges it (subtest first): a
 * failure the profile's expectations do not explain, a wrong failure signature, or an
 * expected failure that passed.
 */
function firstFailure(r: TestRun): { test: string; detail: string; log: readonly string[] } | undefined {
  const sub = r.subtests.find((s) => isFailing(s.verdict));
  if (sub) return { test: `${r.name}/${sub.name}`, detail: whyNot(sub.verdict, sub as PartRecord), log: sub.log };
  if (isFailing(r.ownJudgement.verdict)) return { test: r.name, detail: whyNot(r.ownJudgement.verdict, r.own), log: r.own.log };
  if (isFailing(r.judgement.verdict)) return { test: r.name, detail: whyNot(r.judgement.verdict, r.own), log: r.own.log };
  return undefined;
}

let testsCache: TestDef[] | undefined;
function selftests(): TestDef[] {
  return (testsCache ??= discoverTests(DEFAULT_SELFTESTS_DIR));
}

/** Runs the scripted selftests on a profile one by one; the first failing part. */
export async function scriptedKill(profile: string): Promise<{ test: string; detail: string; log: readonly string[] } | undefined> {
  const profiles = resolveProfiles([profile]);
  for (const test of selftests()) {
    const report = await runTests({ tests: [test], dir: DEFAULT_SELFTESTS_DIR, profiles, clock: () => 0, expectations: EXPECTATIONS });
    for (const r of report.runs) {
      const f = firstFailure(r);
      if (f) return f;
    }
  }
  return undefined;
}

/** Runs the property suites on a profile; the first failing case. */
export function propertyKill(profile: string, mutant: MutantId | undefined, budget: number, seed: number): { test: string; detail: string; cases: number; log: readonly string[] } | undefined {
  for (const [i, prop] of PROPERTIES.entries()) {
    let findings: readonly string[] = [];
    const details = fc.check(
      fc.property(prop.arb(profile), (c) => {
        const r = runCase(profile, c, mutant !== undefined ? { mutant } : {});
        if (!r.ok) findings = r.findings;
        return r.ok;
      }),
      { seed: seed + i, numRuns: budget, endOnFailure: true },
    );
    if (details.failed) {
      const err = details.errorInstance;
      const detail = findings[0] ?? (err instanceof Error ? err.message.split('\n')[0]! : String(err));
      return { test: prop.name, detail, cases: details.numRuns, log: findings.length > 0 ? findings : [detail] };
    }
  }
  return undefined;
}

/** Runs one mutant: scripted selftests, then (if it survived) the properties. */
export async function runMutant(m: Mutant, opts: MutantOptions = {}): Promise<MutantResult> {
  const t0 = performance.now();
  const base = { id: m.id, source: m.source, description: m.description };
  const profiles = m.profiles.slice(0, opts.scriptedProfiles ?? 2);
  const boot = { mutant: m.id, staleIcache: true } as const;
  for (const p of profiles) {
    const k = await withBootDefaults(boot, () => scriptedKill(p));
    if (k) return { ...base, killed: true, by: 'selftest', profile: p, test: k.test, detail: k.detail, log: k.log, ms: performance.now() - t0 };
  }
  for (const p of m.profiles) {
    if (!tracesKernelFunctions(getProfile(p))) continue;
    const k = await withBootDefaults(boot, () => propertyKill(p, m.id, opts.fuzzBudget ?? 25, opts.seed ?? 0x5eed));
    if (k) return { ...base, killed: true, by: 'property', profile: p, test: k.test, detail: k.detail, cases: k.cases, log: k.log, ms: performance.now() - t0 };
  }
  return { ...base, killed: false, ms: performance.now() - t0 };
}

/** Runs the catalogue (or the named mutants). */
export async function runMutants(ids: readonly string[] | undefined, opts: MutantOptions = {}, onResult?: (r: MutantResult) => void): Promise<MutantsReport> {
  const t0 = performance.now();
  const chosen = ids && ids.length > 0 ? MUTANTS.filter((m) => ids.includes(m.id)) : [...MUTANTS];
  const results: MutantResult[] = [];
  for (const m of chosen) {
    const r = await runMutant(m, opts);
    results.push(r);
    onResult?.(r);
  }
  return { results, killed: results.filter((r) => r.killed).length, total: results.length, ms: performance.now() - t0 };
}

/** The unmutated kernels of the given profiles under the same conditions: must pass everything. */
export async function baseline(profiles: readonly string[], opts: MutantOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for (const p of profiles) {
    const k = await withBootDefaults({ staleIcache: true }, () => scriptedKill(p));
    if (k) out.push(`${p}: ${k.test}: ${k.detail}`);
    if (tracesKernelFunctions(getProfile(p))) {
      const q = await withBootDefaults({ staleIcache: true }, () => propertyKill(p, undefined, opts.fuzzBudget ?? 25, opts.seed ?? 0x5eed));
      if (q) out.push(`${p}: ${q.test} after ${q.cases} case(s): ${q.detail}`);
    }
  }
  return out;
}
