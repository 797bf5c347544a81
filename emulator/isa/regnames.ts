/** ABI register names, as binutils prints them. */
export const XREG_NAMES: readonly string[] = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
];

export const FREG_NAMES: readonly string[] = [
  'ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4', 'fa5',
  'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11',
];

const XREG_BY_NAME = new Map<string, number>([
  ...XREG_NAMES.map((n, i) => [n, i] as const),
  ...Array.from({ length: 32 }, (_, i) => [`x${i}`, i] as const),
  ['fp', 8],
]);
const FREG_BY_NAME = new Map<string, number>([
  ...FREG_NAMES.map((n, i) => [n, i] as const),
  ...Array.from({ length: 32 }, (_, i) => [`f${i}`, i] as const),
]);

/** Register number for an integer register name (ABI or xN), or undefined. */
export function xreg(name: string): number | undefined {
  return XREG_BY_NAME.get(name);
}

/** Register number for a floating-point register name (ABI or fN), or undefined. */
export function freg(name: string): number | undefined {
  return FREG_BY_NAME.get(name);
}

/** Well-known CSR names used by user-mode and the kernel model. */
export const CSR_NAMES: ReadonlyMap<number, string> = new Map([
  [0x001, 'fflags'], [0x002, 'frm'], [0x003, 'fcsr'],
  [0xc00, 'cycle'], [0xc01, 'time'], [0xc02, 'instret'],
  [0x100, 'sstatus'], [0x104, 'sie'], [0x105, 'stvec'], [0x106, 'scounteren'], [0x140, 'sscratch'],
  [0x141, 'sepc'], [0x142, 'scause'], [0x143, 'stval'], [0x144, 'sip'], [0x180, 'satp'],
  [0x300, 'mstatus'], [0x301, 'misa'], [0x304, 'mie'], [0x305, 'mtvec'], [0x340, 'mscratch'],
  [0x341, 'mepc'], [0x342, 'mcause'], [0x343, 'mtval'], [0x344, 'mip'], [0xf14, 'mhartid'],
]);
