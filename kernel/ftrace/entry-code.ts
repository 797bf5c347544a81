/**
 * The assembled ftrace entry code of a boot. Assembling entry.ts's source is a pure function
 * of the source text (scheme, direct calls, mutant) and where it goes, so each distinct input
 * is assembled once per process and the program shared: nobody writes into a Program (its
 * bytes are copied into guest memory, its symbols only read).
 */
import { assemble, type Program } from '../../emulator/asm';
import type { FtraceScheme } from '../profiles/profiles';
import type { MutantId } from '../mutants/catalogue';
import { entrySource } from './entry';

const cache = new Map<string, Program>();

/** entrySource(scheme, directCalls, mutant, withArgs) assembled at `base` with function_trace_op at `traceOp`. */
export function entryCode(scheme: FtraceScheme, directCalls: boolean, mutant: MutantId | undefined, base: bigint, traceOp: bigint, withArgs = false, compressed = false): Program {
  // The key is everything assemble() sees: the source (a function of the first four), both
  // addresses and whether the kernel's assembler may compress (CONFIG_RISCV_ISA_C).
  const key = `${scheme} ${directCalls} ${mutant ?? ''} ${withArgs} ${compressed} ${base.toString(16)} ${traceOp.toString(16)}`;
  let p = cache.get(key);
  if (!p) cache.set(key, (p = assemble(entrySource(scheme, directCalls, mutant, withArgs), { base, compressed, symbols: { function_trace_op: traceOp } })));
  return p;
}
