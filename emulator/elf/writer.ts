/**
 * A minimal static RISC-V ELF64 executable writer: PT_LOAD segments, an entry point, and a
 * symbol table so objdump and our own tools can symbolize the code.
 *
 * ```ts
 * const prog = assemble(src, { base: 0x10000n });
 * const elf = writeElf({
 *   entry: prog.address('_start'),
 *   segments: [{ vaddr: prog.base, bytes: prog.bytes, flags: 'rx' }],
 *   symbols: [...prog.symbols].map(([name, value]) => ({ name, value, type: 'func' })),
 * });
 * ```
 *
 * File layout: ELF header, program headers, each segment's bytes at a file offset congruent
 * to its address modulo the page size (what a loader's mmap needs), then .symtab, .strtab,
 * .shstrtab and the section headers. Every segment also gets a section (.text / .data /
 * .rodata, by permission) so that section-based tools see the code.
 */

export type SegmentFlags = 'rx' | 'rw' | 'r' | 'rwx';

export interface SegmentSpec {
  readonly vaddr: bigint;
  readonly bytes: Uint8Array;
  /** Size in memory; the bytes past `bytes.length` are zero (bss). Default: bytes.length. */
  readonly memsz?: number;
  readonly flags: SegmentFlags;
  /** Section name for the segment. Default: .text (x), .data (w) or .rodata, numbered when repeated. */
  readonly name?: string;
}

export interface SymbolSpec {
  readonly name: string;
  readonly value: bigint;
  readonly size?: number;
  readonly type: 'func' | 'object' | 'notype';
  /** Default 'global'. */
  readonly binding?: 'global' | 'local';
}

export interface ElfSpec {
  readonly entry: bigint;
  readonly segments: readonly SegmentSpec[];
  readonly symbols?: readonly SymbolSpec[];
  /**
   * e_flags. Default EF_RISCV_RVC | EF_RISCV_FLOAT_ABI_DOUBLE (0x5), what gcc writes for
   * rv64gc/lp64d; qemu-riscv64 runs the file with any value, objdump only reads it.
   */
  readonly flags?: number;
}

export const EF_RISCV_RVC = 0x1;
export const EF_RISCV_FLOAT_ABI_DOUBLE = 0x4;

const EM_RISCV = 243;
const ET_EXEC = 2;
const PT_LOAD = 1;
const PF = { x: 1, w: 2, r: 4 } as const;
const SHT = { PROGBITS: 1, SYMTAB: 2, STRTAB: 3, NOBITS: 8 } as const;
const SHF = { WRITE: 1n, ALLOC: 2n, EXECINSTR: 4n } as const;
const SHN_ABS = 0xfff1;
const STT = { notype: 0, object: 1, func: 2 } as const;
const STB = { local: 0, global: 1 } as const;

const EHDR = 64;
const PHDR = 56;
const SHDR = 64;
const SYM = 24;
const PAGE = 0x1000n;

/** A growable little-endian byte buffer. */
class Out {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.room(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }
  u16(v: number): void {
    this.room(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  u64(v: bigint): void {
    this.room(8);
    this.view.setBigUint64(this.length, BigInt.asUintN(64, v), true);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  padTo(offset: number): void {
    if (offset < this.length) throw new Error('writeElf: internal error: layout went backwards');
    this.bytes(new Uint8Array(offset - this.length));
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** A string table: NUL-separated names, offset 0 is the empty string. */
class StrTab {
  private readonly parts: string[] = [''];
  private readonly offsets = new Map<string, number>([['', 0]]);
  private size = 1;
  add(s: string): number {
    const known = this.offsets.get(s);
    if (known !== undefined) return known;
    const at = this.size;
    this.offsets.set(s, at);
    this.parts.push(s);
    this.size += Buffer.byteLength(s) + 1;
    return at;
  }
  bytes(): Uint8Array {
    return new TextEncoder().encode(this.parts.map((p) => `${p}\0`).join(''));
  }
}

interface Section {
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  align: number;
  entsize: number;
}

function fail(why: string): never {
  throw new Error(`writeElf: ${why}`);
}

/** Builds the executable. Throws `writeElf: ...` for overlapping segments, an entry outside code, etc. */
export function writeElf(spec: ElfSpec): Uint8Array {
  const segs = spec.segments.map((s, i) => {
    const memsz = s.memsz ?? s.bytes.length;
    if (!Number.isSafeInteger(memsz) || memsz < s.bytes.length) fail(`segment ${i}: memsz ${memsz} is smaller than its ${s.bytes.length} bytes`);
    if (s.vaddr < 0n || s.vaddr + BigInt(memsz) > 1n << 64n) fail(`segment ${i}: 0x${s.vaddr.toString(16)} is not a 64-bit address range`);
    return { ...s, memsz, end: s.vaddr + BigInt(memsz) };
  });
  if (segs.length === 0) fail('no segments');
  const sorted = [...segs].sort((a, b) => (a.vaddr < b.vaddr ? -1 : 1));
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (b.vaddr < a.end) fail(`segments at 0x${a.vaddr.toString(16)} and 0x${b.vaddr.toString(16)} overlap`);
    // A loader maps whole pages, so two segments in one page would get one set of permissions.
    if (b.vaddr / PAGE === (a.end - 1n) / PAGE && a.flags !== b.flags) {
      fail(`segments at 0x${a.vaddr.toString(16)} (${a.flags}) and 0x${b.vaddr.toString(16)} (${b.flags}) share a page`);
    }
  }
  if (!segs.some((s) => s.flags.includes('x') && spec.entry >= s.vaddr && spec.entry < s.end)) {
    fail(`entry 0x${spec.entry.toString(16)} is not in an executable segment`);
  }

  const out = new Out();
  const phoff = EHDR;
  const offset = phoff + PHDR * segs.length;

  // ---- segment bytes, page-congruent --------------------------------------------------------
  const fileOff: number[] = [];
  out.bytes(new Uint8Array(offset)); // headers, written last
  for (const s of segs) {
    const want = Number(s.vaddr % PAGE);
    const here = out.length % Number(PAGE);
    out.padTo(out.length + ((want - here + Number(PAGE)) % Number(PAGE)));
    fileOff.push(out.length);
    out.bytes(s.bytes);
  }

  // ---- sections ------------------------------------------------------------------------------
  const shstr = new StrTab();
  const sections: Section[] = [{ name: '', type: 0, flags: 0n, addr: 0n, offset: 0, size: 0, link: 0, info: 0, align: 0, entsize: 0 }];
  const used = new Map<string, number>();
  const segSection: number[] = [];
  segs.forEach((s, i) => {
    const base = s.name ?? (s.flags.includes('x') ? '.text' : s.flags.includes('w') ? '.data' : '.rodata');
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    const flags = SHF.ALLOC | (s.flags.includes('w') ? SHF.WRITE : 0n) | (s.flags.includes('x') ? SHF.EXECINSTR : 0n);
    segSection.push(sections.length);
    sections.push({ name: n === 0 ? base : `${base}.${n}`, type: SHT.PROGBITS, flags, addr: s.vaddr, offset: fileOff[i]!, size: s.bytes.length, link: 0, info: 0, align: s.flags.includes('x') ? 2 : 1, entsize: 0 });
    if (s.memsz > s.bytes.length) {
      sections.push({ name: n === 0 && base === '.data' ? '.bss' : `${base}.bss`, type: SHT.NOBITS, flags, addr: s.vaddr + BigInt(s.bytes.length), offset: fileOff[i]! + s.bytes.length, size: s.memsz - s.bytes.length, link: 0, info: 0, align: 1, entsize: 0 });
    }
  });

  // Symbols: the null symbol, locals, then globals (sh_info = index of the first global).
  const strtab = new StrTab();
  const syms = [...(spec.symbols ?? [])].sort((a, b) => (a.binding === 'local' ? 0 : 1) - (b.binding === 'local' ? 0 : 1));
  const sym = new Out();
  sym.bytes(new Uint8Array(SYM));
  for (const s of syms) {
    if (s.name === '') fail('a symbol has an empty name');
    const inSeg = segs.findIndex((g) => s.value >= g.vaddr && s.value < g.end);
    sym.u32(strtab.add(s.name));
    sym.u8((STB[s.binding ?? 'global'] << 4) | STT[s.type]);
    sym.u8(0);
    sym.u16(inSeg < 0 ? SHN_ABS : segSection[inSeg]!);
    sym.u64(s.value);
    sym.u64(BigInt(s.size ?? 0));
  }
  const firstGlobal = 1 + syms.filter((s) => s.binding === 'local').length;

  const symtabIndex = sections.length;
  out.padTo(align(out.length, 8));
  sections.push({ name: '.symtab', type: SHT.SYMTAB, flags: 0n, addr: 0n, offset: out.length, size: sym.length, link: symtabIndex + 1, info: firstGlobal, align: 8, entsize: SYM });
  out.bytes(sym.result());
  const strBytes = strtab.bytes();
  sections.push({ name: '.strtab', type: SHT.STRTAB, flags: 0n, addr: 0n, offset: out.length, size: strBytes.length, link: 0, info: 0, align: 1, entsize: 0 });
  out.bytes(strBytes);
  const shstrIndex = sections.length;
  for (const s of sections) shstr.add(s.name);
  shstr.add('.shstrtab');
  const shstrBytes = shstr.bytes();
  sections.push({ name: '.shstrtab', type: SHT.STRTAB, flags: 0n, addr: 0n, offset: out.length, size: shstrBytes.length, link: 0, info: 0, align: 1, entsize: 0 });
  out.bytes(shstrBytes);

  out.padTo(align(out.length, 8));
  const shoff = out.length;
  for (const s of sections) {
    out.u32(shstr.add(s.name));
    out.u32(s.type);
    out.u64(s.flags);
    out.u64(s.addr);
    out.u64(BigInt(s.offset));
    out.u64(BigInt(s.size));
    out.u32(s.link);
    out.u32(s.info);
    out.u64(BigInt(s.align));
    out.u64(BigInt(s.entsize));
  }

  // ---- ELF header and program headers ------------------------------------------------------------
  const h = new Out();
  h.bytes(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2 /* ELFCLASS64 */, 1 /* little-endian */, 1 /* EV_CURRENT */, 0 /* SYSV */]));
  h.bytes(new Uint8Array(8));
  h.u16(ET_EXEC);
  h.u16(EM_RISCV);
  h.u32(1);
  h.u64(spec.entry);
  h.u64(BigInt(phoff));
  h.u64(BigInt(shoff));
  h.u32(spec.flags ?? EF_RISCV_RVC | EF_RISCV_FLOAT_ABI_DOUBLE);
  h.u16(EHDR);
  h.u16(PHDR);
  h.u16(segs.length);
  h.u16(SHDR);
  h.u16(sections.length);
  h.u16(shstrIndex);
  segs.forEach((s, i) => {
    h.u32(PT_LOAD);
    h.u32((s.flags.includes('r') ? PF.r : 0) | (s.flags.includes('w') ? PF.w : 0) | (s.flags.includes('x') ? PF.x : 0));
    h.u64(BigInt(fileOff[i]!));
    h.u64(s.vaddr);
    h.u64(s.vaddr);
    h.u64(BigInt(s.bytes.length));
    h.u64(BigInt(s.memsz));
    h.u64(PAGE);
  });
  const file = out.result();
  file.set(h.result(), 0);
  return file;
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
