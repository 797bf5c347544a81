/** `rvtramp exec [--stats] [--engine E] ELF [args...]`: run a static riscv64 Linux program in the emulator. */
import { readFileSync } from 'node:fs';
import { CliError } from './errors';
import { splitLongOption } from './long-option';
import { loadProgram, runProgram, LoadError, SIGNAL_NUMBER } from '../../emulator/user/runner';
import { ElfError } from '../../emulator/elf/reader';

const HELP = `usage: rvtramp exec [--stats] [--max-insns N] [--engine E] ELF [args...]

Runs a static riscv64 Linux executable. Its stdout/stderr and exit status are the program's.
System calls served: write (fd 1 and 2), exit, exit_group, brk: freestanding programs such as
../shared/bench (-nostdlib -ffreestanding); a C library's start-up stops at its first other
system call, named in the error.
  --stats         print instructions retired, seconds and MIPS on stderr
  --max-insns N   stop with an error after N instructions (watchdog)
  --engine E      translator (default: hot code becomes JavaScript) or interpreter

exit status: the program's own; 128+N when a trap kills it with signal N, as under Linux
(SIGSEGV 139, SIGILL 132, SIGTRAP 133, SIGBUS 135); 124 when --max-insns runs out; 125 when
it makes a system call the runner does not serve or uses an instruction it does not run (F/D);
126 when the file is not a program rvtramp can load, 127 when it does not exist; 2 bad usage.
Every error is one line on stderr.
`;

export type Engine = 'translator' | 'interpreter';
export const ENGINES: readonly Engine[] = ['translator', 'interpreter'];

// Exit statuses besides the program's own, as timeout(1), env(1) and shells use them.
const EXIT_WATCHDOG = 124;
const EXIT_RUNNER_LIMIT = 125;
const EXIT_CANNOT_EXECUTE = 126;
const EXIT_NOT_FOUND = 127;

export async function cmdExec(argv: string[]): Promise<number> {
  let stats = false;
  let max: number | undefined;
  let engine: Engine = 'translator';
  let i = 0;
  for (; i < argv.length; i++) {
    // --engine=E and --max-insns=N as well as the value in the next argument.
    const { name: a, inline } = splitLongOption(argv[i]!);
    if (inline !== undefined && a !== '--engine' && a !== '--max-insns') throw new CliError(`unknown option '${argv[i]}'`, 2);
    const value = () => inline ?? argv[++i];
    if (a === '--stats') stats = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(HELP);
      return 0;
    } else if (a === '--max-insns') {
      const s = value() ?? '';
      const v = Number(s);
      if (!/^\d+$/.test(s) || !Number.isSafeInteger(v) || v <= 0) throw new CliError(`--max-insns needs a positive integer, got '${s}'`, 2);
      max = v;
    } else if (a === '--engine') {
      const v = value() ?? '';
      if (!(ENGINES as readonly string[]).includes(v)) throw new CliError(`--engine needs one of ${ENGINES.join(', ')}, got '${v}'`, 2);
      engine = v as Engine;
    } else if (a === '--') {
      i++;
      break;
    } else if (a.startsWith('-')) throw new CliError(`unknown option '${a}'`, 2);
    else break;
  }
  const file = argv[i];
  if (file === undefined) throw new CliError('missing ELF file (usage: rvtramp exec [--stats] [--max-insns N] [--engine E] ELF [args...])', 2);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${file}: ${code ?? (e as Error).message}`, code === 'ENOENT' ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE);
  }
  const args = argv.slice(i);
  let prog;
  try {
    prog = loadProgram(bytes, file, { argv: args, hart: { translate: engine === 'translator' } });
  } catch (e) {
    if (e instanceof ElfError || e instanceof LoadError) throw new CliError(e.message, EXIT_CANNOT_EXECUTE);
    throw e;
  }
  const chunks: Uint8Array[] = [];
  const flush = () => {
    if (chunks.length) process.stdout.write(Buffer.concat(chunks));
    chunks.length = 0;
  };
  const t0 = process.hrtime.bigint();
  const outcome = runProgram(prog, {
    ...(max !== undefined ? { maxInstructions: max } : {}),
    stdout: (b) => {
      chunks.push(Buffer.from(b));
      if (chunks.length > 64) flush();
    },
    stderr: (b) => process.stderr.write(Buffer.from(b)),
  });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  flush();
  if (stats) {
    const n = prog.hart.instret;
    process.stderr.write(`rvtramp: instret ${n} seconds ${secs.toFixed(3)} MIPS ${(n / secs / 1e6).toFixed(1)} engine ${engine}\n`);
  }
  switch (outcome.kind) {
    case 'exit':
      return outcome.code;
    case 'signal':
      throw new CliError(`${file}: killed by ${outcome.signal}: ${outcome.message}`, 128 + SIGNAL_NUMBER[outcome.signal]);
    case 'error':
      throw new CliError(`${file}: ${outcome.message}`, outcome.cause === 'budget' ? EXIT_WATCHDOG : EXIT_RUNNER_LIMIT);
  }
}
