/**
 * A kernel call made from inside a host function (a BPF helper calling into kernel code, as
 * bpf_map_delete_elem reaches htab_map_delete_elem): runs the function on the same hart, on the
 * current stack below the live frames, and restores the hart's registers afterwards, so the
 * interrupted machine code continues as if the host function had done the work itself. This is
 * how a program can re-enter a traced function (recursion).
 */
import type { Hart } from '../../emulator/cpu/hart';
import { callKernel, type CallOptions, type CallResult } from './call';

/** Stack the nested call leaves untouched below the interrupted sp. */
const RED_ZONE = 512n;

export function callFromHost(hart: Hart, fnAddr: bigint, args: readonly bigint[], opts: Omit<CallOptions, 'stack'> = {}): CallResult {
  const saved = hart.regs();
  const pc = hart.pc;
  const top = (hart.reg(2) - RED_ZONE) & ~15n;
  try {
    return callKernel(hart, fnAddr, args, { ...opts, stack: top });
  } finally {
    saved.forEach((v, i) => hart.setReg(i, v));
    hart.pc = pc;
  }
}
