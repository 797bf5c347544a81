/**
 * The mutation catalogue (DESIGN.md decision 8): historic and synthetic bugs in ftrace, text
 * patching and the BPF trampoline that the model can re-introduce. A kernel booted with
 * `bootKernel(profile, { mutant: id })` carries exactly one of them; each is one small switch
 * at one place in the kernel code (search for the id). `rvtramp mutants` runs the scripted
 * selftests and then the property suites against every mutant: each one must be killed.
 *
 * `source` is the bug id of riscv-ftrace-bpf-trampoline.md §5 (or a fix commit) for historic
 * bugs, 'synthetic' for plausible ones. `profiles` are the profiles where the switch changes
 * behaviour (the first ones are where the harness tries to kill it).
 */

export const MUTANTS = [
  // ---- BPF trampoline generator (kernel/bpf/trampoline/gen.ts) --------------------------------
  { id: 'bt1a-orig-call-16', source: 'B-T1a', description: 'orig_call = func + 16 on the 8-byte sled: the original runs from 8 bytes inside its body', profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'orig-stack-gate', source: '8f3e00af8e52', description: 'orig_call moved past the sled only under BPF_TRAMP_F_ORIG_STACK, which riscv never sets (47c9214dcbea, v6.19-rc): the original is called at its sled, re-enters the trampoline and recurses until the stack overflows', profiles: ['v6.16', 'v6.11-norvc'] },
  { id: 'bt1b-ra16-frame', source: 'B-T1b', description: "v6.3's single ra frame on the 8-byte sled: parent ra read from [FP-8], return into the traced function through ra", profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'bt1e-v1-one-frame', source: 'B-T1e', description: "v1 of 25ad10658dc1: one frame {ra, t0, fp} instead of a record for the traced function and one for the trampoline, always returning through t0: calls still work, a frame-pointer walk from a program loses the traced function", profiles: ['v6.16', 'v6.11-norvc'] },
  { id: 'bt4-only-a5-saved', source: 'B-T4', description: "after the original call only a5 is saved into the return-value slot: the original's a0 is lost", profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'stale-s1-on-skip', source: '10541b374aa0', description: '`mv s1, a0` after the skip branch: a program skipped by __bpf_prog_enter exits with a stale start time', profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'bt7-stack-args-fp8', source: 'B-T7', description: "stack-passed argument slots read from the caller's stack at FP+8 instead of FP+16", profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'bt7-outgoing-args-off', source: 'B-T7', description: 'outgoing stack arguments for the original call stored 8 bytes above the bottom of the frame', profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'arg-slot-off-by-8', source: 'synthetic', description: 'argument slot i saved at ctx + 8*i + 8 (ctx[0] never written)', profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 's1-not-saved', source: 'synthetic', description: 'callee-saved s1 neither saved in the prologue nor restored in the epilogue', profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'a7-not-stored', source: 'synthetic', description: 'a7 (argument slot 7) not stored into the context', profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 't0-ra-swapped', source: 'synthetic', description: 't0 and ra swapped in the two frame records', profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'nregs-wrong', source: 'synthetic', description: 'nr_arg_slots at ctx[-1] one too many', profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'ip-not-stored', source: 'synthetic', description: 'with BPF_TRAMP_F_IP_ARG the function ip is not stored at ctx[-2]', profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'cookie-not-stored', source: 'synthetic', description: "a link's bpf_cookie is not stored into the run context", profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'fmod-ret-branch-inverted', source: 'synthetic', description: 'fmod_ret: beq instead of bne (the original runs iff a program returned non-zero)', profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'fexit-before-orig', source: 'synthetic', description: 'fexit programs run before the original function is called', profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'skip-tramp-enter', source: 'synthetic', description: '__bpf_tramp_enter not called before the original (image reference not taken)', profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'epilogue-no-a0', source: 'synthetic', description: 'the epilogue does not reload a0 from the return-value slot', profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'retval-slots-swapped', source: 'synthetic', description: "the original's a0 and a5 go into each other's return-value slots", profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'bt3-struct-ops-func-addr', source: 'B-T3', description: "struct_ops trampolines laid out by v6.6's `if (func_addr)` while struct_ops passes the member's stub (v6.8-rc1): two frame records, return through a t0 the caller never set", profiles: ['v6.8', 'v6.16', 'v6.11-norvc'] },
  { id: 'bt10-struct-ops-a0-slot', source: 'B-T10', description: "a struct_ops trampoline returns the a0 its program left (R0's sign-extended low half), as before fd2e08128944: a pointer-returning member's pointer is cut to 32 bits", profiles: ['v7.0', 'v7.0-norvc'] },
  { id: 'args-not-restored', source: 'synthetic', description: 'fentry-only (RESTORE_REGS): argument registers not reloaded before returning into the traced function', profiles: ['v6.11-norvc', 'v6.16'] },
  // ---- generic trampoline layer (kernel/bpf/trampoline/manager.ts) ----------------------------
  { id: 'im-dry-run-stack', source: '9f1e16fb1fc9', description: "trampolines sized with a stack `im` (shorter emit_imm than the kmalloc'd one) and no WARN_ON size check: prog_pack installs them cut short", profiles: ['v6.16', 'v6.11'] },
  { id: 'fsession-no-is-return', source: 'synthetic', description: 'fsession: func_meta before the exit side lacks is_return (bit 63): fsession programs run their entry half twice', profiles: ['v7.0', 'v7.0-norvc'] },
  { id: 'fsession-cookie-shared', source: 'synthetic', description: 'fsession: the cookie index is not counted down, so every program that calls bpf_session_cookie gets the same slot', profiles: ['v7.0', 'v7.0-norvc'] },
  { id: 'bt6-ip-after-call-rw', source: 'B-T6', description: 'im->ip_after_call / ip_epilogue taken from the RW scratch buffer instead of the RX image', profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'skip-frame-unset', source: 'synthetic', description: 'BPF_TRAMP_F_SKIP_FRAME not set with CALL_ORIG: the original is called at its sled', profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'no-ip-after-call-patch', source: 'synthetic', description: 'bpf_tramp_image_put does not patch ip_after_call into a jump to the epilogue', profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'free-image-in-use', source: 'synthetic', description: 'a retired image is freed at once although a caller is still inside', profiles: ['v6.11-norvc', 'v6.16'] },
  // ---- bpf_arch_text_poke (kernel/bpf/text-poke.ts) ------------------------------------------
  { id: 'bt15-one-poke-type', source: 'B-T15', description: 'old and new poke sequences derived from one type (the new one): memcmp of the old sequence fails', profiles: ['v6.11-norvc', 'v6.16'] },
  { id: 'bt15-call-link-zero', source: 'B-T15', description: 'a CALL poke on a BPF program sled links through zero (a jump) instead of t0', profiles: ['v6.11-norvc', 'v6.16'] },
  // ---- ftrace entry code (kernel/ftrace/entry.ts) ---------------------------------------------
  { id: 'f5-direct-target-t0', source: 'F5', description: 'the scheme B caller that takes direct calls (ftrace_regs_caller; WITH_ARGS ftrace_caller) hands the direct trampoline its own address in t0 (instead of func + 8)', profiles: ['v6.8-norvc', 'v6.11-norvc'] },
  { id: 'ftrace-caller-no-t0', source: 'synthetic', description: 'scheme B ftrace_caller does not restore t0 after the tracer call', profiles: ['v6.11-norvc', 'v6.8-norvc'] },
  { id: 'ftrace-caller-no-ra', source: 'synthetic', description: 'scheme C ftrace_caller does not restore ra after the tracer call', profiles: ['v6.16'] },
  { id: 'f2-ra-offset-12', source: 'F2', description: "scheme A's FENTRY_RA_OFFSET (12) in scheme B's ftrace_caller: the tracer sees ip = func - 4", profiles: ['v6.11-norvc', 'v6.8-norvc'] },
  // ---- ftrace core and arch (kernel/ftrace/core.ts, arch.ts) ----------------------------------
  { id: 'rec-ip-off-by-4', source: 'synthetic', description: 'scheme C ftrace record ip at the function entry instead of the jalr (func + 4)', profiles: ['v6.16'] },
  { id: 'boot-nops-not-converted', source: 'synthetic', description: "boot leaves the compiler's c.nops in place instead of two 4-byte nops", profiles: ['v6.11'] },
  { id: 'callops-literal-not-written', source: 'synthetic', description: 'scheme C: the CALL_OPS literal before the function is never updated', profiles: ['v6.16'] },
  { id: 'f12-far-direct-call', source: 'F12', description: 'scheme C calls a direct trampoline from the sled even when it is beyond the jalr reach (-EINVAL)', profiles: ['v6.16'] },
  { id: 'f5-t1-not-cleared', source: 'F5', description: "scheme B without `mv t1, zero` (ftrace_regs_caller; WITH_ARGS ftrace_caller): an ops without a direct call alone on a site jumps to the caller's stale t1", profiles: ['v6.8-norvc', 'v6.11-norvc'] },
  { id: 'direct-via-ftrace-caller', source: 'synthetic', description: 'scheme B WITH_REGS: a direct call shared with other ops goes through ftrace_caller, which saves no registers', profiles: ['v6.8-norvc'] },
  // ---- text patching (kernel/text/patch.ts) ----------------------------------------------------
  { id: 'f7-no-fence-i', source: 'F7/F9', description: 'text patching (stop_machine and nosync) without the per-hart fence.i / icache flush (PatchFaults.skipFenceI)', profiles: ['v6.11-norvc', 'v6.16'] },
] as const;

export type MutantId = (typeof MUTANTS)[number]['id'];
export type Mutant = (typeof MUTANTS)[number];

export function getMutant(id: string): Mutant {
  const m = MUTANTS.find((x) => x.id === id);
  if (!m) throw new Error(`unknown mutant ${id} (known: ${MUTANTS.map((x) => x.id).join(', ')})`);
  return m;
}
