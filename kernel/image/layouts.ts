/**
 * The ftrace sled layouts the kernel images are built for (build.sh compiles one image per
 * layout). A layout is what `-fpatchable-function-entry=N[,M]`, RVC and function alignment
 * make of every function's entry; which ftrace scheme patches it is the profile's business:
 *
 * - `sled16-*`: 16 bytes at the symbol (scheme A, <= v6.2: 4 x nop patched to
 *   `sd ra; auipc ra; jalr ra; ld ra`)
 * - `sled8-*`: 8 bytes at the symbol (schemes B and C without CALL_OPS: `auipc t0; jalr t0`);
 *   with RVC the functions are 4-byte aligned, which scheme C's atomic patching needs
 * - `callops-*`: 8 bytes before the symbol for the ftrace_ops literal plus 8 at it (scheme C
 *   with CALL_OPS, v6.16+), functions 8-byte aligned
 */
import type { Ext } from '../../emulator/isa/entry';

export type LayoutName = 'sled16-rvc' | 'sled16-norvc' | 'sled8-rvc' | 'sled8-norvc' | 'callops-rvc' | 'callops-norvc';

export interface SledLayout {
  readonly name: LayoutName;
  /** Compiled with the C extension: the sled is c.nop (2 bytes each), code may be RVC. */
  readonly rvc: boolean;
  /** The -march the image is compiled with. */
  readonly march: string;
  /** N of -fpatchable-function-entry=N[,M]: nops in the sled. */
  readonly nops: number;
  /** M of -fpatchable-function-entry=N,M: how many of them come before the symbol. */
  readonly nopsBefore: number;
  /** Bytes per nop: 2 (c.nop) or 4 (nop). */
  readonly nopSize: 2 | 4;
  /** The nop instruction word (c.nop = 0x0001, nop = 0x00000013). */
  readonly nopWord: number;
  /** Total sled bytes: nops * nopSize. */
  readonly sledBytes: number;
  /** Sled bytes before the function symbol (the CALL_OPS literal slot), 0 otherwise. */
  readonly bytesBefore: number;
  /** Sled bytes at and after the function symbol. */
  readonly bytesAfter: number;
  /** -falign-functions, or undefined for GCC's default (2 with RVC, 4 without). */
  readonly funcAlign: number | undefined;
  /** The -fpatchable-function-entry argument, as written. */
  readonly pfe: string;
}

function layout(name: LayoutName, rvc: boolean, nops: number, nopsBefore: number, funcAlign?: number): SledLayout {
  const nopSize = rvc ? 2 : 4;
  return {
    name,
    rvc,
    march: rvc ? 'rv64imac_zicsr_zifencei' : 'rv64ima_zicsr_zifencei',
    nops,
    nopsBefore,
    nopSize,
    nopWord: rvc ? 0x0001 : 0x00000013,
    sledBytes: nops * nopSize,
    bytesBefore: nopsBefore * nopSize,
    bytesAfter: (nops - nopsBefore) * nopSize,
    funcAlign,
    pfe: nopsBefore > 0 ? `${nops},${nopsBefore}` : `${nops}`,
  };
}

export const LAYOUTS: { readonly [K in LayoutName]: SledLayout } = {
  'sled16-rvc': layout('sled16-rvc', true, 8, 0),
  'sled16-norvc': layout('sled16-norvc', false, 8, 0),
  'sled8-rvc': layout('sled8-rvc', true, 4, 0, 4),
  'sled8-norvc': layout('sled8-norvc', false, 2, 0),
  'callops-rvc': layout('callops-rvc', true, 8, 4, 8),
  'callops-norvc': layout('callops-norvc', false, 4, 2, 8),
};

export const LAYOUT_NAMES: readonly LayoutName[] = Object.keys(LAYOUTS) as LayoutName[];

export function isLayoutName(s: string): s is LayoutName {
  return Object.prototype.hasOwnProperty.call(LAYOUTS, s);
}

export function getLayout(name: string): SledLayout {
  if (!isLayoutName(name)) throw new Error(`unknown sled layout "${name}" (known: ${LAYOUT_NAMES.join(', ')})`);
  return LAYOUTS[name];
}

/**
 * The extensions of a hart that runs this layout's kernel: exactly what -march allows
 * (RV64IMA + Zicsr + Zifencei, plus C for the RVC layouts), so a compressed instruction on a
 * non-RVC kernel (say, one a trampoline generator emitted) traps as illegal.
 */
export function layoutExts(layout: SledLayout): Ext[] {
  return layout.rvc ? ['I', 'M', 'A', 'C', 'Zicsr', 'Zifencei'] : ['I', 'M', 'A', 'Zicsr', 'Zifencei'];
}
