/**
 * What distinguishes the BPF trampoline generators of each kernel era (riscv-ftrace-bpf-
 * trampoline.md §3.2-3.4). One generator (gen.ts) reads these switches; each switch is a
 * documented historical difference, so a profile's era reproduces that era's machine code.
 */
import { ARG_LIMITS, type ArgLimit, type TrampolineEra } from '../../profiles/profiles';

export interface EraTraits {
  readonly era: Exclude<TrampolineEra, 'none'>;
  /**
   * 'ra16': v6.3's single frame built for the 16-byte sled: the parent ra is expected at
   * [FP-8] (spilled by the sled), the return-into-traced address in ra, saved at [FP-16].
   * 'two-records': v6.6+ for the 8-byte sled: a frame record for the traced function (parent ra,
   * fp) and one for the trampoline (t0 = func+8, fp); return via ra (SKIP_FRAME) or t0.
   */
  readonly frame: 'ra16' | 'two-records';
  /** Bytes the original call skips with SKIP_FRAME (the sled size the era assumes). */
  readonly skipBytes: number;
  /** Both a0 and a5 of return values are saved (7112cd26e606), else only a5. */
  readonly retvalBoth: boolean;
  /** The traced functions it takes (others: -ENOTSUPP); slots >= 8 come from the caller's stack. */
  readonly argLimit: ArgLimit;
  /** `mv s1, a0` right after __bpf_prog_enter, before the skip branch (10541b374aa0); before
   *  the fix the branch came first, so a skipped program's exit saw a stale s1. */
  readonly saveStartBeforeSkip: boolean;
  /** Generated into a RW buffer with offsets for the RX image, copied with text patching
   *  (bpf_prog_pack, 2382a405c581); before, the image itself was written. */
  readonly progPack: boolean;
  /** A BPF program's own entry sled and how text_poke calls from it: v6.3 4 instructions with
   *  `sd ra/auipc t1/jalr ra/ld ra`, later 2 with `auipc t1/jalr t0`. */
  readonly progSled: 'ra16' | 't0-8';
  /**
   * When the trampoline is called directly (struct_ops: a member called through a pointer, no
   * traced function) and gets one frame record returning through ra instead of the two
   * records. 'never': v6.3 has one frame for everything, returning through the saved ra, which
   * a direct caller's ra is. 'no-func-addr': v6.6 (25ad10658dc1) tests `if (func_addr)`, and
   * struct_ops passed NULL until v6.8. 'indirect-flag': since 1732ebc4a261 (v6.8-rc2),
   * BPF_TRAMP_F_INDIRECT, which v6.8's struct_ops sets (2cd3e3772e41) along with a non-NULL
   * func_addr, the member's stub.
   */
  readonly calledDirectly: 'never' | 'no-func-addr' | 'indirect-flag';
  /**
   * The epilogue reloads a5 (BPF R0) before a0, and a struct_ops trampoline sign-extends its
   * return value into a0 from a5 (fd2e08128944, v6.18-rc1; in 6.17.y and, as 92751937f12a,
   * 6.12.y stable, not in our v6.16.0).
   */
  readonly r0FirstRestore: boolean;
  /**
   * fsession programs (7.0: 35b3515be0ec): session cookie slots below the ip slot, zeroed with
   * the return value slot when an fsession is attached; ctx[-1] holds func_meta (nr_args in its
   * low byte, the program's cookie index from bit 8, is_return at bit 63).
   */
  readonly fsession: boolean;
}

/** bpf_jit_supports_fsession() of a kernel with this trampoline era (7.0's riscv JIT). */
export function jitSupportsFsession(era: TrampolineEra): boolean {
  return era !== 'none' && ERAS[era].fsession;
}

export const ERAS: { readonly [K in EraTraits['era']]: EraTraits } = {
  'v6.3': { era: 'v6.3', frame: 'ra16', skipBytes: 16, retvalBoth: false, argLimit: ARG_LIMITS['v6.3'], saveStartBeforeSkip: false, progPack: false, progSled: 'ra16', calledDirectly: 'never', r0FirstRestore: false, fsession: false },
  'v6.6': { era: 'v6.6', frame: 'two-records', skipBytes: 8, retvalBoth: true, argLimit: ARG_LIMITS['v6.6'], saveStartBeforeSkip: false, progPack: false, progSled: 't0-8', calledDirectly: 'no-func-addr', r0FirstRestore: false, fsession: false },
  // v6.6 with 1732ebc4a261 (v6.8-rc2): what v6.8 shipped.
  'v6.8': { era: 'v6.8', frame: 'two-records', skipBytes: 8, retvalBoth: true, argLimit: ARG_LIMITS['v6.8'], saveStartBeforeSkip: false, progPack: false, progSled: 't0-8', calledDirectly: 'indirect-flag', r0FirstRestore: false, fsession: false },
  'v6.11': { era: 'v6.11', frame: 'two-records', skipBytes: 8, retvalBoth: true, argLimit: ARG_LIMITS['v6.11'], saveStartBeforeSkip: true, progPack: true, progSled: 't0-8', calledDirectly: 'indirect-flag', r0FirstRestore: false, fsession: false },
  'v6.16': { era: 'v6.16', frame: 'two-records', skipBytes: 8, retvalBoth: true, argLimit: ARG_LIMITS['v6.16'], saveStartBeforeSkip: true, progPack: true, progSled: 't0-8', calledDirectly: 'indirect-flag', r0FirstRestore: false, fsession: false },
  'v7.0': { era: 'v7.0', frame: 'two-records', skipBytes: 8, retvalBoth: true, argLimit: ARG_LIMITS['v7.0'], saveStartBeforeSkip: true, progPack: true, progSled: 't0-8', calledDirectly: 'indirect-flag', r0FirstRestore: true, fsession: true },
};
