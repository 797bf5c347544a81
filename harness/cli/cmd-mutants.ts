/**
 * `rvtramp mutants [--json] [--only ID]...`: mutation testing (DESIGN.md decision 8). Boots the
 * kernels of the scripted selftests, then of the property suites, with each mutant of the
 * catalogue (kernel/mutants/catalogue.ts) and reports which test killed it; exit 1 if any
 * mutant survives.
 */
import { MUTANTS } from '../../kernel/mutants/catalogue';
import { runMutants, type MutantResult, type MutantsReport } from '../mutants/run';
import { CliError } from './errors';

const USAGE = `usage: rvtramp mutants [--json] [-v] [--only ID]... [--list]

Runs every mutant of the catalogue (or the --only ones) against the scripted selftests (on the
mutant's first two profiles) and, if it survives them, the property suites with a small fuzz
budget. Prints, per mutant, who killed it (test/subtest or property, and after how many
generated cases), then the kill rate. Exit 1 if any mutant survives.
  --json   the same as JSON (with each kill's log)
  -v       after each killed mutant, the log of what killed it: what a developer who wrote
           that bug would see (failing checks, call-boundary monitor, oops report)
  --list   the catalogue (id, source, profiles, description)
`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

function row(r: MutantResult): string[] {
  const by = !r.killed ? '-' : r.by === 'property' ? `property ${r.test} (${r.profile}) after ${r.cases} case(s)` : `${r.test} (${r.profile})`;
  return [r.id, r.source, r.killed ? 'killed' : 'SURVIVED', by, `${(r.ms / 1000).toFixed(1)}s`];
}

export function formatReport(rep: MutantsReport, verbose = false): string {
  const rate = rep.total === 0 ? 100 : (100 * rep.killed) / rep.total;
  const rate_ = `kill rate: ${rep.killed}/${rep.total} (${rate.toFixed(1)}%) in ${(rep.ms / 1000).toFixed(1)}s\n`;
  const head = table([['mutant', 'source', 'result', 'killed by', 'time'], ...rep.results.map(row)]);
  if (!verbose) return head + rate_;
  // The table, then per killed mutant its description and the log of what killed it.
  const logs = rep.results
    .filter((r) => r.killed)
    .map((r) => [`== ${r.id}: ${r.description}`, `killed by ${row(r)[3]}`, ...(r.log ?? []).map((l) => `  ${l}`)].join('\n') + '\n');
  return head + '\n' + logs.join('\n') + '\n' + rate_;
}

export async function cmdMutants(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let json = false;
  let list = false;
  let verbose = false;
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '-v' || a === '--verbose') verbose = true;
    else if (a === '--list') list = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice('--only='.length);
      if (!v) throw new CliError('--only needs a mutant id', 2);
      for (const id of v.split(',')) {
        if (!MUTANTS.some((m) => m.id === id)) throw new CliError(`unknown mutant '${id}' (rvtramp mutants --list)`, 2);
        only.push(id);
      }
    } else throw new CliError(`unknown option '${a}'`, 2);
  }
  if (list) {
    const chosen = only.length > 0 ? MUTANTS.filter((m) => only.includes(m.id)) : MUTANTS;
    if (json) process.stdout.write(JSON.stringify(chosen, null, 2) + '\n');
    else process.stdout.write(table([['mutant', 'source', 'profiles', 'description'], ...chosen.map((m) => [m.id, m.source, m.profiles.join(','), m.description])]));
    return 0;
  }
  const rep = await runMutants(only.length > 0 ? only : undefined);
  if (json) {
    const results = rep.results.map((r) => ({ ...r, ms: Math.round(r.ms) }));
    process.stdout.write(JSON.stringify({ results, killed: rep.killed, total: rep.total, killRate: rep.total === 0 ? 1 : rep.killed / rep.total, ms: Math.round(rep.ms) }, null, 2) + '\n');
  } else process.stdout.write(formatReport(rep, verbose));
  return rep.killed === rep.total ? 0 : 1;
}
