/**
 * rvtramp command line: dispatches to one module per verb, loaded on demand so that
 * `rvtramp --help` starts without loading the emulator.
 */
import { CliError } from './errors';

type Verb = { summary: string; load: () => Promise<(argv: string[]) => Promise<number>> };

const VERBS: Record<string, Verb> = {
  exec: { summary: 'exec [--stats] [--engine E] ELF [args...]   run a static riscv64 Linux program', load: async () => (await import('./cmd-exec')).cmdExec },
  disasm: {
    summary: 'disasm FILE [--symbol NAME] [--start ADDR --stop ADDR]   objdump -d compatible listing',
    load: async () => (await import('./cmd-disasm')).cmdDisasm,
  },
  fuzz: {
    summary: 'fuzz [--runs N | --time S] [--seed S] [--shard i/n] [-j N] [-p PROFILE...] [--out DIR]   property-based fuzzing',
    load: async () => (await import('./cmd-fuzz')).cmdFuzz,
  },
  replay: { summary: 'replay FILE                        re-run a fuzz failure with its full diagnosis', load: async () => (await import('./cmd-replay')).cmdReplay },
  mutants: { summary: 'mutants [--json] [--only ID] [--list]   run the suites against the mutation catalogue', load: async () => (await import('./cmd-mutants')).cmdMutants },
  profiles: { summary: 'profiles [--json]                   list the kernel profiles (-p NAME)', load: async () => (await import('./cmd-profiles')).cmdProfiles },
  run: {
    summary: 'run [-t NAMES] [-p PROFILE] [-l] [--ktap] ...   run the selftests on every kernel profile (test_progs options)',
    load: async () => (await import('./cmd-run')).cmdRun,
  },
};

export const USAGE = `usage: rvtramp <command> [options]

RISC-V ftrace / BPF trampoline regression harness on an RV64 emulator.

commands:
${Object.values(VERBS).map((v) => `  ${v.summary}`).join('\n')}

  rvtramp <command> --help   details of one command

every command: exit 141 when its output pipe is closed (| head), 74 when its output cannot
be written (a full disk), 70 for an internal error (a bug in rvtramp: please report it)
`;

/** Version from package.json, found from the source tree or from dist/. */
function packageVersion(): string {
  for (const p of ['../../package.json', '../../../package.json']) {
    try {
      return (require(p) as { version: string }).version;
    } catch {
      // try the next layout
    }
  }
  return 'unknown';
}

/** Exit status of a process whose output pipe was closed (128 + SIGPIPE), as a C tool gets. */
export const EXIT_BROKEN_PIPE = 141;
let pipeHandlers = false;
/** process.exit as loaded: while a selftest runs, the runner puts a guard in its place (runner/execute.ts). */
const exitProcess = process.exit.bind(process);

/** Exit status when the output cannot be written (a full disk: EX_IOERR of sysexits.h). */
export const EXIT_OUTPUT_ERROR = 74;

/**
 * `rvtramp run | head`: once the reader has gone, writes fail with EPIPE. End quietly with the
 * status a C program killed by SIGPIPE has, instead of an unhandled 'error' event and its stack.
 * Any other failed write (`> /dev/full`: ENOSPC) is said in one line, with EXIT_OUTPUT_ERROR.
 */
function quietOnBrokenPipe(): void {
  if (pipeHandlers) return;
  pipeHandlers = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') exitProcess(EXIT_BROKEN_PIPE);
      if (stream === process.stdout) {
        try {
          process.stderr.write(`rvtramp: cannot write standard output: ${e.code ?? e.message}\n`);
        } catch {
          // stderr is gone too: the exit status still says it
        }
      }
      exitProcess(EXIT_OUTPUT_ERROR);
    });
  }
}

/** An error message as one line: control characters (a newline in a file's field) escaped. */
export function oneLine(message: string): string {
  return message.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

export async function main(argv: string[]): Promise<number> {
  quietOnBrokenPipe();
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    (verb === undefined ? process.stderr : process.stdout).write(USAGE);
    return verb === undefined ? 2 : 0;
  }
  if (verb === '--version') {
    process.stdout.write(`rvtramp ${packageVersion()}\n`);
    return 0;
  }
  const v = VERBS[verb];
  if (!v) {
    process.stderr.write(`rvtramp: unknown command '${verb}' (see rvtramp --help)\n`);
    return 2;
  }
  try {
    const run = await v.load();
    return await run(rest);
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`rvtramp ${verb}: ${oneLine(e.message)}\n`);
      return e.exitCode;
    }
    // Anything else is a bug in rvtramp: one line; the stack only with RVTRAMP_DEBUG=1.
    process.stderr.write(`rvtramp ${verb}: internal error: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    if (process.env['RVTRAMP_DEBUG']) process.stderr.write(`${e instanceof Error ? e.stack : ''}\n`);
    return 70;
  }
}
