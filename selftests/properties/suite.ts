/**
 * What the property tests share: which profiles each property runs on, fixed seeds, and the
 * property that runs a generated case and fails with its findings.
 *
 * Profiles: BPF properties run wherever the kernel can attach tracing programs to kernel
 * (module) functions; on the others (no trampoline, or no direct calls) the same properties
 * run with the function tracer only, and the refusals property checks that every attach is
 * refused exactly as the kernel refuses it. v6.5+direct-calls is the historically broken
 * combination: regression-2023.test.ts checks that the properties find it.
 */
import fc from 'fast-check';
import { PROFILES, type Profile } from '../../kernel/profiles/profiles';
import { runCase, tracesKernelFunctions, type Contract } from './run-case';
import { CaseFailure, assertProperty, runParams, type PropertyRun } from './params';
import type { PropCase } from './case';

/** Profiles modelling a kernel with a known trampoline bug (properties must fail there). */
export const BROKEN: readonly Profile[] = PROFILES.filter((p) => p.base === 'v6.5+direct-calls');
const correct = PROFILES.filter((p) => !BROKEN.includes(p));
/** Correct profiles that trace kernel functions with BPF. */
export const BPF_PROFILES: readonly Profile[] = correct.filter(tracesKernelFunctions);
/** Correct profiles where only the function tracer can trace kernel functions. */
export const TRACER_ONLY: readonly Profile[] = correct.filter((p) => !tracesKernelFunctions(p));
export const CORRECT: readonly Profile[] = correct;

/** A stable 31-bit seed from a name (FNV-1a), so every property and profile has its own. */
export function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(name, 'utf8')) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return h & 0x7fffffff;
}

/** The property "this case runs on the profile without findings (of these contracts)". */
export function caseProperty(p: Profile, arb: fc.Arbitrary<PropCase>, checks?: readonly Contract[]): fc.IProperty<[PropCase]> {
  return fc.property(arb, (c) => {
    const r = runCase(p.name, c, checks ? { checks } : {});
    if (!r.ok) throw new CaseFailure(r.findings);
  });
}

/** Runs a case property as a mocha test body: fixed seed from the title, env overrides. */
export function checkCases(title: string, p: Profile, arb: fc.Arbitrary<PropCase>, numRuns: number, checks?: readonly Contract[]): fc.RunDetails<[PropCase]> {
  const run: PropertyRun = runParams({ seed: seedOf(title), numRuns });
  return assertProperty(title, run, caseProperty(p, arb, checks));
}

/** Runs per property and profile kind: enough to matter, few enough for `npm test`. */
export const RUNS = { bpf: 20, tracerOnly: 6, commandsBpf: 12, commandsTracerOnly: 5 } as const;
