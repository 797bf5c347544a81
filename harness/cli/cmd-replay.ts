/**
 * `rvtramp replay FILE`: re-runs a fuzz replay file's case (harness/fuzz/replay-file.ts) on
 * its profile with the full diagnosis. Exit 1 the case still fails, 0 it passes now, 3 the
 * file cannot be read or is not a replay file.
 */
import { describeCase } from '../../selftests/properties/case';
import { diagnose } from '../fuzz/diagnose';
import { readReplay } from '../fuzz/replay-file';
import { CliError } from './errors';

export const REPLAY_USAGE = `usage: rvtramp replay FILE

Re-runs the case of a replay file (written by rvtramp fuzz) on its kernel profile and prints
the findings, an oops report if a call did not come back, the listing of the generated
functions' sleds and of every live trampoline image.

exit status: 0 the case passes now, 1 it still fails, 3 unreadable or invalid file
`;

export async function cmdReplay(argv: string[]): Promise<number> {
  // After `--` everything is a file name (`rvtramp replay -- -x.json`).
  const dd = argv.indexOf('--');
  const before = dd < 0 ? argv : argv.slice(0, dd);
  if (before.includes('-h') || before.includes('--help')) {
    process.stdout.write(REPLAY_USAGE);
    return 0;
  }
  const opts = before.filter((a) => a.startsWith('-') && a !== '-');
  if (opts.length > 0) throw new CliError(`unknown option '${opts[0]}' (see rvtramp replay --help)`, 3);
  const files = dd < 0 ? argv : [...before, ...argv.slice(dd + 1)];
  if (files.length !== 1) throw new CliError(files.length === 0 ? 'needs a replay FILE' : 'takes one replay FILE', 3);
  const file = files[0]!;
  let r;
  try {
    r = readReplay(file);
  } catch (e) {
    throw new CliError((e as Error).message, 3);
  }
  let d;
  try {
    d = diagnose(r.profile, r.case);
  } catch (e) {
    throw new CliError(`${file}: the case does not run: ${(e as Error).message.split('\n')[0]}`, 3);
  }
  const out: string[] = [
    `replay ${file}: ${r.profile}${r.property ? `, property ${r.property}` : ''}${r.rvtramp ? `, written by rvtramp ${r.rvtramp}` : ''}`,
    'case:',
    describeCase(r.case),
  ];
  if (d.ok) {
    out.push(`PASS: the case passes now on ${r.profile} (it failed with:`, ...(r.findings ?? []).map((f) => `  ${f}`), ')');
    process.stdout.write(out.join('\n') + '\n');
    return 0;
  }
  out.push(`FAIL: the case still fails on ${r.profile}`, 'findings:', ...d.findings.map((f) => `  ${f}`));
  if (d.oops) out.push('', d.oops.trimEnd());
  out.push('', d.listing.trimEnd());
  if (r.seed !== undefined && r.path) out.push('', `fast-check: seed ${r.seed} path ${r.path} (property ${r.property})`);
  process.stdout.write(out.join('\n') + '\n');
  return 1;
}
