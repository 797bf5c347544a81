/**
 * kallsyms and a %pS-style symbolizer for the simulated kernel.
 *
 * Like Linux kallsyms, a symbol extends to the next symbol (or the end of its section or
 * region), not just over its st_size: alignment padding, and with CALL_OPS the pre-function
 * sled of the following function, belong to the preceding symbol. `format` prints what
 * `printk("%pS")` prints: `bpf_fentry_test1+0x8/0x1e`, or the bare hex address when no
 * symbol covers it. Runtime regions (host calls, trampolines, ftrace_caller) are added with
 * `add` and carry an explicit size.
 */
import type { ElfFile, ElfSymbol } from '../../emulator/elf/reader';
import { SHF_ALLOC, SHF_EXECINSTR } from '../../emulator/elf/reader';

export type KsymKind = 'text' | 'data' | 'runtime';

export interface Ksym {
  readonly name: string;
  readonly addr: bigint;
  /** Linux kallsyms size: up to the next symbol or the end of the section / region. */
  readonly size: bigint;
  readonly kind: KsymKind;
  /** Module name, printed as ` [name]` after the symbol (e.g. a trampoline's `[bpf]`). */
  readonly module?: string;
}

export interface KsymLookup {
  readonly name: string;
  /** addr - symbol address. */
  readonly offset: bigint;
  readonly size: bigint;
  /** The symbol's address. */
  readonly addr: bigint;
  readonly kind: KsymKind;
  readonly module?: string;
}

export interface AddOptions {
  readonly kind?: KsymKind;
  readonly module?: string;
}

const hex = (v: bigint) => '0x' + v.toString(16);

function cmp(a: Ksym, b: Ksym): number {
  return a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0;
}

export class Kallsyms {
  /** Symbols that cover addresses, sorted by address, non-overlapping. */
  private sorted: Ksym[] = [];
  /** Every name the image or `add` defined (incl. linker symbols like _stext, _end). */
  private readonly byName = new Map<string, bigint>();

  /**
   * kallsyms of a linked image: its FUNC and OBJECT symbols, plus other named symbols in
   * allocated sections where no FUNC/OBJECT starts (e.g. `_stext` before a CALL_OPS sled).
   * Every defined symbol's address is available through addressOf.
   */
  static fromElf(elf: ElfFile): Kallsyms {
    const k = new Kallsyms();
    const bySection = new Map<number, ElfSymbol[]>();
    for (const s of elf.symbols) {
      if (s.name === '' || s.name.startsWith('$') || s.name.startsWith('.L')) continue;
      if (s.type === 'SECTION' || s.type === 'FILE') continue;
      if (s.shndx === 0) continue;
      if (!k.byName.has(s.name) || s.binding === 'GLOBAL') k.byName.set(s.name, s.value);
      const sec = s.section;
      if (!sec || (sec.flags & SHF_ALLOC) === 0n || s.value < sec.addr || s.value >= sec.addr + sec.size) continue;
      const list = bySection.get(sec.index) ?? [];
      list.push(s);
      bySection.set(sec.index, list);
    }
    const rank = (s: ElfSymbol) => (s.type === 'FUNC' || s.type === 'OBJECT' ? 0 : 1) * 4 + (s.binding === 'GLOBAL' ? 0 : s.binding === 'WEAK' ? 1 : 2);
    for (const [idx, list] of bySection) {
      const sec = elf.sections[idx]!;
      const kind: KsymKind = (sec.flags & SHF_EXECINSTR) !== 0n ? 'text' : 'data';
      // One symbol per address: FUNC/OBJECT beat linker symbols, globals beat locals.
      const best = new Map<bigint, ElfSymbol>();
      for (const s of list) {
        const cur = best.get(s.value);
        if (!cur || rank(s) < rank(cur) || (rank(s) === rank(cur) && s.name < cur.name)) best.set(s.value, s);
      }
      const starts = [...best.values()].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
      starts.forEach((s, i) => {
        const end = i + 1 < starts.length ? starts[i + 1]!.value : sec.addr + sec.size;
        k.sorted.push({ name: s.name, addr: s.value, size: end - s.value, kind });
      });
    }
    k.sorted.sort(cmp);
    return k;
  }

  /** An independent copy (symbols added to or removed from either do not show in the other). */
  clone(): Kallsyms {
    const k = new Kallsyms();
    k.sorted = this.sorted.slice();
    for (const [n, a] of this.byName) k.byName.set(n, a);
    return k;
  }

  /** Registers a runtime region (host call, trampoline, ftrace_caller) of `size` bytes. */
  add(name: string, addr: bigint, size: bigint | number, opts: AddOptions = {}): void {
    const sz = BigInt(size);
    if (sz <= 0n) throw new Error(`kallsyms: ${name}: size must be positive`);
    const a = BigInt.asUintN(64, addr);
    // The symbols are sorted and do not overlap, so only the two around the insertion point
    // can overlap the new one (the lower one first, as a scan from the start would find).
    const i = this.firstAbove(a);
    const before = this.sorted[i - 1];
    const after = this.sorted[i];
    const clash = before && a < before.addr + before.size ? before : after && after.addr < a + sz ? after : undefined;
    if (clash) throw new Error(`kallsyms: ${name} [${hex(a)}, ${hex(a + sz)}) overlaps ${clash.name} [${hex(clash.addr)}, ${hex(clash.addr + clash.size)})`);
    const sym: Ksym = { name, addr: a, size: sz, kind: opts.kind ?? 'runtime', ...(opts.module !== undefined ? { module: opts.module } : {}) };
    this.sorted.splice(i, 0, sym);
    this.byName.set(name, a);
  }

  /** Index of the first symbol starting above a (sorted.length when none does). */
  private firstAbove(a: bigint): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid]!.addr > a) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Removes the region starting at addr (a freed trampoline). True when there was one. */
  remove(addr: bigint): boolean {
    const a = BigInt.asUintN(64, addr);
    const i = this.firstAbove(a) - 1;
    if (i < 0 || this.sorted[i]!.addr !== a) return false;
    const [s] = this.sorted.splice(i, 1);
    if (this.byName.get(s!.name) === a) this.byName.delete(s!.name);
    return true;
  }

  /** The symbol covering addr, or undefined. */
  lookup(addr: bigint): KsymLookup | undefined {
    const a = BigInt.asUintN(64, addr);
    let lo = 0;
    let hi = this.sorted.length - 1;
    let found: Ksym | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.sorted[mid]!;
      if (s.addr <= a) {
        found = s;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (!found || a >= found.addr + found.size) return undefined;
    return {
      name: found.name,
      offset: a - found.addr,
      size: found.size,
      addr: found.addr,
      kind: found.kind,
      ...(found.module !== undefined ? { module: found.module } : {}),
    };
  }

  /** `%pS`: `sym+0xoff/0xsize [module]`, or `0x<hex>` when no symbol covers addr. */
  format(addr: bigint): string {
    const l = this.lookup(addr);
    if (!l) return hex(BigInt.asUintN(64, addr));
    return `${l.name}+${hex(l.offset)}/${hex(l.size)}${l.module !== undefined ? ` [${l.module}]` : ''}`;
  }

  /** `sym+0xoff` (no size), or undefined: for disassembly branch targets and comments. */
  symbolize(addr: bigint): string | undefined {
    const l = this.lookup(addr);
    if (!l) return undefined;
    return l.offset === 0n ? l.name : `${l.name}+${hex(l.offset)}`;
  }

  /** The address of a named symbol; throws when there is none. */
  addressOf(name: string): bigint {
    const a = this.byName.get(name);
    if (a === undefined) throw new Error(`kallsyms: no symbol ${name}`);
    return a;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The covering symbols, sorted by address. */
  entries(): readonly Ksym[] {
    return this.sorted;
  }
}
