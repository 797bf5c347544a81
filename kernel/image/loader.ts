/**
 * Loads a committed kernel image (out/<layout>.elf, built by build.sh) into a Machine: maps
 * each allocated section with its permissions (text rx, rodata r, data/bss rw), and returns
 * the layout, kallsyms and the ftrace sleds recorded in `__patchable_function_entries`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Machine } from '../../emulator/cpu/machine';
import { PAGE_SIZE } from '../../emulator/memory/memory';
import { readElf, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHT_NOBITS, type ElfFile, type ElfSymbol } from '../../emulator/elf/reader';
import { Kallsyms } from './kallsyms';
import { getLayout, type LayoutName, type SledLayout } from './layouts';
import { repoRoot } from './repo-root';

/** One ftrace patch site. */
export interface Sled {
  /** First byte of the sled: the address recorded in __patchable_function_entries. */
  readonly address: bigint;
  /** The function it belongs to. */
  readonly func: string;
  /** The function's symbol address: address + layout.bytesBefore. */
  readonly funcAddr: bigint;
  /** Sled bytes in total (layout.sledBytes). */
  readonly size: number;
  /** Sled bytes before the symbol (layout.bytesBefore: the CALL_OPS literal slot). */
  readonly before: number;
}

export type SectionPerm = 'rx' | 'r' | 'rw';

export interface MappedSection {
  readonly name: string;
  readonly addr: bigint;
  readonly size: bigint;
  readonly perm: SectionPerm;
}

export interface KernelImage {
  readonly layout: SledLayout;
  /** Path of the ELF file that was loaded (the ELF's name when given as LoadOptions.elf). */
  readonly path: string;
  readonly elf: ElfFile;
  readonly kallsyms: Kallsyms;
  /** The image's function symbols by name. */
  readonly functions: ReadonlyMap<string, ElfSymbol>;
  /** One sled per traceable function, in address order. */
  readonly sleds: readonly Sled[];
  readonly sections: readonly MappedSection[];
  /** [_stext, _etext) */
  readonly text: { readonly start: bigint; readonly end: bigint };
  /** _end: first address after the image (page-aligned). */
  readonly end: bigint;
  /** linux_banner, without the trailing newline. */
  readonly banner: string;
  /** Address of a symbol; throws when the image has none. */
  sym(name: string): bigint;
  /** The sled of a function; throws when it has none. */
  sledOf(func: string): Sled;
}

export function imagePath(layout: LayoutName): string {
  return path.join(repoRoot(), 'kernel', 'image', 'out', `${layout}.elf`);
}

const parsed = new Map<LayoutName, ElfFile>();

/** The parsed committed image of a layout (read once per process). */
export function readKernelElf(layout: LayoutName): ElfFile {
  let elf = parsed.get(layout);
  if (!elf) {
    const p = imagePath(layout);
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(p);
    } catch (e) {
      throw new Error(`kernel image ${layout}: cannot read ${p} (${(e as Error).message}); run \`npm run build:kernel\``);
    }
    elf = readElf(bytes, `${layout}.elf`);
    parsed.set(layout, elf);
  }
  return elf;
}

function sectionPerm(flags: bigint): SectionPerm {
  if ((flags & SHF_EXECINSTR) !== 0n) return 'rx';
  if ((flags & SHF_WRITE) !== 0n) return 'rw';
  return 'r';
}

const pageDown = (a: bigint) => a - (a % BigInt(PAGE_SIZE));
const pageUp = (a: bigint) => pageDown(a + BigInt(PAGE_SIZE) - 1n);
const hex = (v: bigint) => '0x' + v.toString(16);

/** Checks that the image was built for the layout it is filed under (rvtramp_image_info). */
function checkImageInfo(elf: ElfFile, layout: SledLayout): void {
  const info = elf.symbol('rvtramp_image_info');
  const sec = info?.section;
  if (!info || !sec || info.size < 16n) throw new Error(`kernel image ${layout.name}: no rvtramp_image_info`);
  const off = Number(info.value - sec.addr);
  const v = new DataView(sec.bytes.buffer, sec.bytes.byteOffset + off, 16);
  const got = { total: v.getUint32(0, true), before: v.getUint32(4, true), nop: v.getUint32(8, true), align: v.getUint32(12, true) };
  const want = { total: layout.nops, before: layout.nopsBefore, nop: layout.nopSize, align: layout.funcAlign ?? 0 };
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    throw new Error(`kernel image ${layout.name}: built for ${JSON.stringify(got)}, expected ${JSON.stringify(want)}; run \`npm run build:kernel\``);
  }
}

/**
 * What loading an image derives from its ELF alone (the same for every machine it is loaded
 * into): the pages to map, the sections, kallsyms, the functions and their sleds. Computed once
 * per (ELF, layout); each load maps and writes the pages and gets its own kallsyms copy.
 */
interface ImageTemplate {
  /** Every page of an allocated section, in section order: address, permission, first section on it. */
  readonly pages: readonly (readonly [bigint, SectionPerm, string])[];
  /** The same pages as runs of adjacent pages with one permission (one map() each). */
  readonly runs: readonly (readonly [bigint, number, SectionPerm])[];
  readonly sections: readonly MappedSection[];
  readonly kallsyms: Kallsyms;
  readonly functions: ReadonlyMap<string, ElfSymbol>;
  readonly sleds: readonly Sled[];
  readonly sledByFunc: ReadonlyMap<string, Sled>;
}

const templates = new WeakMap<ElfFile, Map<string, ImageTemplate>>();

function imageTemplate(elf: ElfFile, layout: SledLayout): ImageTemplate {
  let byLayout = templates.get(elf);
  if (!byLayout) templates.set(elf, (byLayout = new Map()));
  let t = byLayout.get(layout.name);
  if (!t) byLayout.set(layout.name, (t = makeTemplate(elf, layout)));
  return t;
}

function makeTemplate(elf: ElfFile, layout: SledLayout): ImageTemplate {
  checkImageInfo(elf, layout);
  const sections: MappedSection[] = [];
  const pagePerm = new Map<bigint, SectionPerm>();
  const pages: [bigint, SectionPerm, string][] = [];
  for (const s of elf.sections) {
    if ((s.flags & SHF_ALLOC) === 0n || s.size === 0n) continue;
    const perm = sectionPerm(s.flags);
    for (let p = pageDown(s.addr); p < pageUp(s.addr + s.size); p += BigInt(PAGE_SIZE)) {
      const had = pagePerm.get(p);
      if (had !== undefined && had !== perm) throw new Error(`kernel image ${layout.name}: page ${hex(p)} holds sections needing ${had} and ${perm} (${s.name})`);
      if (had === undefined) pages.push([p, perm, s.name]);
      pagePerm.set(p, perm);
    }
    sections.push({ name: s.name, addr: s.addr, size: s.size, perm });
  }

  const kallsyms = Kallsyms.fromElf(elf);
  const functions = new Map<string, ElfSymbol>();
  const funcAt = new Map<bigint, ElfSymbol>();
  for (const s of elf.symbols) {
    if (s.type !== 'FUNC' || s.shndx === 0) continue;
    functions.set(s.name, s);
    funcAt.set(s.value, s);
  }

  const sleds: Sled[] = elf.patchableEntries().map((e) => {
    const funcAddr = e.address + BigInt(layout.bytesBefore);
    const f = funcAt.get(funcAddr);
    if (!f) throw new Error(`kernel image ${layout.name}: the sled at ${hex(e.address)} belongs to no function (expected one at ${hex(funcAddr)})`);
    return { address: e.address, func: f.name, funcAddr, size: layout.sledBytes, before: layout.bytesBefore };
  });
  sleds.sort((a, b) => (a.address < b.address ? -1 : 1));
  const sledByFunc = new Map(sleds.map((s) => [s.func, s]));
  const runs: [bigint, number, SectionPerm][] = [];
  for (const [p, perm] of pages) {
    const last = runs[runs.length - 1];
    if (last && last[2] === perm && last[0] + BigInt(last[1]) === p) last[1] += PAGE_SIZE;
    else runs.push([p, PAGE_SIZE, perm]);
  }
  return { pages, runs, sections, kallsyms, functions, sleds, sledByFunc };
}

export interface LoadOptions {
  /** Load this image instead of the committed one (e.g. a rebuilt or deliberately altered image). */
  readonly elf?: ElfFile;
}

/**
 * Maps the image of `layout` into the machine. The machine must not have anything mapped
 * where the image goes. Sections are mapped page by page with their permissions; two
 * sections that need different permissions on one page are an error (kernel.lds gives every
 * output section its own pages).
 */
export function loadKernelImage(machine: Machine, layoutName: LayoutName, opts: LoadOptions = {}): KernelImage {
  const layout = getLayout(layoutName);
  const elf = opts.elf ?? readKernelElf(layout.name);
  const t = imageTemplate(elf, layout);
  const mem = machine.memory;
  for (const [p, , name] of t.pages) if (mem.isMapped(p)) throw new Error(`kernel image ${layout.name}: ${hex(p)} (${name}) is already mapped`);
  for (const [p, size, perm] of t.runs) mem.map(p, size, perm);
  for (const s of elf.sections) {
    if ((s.flags & SHF_ALLOC) === 0n || s.size === 0n || s.type === SHT_NOBITS) continue;
    mem.writeBytes(s.addr, s.bytes, true);
  }
  const kallsyms = t.kallsyms.clone();
  const { sections, functions, sleds, sledByFunc } = t;

  const bannerAddr = kallsyms.addressOf('linux_banner');
  const bannerSym = elf.symbol('linux_banner')!;
  const bannerBytes = mem.readBytes(bannerAddr, Number(bannerSym.size));
  const banner = Buffer.from(bannerBytes).toString('latin1').replace(/\0.*$/s, '').replace(/\n$/, '');

  return {
    layout,
    path: opts.elf ? opts.elf.name : imagePath(layout.name),
    elf,
    kallsyms,
    functions,
    sleds,
    sections,
    text: { start: kallsyms.addressOf('_stext'), end: kallsyms.addressOf('_etext') },
    end: kallsyms.addressOf('_end'),
    banner,
    sym: (name) => kallsyms.addressOf(name),
    sledOf: (func) => {
      const s = sledByFunc.get(func);
      if (!s) throw new Error(`kernel image ${layout.name}: ${func} has no ftrace sled`);
      return s;
    },
  };
}
