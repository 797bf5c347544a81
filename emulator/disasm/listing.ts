/**
 * `objdump -d` listings, byte-identical to binutils 2.40 for RISC-V ELF files, plus the same
 * line format for arbitrary bytes at an address (the kernel model lists patched sleds and
 * trampolines with it).
 *
 * The layout rules reproduced here (objdump.c disassemble_section / disassemble_bytes):
 * - a code section is cut into regions at symbol addresses; each region starts with a
 *   `\n<16-digit address> <symbol+0xoff>:` label (`<.text+0x10>` when no symbol fits);
 * - the address column drops leading zeros in groups of four, according to the section's
 *   end address, and pads the rest with spaces;
 * - the raw column shows 2- or 4-byte chunks (little-endian values) padded to 8 bytes,
 *   then a tab; longer encodings continue on further lines;
 * - 8 or more zero bytes (or fewer than 3 at the end of a region) become `\t...`;
 * - an instruction that runs past the region (the next symbol) or the section prints
 *   `Address 0x.. is out of bounds.`; objdump then steps 5 bytes (the EIO code it took
 *   for a length);
 * - `$d` mapping symbols switch to data directives (`.word 0x0000001f`);
 * - branch targets and `# addr` comments name the nearest symbol as objdump's
 *   find_symbol_for_address chooses it.
 */
import {
  type ElfFile, type ElfSection, SHF_ALLOC, SHF_EXECINSTR, SHT_NOBITS, SHT_RELA, SHN_COMMON, SHN_UNDEF,
} from '../elf/reader';
import {
  ALL_TABLE_EXTS, AddressTracker, DEFAULT_ARCH, disasmAt, objdumpLength, parseArch, plainAddress, symbolicAddress,
  type AddressPrinter,
} from '../isa/disasm';
import type { Ext } from '../isa/entry';

// ---- symbols the way objdump sorts and chooses them -----------------------------------------

/** A symbol as objdump's disassembler sees it (after remove_useless_symbols). */
interface DisSym {
  readonly name: string;
  readonly value: bigint;
  readonly size: bigint;
  /** Section index, or -1 for an absolute symbol. */
  readonly section: number;
  readonly sectionName: string;
  readonly func: boolean;
  readonly object: boolean;
  readonly local: boolean;
  readonly global: boolean;
  /** Symtab order, the final tie-break. */
  readonly index: number;
}

const FAKE_LABEL = '.L0 ';

function isMappingSymbol(name: string): boolean {
  return name === '$x' || name === '$d' || name.startsWith('$xrv');
}

/** riscv_symbol_is_valid: mapping symbols and the assembler's fake labels never name an address. */
function validSym(s: DisSym): boolean {
  return s.name !== FAKE_LABEL && !isMappingSymbol(s.name);
}

function disSyms(elf: ElfFile): DisSym[] {
  const out: DisSym[] = [];
  for (const s of elf.symbols) {
    if (s.name === '' || s.type === 'SECTION' || s.type === 'FILE') continue;
    if (s.shndx === SHN_UNDEF || s.shndx === SHN_COMMON) continue;
    out.push({
      name: s.name, value: s.value, size: s.size,
      section: s.section ? s.section.index : -1, sectionName: s.section ? s.section.name : '*ABS*',
      func: s.type === 'FUNC', object: s.type === 'OBJECT', local: s.binding === 'LOCAL', global: s.binding === 'GLOBAL',
      index: s.index,
    });
  }
  return out;
}

/** objdump's compare_symbols, for listing `section`. */
function compareSymbols(section: string) {
  const fileSym = (s: DisSym) => s.name.length > 2 && s.name[s.name.length - 2] === '.' && /[oa]$/.test(s.name);
  const compiled = (s: DisSym) => s.name.includes('gnu_compiled') || s.name.includes('gcc2_compiled');
  const rank = (a: boolean, b: boolean) => (a === b ? 0 : a ? -1 : 1);
  return (a: DisSym, b: DisSym): number => {
    if (a.value !== b.value) return a.value < b.value ? -1 : 1;
    return rank(a.sectionName === section, b.sectionName === section)
      || -rank(compiled(a), compiled(b))
      || -rank(fileSym(a), fileSym(b))
      || rank(a.func, b.func)
      || rank(a.object, b.object)
      || -rank(a.local, b.local)
      || rank(a.global, b.global)
      || (a.size !== b.size ? (a.size > b.size ? -1 : 1) : 0)
      || -rank(a.name.startsWith('.'), b.name.startsWith('.'))
      || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
      || a.index - b.index;
  };
}

/** The symbols of one file, sorted for one section, with objdump's lookup. */
class SymbolView {
  readonly sorted: DisSym[];
  constructor(
    all: readonly DisSym[],
    readonly section: ElfSection,
    private readonly hasRelocs: boolean,
  ) {
    this.sorted = [...all].sort(compareSymbols(section.name));
  }

  private ok(i: number, wantSection: boolean): boolean {
    const s = this.sorted[i]!;
    if (wantSection && (s.section !== this.section.index || s.sectionName !== this.section.name)) return false;
    return validSym(s);
  }

  /** find_symbol_for_address: returns [symbol or undefined, its place]. */
  find(vma: bigint, requireSection: boolean): [DisSym | undefined, number] {
    const syms = this.sorted;
    if (syms.length < 1) return [undefined, 0];
    let min = 0;
    let max = syms.length;
    while (min + 1 < max) {
      const mid = Math.floor((max + min) / 2);
      const v = syms[mid]!.value;
      if (v > vma) max = mid;
      else if (v < vma) min = mid;
      else {
        min = mid;
        break;
      }
    }
    let place = min;
    while (place > 0 && syms[place]!.value === syms[place - 1]!.value) place--;
    min = place;
    while (min < max && syms[min]!.value === syms[place]!.value) {
      if (this.ok(min, true)) return [syms[min], min];
      min++;
    }
    const sec = this.section;
    const want = requireSection || (this.hasRelocs && vma >= sec.addr && vma < sec.addr + sec.size);
    if (!this.ok(place, want)) {
      let found = -1;
      for (let i = min - 1; i >= 0; i--) {
        if (!this.ok(i, want)) continue;
        if (found === -1) found = i;
        if (syms[i]!.value !== syms[found]!.value) break;
        found = i;
      }
      if (found !== -1) place = found;
      else {
        for (let i = place + 1; i < syms.length; i++) {
          if (this.ok(i, want)) {
            place = i;
            break;
          }
        }
      }
      if (!this.ok(place, want)) return [undefined, place];
    }
    return [syms[place], place];
  }
}

/** objdump's sanitize_string: control characters in names print as `^X`. */
function sanitize(name: string): string {
  return name.replace(/[\x00-\x1f\x7f]/g, (c) => `^${String.fromCharCode((c.charCodeAt(0) + 0x40) & 0xff)}`);
}

function hex(v: bigint): string {
  return v.toString(16);
}

/** `<sym+0x10>` / `<sym-0x8>` / `<.text+0x4>`, without the address in front. */
function symbolPart(sym: DisSym | undefined, section: ElfSection | undefined, vma: bigint): string {
  const base = sym ? sym.value : section?.addr ?? 0n;
  const name = sanitize(sym ? sym.name : section?.name ?? '');
  if (vma > base) return `${name}+0x${hex(vma - base)}`;
  if (vma < base) return `${name}-0x${hex(base - vma)}`;
  return name;
}

// ---- the region walker (disassemble_bytes) --------------------------------------------------

/** A stretch of bytes listed as one objdump section. */
interface Block {
  readonly vma: bigint;
  readonly bytes: Uint8Array;
}

interface Mapping {
  /** Data or code at an offset in the block (the `$d`/`$x` state). */
  isData(off: number): boolean;
  /** Bytes until the next mapping symbol (riscv_data_length). */
  dataLength(off: number): number;
  /** Extensions in effect at an offset. */
  exts(off: number): ReadonlySet<Ext>;
}

interface Walker {
  readonly tracker: AddressTracker;
  readonly address: AddressPrinter;
  readonly mapping: Mapping;
  /** The chunk size the disassembler last reported; objdump reuses it to dump object bytes. */
  lastChunk: number;
}

const SKIP_ZEROES = 8;
const SKIP_ZEROES_AT_END = 3;
/** What binutils 2.40 took as the length of an instruction it could not read (EIO). */
const FAILED_READ_STEP = 5;

/** Characters of the 16-digit address dropped from the address column of a block. */
function addressSkip(block: Block): number {
  const end = BigInt.asUintN(64, block.vma + BigInt(block.bytes.length)).toString(16).padStart(16, '0');
  let skip = 0;
  while (end[skip] === '0') skip++;
  if (skip === 16 && block.vma !== 0n) skip = 0;
  return skip === 0 ? 0 : (skip - 1) & ~3;
}

function addressColumn(vma: bigint, skip: number): string {
  const s = BigInt.asUintN(64, vma).toString(16).padStart(16, '0').slice(skip);
  const trimmed = s.replace(/^0+/, '');
  return (trimmed === '' ? '0' : trimmed).padStart(s.length, ' ');
}

interface One {
  readonly octets: number;
  readonly bpc: number;
  /** bytes_per_chunk as the disassembler leaves it (0 when it bailed out before setting it). */
  readonly chunkAfter: number;
  /** bytes_per_line the disassembler asked for, if it got that far. */
  readonly perLine: number | undefined;
  readonly text: string;
}

function chunk(bytes: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let k = n - 1; k >= 0; k--) s += bytes[at + k]!.toString(16).padStart(2, '0');
  return s;
}

const DATA_DIRECTIVES: Record<number, string> = { 1: '.byte', 2: '.short', 4: '.word', 8: '.dword' };

function disassembleOne(w: Walker, block: Block, off: number, stop: number): One {
  const failed = (bpc: number, chunkAfter: number): One => ({
    octets: FAILED_READ_STEP, bpc, chunkAfter, perLine: undefined,
    text: `Address 0x${hex(block.vma + BigInt(off))} is out of bounds.\n`,
  });
  const pc = block.vma + BigInt(off);
  if (w.mapping.isData(off)) {
    const len = w.mapping.dataLength(off);
    if (off + len > stop) return failed(len, len);
    const text = `${DATA_DIRECTIVES[len]}\t0x${chunk(block.bytes, off, len)}`;
    return { octets: len, bpc: len, chunkAfter: len, perLine: len === 1 ? 6 : 8, text };
  }
  if (off + 2 > stop) return failed(1, 0);
  const len = objdumpLength(block.bytes[off]! | (block.bytes[off + 1]! << 8));
  if (off + len > stop) return failed(1, 0);
  const d = disasmAt(block.bytes.subarray(0, stop), off, pc, { exts: w.mapping.exts(off), tracker: w.tracker, address: w.address })!;
  const bpc = len % 4 === 0 ? 4 : 2;
  return { octets: len, bpc, chunkAfter: bpc, perLine: 8, text: d.text };
}

/** A line of an OBJECT symbol's bytes: raw chunks, then the bytes as ASCII (objdump's !insns path). */
function dumpLine(w: Walker, block: Block, off: number, stop: number, skip: number): { line: string; octets: number } {
  const perLine = 16;
  const octets = Math.min(perLine, stop - off);
  const bpc = w.lastChunk || 1;
  let line = `${addressColumn(block.vma + BigInt(off), skip)}:\t`;
  let pb = octets;
  for (let j = off; j < off + pb; j += bpc) {
    if (j + bpc <= stop) line += chunk(block.bytes, j, bpc);
    line += ' ';
  }
  for (; pb < perLine; pb += bpc) line += '  '.repeat(bpc) + ' ';
  line += '    ';
  for (let j = off; j < off + octets; j++) {
    const b = block.bytes[j]!;
    line += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
  }
  return { line, octets };
}

/** Lists block offsets [start, stop) the way disassemble_bytes does (`insns` false: dump bytes). */
function disassembleBytes(w: Walker, block: Block, start: number, stop: number, insns = true): string {
  const bytes = block.bytes;
  const skip = addressSkip(block);
  let perLine = 4;
  let out = '';
  let off = start;
  while (off < stop) {
    let zeros = 0;
    while (off + zeros < stop && bytes[off + zeros] === 0) zeros++;
    if (zeros >= SKIP_ZEROES || (off + zeros === stop && zeros < SKIP_ZEROES_AT_END)) {
      if (off + zeros !== stop) zeros &= ~3;
      out += '\t...\n';
      off += zeros;
      continue;
    }
    if (!insns) {
      const dump = dumpLine(w, block, off, stop, skip);
      out += dump.line + '\n';
      off += dump.octets;
      continue;
    }
    const one = disassembleOne(w, block, off, stop);
    if (one.perLine !== undefined) perLine = one.perLine;
    w.lastChunk = one.chunkAfter;
    let line = `${addressColumn(block.vma + BigInt(off), skip)}:\t`;
    let pb = Math.min(one.octets, perLine);
    for (let j = off; j < off + pb; j += one.bpc) {
      if (j + one.bpc <= stop) line += chunk(bytes, j, one.bpc);
      line += ' ';
    }
    for (; pb < perLine; pb += one.bpc) line += '  '.repeat(one.bpc) + ' ';
    line += '\t' + one.text;
    while (pb < one.octets) {
      const j0 = off + pb;
      line += `\n${addressColumn(block.vma + BigInt(j0), skip)}:\t`;
      pb = Math.min(pb + perLine, one.octets);
      for (let j = j0; j < off + pb; j += one.bpc) {
        if (j + one.bpc <= stop) line += chunk(bytes, j, one.bpc);
        line += ' ';
      }
    }
    out += line + '\n';
    off += one.octets;
  }
  return out;
}

// ---- ELF listings ----------------------------------------------------------------------------

export interface ListingOptions {
  /** Like --start-address: list from this address. */
  readonly start?: bigint;
  /** Like --stop-address: list up to (not including) this address. */
  readonly stop?: bigint;
  /** Like --disassemble=NAME: list only this symbol. */
  readonly symbol?: string;
  /** The file name in the header line (default: the name the ELF was read with). */
  readonly fileName?: string;
}

function isCode(s: ElfSection): boolean {
  return (s.flags & SHF_EXECINSTR) !== 0n && s.type !== SHT_NOBITS && s.index !== 0 && s.size > 0n;
}

/** Mapping symbols of a section, for the `$x`/`$d` state and per-function ISA strings. */
function sectionMapping(syms: readonly DisSym[], section: ElfSection, fileExts: ReadonlySet<Ext>): Mapping {
  const maps = syms
    .filter((s) => s.section === section.index && isMappingSymbol(s.name))
    .sort((a, b) => (a.value !== b.value ? (a.value < b.value ? -1 : 1) : a.index - b.index));
  const at = (off: number) => {
    const vma = section.addr + BigInt(off);
    let found: DisSym | undefined;
    for (const m of maps) if (m.value <= vma) found = m;
    return found;
  };
  const archAt = (off: number) => {
    const vma = section.addr + BigInt(off);
    let arch: ReadonlySet<Ext> = fileExts;
    for (const m of maps) if (m.value <= vma && m.name.startsWith('$xrv')) arch = parseArch(m.name.slice(2).replace(/\..*$/, ''));
    return arch;
  };
  return {
    isData: (off) => at(off)?.name === '$d',
    dataLength: (off) => {
      const vma = section.addr + BigInt(off);
      const next = maps.find((m) => m.value > vma);
      let len = 4n;
      const limit = next ? next.value - vma : section.addr + section.size - vma;
      if (limit < len) len = limit;
      return len === 3n ? 2 : Number(len);
    },
    exts: archAt,
  };
}

/** The objdump -d listing of an ELF file (executable or relocatable). */
export function listElf(elf: ElfFile, opts: ListingOptions = {}): string {
  const syms = disSyms(elf);
  const gp = syms.find((s) => s.name === '__global_pointer$')?.value;
  const tracker = new AddressTracker(gp);
  const fileExts = parseArch(elf.arch ?? DEFAULT_ARCH);
  const hasRelocs = elf.sections.some((s) => s.type === SHT_RELA);
  let out = `\n${sanitize(opts.fileName ?? elf.name)}:     file format elf64-littleriscv\n\n`;
  let walker: Walker | undefined;
  for (const section of elf.sections) {
    if (!isCode(section)) continue;
    const size = section.size;
    let off = opts.start === undefined || opts.start < section.addr ? 0n : opts.start - section.addr;
    let stop = size;
    if (opts.stop !== undefined) stop = opts.stop < section.addr ? 0n : opts.stop - section.addr > size ? size : opts.stop - section.addr;
    if (off >= stop) continue;
    out += `\nDisassembly of section ${sanitize(section.name)}:\n`;

    const view = new SymbolView(syms, section, hasRelocs);
    const address: AddressPrinter = view.sorted.length < 1
      ? plainAddress
      : (vma) => `${hex(vma)} <${symbolPart(view.find(vma, false)[0], section, vma)}>`;
    walker = { tracker, address, mapping: sectionMapping(syms, section, fileExts), lastChunk: walker?.lastChunk ?? 0 };
    const block: Block = { vma: section.addr, bytes: section.bytes };

    let [sym, place] = view.find(section.addr + off, true);
    let printing = opts.symbol === undefined;
    let until: 'stop' | 'function' | 'next' = 'stop';
    while (off < stop) {
      const addr = section.addr + off;
      if (sym && opts.symbol !== undefined) {
        if (printing) {
          if (until === 'function' && sym.func) printing = false;
          else if (until === 'next' && !(sym.name.startsWith('.L') || isMappingSymbol(sym.name))) printing = false;
        } else if (sym.name === opts.symbol) {
          printing = true;
          if (sym.func) {
            if (sym.size > 0n) {
              // objdump does not clamp this; a corrupt st_size would have it read past the section.
              stop = off + sym.size > size ? size : off + sym.size;
              until = 'stop';
            } else until = 'function';
          } else until = 'next';
        }
      }
      if (printing) out += `\n${addr.toString(16).padStart(16, '0')} <${symbolPart(sym, section, addr)}>:\n`;

      let next: DisSym | undefined;
      if (sym && sym.value > addr) next = sym;
      else if (sym) {
        const cur = sym;
        while (place < view.sorted.length) {
          const s = view.sorted[place]!;
          if (s.sectionName === section.name && s.value > cur.value && validSym(s)) break;
          place++;
        }
        next = view.sorted[place];
      }
      let nextStop = sym && sym.value > addr ? sym.value - section.addr : next ? next.value - section.addr : stop;
      if (nextStop > stop || nextStop <= off) nextStop = stop;
      // Bytes of an OBJECT symbol are dumped, not disassembled.
      const compiled = sym !== undefined && (sym.name.includes('gnu_compiled') || sym.name.includes('gcc2_compiled'));
      const insns = !sym || sym.section !== section.index || sym.value > addr || sym.func || (!sym.object && !compiled);
      if (printing) out += disassembleBytes(walker, block, Number(off), Number(nextStop), insns);
      off = nextStop;
      sym = next;
    }
  }
  return out;
}

/**
 * Names addresses of an ELF file the way objdump does in listings (`leaf+0x8`, `.text+0x10`
 * where no symbol fits), for listBytes and reports. Undefined when the file has no usable
 * symbols or the address is in no section.
 */
export function elfSymbolizer(elf: ElfFile): (addr: bigint) => string | undefined {
  const syms = disSyms(elf);
  const hasRelocs = elf.sections.some((s) => s.type === SHT_RELA);
  const views = new Map<number, SymbolView>();
  const alloc = elf.sections.filter((s) => s.index !== 0 && (s.flags & SHF_ALLOC) !== 0n && s.size > 0n);
  return (addr) => {
    const section = alloc.find((s) => addr >= s.addr && addr < s.addr + s.size);
    if (!section || syms.length === 0) return undefined;
    let view = views.get(section.index);
    if (!view) views.set(section.index, (view = new SymbolView(syms, section, hasRelocs)));
    return symbolPart(view.find(addr, false)[0], section, addr);
  };
}

// ---- arbitrary bytes ---------------------------------------------------------------------------

export interface BytesListingOptions {
  /** Names an address for branch targets and `# addr` comments (`sym+0x10`), or undefined. */
  readonly symbolize?: (addr: bigint) => string | undefined;
  /** A label to print before the line at this address (`<name>:` lines), if any. */
  readonly label?: (addr: bigint) => string | undefined;
  /** Enabled extensions (default: all the table knows). */
  readonly exts?: ReadonlySet<Ext>;
  /** Carry objdump's auipc/lui memory across calls. */
  readonly tracker?: AddressTracker;
}

/**
 * Lists bytes at an address in objdump's line format (as if they were one code section):
 * `ffffffff80fa4150:\tf70c0297          \tauipc\tt0,0xf70c0`. With `label`, the bytes are cut
 * into regions at labelled addresses, each introduced by `\n<address> <label>:` as in objdump.
 */
export function listBytes(bytes: Uint8Array, address: bigint, opts: BytesListingOptions = {}): string {
  const block: Block = { vma: address, bytes };
  const exts = opts.exts;
  const walker: Walker = {
    tracker: opts.tracker ?? new AddressTracker(),
    address: opts.symbolize ? symbolicAddress(opts.symbolize) : plainAddress,
    mapping: { isData: () => false, dataLength: () => 4, exts: () => exts ?? ALL_TABLE_EXTS },
    lastChunk: 0,
  };
  const cuts: number[] = [];
  if (opts.label) for (let i = 0; i < bytes.length; i++) if (opts.label(address + BigInt(i)) !== undefined) cuts.push(i);
  if (cuts[0] !== 0) cuts.unshift(0);
  let out = '';
  for (let k = 0; k < cuts.length; k++) {
    const start = cuts[k]!;
    const name = opts.label?.(address + BigInt(start));
    if (name !== undefined) out += `\n${BigInt.asUintN(64, address + BigInt(start)).toString(16).padStart(16, '0')} <${sanitize(name)}>:\n`;
    out += disassembleBytes(walker, block, start, cuts[k + 1] ?? bytes.length);
  }
  return out;
}
