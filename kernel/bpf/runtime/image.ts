/**
 * JIT images of BPF programs: what the riscv BPF JIT emits around a program body, so a
 * trampoline can be attached to a BPF program (fentry / fexit on a prog, as fexit_bpf2bpf
 * does) by patching the program's entry sled with bpf_arch_text_poke.
 *
 * Layout (all instructions 4 bytes: the sled and the tail-call-counter init are never
 * compressed; the rest follows `rvc`):
 *
 *   bpf_func + 0        entry sled: nops (era v6.3: 4, patched into `sd ra,-8(sp); auipc t1;
 *                       jalr ra; ld ra,-8(sp)`; v6.6 and later: 2, patched into
 *                       `auipc t1; jalr t0`; before v6.3: none)
 *   + 4*sled            addi a6, zero, 33        tail-call counter init; tail calls enter
 *                                                after it (tailCallOffset)
 *                       addi sp,sp,-16; sd ra,8(sp); sd s0,0(sp); addi s0,sp,16
 *                       call body...             (auipc t1 + jalr ra, as the JIT calls)
 *                       ld ra,8(sp); ld s0,0(sp); addi sp,sp,16
 *                       addiw a0, a5, 0          a0 = sign-extended low half of BPF R0 (eras
 *                                                v6.3 and none: mv a0, a5, before 2f1b0d3d7331)
 *                       ret
 *
 * The body calls are host functions (or any kernel code) entered with a0 = the program's
 * first argument (the ctx) on the first call; BPF R0 is a5 after the last call.
 */
import { Assembler, A0, A5, A6, RA, S0, SP, ZERO, type Program } from '../../../emulator/asm';
import type { TrampolineEra } from '../../profiles/profiles';
import { MAX_TAIL_CALL_CNT } from './layout';

/** Entry-sled instructions a BPF program of an era starts with. */
export function sledInsns(era: TrampolineEra): number {
  switch (era) {
    case 'none':
      return 0;
    case 'v6.3':
      return 4;
    case 'v6.6':
    case 'v6.8':
    case 'v6.11':
    case 'v6.16':
    case 'v7.0':
      return 2;
  }
}

/** Offset of the instruction a tail call jumps to: after the sled and the counter init. */
export function tailCallOffset(era: TrampolineEra): number {
  return (sledInsns(era) + 1) * 4;
}

const FRAME = 16;

export interface ProgImageOptions {
  /** Compress the frame code as a JIT for an RVC kernel does (default false). */
  readonly rvc?: boolean;
}

/** Assembles a program image at `base` that calls each of `calls` in order. */
export function progImageCode(era: TrampolineEra, base: bigint, calls: readonly bigint[], opts: ProgImageOptions = {}): Program {
  if (calls.length === 0) throw new Error('bpf: a program image needs at least one call');
  const a = new Assembler({ base, compressed: opts.rvc ?? false });
  a.option('push');
  a.option('norvc');
  a.label('sled');
  for (let i = 0; i < sledInsns(era); i++) a.nop();
  a.label('tcc_init');
  a.addi(A6, ZERO, MAX_TAIL_CALL_CNT);
  a.option('pop');
  a.label('tail_call_entry');
  a.addi(SP, SP, -FRAME);
  a.sd(RA, FRAME - 8, SP);
  a.sd(S0, FRAME - 16, SP);
  a.addi(S0, SP, FRAME);
  calls.forEach((target, i) => {
    a.label(`call${i}`);
    a.call(RA, target);
    a.label(`ret${i}`);
  });
  a.label('epilogue');
  a.ld(RA, FRAME - 8, SP);
  a.ld(S0, FRAME - 16, SP);
  a.addi(SP, SP, FRAME);
  // 2f1b0d3d7331 (v6.6) made the JIT sign-extend BPF R0 into a0; before it, a0 was a copy
  // of a5 (B-T4 in the reference).
  if (era === 'none' || era === 'v6.3') a.addi(A0, A5, 0);
  else a.addiw(A0, A5, 0);
  a.ret();
  return a.finish();
}
