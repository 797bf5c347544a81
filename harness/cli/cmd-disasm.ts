/**
 * `rvtramp disasm FILE [--symbol NAME] [--start ADDR --stop ADDR]`: an `objdump -d`
 * compatible listing of a RISC-V ELF file (byte-identical to binutils 2.40 output).
 */
import { readFileSync } from 'node:fs';
import { CliError } from './errors';
import { splitLongOption } from './long-option';
import { ElfError, readElf } from '../../emulator/elf/reader';
import { listElf, type ListingOptions } from '../../emulator/disasm/listing';

const HELP = `usage: rvtramp disasm FILE [--symbol NAME] [--start ADDR] [--stop ADDR]
       rvtramp disasm --kernel -p PROFILE --symbol NAME [--traced]

Prints the objdump -d listing of a RISC-V ELF64 file (executable or relocatable object).
  --symbol NAME   only this symbol (objdump --disassemble=NAME)
  --start ADDR    from this address (objdump --start-address); 0x... hex or decimal
  --stop ADDR     up to this address, exclusive (objdump --stop-address)

With --kernel, lists a function of the simulated kernel of a profile (see rvtramp profiles) as
booted, or with --traced after enabling the function tracer on it.
`;

/** `--kernel -p PROFILE --symbol NAME [--traced]`. */
async function kernelDisasm(argv: string[]): Promise<number> {
  let profile: string | undefined;
  let symbol: string | undefined;
  let traced = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const { name, inline } = splitLongOption(a);
    const value = () => inline ?? argv[++i];
    if (a === '--kernel') continue;
    else if (a === '--traced') traced = true;
    else if (a === '-p' || name === '--profile') profile = value();
    else if (name === '--symbol') symbol = value();
    else throw new CliError(`unknown option '${a}' with --kernel (usage: rvtramp disasm --kernel -p PROFILE --symbol NAME [--traced])`);
  }
  if (!profile) throw new CliError('--kernel needs -p PROFILE (see rvtramp profiles)');
  if (!symbol) throw new CliError('--kernel needs --symbol NAME');
  const { getProfile, UnknownProfileError } = await import('../../kernel/profiles/profiles');
  try {
    getProfile(profile);
  } catch (e) {
    if (e instanceof UnknownProfileError) throw new CliError(e.message);
    throw e;
  }
  const { kernelFunctionListing } = await import('./kernel-listing');
  process.stdout.write(kernelFunctionListing(profile, symbol, traced));
  return 0;
}

function parseAddress(option: string, text: string | undefined): bigint {
  if (text === undefined || text === '') throw new CliError(`${option} needs an address`);
  if (/^0x[0-9a-f]+$/i.test(text) || /^[0-9]+$/.test(text)) {
    const v = BigInt(text);
    if (v < 2n ** 64n) return v;
  }
  throw new CliError(`${option}: '${text}' is not an address (0x... hex or decimal, below 2^64)`);
}

export async function cmdDisasm(argv: string[]): Promise<number> {
  const dd = argv.indexOf('--');
  if ((dd < 0 ? argv : argv.slice(0, dd)).includes('--kernel')) return kernelDisasm(argv);
  let file: string | undefined;
  let symbol: string | undefined;
  let start: bigint | undefined;
  let stop: bigint | undefined;
  let files = false; // after `--`: file names only
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const { name, inline } = files ? { name: a, inline: undefined } : splitLongOption(a);
    const value = () => inline ?? argv[++i];
    if (files) {
      if (file !== undefined) throw new CliError(`unexpected argument '${a}': only one FILE is listed`);
      file = a;
    } else if (a === '--') files = true;
    else if (name === '--help' || name === '-h') {
      process.stdout.write(HELP);
      return 0;
    } else if (name === '--symbol') {
      symbol = value();
      if (symbol === undefined || symbol === '') throw new CliError('--symbol needs a symbol name');
    } else if (name === '--start') start = parseAddress('--start', value());
    else if (name === '--stop') stop = parseAddress('--stop', value());
    else if (a.startsWith('-') && a !== '-') throw new CliError(`unknown option '${a}' (see rvtramp disasm --help)`);
    else if (file === undefined) file = a;
    else throw new CliError(`unexpected argument '${a}': only one FILE is listed`);
  }
  if (file === undefined) throw new CliError('missing FILE (usage: rvtramp disasm FILE [--symbol NAME] [--start ADDR] [--stop ADDR])');
  if (start !== undefined && stop !== undefined && stop <= start) {
    throw new CliError(`--stop ${'0x' + stop.toString(16)} is not after --start ${'0x' + start.toString(16)}`);
  }

  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let text: string;
  try {
    const elf = readElf(bytes, file);
    if (symbol !== undefined && !elf.symbols.some((s) => s.name === symbol && s.section !== undefined)) {
      throw new CliError(`${file}: no symbol '${symbol}' defined in a section`);
    }
    const opts: ListingOptions = {
      ...(symbol !== undefined ? { symbol } : {}),
      ...(start !== undefined ? { start } : {}),
      ...(stop !== undefined ? { stop } : {}),
    };
    text = listElf(elf, opts);
  } catch (e) {
    if (e instanceof ElfError) throw new CliError(e.message);
    throw e;
  }
  // Names are bytes (latin1 in the reader); write them back unchanged, as objdump does.
  process.stdout.write(Buffer.from(text, 'latin1'));
  return 0;
}
