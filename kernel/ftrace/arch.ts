/**
 * The architecture half of dynamic ftrace for each scheme: where a record's ip is, what the
 * sled holds when disabled and when calling a target, boot-time initialisation, and whether a
 * target is reachable. The core (core.ts) decides what each site should call; this file only
 * turns that into bytes.
 */
import type { FtraceScheme } from '../profiles/profiles';
import type { Sled, SledLayout } from '../image';
import { NOP, REG, SD_RA, LD_RA, callPair, words, splitOffset, auipc, jalr, u64bytes } from './insn';
import { fail, ok, type KResult } from '../errno';
import { hex } from '../../emulator/memory/address';
import type { MutantId } from '../mutants/catalogue';

/** What a site does: nothing, or call a target (ftrace_caller, ftrace_regs_caller, a trampoline). */
export type SiteState = { readonly kind: 'nop' } | { readonly kind: 'call'; readonly target: bigint };

export const NOP_STATE: SiteState = { kind: 'nop' };

export interface ArchFtrace {
  readonly scheme: FtraceScheme;
  /** The ftrace location (rec->ip) of a sled: the function entry (A, B) or the jalr (C). */
  recIp(sled: Sled): bigint;
  /** The address and bytes the compiler left in the sled (what boot expects to find). */
  compilerBytes(sled: Sled, layout: SledLayout): { addr: bigint; bytes: Uint8Array };
  /** Boot-time conversion of the compiler's sled into the disabled state (ftrace_init_nop). */
  initBytes(sled: Sled, ftraceCaller: bigint, nopOps: bigint): KResult<{ addr: bigint; bytes: Uint8Array }[]>;
  /** The bytes at the patch address for a state: `addr` is where they go. */
  siteBytes(sled: Sled, state: SiteState): KResult<{ addr: bigint; bytes: Uint8Array }>;
  /** Whether the site can call target directly (else the core falls back to ftrace_caller). */
  reaches(sled: Sled, target: bigint): boolean;
}

function compilerSled(sled: Sled, layout: SledLayout): { addr: bigint; bytes: Uint8Array } {
  const bytes = new Uint8Array(sled.size);
  const v = new DataView(bytes.buffer);
  for (let i = 0; i < sled.size; i += layout.nopSize) {
    if (layout.nopSize === 2) v.setUint16(i, layout.nopWord, true);
    else v.setUint32(i, layout.nopWord, true);
  }
  return { addr: sled.address, bytes };
}

/** Scheme A: 16 bytes at the function entry; enabled: sd ra,-8(sp); auipc ra; jalr ra; ld ra,-8(sp). */
const SCHEME_A: ArchFtrace = {
  scheme: 'A',
  recIp: (s) => s.funcAddr,
  compilerBytes: compilerSled,
  initBytes: (s) => ok([{ addr: s.funcAddr, bytes: words(NOP(), NOP(), NOP(), NOP()) }]),
  siteBytes(s, state) {
    if (state.kind === 'nop') return ok({ addr: s.funcAddr, bytes: words(NOP(), NOP(), NOP(), NOP()) });
    const pair = callPair(s.funcAddr + 4n, state.target, REG.ra, REG.ra);
    if (!pair) return fail('EINVAL', `ftrace: ${hex(state.target)} is out of reach of ${s.func}`);
    const v = new DataView(pair.buffer);
    return ok({ addr: s.funcAddr, bytes: words(SD_RA(), v.getUint32(0, true), v.getUint32(4, true), LD_RA()) });
  },
  reaches: (s, t) => splitOffset(t - (s.funcAddr + 4n)) !== undefined,
};

/** Scheme B: 8 bytes at the function entry; enabled: auipc t0; jalr t0. */
const SCHEME_B: ArchFtrace = {
  scheme: 'B',
  recIp: (s) => s.funcAddr,
  compilerBytes: compilerSled,
  // The compiler's c.nops (or nops) become two 4-byte nops, so a 4-byte auipc/jalr can replace them.
  initBytes: (s) => ok([{ addr: s.funcAddr, bytes: words(NOP(), NOP()) }]),
  siteBytes(s, state) {
    if (state.kind === 'nop') return ok({ addr: s.funcAddr, bytes: words(NOP(), NOP()) });
    const pair = callPair(s.funcAddr, state.target, REG.t0, REG.t0);
    if (!pair) return fail('EINVAL', `ftrace: ${hex(state.target)} is out of reach of ${s.func}`);
    return ok({ addr: s.funcAddr, bytes: pair });
  },
  reaches: (s, t) => splitOffset(t - s.funcAddr) !== undefined,
};

/** JALR_RANGE: how far from ftrace_caller ftrace_make_call calls a target straight (scheme C). */
const JALR_RANGE = 2047n;

/**
 * Scheme C: `auipc t0, hi(ftrace_caller - pc)` is written once at boot; afterwards only the
 * second word toggles between nop and `jalr t0, lo(target - pc)(t0)`, a single aligned 4-byte
 * store. As upstream's ftrace_make_call, a target within JALR_RANGE of ftrace_caller is called
 * straight, with the jalr taking the low 12 bits of (target - pc) against the boot-time auipc:
 * when the target's high part differs from ftrace_caller's, the call lands 4 KiB away from it.
 * Anything farther goes through ftrace_caller.
 */
function schemeC(ftraceCallerOf: () => bigint, mutant?: MutantId): ArchFtrace {
  return {
    scheme: 'C',
    recIp: (s) => s.funcAddr + (mutant === 'rec-ip-off-by-4' ? 0n : 4n),
    compilerBytes: compilerSled,
    initBytes(s, caller, nopOps) {
      const split = splitOffset(caller - s.funcAddr);
      if (!split) return fail('EINVAL', `ftrace: ftrace_caller is out of reach of ${s.func}`);
      const out = [{ addr: s.funcAddr, bytes: words(auipc(REG.t0, split.hi), NOP()) }];
      if (s.before === 8) out.unshift({ addr: s.funcAddr - 8n, bytes: u64bytes(nopOps) });
      return ok(out);
    },
    siteBytes(s, state) {
      if (state.kind === 'nop') return ok({ addr: s.funcAddr + 4n, bytes: words(NOP()) });
      // make_call_t0(pc, target): only its jalr word is written.
      const lo = BigInt.asIntN(12, state.target - s.funcAddr);
      return ok({ addr: s.funcAddr + 4n, bytes: words(jalr(REG.t0, REG.t0, Number(lo))) });
    },
    reaches(_s, t) {
      const d = t - ftraceCallerOf();
      return (d < 0n ? -d : d) <= JALR_RANGE;
    },
  };
}

export function archFtrace(scheme: FtraceScheme, ftraceCaller: () => bigint, mutant?: MutantId): ArchFtrace {
  if (scheme === 'B' && mutant === 'boot-nops-not-converted') return { ...SCHEME_B, initBytes: () => ok([]) };
  return scheme === 'A' ? SCHEME_A : scheme === 'B' ? SCHEME_B : schemeC(ftraceCaller, mutant);
}
