/**
 * ftrace entry code (the kernel's mcount-dyn.S), as assembly source for the project's own
 * assembler, one variant per scheme. It is assembled when the kernel model boots, at
 * FTRACE_TEXT. Our own rendering of the conventions in riscv-ftrace-bpf-trampoline.md §2,
 * not a copy of the kernel file.
 *
 * Symbols provided by the kernel model when assembling: `function_trace_op` (address of the
 * pointer to the current ops) and `ftrace_stub` targets resolved within this source.
 *
 * Schemes A and B: the patchable call sites `ftrace_call` / `ftrace_regs_call` are 8-byte
 * `auipc ra; jalr ra` pairs, retargeted by ftrace_update_ftrace_func. Kernels built WITH_ARGS
 * (v6.10+) have ftrace_caller only. Scheme C calls ops->func with a plain `jalr ra, 0(ra)` at
 * ftrace_call, never patched. The source is assembled with the C extension on RVC profiles, as
 * the kernel's build assembles mcount-dyn.S, and each function is 4-byte aligned as
 * SYM_FUNC_START does (entry-oracle.test.ts compares it with GNU as).
 */
import type { FtraceScheme } from '../profiles/profiles';
import type { MutantId } from '../mutants/catalogue';

/** Layout of `struct pt_regs` as ftrace_regs_caller saves it (Linux order: epc, x1..x31, ...). */
export const PT = { EPC: 0, RA: 8, SP: 16, T0: 40, T1: 48, SIZE: 288 } as const;
export const ptReg = (x: number): number => 8 * x; // x1..x31 at 8*x

/** Layout of the WITH_ARGS `ftrace_regs` area (v6.11's ftrace_caller): epc, ra, sp, s0, t1,
 *  a0-a7, 104 bytes rounded up to the 16-byte stack alignment. */
export const FREGS = { EPC: 0, RA: 8, SP: 16, S0: 24, T1: 32, A0: 40, SIZE: 112 } as const;

/** v6.16's: with DIRECT_CALLS (the CALL_OPS series) a direct_tramp slot follows t1, so a0-a7
 *  move up by 8 (112 bytes, already 16-byte aligned). */
export const FREGS_CALL_OPS = { EPC: 0, RA: 8, SP: 16, S0: 24, T1: 32, DIRECT_TRAMP: 40, A0: 48, SIZE: 112 } as const;

/** Layout of `struct ftrace_ops` fields the entry code reads (scheme C). */
export const OPS = { FUNC: 0, DIRECT_CALL: 8, FLAGS: 16, SIZE: 32 } as const;

/** Scheme B's PREPARE_ARGS: a0 = func (t0 - FENTRY_RA_OFFSET), a1 = parent ip, a2 = ops, a3 = the saved area. */
const prepareArgs = (raOffset: number) => `    addi a0, t0, -${raOffset}
    la a1, function_trace_op
    ld a2, 0(a1)
    mv a1, ra
    mv a3, sp`;

/** Scheme B's PREPARE_ARGS, the patchable call, and t0 reloaded from the saved epc (`epc`: its offset in the area). */
const prepareAndCall = (m: MutantId | undefined, epc: number) => `${prepareArgs(m === 'f2-ra-offset-12' ? 12 : 8)}
ftrace_call:
    call ftrace_stub
${m === 'ftrace-caller-no-t0' ? '' : `    ld t0, ${epc}(sp)\n`}`;

/** Scheme B with direct calls, after restoring: on to the direct trampoline a callback put in t1, else back to func + 8. */
const toT1OrT0 = (m: MutantId | undefined) => `    bnez t1, 1f
    jr t0
1:
${m === 'f5-direct-target-t0' ? '    mv t0, t1\n' : ''}    jr t1`;

/** ftrace_stub, and the direct trampoline that does nothing (kernels with DIRECT_CALLS). */
const STUBS_DIRECT = `    .balign 4
ftrace_stub:
    ret

# A direct trampoline that does nothing: continue into the traced function.
    .balign 4
ftrace_stub_direct_tramp:
    jr t0
`;

const A_REGS = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'];
const saveA = (base: number) => A_REGS.map((r, i) => `    sd ${r}, ${base + 8 * i}(sp)`).join('\n');
const loadA = (base: number) => A_REGS.map((r, i) => `    ld ${r}, ${base + 8 * i}(sp)`).join('\n');

const X3_X31 = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31];

/**
 * The function graph tracer's call site (CONFIG_FUNCTION_GRAPH_TRACER, before v6.8 made the
 * graph tracer an ftrace ops): a0 = where the parent's return address is kept, a1 = func,
 * a2 = s0 (HAVE_FUNCTION_GRAPH_FP_TEST), then a patchable call, to ftrace_stub while graph
 * tracing is off (the model never turns it on).
 */
const graphCall = (label: string, parentSlot: number, epcSlot: number, raOffset: number) => `    addi a0, sp, ${parentSlot}
    ld a1, ${epcSlot}(sp)
    addi a1, a1, -${raOffset}
    mv a2, s0
${label}:
    call ftrace_stub`;

/** Scheme A (<= v6.2): sled `sd ra,-8(sp); auipc ra; jalr ra; ld ra,-8(sp)`. */
function schemeA(): string {
  return `
# Entered from the 16-byte sled with ra = func + 12 (the sled's final "ld ra,-8(sp)") and the
# parent's return address spilled at [sp - 8]. SAVE_ABI steps over that slot (8 bytes) so it
# stays intact, then saves the argument registers and ra (72 bytes); the tracer gets a0 = func,
# a1 = parent ip (from the protected slot), a2 = ops, a3 = the saved area.
    .balign 4
ftrace_caller:
    addi sp, sp, -8
    addi sp, sp, -72
${saveA(0)}
    sd ra, 64(sp)
    addi a0, ra, -12
    la a1, function_trace_op
    ld a2, 0(a1)
    ld a1, 72(sp)
    mv a3, sp
ftrace_call:
    call ftrace_stub
${graphCall('ftrace_graph_call', 72, 64, 12)}
${loadA(0)}
    ld ra, 64(sp)
    addi sp, sp, 72
    addi sp, sp, 8
    ret

# With full registers (FTRACE_OPS_FL_SAVE_REGS), SAVE_ALL: one slot more than struct pt_regs
# (${PT.SIZE} + 8 bytes, so sp is only 8-byte aligned here, as in the kernel), the protected
# slot right above it. epc = the incoming ra (func + 12), ra = the parent's return address,
# fetched from the protected slot by stepping sp back up to it, sp = this lowered sp. On the way
# out PT_RA goes back to the slot (the sled's final "ld ra,-8(sp)" honours a callback's change
# of the parent ra), then ra = epc, sp and x3-x31 are reloaded before "ret".
    .balign 4
ftrace_regs_caller:
    addi sp, sp, -8
    addi sp, sp, -${PT.SIZE}
    sd ra, ${PT.EPC}(sp)
    addi sp, sp, ${PT.SIZE}
    ld ra, 0(sp)
    addi sp, sp, -${PT.SIZE}
    sd ra, ${PT.RA}(sp)
    ld ra, ${PT.EPC}(sp)
    sd sp, ${PT.SP}(sp)
${X3_X31.map((x) => `    sd x${x}, ${ptReg(x)}(sp)`).join('\n')}
    addi a0, ra, -12
    la a1, function_trace_op
    ld a2, 0(a1)
    ld a1, ${PT.SIZE}(sp)
    mv a3, sp
ftrace_regs_call:
    call ftrace_stub
${graphCall('ftrace_graph_regs_call', PT.RA, PT.EPC, 12)}
    ld ra, ${PT.RA}(sp)
    addi sp, sp, ${PT.SIZE}
    sd ra, 0(sp)
    addi sp, sp, -${PT.SIZE}
    ld ra, ${PT.EPC}(sp)
    ld sp, ${PT.SP}(sp)
${X3_X31.map((x) => `    ld x${x}, ${ptReg(x)}(sp)`).join('\n')}
    addi sp, sp, ${PT.SIZE}
    addi sp, sp, 8
    ret

    .balign 4
ftrace_stub:
    ret
`;
}

/**
 * Scheme B built WITH_ARGS (v6.10 .. v6.15, after 7caa9765465f): one ftrace_caller for every
 * ops, saving an ftrace_regs area; direct calls through the saved t1.
 */
function schemeBArgs(m?: MutantId): string {
  return `
# Entered from the 8-byte sled: t0 = func + 8, ra = the parent's return address. t1 is cleared
# first (a callback for a direct ops stores the trampoline into the saved t1); the area keeps
# epc = t0, ra, the sp of the traced function (kept in t4 while the frame is made), s0, t1 and
# a0-a7. The tracer gets a0 = func, a1 = parent ip, a2 = ops, a3 = the area. After restoring,
# continue into the traced function with jr t0, or jump to the direct trampoline in t1 (t0
# still holds func + 8 for it to return into).
    .balign 4
ftrace_caller:
${m === 'f5-t1-not-cleared' ? '' : '    mv t1, zero\n'}    mv t4, sp
    addi sp, sp, -${FREGS.SIZE}
    sd t0, ${FREGS.EPC}(sp)
    sd ra, ${FREGS.RA}(sp)
    sd t4, ${FREGS.SP}(sp)
    sd s0, ${FREGS.S0}(sp)
    sd t1, ${FREGS.T1}(sp)
${saveA(FREGS.A0)}
${prepareAndCall(m, FREGS.EPC)}    ld ra, ${FREGS.RA}(sp)
    ld s0, ${FREGS.S0}(sp)
    ld t1, ${FREGS.T1}(sp)
${loadA(FREGS.A0)}
    addi sp, sp, ${FREGS.SIZE}
${toT1OrT0(m)}

${STUBS_DIRECT}`;
}

/** Scheme B built WITH_REGS (v6.3 .. v6.9): sled `auipc t0; jalr t0`; optional DIRECT_CALLS through t1. */
function schemeB(direct: boolean, m?: MutantId): string {
  return direct ? schemeBDirect(m) : schemeBAbi(m);
}

/**
 * v6.3 .. v6.7: ftrace_caller saves the ABI registers (SAVE_ABI, 80 bytes), ftrace_regs_caller
 * everything (SAVE_ALL), and both have the graph tracer's call site. (The profiles of that era
 * have no direct calls.)
 */
function schemeBAbi(m?: MutantId): string {
  const ra = m === 'f2-ra-offset-12' ? 12 : 8;
  return `
# Entered from the 8-byte sled: t0 = func + 8 (where the traced function continues), ra = the
# parent's return address (the traced function has not run its prologue). SAVE_ABI keeps
# a0-a7, t0 and ra (80 bytes); the tracer gets a0 = func, a1 = parent ip, a2 = ops, a3 = the
# area; after restoring, continue into the traced function with jr t0.
    .balign 4
ftrace_caller:
    addi sp, sp, -80
${saveA(0)}
    sd t0, 64(sp)
    sd ra, 72(sp)
${prepareArgs(ra)}
ftrace_call:
    call ftrace_stub
${graphCall('ftrace_graph_call', 72, 64, ra)}
${loadA(0)}
${m === 'ftrace-caller-no-t0' ? '' : '    ld t0, 64(sp)\n'}    ld ra, 72(sp)
    addi sp, sp, 80
    jr t0

# SAVE_ALL: a full struct pt_regs (${PT.SIZE} bytes) with epc = t0, ra = parent and sp = the
# lowered sp; RESTORE_ALL reloads sp first and takes t0 from epc, so a callback can redirect
# the traced function.
    .balign 4
ftrace_regs_caller:
    addi sp, sp, -${PT.SIZE}
    sd t0, ${PT.EPC}(sp)
    sd ra, ${PT.RA}(sp)
    sd sp, ${PT.SP}(sp)
${X3_X31.map((x) => `    sd x${x}, ${ptReg(x)}(sp)`).join('\n')}
${prepareArgs(ra)}
ftrace_regs_call:
    call ftrace_stub
${graphCall('ftrace_graph_regs_call', PT.RA, PT.EPC, ra)}
    ld ra, ${PT.RA}(sp)
    ld sp, ${PT.SP}(sp)
${X3_X31.map((x) => `    ld x${x}, ${ptReg(x === 5 ? 0 : x)}(sp)`).join('\n')}
    addi sp, sp, ${PT.SIZE}
    jr t0

    .balign 4
ftrace_stub:
    ret
`;
}

/**
 * v6.8 .. v6.9 (and v6.5+direct-calls, which has that series): "Make function graph use ftrace
 * directly" and DIRECT_CALLS. ftrace_caller saves epc, ra, a0-a7 and s0
 * (HAVE_FUNCTION_GRAPH_FP_TEST) in a pt_regs-sized frame (SAVE_ABI_REGS 0); ftrace_regs_caller
 * clears t1, saves everything (SAVE_ABI_REGS 1) and jumps to the saved t1 when a direct ops
 * set it (t0 still holds func + 8 for the trampoline to return into).
 */
function schemeBDirect(m?: MutantId): string {
  // SAVE_ABI_REGS 1's "leftover" registers, in its order (t0 is saved, but restored from epc).
  const rest = [2, 3, 4, 5, 6, 7, 8, 9, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31];
  return `
    .balign 4
ftrace_regs_caller:
${m === 'f5-t1-not-cleared' ? '' : '    mv t1, zero\n'}    addi sp, sp, -${PT.SIZE}
    sd t0, ${PT.EPC}(sp)
    sd ra, ${PT.RA}(sp)
${saveA(ptReg(10))}
${rest.map((x) => `    sd x${x}, ${ptReg(x)}(sp)`).join('\n')}
${prepareArgs(8)}
ftrace_regs_call:
    call ftrace_stub
    ld t0, ${PT.EPC}(sp)
    ld ra, ${PT.RA}(sp)
${loadA(ptReg(10))}
${rest.filter((x) => x !== 5).map((x) => `    ld x${x}, ${ptReg(x)}(sp)`).join('\n')}
    addi sp, sp, ${PT.SIZE}
${toT1OrT0(m)}

    .balign 4
ftrace_caller:
    addi sp, sp, -${PT.SIZE}
    sd t0, ${PT.EPC}(sp)
    sd ra, ${PT.RA}(sp)
${saveA(ptReg(10))}
    sd s0, ${ptReg(8)}(sp)
${prepareAndCall(m, PT.EPC)}    ld ra, ${PT.RA}(sp)
${loadA(ptReg(10))}
    ld s0, ${ptReg(8)}(sp)
    addi sp, sp, ${PT.SIZE}
    jr t0

${STUBS_DIRECT}`;
}

/** Scheme C (v6.16+) with CALL_OPS: the ops pointer literal sits 8 bytes before the function. */
function schemeC(m?: MutantId): string {
  return `
# Entered from "auipc t0 (written at boot); jalr t0" at func + 0/4: t0 = func + 8, ra = parent.
# The site's struct ftrace_ops pointer is the literal at func - 8 = t0 - 16. If that ops has a
# direct_call, go straight there (t0 and ra untouched). Otherwise save an ftrace_regs area (the
# traced function's sp computed last, through a0), call ops->func(ip = func + 4, parent ip, ops,
# fregs) through ra, restore, and continue at func + 8 - unless a callback stored a direct
# trampoline into the saved t1. (The CALL_OPS series as merged for v6.16, patch 11.)
    .balign 4
ftrace_caller:
    ld t1, -16(t0)
    ld t1, ${OPS.DIRECT_CALL}(t1)
    bnez t1, ftrace_caller_direct
    addi sp, sp, -${FREGS_CALL_OPS.SIZE}
    sd t0, ${FREGS_CALL_OPS.EPC}(sp)
    sd ra, ${FREGS_CALL_OPS.RA}(sp)
    sd s0, ${FREGS_CALL_OPS.S0}(sp)
    sd t1, ${FREGS_CALL_OPS.T1}(sp)
${saveA(FREGS_CALL_OPS.A0)}
    mv a0, sp
    addi a0, a0, ${FREGS_CALL_OPS.SIZE}
    sd a0, ${FREGS_CALL_OPS.SP}(sp)
    addi a0, t0, -4
    mv a1, ra
    ld a2, -16(t0)
    ld ra, ${OPS.FUNC}(a2)
    mv a3, sp
ftrace_call:
    jalr ra, 0(ra)
    ld t0, ${FREGS_CALL_OPS.EPC}(sp)
${m === 'ftrace-caller-no-ra' ? '' : `    ld ra, ${FREGS_CALL_OPS.RA}(sp)`}
    ld s0, ${FREGS_CALL_OPS.S0}(sp)
    ld t1, ${FREGS_CALL_OPS.T1}(sp)
${loadA(FREGS_CALL_OPS.A0)}
    addi sp, sp, ${FREGS_CALL_OPS.SIZE}
    bnez t1, ftrace_caller_direct
    jr t0
ftrace_caller_direct:
    jr t1

    .balign 4
ftrace_stub:
    ret

    .balign 4
ftrace_stub_direct_tramp:
    jr t0
`;
}

export function entrySource(scheme: FtraceScheme, directCalls: boolean, mutant?: MutantId, withArgs = false): string {
  switch (scheme) {
    case 'A': return schemeA();
    case 'B': return withArgs ? schemeBArgs(mutant) : schemeB(directCalls, mutant);
    case 'C': return schemeC(mutant);
  }
}
