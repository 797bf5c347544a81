/**
 * The words every reporter uses for verdicts that need more than OK / FAIL / SKIP, so the
 * formats agree with each other.
 */
import type { Judgement, PartRecord } from '../runner/results';

/** The line explaining an expectation verdict (xfail, xpass, badsig), or undefined. */
export function expectationNote(j: Judgement, part: PartRecord | undefined, profile: string): string | undefined {
  switch (j.verdict) {
    case 'xfail':
      return `XFAIL: expected failure on ${profile}: ${j.reason}`;
    case 'xpass':
      return `XPASS: expected to fail on ${profile} (${j.reason}) with '${j.signature}' in the log, but it ${part?.skipped ? `was skipped${part.skipReason ? ` (${part.skipReason})` : ''}` : 'passed'}`;
    case 'badsig':
      return `WRONG FAILURE: expected to fail on ${profile} (${j.reason}) with '${j.signature}' in the log; it failed without it`;
    default:
      return undefined;
  }
}
