/**
 * Helpers for tests of code that runs on the kernel image (kernel/, harness/ and selftests/
 * tests may use them): a machine with the image of a layout loaded and one hart whose
 * extensions match the layout, and a scratch data page.
 */
import { Machine } from '../../emulator/cpu/machine';
import type { Hart } from '../../emulator/cpu/hart';
import { layoutExts, type LayoutName } from './layouts';
import { loadKernelImage, type KernelImage } from './loader';
import { hostCallArea } from './hostcalls';

export interface Booted {
  readonly machine: Machine;
  readonly kernel: KernelImage;
  readonly hart: Hart;
}

/** A fresh machine with the layout's image loaded and host calls named in its kallsyms. */
export function bootImage(layout: LayoutName): Booted {
  const machine = new Machine();
  const kernel = loadKernelImage(machine, layout);
  hostCallArea(machine).attach(kernel.kallsyms);
  const hart = machine.addHart({ exts: layoutExts(kernel.layout) });
  return { machine, kernel, hart };
}

/** Where scratchPage maps test data (an otherwise unused part of the vmalloc area). */
export const SCRATCH_BASE = 0xffffffd000000000n;

/** Maps (once) and returns a rw page for test data. */
export function scratchPage(machine: Machine): bigint {
  if (!machine.memory.isMapped(SCRATCH_BASE)) machine.memory.map(SCRATCH_BASE, 4096, 'rw');
  return SCRATCH_BASE;
}
