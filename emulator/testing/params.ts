/**
 * Seeds and run counts of property tests, shared by every layer's tests: a fixed seed and a
 * moderate number of runs by default (npm test is the same on every run), and the environment
 * to replay a counterexample or to run longer.
 *
 *   RVTRAMP_SEED=<n> RVTRAMP_PATH=<p>   replay one counterexample (with mocha --fgrep '<title>')
 *   RVTRAMP_RUNS=<n>                    more (or fewer) runs than the default, e.g. nightly
 */
import type fc from 'fast-check';

export interface PropertyRun {
  readonly seed: number;
  readonly numRuns: number;
  readonly path?: string;
}

/** The seed, runs and path to use: the property's defaults unless the environment says otherwise. */
export function runParams(defaults: { readonly seed: number; readonly numRuns: number }): PropertyRun {
  const env = process.env;
  const seed = env.RVTRAMP_SEED !== undefined && env.RVTRAMP_SEED !== '' ? Number(env.RVTRAMP_SEED) : defaults.seed;
  const numRuns = env.RVTRAMP_RUNS ? Number(env.RVTRAMP_RUNS) : defaults.numRuns;
  if (!Number.isInteger(seed)) throw new Error(`RVTRAMP_SEED=${env.RVTRAMP_SEED} is not an integer`);
  if (!Number.isInteger(numRuns) || numRuns < 1) throw new Error(`RVTRAMP_RUNS=${env.RVTRAMP_RUNS} is not a positive integer`);
  return { seed, numRuns, ...(env.RVTRAMP_PATH ? { path: env.RVTRAMP_PATH } : {}) };
}

/**
 * Timeout of a test that runs properties: `ms`, sized for the default counts, unless
 * RVTRAMP_RUNS asks for another count, when the test runs as long as it takes (mocha's 0).
 */
export function propertyTimeout(ms: number): number {
  return process.env.RVTRAMP_RUNS ? 0 : ms;
}

/** fast-check parameters for a run (endOnFailure keeps replays of a path short). */
export function fcParams<T>(run: PropertyRun): fc.Parameters<T> {
  return { seed: run.seed, numRuns: run.numRuns, ...(run.path !== undefined ? { path: run.path, endOnFailure: true } : {}) };
}
