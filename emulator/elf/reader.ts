/**
 * ELF64 reader for little-endian RISC-V files: executables (the linked kernel images) and
 * relocatable objects (the compiled fixtures).
 *
 * Everything a bad file can do is reported as an ElfError whose message is one line naming
 * the file and the problem; no other exception escapes, whatever the bytes (see the property
 * test). Addresses, offsets and sizes are bigint: kernel addresses are 0xffffffff8xxxxxxx.
 */

/** A malformed or unsupported file. The message is `<file>: <problem>`, on one line. */
export class ElfError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ElfError';
  }
}

export const EM_RISCV = 243;

export type ElfType = 'NONE' | 'REL' | 'EXEC' | 'DYN' | 'CORE' | 'OTHER';
export type SymbolType = 'NOTYPE' | 'OBJECT' | 'FUNC' | 'SECTION' | 'FILE' | 'COMMON' | 'TLS' | 'OTHER';
export type SymbolBinding = 'LOCAL' | 'GLOBAL' | 'WEAK' | 'OTHER';

export const PT_LOAD = 1;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHF_WRITE = 0x1n;
export const SHF_ALLOC = 0x2n;
export const SHF_EXECINSTR = 0x4n;
export const SHN_UNDEF = 0;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
const SHN_LORESERVE = 0xff00;
const SHN_XINDEX = 0xffff;
const SHT_SYMTAB_SHNDX = 18;

/** RISC-V relocation types used by the reader. */
export const R_RISCV_64 = 2;

export interface ElfSegment {
  readonly index: number;
  readonly type: number;
  readonly flags: { readonly r: boolean; readonly w: boolean; readonly x: boolean };
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
  readonly align: bigint;
  /** The filesz bytes from the file (the rest up to memsz is zero-filled at load). */
  readonly bytes: Uint8Array;
}

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: bigint;
  readonly addr: bigint;
  readonly offset: bigint;
  readonly size: bigint;
  readonly link: number;
  readonly info: number;
  readonly addralign: bigint;
  readonly entsize: bigint;
  /** File contents; empty for SHT_NOBITS. */
  readonly bytes: Uint8Array;
}

export interface ElfSymbol {
  /** Index in .symtab. */
  readonly index: number;
  readonly name: string;
  /** Address in an executable; offset in its section in a relocatable object. */
  readonly value: bigint;
  readonly size: bigint;
  readonly type: SymbolType;
  readonly binding: SymbolBinding;
  /** STV_* visibility (st_other & 3). */
  readonly visibility: number;
  /** Section header index, or SHN_UNDEF / SHN_ABS / SHN_COMMON. */
  readonly shndx: number;
  /** The section the symbol is defined in, when shndx names one. */
  readonly section: ElfSection | undefined;
}

export interface ElfRela {
  readonly offset: bigint;
  readonly type: number;
  readonly symbol: number;
  readonly addend: bigint;
}

/** One `-fpatchable-function-entry` sled, as recorded in `__patchable_function_entries`. */
export interface PatchableEntry {
  /** Section holding the sled. */
  readonly section: ElfSection;
  /** Offset of the sled in that section. */
  readonly offset: bigint;
  /** Address of the sled: section address + offset (the offset itself in an ET_REL file). */
  readonly address: bigint;
}

export interface ElfFile {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly type: ElfType;
  readonly machine: number;
  readonly entry: bigint;
  readonly flags: number;
  readonly segments: readonly ElfSegment[];
  readonly sections: readonly ElfSection[];
  /** .symtab entries (index 0, the null symbol, included), or [] when there is none. */
  readonly symbols: readonly ElfSymbol[];
  /** The first section with this name. */
  section(name: string): ElfSection | undefined;
  /** The first symbol with this name that is defined (not SHN_UNDEF), else the first with the name. */
  symbol(name: string): ElfSymbol | undefined;
  /** Relocations (SHT_RELA) that apply to a section. */
  relocations(target: ElfSection): ElfRela[];
  /** The sleds listed in `__patchable_function_entries` (all sections of that name, in order). */
  patchableEntries(): PatchableEntry[];
  /** Tag_RISCV_arch from .riscv.attributes (e.g. `rv64i2p1_m2p0_...`), when present. */
  readonly arch: string | undefined;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Bounds-checked little-endian reads; every failure becomes an ElfError naming `what`. */
class Reader {
  private readonly view: DataView;
  constructor(
    readonly file: string,
    readonly bytes: Uint8Array,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(problem: string): never {
    throw new ElfError(this.file, problem);
  }

  /** Checks that [off, off+len) lies in the file and returns off as a number. */
  range(off: bigint, len: bigint, what: string): number {
    if (off < 0n || len < 0n || off > MAX_SAFE || len > MAX_SAFE || off + len > BigInt(this.bytes.length)) {
      this.fail(`${what} out of bounds (offset 0x${off.toString(16)}, size 0x${len.toString(16)}, file size 0x${this.bytes.length.toString(16)})`);
    }
    return Number(off);
  }

  u8(o: number): number {
    return this.view.getUint8(o);
  }
  u16(o: number): number {
    return this.view.getUint16(o, true);
  }
  u32(o: number): number {
    return this.view.getUint32(o, true);
  }
  u64(o: number): bigint {
    return this.view.getBigUint64(o, true);
  }
  i64(o: number): bigint {
    return this.view.getBigInt64(o, true);
  }

  slice(off: bigint, len: bigint, what: string): Uint8Array {
    const o = this.range(off, len, what);
    return this.bytes.subarray(o, o + Number(len));
  }

  /** NUL-terminated string at `off` inside a string table. */
  str(table: Uint8Array, off: number, what: string): string {
    if (off >= table.length) {
      if (off === 0) return '';
      this.fail(`${what}: name offset 0x${off.toString(16)} is outside its string table (size 0x${table.length.toString(16)})`);
    }
    let end = off;
    while (end < table.length && table[end] !== 0) end++;
    if (end === table.length) this.fail(`${what}: name at 0x${off.toString(16)} is not NUL-terminated`);
    let s = '';
    for (let i = off; i < end; i++) s += String.fromCharCode(table[i]!);
    return s;
  }
}

const ELF_TYPES: Record<number, ElfType> = { 0: 'NONE', 1: 'REL', 2: 'EXEC', 3: 'DYN', 4: 'CORE' };
const SYM_TYPES: Record<number, SymbolType> = { 0: 'NOTYPE', 1: 'OBJECT', 2: 'FUNC', 3: 'SECTION', 4: 'FILE', 5: 'COMMON', 6: 'TLS' };
const SYM_BINDS: Record<number, SymbolBinding> = { 0: 'LOCAL', 1: 'GLOBAL', 2: 'WEAK' };

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const RELA_SIZE = 24;

/**
 * Parses an ELF64 little-endian RISC-V file.
 * @param name used in error messages (normally the path)
 */
export function readElf(bytes: Uint8Array, name = '<file>'): ElfFile {
  const r = new Reader(name, bytes);
  const magic = [0x7f, 0x45, 0x4c, 0x46];
  for (let i = 0; i < Math.min(4, bytes.length); i++) {
    if (bytes[i] !== magic[i]) r.fail('bad magic (not an ELF file)');
  }
  if (bytes.length < EHDR_SIZE) r.fail(`truncated file (${bytes.length} bytes; an ELF64 header needs ${EHDR_SIZE})`);
  if (r.u8(4) !== 2) r.fail(`not ELFCLASS64 (EI_CLASS is ${r.u8(4)})`);
  if (r.u8(5) !== 1) r.fail(`not little-endian (EI_DATA is ${r.u8(5)})`);
  const machine = r.u16(18);
  if (machine !== EM_RISCV) r.fail(`e_machine is ${machine}, not RISC-V (${EM_RISCV})`);
  const type = ELF_TYPES[r.u16(16)] ?? 'OTHER';
  const entry = r.u64(24);
  const phoff = r.u64(32);
  const shoff = r.u64(40);
  const flags = r.u32(48);
  const phentsize = r.u16(54);
  let phnum = r.u16(56);
  const shentsize = r.u16(58);
  let shnum = r.u16(60);
  let shstrndx = r.u16(62);

  // Extended numbering: counts that do not fit 16 bits live in section header 0.
  if (shoff !== 0n && (shnum === 0 || shstrndx === SHN_XINDEX || phnum === 0xffff)) {
    if (shentsize < SHDR_SIZE) r.fail(`e_shentsize ${shentsize} is smaller than ${SHDR_SIZE}`);
    const o = r.range(shoff, BigInt(SHDR_SIZE), 'section header 0');
    if (shnum === 0) {
      const n = r.u64(o + 32);
      if (n > 0xffffffn) r.fail(`section count ${n} is implausible`);
      shnum = Number(n);
    }
    if (shstrndx === SHN_XINDEX) shstrndx = r.u32(o + 40);
    if (phnum === 0xffff) phnum = r.u32(o + 44);
  }

  // ---- program headers ----
  const segments: ElfSegment[] = [];
  if (phnum > 0) {
    if (phentsize < PHDR_SIZE) r.fail(`e_phentsize ${phentsize} is smaller than ${PHDR_SIZE}`);
    r.range(phoff, BigInt(phnum) * BigInt(phentsize), 'program header table');
    for (let i = 0; i < phnum; i++) {
      const o = Number(phoff) + i * phentsize;
      const pflags = r.u32(o + 4);
      const offset = r.u64(o + 8);
      const filesz = r.u64(o + 32);
      segments.push({
        index: i,
        type: r.u32(o),
        flags: { r: (pflags & 4) !== 0, w: (pflags & 2) !== 0, x: (pflags & 1) !== 0 },
        offset,
        vaddr: r.u64(o + 16),
        paddr: r.u64(o + 24),
        filesz,
        memsz: r.u64(o + 40),
        align: r.u64(o + 48),
        bytes: r.slice(offset, filesz, `segment ${i}`),
      });
    }
  }

  // ---- section headers ----
  interface RawSection { name: number; type: number; flags: bigint; addr: bigint; offset: bigint; size: bigint; link: number; info: number; addralign: bigint; entsize: bigint }
  const raw: RawSection[] = [];
  if (shnum > 0) {
    if (shentsize < SHDR_SIZE) r.fail(`e_shentsize ${shentsize} is smaller than ${SHDR_SIZE}`);
    r.range(shoff, BigInt(shnum) * BigInt(shentsize), 'section header table');
    for (let i = 0; i < shnum; i++) {
      const o = Number(shoff) + i * shentsize;
      raw.push({
        name: r.u32(o), type: r.u32(o + 4), flags: r.u64(o + 8), addr: r.u64(o + 16), offset: r.u64(o + 24),
        size: r.u64(o + 32), link: r.u32(o + 40), info: r.u32(o + 44), addralign: r.u64(o + 48), entsize: r.u64(o + 56),
      });
    }
  }
  const contents = raw.map((s, i): Uint8Array =>
    s.type === SHT_NOBITS || i === 0 ? new Uint8Array(0) : r.slice(s.offset, s.size, `section ${i}`));
  let shstr: Uint8Array = new Uint8Array(0);
  if (shstrndx !== SHN_UNDEF) {
    if (shstrndx >= raw.length) r.fail(`e_shstrndx ${shstrndx} names no section (there are ${raw.length})`);
    shstr = contents[shstrndx]!;
  }
  const sections: ElfSection[] = raw.map((s, i) => ({
    index: i,
    name: shstrndx === SHN_UNDEF ? '' : r.str(shstr, s.name, `section ${i}`),
    type: s.type, flags: s.flags, addr: s.addr, offset: s.offset, size: s.size, link: s.link, info: s.info,
    addralign: s.addralign, entsize: s.entsize, bytes: contents[i]!,
  }));

  // ---- symbols ----
  const symbols = readSymbols(r, sections);

  const section = (n: string) => sections.find((s) => s.name === n);
  const file: ElfFile = {
    name, bytes, type, machine, entry, flags, segments, sections, symbols,
    section,
    symbol: (n) => symbols.find((s) => s.name === n && s.shndx !== SHN_UNDEF) ?? symbols.find((s) => s.name === n),
    relocations: (target) => readRelocations(r, sections, symbols, target),
    patchableEntries: () => patchableEntries(r, file),
    arch: readArch(r, section('.riscv.attributes')),
  };
  return file;
}

function readSymbols(r: Reader, sections: readonly ElfSection[]): ElfSymbol[] {
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) return [];
  const what = `symbol table ${symtab.name || `(section ${symtab.index})`}`;
  if (symtab.entsize !== BigInt(SYM_SIZE)) r.fail(`${what}: entry size ${symtab.entsize}, expected ${SYM_SIZE}`);
  if (symtab.link >= sections.length) r.fail(`${what}: string table index ${symtab.link} names no section`);
  const strtab = sections[symtab.link]!.bytes;
  const xindex = sections.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === symtab.index);
  const bytes = symtab.bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = Math.floor(bytes.length / SYM_SIZE);
  const out: ElfSymbol[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * SYM_SIZE;
    const info = view.getUint8(o + 4);
    let shndx = view.getUint16(o + 6, true);
    if (shndx === SHN_XINDEX) {
      if (!xindex || xindex.bytes.length < (i + 1) * 4) r.fail(`${what}: symbol ${i} needs SHT_SYMTAB_SHNDX, which is missing or short`);
      shndx = new DataView(xindex.bytes.buffer, xindex.bytes.byteOffset, xindex.bytes.byteLength).getUint32(i * 4, true);
    }
    const defined = shndx !== SHN_UNDEF && (shndx < SHN_LORESERVE || shndx > SHN_XINDEX);
    if (defined && shndx >= sections.length) r.fail(`${what}: symbol ${i} names section ${shndx}, which does not exist`);
    out.push({
      index: i,
      name: r.str(strtab, view.getUint32(o, true), `${what}: symbol ${i}`),
      value: view.getBigUint64(o + 8, true),
      size: view.getBigUint64(o + 16, true),
      type: SYM_TYPES[info & 0xf] ?? 'OTHER',
      binding: SYM_BINDS[info >> 4] ?? 'OTHER',
      visibility: view.getUint8(o + 5) & 3,
      shndx,
      section: defined ? sections[shndx] : undefined,
    });
  }
  return out;
}

function readRelocations(r: Reader, sections: readonly ElfSection[], symbols: readonly ElfSymbol[], target: ElfSection): ElfRela[] {
  const out: ElfRela[] = [];
  for (const s of sections) {
    if (s.type !== SHT_RELA || s.info !== target.index) continue;
    const what = `relocation section ${s.name || `(section ${s.index})`}`;
    if (s.entsize !== BigInt(RELA_SIZE)) r.fail(`${what}: entry size ${s.entsize}, expected ${RELA_SIZE}`);
    const view = new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
    for (let i = 0; i + RELA_SIZE <= s.bytes.length; i += RELA_SIZE) {
      const info = view.getBigUint64(i + 8, true);
      const symbol = Number(info >> 32n);
      if (symbol >= symbols.length) r.fail(`${what}: entry ${i / RELA_SIZE} names symbol ${symbol}, but .symtab has ${symbols.length}`);
      out.push({ offset: view.getBigUint64(i, true), type: Number(info & 0xffffffffn), symbol, addend: view.getBigInt64(i + 16, true) });
    }
  }
  return out.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
}

const PFE = '__patchable_function_entries';

function patchableEntries(r: Reader, elf: ElfFile): PatchableEntry[] {
  const out: PatchableEntry[] = [];
  for (const pfe of elf.sections.filter((s) => s.name === PFE)) {
    if (pfe.type === SHT_NOBITS) continue;
    if (pfe.bytes.length % 8 !== 0) r.fail(`${PFE}: size ${pfe.bytes.length} is not a multiple of 8`);
    const view = new DataView(pfe.bytes.buffer, pfe.bytes.byteOffset, pfe.bytes.byteLength);
    if (elf.type === 'REL') {
      // The stored words are zero; each is described by an R_RISCV_64 against a symbol.
      const relocs = new Map(elf.relocations(pfe).map((x) => [x.offset, x]));
      for (let i = 0; i < pfe.bytes.length; i += 8) {
        const rel = relocs.get(BigInt(i));
        if (!rel) r.fail(`${PFE}: entry ${i / 8} has no relocation`);
        if (rel.type !== R_RISCV_64) r.fail(`${PFE}: entry ${i / 8} has relocation type ${rel.type}, expected R_RISCV_64 (${R_RISCV_64})`);
        const sym = elf.symbols[rel.symbol]!;
        if (!sym.section) r.fail(`${PFE}: entry ${i / 8} refers to symbol ${sym.name || rel.symbol}, which is not defined in a section`);
        const offset = sym.value + rel.addend;
        if (offset < 0n || offset > sym.section.size) r.fail(`${PFE}: entry ${i / 8} points outside ${sym.section.name}`);
        out.push({ section: sym.section, offset, address: offset });
      }
    } else {
      for (let i = 0; i < pfe.bytes.length; i += 8) {
        const address = view.getBigUint64(i, true);
        const sec = elf.sections.find((s) => (s.flags & SHF_ALLOC) !== 0n && s.type !== SHT_NOBITS && s.size > 0n && address >= s.addr && address < s.addr + s.size);
        if (!sec) r.fail(`${PFE}: entry ${i / 8} (0x${address.toString(16)}) is in no section`);
        out.push({ section: sec, offset: address - sec.addr, address });
      }
    }
  }
  return out;
}

function uleb(bytes: Uint8Array, pos: { at: number }): number {
  let v = 0;
  let shift = 0;
  for (;;) {
    if (pos.at >= bytes.length || shift > 28) return -1;
    const b = bytes[pos.at++]!;
    v += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return v;
  }
}

/** Tag_RISCV_arch (5) of the "riscv" vendor subsection, file scope (tag 1). Malformed data yields undefined. */
function readArch(r: Reader, sec: ElfSection | undefined): string | undefined {
  if (!sec || sec.bytes.length < 1 || sec.bytes[0] !== 0x41) return undefined;
  const b = sec.bytes;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let at = 1;
  while (at + 4 <= b.length) {
    const len = view.getUint32(at, true);
    if (len < 4 || at + len > b.length) return undefined;
    const end = at + len;
    let p = at + 4;
    let vendor = '';
    while (p < end && b[p] !== 0) vendor += String.fromCharCode(b[p++]!);
    p++;
    if (vendor === 'riscv') {
      while (p + 5 <= end) {
        const tag = b[p]!;
        const sublen = view.getUint32(p + 1, true);
        if (sublen < 5 || p + sublen > end) return undefined;
        const subEnd = p + sublen;
        const pos = { at: p + 5 };
        if (tag === 1) {
          while (pos.at < subEnd) {
            const t = uleb(b, pos);
            if (t < 0) return undefined;
            if (t === 5 || t === 67 || t % 2 === 1) {
              // NUL-terminated string value (odd tags and Tag_RISCV_arch).
              const s0 = pos.at;
              while (pos.at < subEnd && b[pos.at] !== 0) pos.at++;
              if (pos.at >= subEnd) return undefined;
              const s = r.str(b, s0, '.riscv.attributes');
              pos.at++;
              if (t === 5) return s;
            } else if (uleb(b, pos) < 0) return undefined;
          }
        }
        p = subEnd;
      }
    }
    at = end;
  }
  return undefined;
}
