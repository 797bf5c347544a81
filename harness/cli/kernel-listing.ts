/**
 * Listings of kernel functions as the simulated kernel has them: as booted (sleds in their
 * disabled form) or with the function tracer enabled on the function. Used by
 * `rvtramp disasm --kernel`.
 */
import { bootKernel, type Kernel } from '../../kernel/kernel';
import { listBytes } from '../../emulator/disasm/listing';
import { hex } from '../../emulator/memory/address';
import { describeProfile } from '../../kernel/profiles/profiles';
import { describeError } from '../../kernel/errno';
import { CliError } from './errors';

/** `sym` or `sym+0xoff` as objdump prints a branch target. */
export function kernelSymbolizer(k: Kernel): (a: bigint) => string | undefined {
  return (a) => {
    const l = k.kallsyms.lookup(a);
    return l ? (l.offset === 0n ? l.name : `${l.name}+0x${l.offset.toString(16)}`) : undefined;
  };
}

export function kernelFunctionListing(profile: string, symbol: string, traced: boolean): string {
  const k = bootKernel(profile);
  const fn = k.image.functions.get(symbol);
  if (!fn) throw new CliError(`${symbol} is not a function of the ${profile} kernel image`);
  if (traced) {
    const r = k.tracer.enable([symbol]);
    if (!r.ok) throw new CliError(`enabling the function tracer on ${symbol}: ${describeError(r)}`);
  }
  const sym = kernelSymbolizer(k);
  const sled = k.image.sleds.find((s) => s.func === symbol);
  let out = `# ${describeProfile(k.profile)}\n# ${symbol} ${traced ? 'with the function tracer enabled' : 'as booted'}\n`;
  if (sled && sled.before > 0) {
    const lit = k.machine.memory.readU(sled.address, 8);
    out += `\n${hex(sled.address).padStart(16, '0')} <${symbol}-0x${sled.before.toString(16)}>:\n${hex(sled.address)}:\t.dword ${hex(lit)} <${sym(lit) ?? '?'}>\n`;
  }
  out += listBytes(k.machine.memory.readBytes(fn.value, Number(fn.size)), fn.value, { symbolize: sym, label: (a) => (a === fn.value ? symbol : undefined) });
  return out;
}
