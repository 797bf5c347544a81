/**
 * test_progs' `-J FILE` JSON summary (reference §3.4), with the upstream field names:
 *
 *   { "success": 5, "success_subtest": 14, "skipped": 0, "failed": 1,
 *     "results": [ { "name": "fexit_test", "number": 12, "message": "<log>", "failed": true,
 *                    "profile": "v6.8",
 *                    "subtests": [ { "name": "fexit", "number": 1, "message": "<log>", "failed": true } ] } ] }
 *
 * The counters are the Summary line's. As upstream, `results` lists only failed runs, and
 * their `subtests` only the failed subtests. One addition: `profile` on each result (a test
 * runs once per profile, so name + number alone repeat). An XPASS or wrong-signature run is
 * failed, with the explanation as the last line of its message. The schema is
 * json-summary.schema.json beside this file.
 */
import { isFailing, summarize, type Judgement, type PartRecord, type RunReport } from '../runner/results';
import { expectationNote } from './notes';

export interface JsonSubtest {
  name: string;
  number: number;
  message: string;
  failed: boolean;
}

export interface JsonResult extends JsonSubtest {
  profile: string;
  subtests: JsonSubtest[];
}

export interface JsonSummary {
  success: number;
  success_subtest: number;
  skipped: number;
  failed: number;
  results: JsonResult[];
}

function message(part: PartRecord, j: Judgement, profile: string): string {
  const note = expectationNote(j, part, profile);
  const lines = [...part.log, ...(note ? [note] : [])];
  return lines.length ? `${lines.join('\n')}\n` : '';
}

export function jsonSummary(report: RunReport): JsonSummary {
  const s = summarize(report.runs);
  const results: JsonResult[] = report.runs
    .filter((r) => isFailing(r.judgement.verdict))
    .map((r) => ({
      name: r.name,
      number: r.number,
      message: message(r.own, r.judgement.reason !== undefined ? r.judgement : r.ownJudgement, r.profile),
      failed: true,
      profile: r.profile,
      subtests: r.subtests
        .filter((sub) => isFailing(sub.verdict))
        .map((sub) => ({ name: sub.name, number: sub.number, message: message(sub, sub, r.profile), failed: true })),
    }));
  return { success: s.success, success_subtest: s.successSubtest, skipped: s.skipped, failed: s.failed, results };
}

export function formatJsonSummary(report: RunReport): string {
  return `${JSON.stringify(jsonSummary(report), null, 2)}\n`;
}
