/** `rvtramp profiles`: the kernel profiles with their sled layout, ftrace scheme, WITH_REGS / WITH_ARGS and direct calls. */
import { PROFILES } from '../../kernel/profiles/profiles';
import { LAYOUTS } from '../../kernel/image/layouts';
import { CliError } from './errors';

export async function cmdProfiles(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('usage: rvtramp profiles [--json]\n\nLists the kernel profiles a run can use (-p NAME).\n');
    return 0;
  }
  const unknown = argv.find((a) => a !== '--json');
  if (unknown !== undefined) throw new CliError(unknown.startsWith('-') ? `unknown option '${unknown}'` : `unexpected argument '${unknown}'`, 2);
  if (argv.includes('--json')) {
    process.stdout.write(JSON.stringify(PROFILES, null, 2) + '\n');
    return 0;
  }
  const rows = PROFILES.map((p) => {
    const l = LAYOUTS[p.layout];
    const sled = `${l.sledBytes}B ${l.nopSize === 2 ? 'c.nop' : 'nop'} x${l.nops}${l.bytesBefore ? ` (${l.bytesBefore}B before)` : ''} -fpatchable-function-entry=${l.pfe}`;
    const scheme = p.scheme === 'A' ? 'A: sd ra/auipc ra/jalr ra/ld ra' : p.scheme === 'B' ? 'B: auipc t0/jalr t0' : 'C: auipc t0 at boot, jalr toggles, CALL_OPS';
    const direct = p.directCalls === 'none' ? 'no' : p.directCalls === 'regs-t1' ? 'yes (t1)' : 'yes (ops->direct_call)';
    return [p.name, sled, scheme, p.ftraceWith, direct, p.trampoline];
  });
  // ftrace with: what the entry code saves for callbacks (DYNAMIC_FTRACE_WITH_REGS / _ARGS).
  const head = ['profile', 'sled layout', 'ftrace scheme', 'ftrace with', 'direct calls', 'trampoline era'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write([line(head), ...rows.map(line)].join('\n') + '\n');
  return 0;
}
