/**
 * Code views for an oops report: Linux's `Code:` line, the last executed instructions, and an
 * objdump-style listing around an address. Everything reads memory without throwing and
 * without permission checks (a report must work on any page).
 */
import type { Ext } from '../../emulator/isa/entry';
import { AddressTracker, disasm, type Disassembled } from '../../emulator/isa/disasm';
import type { Memory } from '../../emulator/memory/memory';
import type { Kallsyms } from '../image/kallsyms';

const U64 = (v: bigint) => BigInt.asUintN(64, v);
export const hex16 = (v: bigint) => U64(v).toString(16).padStart(16, '0');

export interface Insn {
  readonly addr: bigint;
  /** 2 or 4, as the hart fetches it (low bits 11: 4 bytes). */
  readonly length: 2 | 4;
  readonly word: number;
}

function tryRead(mem: Memory, addr: bigint, len: number): Uint8Array | undefined {
  try {
    return mem.tryReadBytes(U64(addr), len);
  } catch {
    return undefined;
  }
}

/** The instruction at addr as the hart would fetch it, or undefined when unreadable. */
export function readInsn(mem: Memory, addr: bigint): Insn | undefined {
  const lo = tryRead(mem, addr, 2);
  if (!lo) return undefined;
  const lo16 = lo[0]! | (lo[1]! << 8);
  if ((lo16 & 3) !== 3) return { addr: U64(addr), length: 2, word: lo16 };
  const hi = tryRead(mem, addr + 2n, 2);
  if (!hi) return undefined;
  return { addr: U64(addr), length: 4, word: (lo16 | ((hi[0]! | (hi[1]! << 8)) << 16)) >>> 0 };
}

export interface CodeViewOptions {
  readonly exts?: ReadonlySet<Ext>;
  readonly kallsyms: Kallsyms;
}

function dis(i: Insn, o: CodeViewOptions, tracker?: AddressTracker): Disassembled {
  const sym = (a: bigint) => o.kallsyms.symbolize(a);
  return disasm(i.word, i.addr, { symbolize: sym, ...(o.exts ? { exts: o.exts } : {}), ...(tracker ? { tracker } : {}) });
}

const wordHex = (i: Insn) => i.word.toString(16).padStart(i.length * 2, '0');

/**
 * Linux's dump_kernel_instr: the ten halfwords before epc, the one at epc in parentheses and
 * the one after: `Code: 0001 0001 ... (4108) 0141`.
 */
export function codeLine(mem: Memory, epc: bigint): string {
  const parts: string[] = [];
  for (let i = -10; i < 2; i++) {
    const a = U64(epc + BigInt(2 * i));
    const b = tryRead(mem, a, 2);
    if (!b) return `Code: Unable to access instruction at 0x${hex16(a)}.`;
    const h = (b[0]! | (b[1]! << 8)).toString(16).padStart(4, '0');
    parts.push(i === 0 ? `(${h})` : h);
  }
  return `Code: ${parts.join(' ')}`;
}

/**
 * The last executed instructions, oldest first, one per line:
 * `ffffffff800000e0: 4108      lw      a0,0(a0)                  <bpf_fentry_test9+0x10>`.
 * Runs of the same pc (a `j .` loop) are folded into one line with a count. The line of
 * `mark` (if it is the last) ends with `<-- epc`; a host call's line says `(host call)`.
 */
export function recentInstructions(
  mem: Memory,
  pcs: readonly bigint[],
  o: CodeViewOptions & { readonly mark?: bigint; readonly hostCall?: (pc: bigint) => string | undefined },
): string[] {
  const tracker = new AddressTracker();
  const out: string[] = [];
  for (let k = 0; k < pcs.length; ) {
    const pc = U64(pcs[k]!);
    let n = 1;
    while (k + n < pcs.length && U64(pcs[k + n]!) === pc) n++;
    const i = readInsn(mem, pc);
    const sym = o.kallsyms.symbolize(pc);
    let line: string;
    if (!i) line = `${hex16(pc)}: ${'????????'}  (not mapped)`;
    else {
      const d = dis(i, o, tracker);
      const [mn, ...rest] = d.text.split('\t');
      // A host call runs TypeScript at this address; the word in memory is only a filler.
      const text = o.hostCall?.(pc) !== undefined ? '(host call)' : `${mn!.padEnd(7)} ${rest.join(' ')}`.trimEnd();
      line = `${hex16(pc)}: ${wordHex(i).padEnd(8)}  ${sym !== undefined ? `${text.padEnd(30)}  <${sym}>` : text}`;
    }
    if (n > 1) line += `  (x${n})`;
    if (k + n === pcs.length && o.mark !== undefined && U64(o.mark) === pc) line += '  <-- epc';
    out.push(line);
    k += n;
  }
  return out;
}

/** objdump -d's line for one instruction: `ffffffff800000e0:\t4108                \tlw\ta0,0(a0)`. */
export function objdumpLine(i: Insn, text: string): string {
  return `${hex16(i.addr)}:\t${wordHex(i)}${' '.repeat(i.length === 2 ? 16 : 10)}\t${text}`;
}

/** Decodes forward from `start`; the instructions before `stop`, and whether one ends exactly at it. */
function walk(mem: Memory, start: bigint, stop: bigint, limit: number): { insns: Insn[]; exact: boolean } {
  const insns: Insn[] = [];
  let a = start;
  while (a < stop && insns.length < limit) {
    const i = readInsn(mem, a);
    if (!i) return { insns, exact: false };
    insns.push(i);
    a += BigInt(i.length);
  }
  return { insns, exact: a === stop };
}

export interface ListingAround {
  /** Lines in objdump format, `<sym>:` headers included, the focus line marked. */
  readonly lines: readonly string[];
  /** False when the focus address could not be read. */
  readonly ok: boolean;
}

/** Furthest back a listing decodes from a symbol start to find instruction boundaries. */
const MAX_WALK = 16384;

/**
 * An objdump-style listing of `before` instructions before `focus`, the one at it and `after`
 * after it. Instruction boundaries come from decoding forward from the start of the symbol
 * holding focus (and of the ones before it, for context), so RVC code is never decoded
 * mid-instruction; without a symbol (or when the symbol's decoding does not meet focus) the
 * furthest start within `before` * 4 bytes that decodes onto focus is used. A `<sym+off>:` header starts the listing and every symbol met.
 */
export function listingAround(mem: Memory, focus: bigint, o: CodeViewOptions & { readonly before?: number; readonly after?: number; readonly markText?: string; readonly align?: 2 | 4 }): ListingAround {
  const before = o.before ?? 8;
  const after = o.after ?? 4;
  const f = U64(focus);
  const at = readInsn(mem, f);
  if (!at) return { lines: [`(no code at ${hex16(f)}: not mapped)`], ok: false };
  let prev: Insn[] | undefined;
  // From the start of the symbol holding focus (at a symbol's first byte, the one before it),
  // then of the symbols before it while there are fewer than `before` instructions.
  const here = o.kallsyms.lookup(f);
  let sym = here && here.offset === 0n ? o.kallsyms.lookup(f - 1n) : here;
  let end = f;
  while (sym && end - sym.addr <= BigInt(MAX_WALK) && (prev?.length ?? 0) < before) {
    const w = walk(mem, sym.addr, end, MAX_WALK);
    if (!w.exact) break;
    prev = [...w.insns, ...(prev ?? [])];
    end = sym.addr;
    sym = o.kallsyms.lookup(end - 1n);
  }
  if (!prev) {
    const align = BigInt(o.align ?? 2);
    const span = BigInt(before * 4);
    for (let back = span - (span % align); back > 0n && !prev; back -= align) {
      const w = walk(mem, f - back, f, before * 4);
      if (w.exact) prev = w.insns;
    }
  }
  const window = [...(prev ?? []).slice(-before), at];
  let a = f + BigInt(at.length);
  for (let k = 0; k < after; k++) {
    const i = readInsn(mem, a);
    if (!i) break;
    window.push(i);
    a += BigInt(i.length);
  }
  const tracker = new AddressTracker();
  const lines: string[] = [];
  window.forEach((i, k) => {
    const s = o.kallsyms.lookup(i.addr);
    if (s && (k === 0 || s.offset === 0n)) {
      const name = s.offset === 0n ? s.name : `${s.name}+0x${s.offset.toString(16)}`;
      lines.push('', `${hex16(i.addr)} <${name}>:`);
    }
    let line = objdumpLine(i, dis(i, o, tracker).text);
    if (i.addr === f) line += `    <-- ${o.markText ?? 'epc'}`;
    lines.push(line);
  });
  if (lines[0] === '') lines.shift();
  return { lines, ok: true };
}
