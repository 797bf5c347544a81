/**
 * Replay files: a fuzz counterexample as JSON, replayable by `rvtramp replay FILE` without
 * fast-check (the case itself) or with it (seed + path of the batch that found it).
 *
 *   { "format": "rvtramp-fuzz-replay/1", "rvtramp": "0.1.0", "profile": "v6.5+direct-calls",
 *     "property": "attach", "seed": 123, "path": "4:0:1", "campaign": { seed, shard, batch, atCase },
 *     "findings": ["[crash] step 1 (...): ..."], "case": { module, progs, steps } }
 *
 * Bigints in the case are "0x..." strings (selftests/properties/case.ts caseToJson).
 */
import { readFileSync } from 'node:fs';
import { caseFromJson, caseToJson, type PropCase } from '../../selftests/properties/case';
import { caseProblem } from '../../selftests/properties/case-check';
import { getProfile } from '../../kernel/profiles/profiles';
import type { Failure } from './campaign';

export const REPLAY_FORMAT = 'rvtramp-fuzz-replay/1';

export interface ReplayFile {
  readonly format: string;
  readonly rvtramp: string;
  readonly profile: string;
  readonly property: string;
  readonly seed: number;
  readonly path: string;
  readonly campaign: { readonly seed: number; readonly shard: string; readonly batch: number; readonly atCase: number; readonly shrinks: number };
  readonly findings: readonly string[];
  readonly case: PropCase;
}

/** rvtramp's version (package.json), from the source tree or from dist/. */
export function rvtrampVersion(): string {
  for (const p of ['../../package.json', '../../../package.json']) {
    try {
      return (require(p) as { version: string }).version;
    } catch {
      // the other layout
    }
  }
  return 'unknown';
}

export function replayOf(f: Failure, campaign: { readonly seed: number; readonly shard: string }): ReplayFile {
  return {
    format: REPLAY_FORMAT,
    rvtramp: rvtrampVersion(),
    profile: f.target.profile.name,
    property: f.target.property,
    seed: f.seed,
    path: f.path,
    campaign: { seed: campaign.seed, shard: campaign.shard, batch: f.batch, atCase: f.atCase, shrinks: f.shrinks },
    findings: f.findings,
    case: f.case,
  };
}

export function replayToJson(r: ReplayFile): string {
  const { case: c, ...rest } = r;
  const head = JSON.stringify(rest, null, 2);
  return `${head.slice(0, -2)},\n  "case": ${caseToJson(c, 2).replace(/\n/g, '\n  ')}\n}\n`;
}

/** Reads and checks a replay file; throws Error with a one-line message when it is not one. */
export function readReplay(file: string): ReplayFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let raw: unknown;
  try {
    // An editor may have put a byte order mark in front; only the case has "0x..." bigints.
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
    const c = (raw as { case?: unknown } | null)?.case;
    if (c !== undefined) (raw as { case: unknown }).case = caseFromJson(JSON.stringify(c));
  } catch (e) {
    // V8 quotes the start of the text after the token ('..., "# notes\n"... is not valid
    // JSON'); that excerpt may hold newlines and says nothing the file name does not.
    throw new Error(`${file} is not JSON: ${(e as Error).message.replace(/, "[\s\S]*$/, '').split('\n')[0]}`);
  }
  const r = raw as Partial<ReplayFile> | null;
  if (!r || typeof r !== 'object' || typeof r.profile !== 'string' || !r.case || typeof r.case !== 'object' || !Array.isArray(r.case.steps) || !r.case.module || !Array.isArray(r.case.progs)) {
    throw new Error(`${file} is not an rvtramp replay file (needs profile and case {module, progs, steps})`);
  }
  const wrong = headerProblem(r);
  if (wrong) throw new Error(`${file}: ${wrong}`);
  if (r.format !== undefined && r.format !== REPLAY_FORMAT) {
    throw new Error(`${file}: replay format '${String(r.format)}' (written by rvtramp ${String(r.rvtramp ?? 'unknown')}); this rvtramp reads '${REPLAY_FORMAT}'`);
  }
  try {
    getProfile(r.profile);
  } catch {
    throw new Error(`${file}: unknown profile '${r.profile}'`);
  }
  const bad = caseProblem(r.case);
  if (bad) throw new Error(`${file}: ${bad}`);
  return r as ReplayFile;
}

/**
 * The first wrong field among those that describe the case (all optional: a hand-written file
 * may have only profile and case), or undefined. Replay prints them, so they must be what they
 * claim to be.
 */
function headerProblem(r: Record<string, unknown>): string | undefined {
  for (const k of ['format', 'rvtramp', 'property', 'path'] as const) {
    if (r[k] !== undefined && typeof r[k] !== 'string') return `${k}: expected a string`;
  }
  if (r['seed'] !== undefined && !Number.isSafeInteger(r['seed'])) return 'seed: expected an integer';
  const f = r['findings'];
  if (f !== undefined && !(Array.isArray(f) && f.every((x) => typeof x === 'string'))) return 'findings: expected a list of strings';
  const c = r['campaign'];
  if (c !== undefined && (c === null || typeof c !== 'object' || Array.isArray(c))) return 'campaign: expected an object';
  return undefined;
}
