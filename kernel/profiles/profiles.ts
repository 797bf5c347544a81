/**
 * Kernel profiles: which historical kernel a run models, as data. A profile names the sled
 * layout the image is compiled with, the ftrace scheme that patches it, whether ftrace has
 * direct calls (and through which mechanism), the BPF trampoline generator era, and limits.
 *
 * Facts: ../shared/reference/riscv-ftrace-bpf-trampoline.md §1 (timeline), §2.4 (layouts).
 * Every profile also exists without RVC as `NAME-norvc` (4-byte nop sleds, no C extension).
 */
import type { LayoutName } from '../image/layouts';

/** A: 16-byte `sd ra; auipc ra; jalr ra; ld ra` detour (<= v6.2). B: 8-byte `auipc t0; jalr t0`
 *  (v6.3-v6.15). C: auipc written at boot, only the jalr toggles, CALL_OPS literal (v6.16+). */
export type FtraceScheme = 'A' | 'B' | 'C';

/** How a direct trampoline is reached: none, an ops callback storing it into the saved t1 (v6.8
 *  series: ftrace_regs_caller; WITH_ARGS: ftrace_caller), or ops->direct_call loaded into t1
 *  by ftrace_caller (CALL_OPS, v6.16). */
export type DirectCalls = 'none' | 'regs-t1' | 'call-ops';

/**
 * What the ftrace entry code saves for callbacks. REGS (CONFIG_DYNAMIC_FTRACE_WITH_REGS, up to
 * v6.9): ftrace_caller with the argument registers, ftrace_regs_caller with a full pt_regs for
 * ops that ask for it (FTRACE_OPS_FL_SAVE_REGS). ARGS (WITH_ARGS, since 7caa9765465f "ftrace:
 * riscv: move from REGS to ARGS" in v6.10): one ftrace_caller saving a 112-byte ftrace_regs
 * (epc, ra, sp, s0 with HAVE_FUNCTION_GRAPH_FP_TEST, t1, a0-a7; v6.16 adds direct_tramp); an
 * ops asking for SAVE_REGS without SAVE_REGS_IF_SUPPORTED is refused with -EINVAL.
 */
export type FtraceWith = 'REGS' | 'ARGS';

/** The BPF trampoline generator era (kernel/bpf, a later issue); 'none' before v6.3. */
export type TrampolineEra = 'none' | 'v6.3' | 'v6.6' | 'v6.8' | 'v6.11' | 'v6.16' | 'v7.0';

/**
 * Which traced functions a trampoline era takes (others: -ENOTSUPP). Before v6.11 every
 * argument slot (8 bytes; a 16-byte struct takes two) had to fit a0-a7. Since 6801b0aef79d
 * ("riscv, bpf: Add 12-argument support for RV64 bpf trampoline") the kernel counts
 * arguments, `m->nr_args > MAX_BPF_FUNC_ARGS`, whatever slots they take: slots past a7 come
 * from the caller's stack.
 */
export interface ArgLimit {
  readonly count: 'slots' | 'args';
  readonly max: number;
}

export const ARG_LIMITS: { readonly [E in TrampolineEra]: ArgLimit } = {
  none: { count: 'slots', max: 8 },
  'v6.3': { count: 'slots', max: 8 },
  'v6.6': { count: 'slots', max: 8 },
  'v6.8': { count: 'slots', max: 8 },
  'v6.11': { count: 'args', max: 12 },
  'v6.16': { count: 'args', max: 12 },
  'v7.0': { count: 'args', max: 12 },
};

/** Whether a function of nrArgs arguments in nrSlots slots is within the limit. */
export function withinArgLimit(l: ArgLimit, nrArgs: number, nrSlots: number): boolean {
  return (l.count === 'slots' ? nrSlots : nrArgs) <= l.max;
}

/** The limit in words, e.g. "8 argument slots" or "12 arguments". */
export function describeArgLimit(l: ArgLimit): string {
  return `${l.max} ${l.count === 'slots' ? 'argument slots' : 'arguments'}`;
}

export interface Profile {
  readonly name: string;
  /** The profile this is the -norvc twin of (or its own name). */
  readonly base: string;
  readonly rvc: boolean;
  readonly layout: LayoutName;
  readonly scheme: FtraceScheme;
  readonly directCalls: DirectCalls;
  readonly ftraceWith: FtraceWith;
  readonly trampoline: TrampolineEra;
  /** The traced functions the trampoline takes: 8 argument slots before v6.11, 12 arguments after. */
  readonly argLimit: ArgLimit;
  /** BPF_MAX_TRAMP_LINKS. */
  readonly maxTrampLinks: number;
  /**
   * Who refuses a trampoline too long for its image: riscv's arch_prepare_bpf_trampoline with
   * -EFBIG ('arch', v6.3-v6.7), or bpf_trampoline_update after arch_bpf_trampoline_size with
   * -E2BIG ('generic', v6.8+).
   */
  readonly trampolineSizing: 'arch' | 'generic';
  readonly summary: string;
}

interface BaseDef {
  readonly name: string;
  readonly sled: 'sled16' | 'sled8' | 'callops';
  readonly scheme: FtraceScheme;
  readonly directCalls: DirectCalls;
  /** Default REGS. */
  readonly with?: FtraceWith;
  readonly trampoline: TrampolineEra;
  readonly sizing: 'arch' | 'generic';
  readonly summary: string;
}

const BASES: readonly BaseDef[] = [
  { name: 'v6.2', sled: 'sled16', scheme: 'A', directCalls: 'none', trampoline: 'none', sizing: 'arch', summary: '16-byte ra detour, no BPF trampoline' },
  { name: 'v6.3', sled: 'sled8', scheme: 'B', directCalls: 'none', trampoline: 'v6.3', sizing: 'arch', summary: '8-byte t0 detour, no direct calls; trampoline for BPF programs only (16-byte era)' },
  {
    name: 'v6.5+direct-calls', sled: 'sled8', scheme: 'B', directCalls: 'regs-t1', trampoline: 'v6.3',
    sizing: 'arch', summary: 'DIRECT_CALLS series applied before the trampoline fix: 8-byte sled, 16-byte/ra trampoline (the 2023 bug)',
  },
  { name: 'v6.6', sled: 'sled8', scheme: 'B', directCalls: 'none', trampoline: 'v6.6', sizing: 'arch', summary: '8-byte t0 detour, adapted trampoline, no direct calls yet' },
  { name: 'v6.8', sled: 'sled8', scheme: 'B', directCalls: 'regs-t1', trampoline: 'v6.8', sizing: 'generic', summary: '8-byte detour + DIRECT_CALLS via t1: fentry/fexit on kernel functions' },
  {
    name: 'v6.11', sled: 'sled8', scheme: 'B', directCalls: 'regs-t1', with: 'ARGS', trampoline: 'v6.11', sizing: 'generic',
    summary: 'ftrace WITH_ARGS (one ftrace_caller, direct calls via t1); trampoline with 12 arguments (stack-passed past a7) and prog_pack',
  },
  { name: 'v6.16', sled: 'callops', scheme: 'C', directCalls: 'call-ops', with: 'ARGS', trampoline: 'v6.16', sizing: 'generic', summary: 'atomic jalr-only patching + CALL_OPS (ops->direct_call in t1)' },
  {
    name: 'v7.0', sled: 'callops', scheme: 'C', directCalls: 'call-ops', with: 'ARGS', trampoline: 'v7.0', sizing: 'generic',
    summary: "v6.16's ftrace; trampoline with fsession (session cookies, func_meta at ctx[-1]) and R0 reloaded first",
  },
];

function make(b: BaseDef, rvc: boolean): Profile {
  return {
    name: rvc ? b.name : `${b.name}-norvc`,
    base: b.name,
    rvc,
    layout: `${b.sled}-${rvc ? 'rvc' : 'norvc'}` as LayoutName,
    scheme: b.scheme,
    directCalls: b.directCalls,
    ftraceWith: b.with ?? 'REGS',
    trampoline: b.trampoline,
    argLimit: ARG_LIMITS[b.trampoline],
    maxTrampLinks: 38,
    trampolineSizing: b.sizing,
    summary: b.summary,
  };
}

export const PROFILES: readonly Profile[] = BASES.flatMap((b) => [make(b, true), make(b, false)]);
export const PROFILE_NAMES: readonly string[] = PROFILES.map((p) => p.name);

/** Thrown for an unknown profile name; the message lists the known ones. */
export class UnknownProfileError extends Error {}

export function getProfile(name: string): Profile {
  const p = PROFILES.find((x) => x.name === name);
  if (!p) throw new UnknownProfileError(`unknown profile '${name}' (known: ${PROFILE_NAMES.join(', ')})`);
  return p;
}

/** One line describing a profile's machine, as failure reports print it. */
export function describeProfile(p: Profile): string {
  const sled =
    p.scheme === 'A' ? 'sled 16B sd ra/auipc ra/jalr ra/ld ra'
    : p.scheme === 'B' ? 'sled 8B auipc t0/jalr t0'
    : 'sled 8B auipc t0 (boot)/jalr t0 + ops literal';
  const direct = p.directCalls === 'none' ? 'no direct calls' : p.directCalls === 'regs-t1' ? 'direct calls via t1' : 'direct calls via ops->direct_call';
  const args = p.ftraceWith === 'ARGS' ? ', ftrace WITH_ARGS' : '';
  return `profile ${p.name}: ${sled}${p.rvc ? '' : ' (no RVC)'}, ${direct}${args}, trampoline era ${p.trampoline}`;
}
