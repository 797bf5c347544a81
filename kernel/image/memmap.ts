/**
 * The simulated kernel's address map (RV64, sv39-like). Everything the kernel model maps
 * lives at one of these places, so a register dump is easy to read.
 *
 *   0xffffffc800000000  kernel stacks (vmalloc area), each with unmapped guard pages
 *   0xffffffd800000000  PAGE_OFFSET: the linear map, where kmalloc'd objects live
 *   0xffffffff00000000  MODULES_VADDR .. KERNEL_BASE: module / BPF JIT / trampoline area,
 *                       within +-2 GiB of kernel text (reachable by auipc + jalr)
 *   0xffffffff80000000  KERNEL_BASE: the image (.text, .rodata, sled table, .data, .bss)
 *   0xffffffff80800000  host-call stubs: kernel C helpers implemented in TypeScript
 */
export const KERNEL_BASE = 0xffffffff80000000n;
export const MODULES_VADDR = KERNEL_BASE - 0x80000000n;
export const MODULES_END = KERNEL_BASE;
export const HOSTCALL_BASE = 0xffffffff80800000n;
export const HOSTCALL_SIZE = 0x10000;
export const STACKS_BASE = 0xffffffc800000000n;
/**
 * PAGE_OFFSET of an sv39 kernel (PAGE_OFFSET_L3): the linear map of RAM (kmalloc'd objects).
 * The value before v6.11, for every profile (v6.11 moved it to 0xffffffd600000000; addresses
 * there load in as many instructions).
 */
export const PAGE_OFFSET = 0xffffffd800000000n;
