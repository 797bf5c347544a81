/**
 * Running a property reproducibly: a fixed seed per property, a moderate number of runs
 * (emulator/testing/params.ts, with the environment that replays or widens a run), and a
 * failure message that says exactly how to replay it.
 *
 * A failing case is shown as the functions, programs and steps it ran, the findings, and its
 * JSON (runCase input), so it can be saved and replayed without fast-check.
 */
import fc from 'fast-check';
import { caseToJson, describeCase, type PropCase } from './case';
import { fcParams, propertyTimeout, runParams, type PropertyRun } from '../../emulator/testing/params';

export { fcParams, propertyTimeout, runParams, type PropertyRun };

/** Thrown by a property's predicate: the case failed with these findings. */
export class CaseFailure extends Error {
  constructor(readonly findings: readonly string[]) {
    super(findings.join('\n'));
    this.name = 'CaseFailure';
  }
}

/** A readable failure report for a fast-check run whose counterexample is a PropCase (or has one first). */
export function failureReport(title: string, details: fc.RunDetails<unknown>, toCase: (ce: unknown) => PropCase | undefined = firstCase): string {
  if (!details.failed) return `${title}: passed`;
  const ce = details.counterexample;
  const c = ce ? toCase(ce) : undefined;
  const err = details.errorInstance;
  const findings = err instanceof CaseFailure ? err.findings : [err instanceof Error ? err.message : String(err)];
  return [
    `${title}: property failed after ${details.numRuns} run(s) and ${details.numShrinks} shrink(s)`,
    `replay: RVTRAMP_SEED=${details.seed} RVTRAMP_PATH=${details.counterexamplePath ?? ''} npx mocha --fgrep '${title.replace(/'/g, '.')}'`,
    'findings:',
    ...findings.map((f) => `  ${f}`),
    ...(c ? ['case:', describeCase(c), 'case JSON (runCase input):', caseToJson(c)] : ce ? ['counterexample:', fc.stringify(ce)] : []),
  ].join('\n');
}

function firstCase(ce: unknown): PropCase | undefined {
  const x = Array.isArray(ce) ? ce[0] : ce;
  return x && typeof x === 'object' && 'module' in x && 'steps' in x ? (x as PropCase) : undefined;
}

/** Runs a property with the run's parameters; throws the failure report when it fails. */
export function assertProperty<Ts extends [unknown, ...unknown[]]>(title: string, run: PropertyRun, prop: fc.IProperty<Ts>, toCase?: (ce: Ts) => PropCase | undefined): fc.RunDetails<Ts> {
  const details = fc.check(prop, fcParams<Ts>(run));
  if (details.failed) throw new Error(failureReport(title, details as fc.RunDetails<unknown>, toCase as ((ce: unknown) => PropCase | undefined) | undefined));
  return details;
}
