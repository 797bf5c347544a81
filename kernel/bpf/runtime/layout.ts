/**
 * Where the BPF runtime keeps its kernel objects, and the layouts the trampoline generators
 * must agree with. All offsets are bytes.
 *
 *   KERNEL_BASE + 0x600000   BPF_DATA (rw): per-hart current run_ctx pointers, then one
 *                            struct bpf_prog per loaded program
 *   MODULES_END - 16 MiB     BPF_TEXT (rx): JIT images of BPF programs (entry sled + frame +
 *                            calls), bump-allocated. Trampolines are not placed here.
 *
 * struct bpf_tramp_run_ctx (owned by the trampoline, on its stack; as in the kernel, whose
 * embedded struct bpf_run_ctx is empty):
 *
 *   +0  u64 bpf_cookie       written by the trampoline before each __bpf_prog_enter
 *   +8  u64 saved_run_ctx    written by __bpf_prog_enter, read back by __bpf_prog_exit
 *   size 16
 *
 * The address the runtime installs as the task's current run_ctx is the struct's own address
 * (`&run_ctx->run_ctx`, offset 0), so bpf_get_attach_cookie reads `*(u64 *)current_run_ctx`.
 *
 * The tracing ctx the trampoline passes to a program (a0 = ctx): u64 slots, slot i at
 * ctx + 8i for the argument slots (a 16-byte struct argument takes two), the return value in
 * the slot after the arguments (fexit / fmod_ret), nregs (the number of argument slots) at
 * ctx - 8 and the traced function's ip at ctx - 16 when BPF_TRAMP_F_IP_ARG is set.
 */
import { KERNEL_BASE, MODULES_END } from '../../image/memmap';

export const BPF_DATA = KERNEL_BASE + 0x600000n;
export const BPF_DATA_SIZE = 0x80000;
export const BPF_TEXT = MODULES_END - 0x1000000n;
export const BPF_TEXT_SIZE = 0x800000;

/** Harts the per-hart arrays have room for (current run_ctx, prog->active). */
export const MAX_HARTS = 8;

/** `u64 bpf_current_run_ctx[MAX_HARTS]` at the start of BPF_DATA: current->bpf_ctx per hart. */
export const CURRENT_RUN_CTX = BPF_DATA;

/** struct bpf_tramp_run_ctx. */
export const BPF_TRAMP_RUN_CTX = {
  size: 16,
  bpfCookie: 0,
  savedRunCtx: 8,
} as const;

/** Offsets from the ctx pointer a program receives. */
export const BPF_CTX = {
  /** nregs: the number of argument slots (bpf_get_func_arg_cnt). */
  nregs: -8,
  /** The traced function's address (bpf_get_func_ip), present with BPF_TRAMP_F_IP_ARG. */
  ip: -16,
  slot: 8,
} as const;

/** Where struct bpf_prog objects start, and their size (one 128-byte slot each). */
export const BPF_PROG_STRUCTS = BPF_DATA + 0x1000n;
export const BPF_PROG_STRUCT_SIZE = 128;

/**
 * struct bpf_prog as this model lays it out (our own layout; only its address is ABI: the
 * trampoline passes it in a0 to enter/exit). Counters live here, not in TypeScript, so a
 * trampoline that scribbles over a prog is visible.
 */
export const BPF_PROG = {
  bpfFunc: 0, // u64 address of the program's code
  id: 8, // u32
  expectedAttachType: 12, // u32, the uapi enum value (BPF_TRACE_FENTRY ...)
  flags: 16, // u64, bit 0: calls bpf_get_func_ip (the trampoline needs BPF_TRAMP_F_IP_ARG)
  recursionMisses: 24, // u64
  runCnt: 32, // u64 (bpf_prog_stats.cnt)
  runTimeNs: 40, // u64 (bpf_prog_stats.nsecs)
  name: 48, // char[16], NUL-terminated (BPF_OBJ_NAME_LEN)
  active: 64, // s64 active[MAX_HARTS]: the per-cpu recursion counter
} as const;

export const BPF_PROG_FLAG_CALL_GET_FUNC_IP = 1n;

/** uapi enum bpf_attach_type values for the tracing attach types. */
export const ATTACH_TYPE_VALUE = {
  classifier: 0,
  fentry: 24, // BPF_TRACE_FENTRY
  fexit: 25, // BPF_TRACE_FEXIT
  fmod_ret: 26, // BPF_MODIFY_RETURN
  fsession: 58, // BPF_TRACE_FSESSION (7.0)
} as const;

/** __bpf_prog_enter's "run, but do not count stats" value (NO_START_TIME). */
export const NO_START_TIME = 1n;

/** BPF_MAX_TAIL_CALL_CNT: what a program's prologue loads into the tail-call counter (a6). */
export const MAX_TAIL_CALL_CNT = 33;
