/**
 * Kernel stacks: THREAD_SIZE (16 KiB on riscv64) of rw memory with an unmapped guard page
 * on each side, in the vmalloc area like CONFIG_VMAP_STACK stacks. Overflowing the stack or
 * writing above its top faults (access-fault, unmapped) instead of corrupting a neighbour.
 */
import type { Machine } from '../../emulator/cpu/machine';
import { PAGE_SIZE } from '../../emulator/memory/memory';
import { STACKS_BASE } from './memmap';

export const THREAD_SIZE = 16 * 1024;

export interface KernelStack {
  /** Lowest stack address (the guard page is just below). */
  readonly base: bigint;
  /** One past the highest stack address: the initial sp (16-byte aligned). */
  readonly top: bigint;
  readonly size: number;
  /** The unmapped guard pages. */
  readonly guardBelow: bigint;
  readonly guardAbove: bigint;
}

const cursors = new WeakMap<Machine, bigint>();
const PAGE = BigInt(PAGE_SIZE);

/** Maps a fresh kernel stack of `size` bytes (a multiple of the page size). */
export function mapKernelStack(machine: Machine, opts: { readonly size?: number } = {}): KernelStack {
  const size = opts.size ?? THREAD_SIZE;
  if (size <= 0 || size % PAGE_SIZE !== 0) throw new Error(`kernel stack: size ${size} is not a positive multiple of ${PAGE_SIZE}`);
  const mem = machine.memory;
  // Slots are [guard][stack]; the next slot's guard is this stack's upper guard.
  const guardBelow = cursors.get(machine) ?? STACKS_BASE;
  const base = guardBelow + PAGE;
  const top = base + BigInt(size);
  for (let p = guardBelow; p <= top; p += PAGE) {
    if (mem.isMapped(p)) throw new Error(`kernel stack: 0x${p.toString(16)} is already mapped`);
  }
  mem.map(base, size, 'rw');
  cursors.set(machine, top);
  return { base, top, size, guardBelow, guardAbove: top };
}
