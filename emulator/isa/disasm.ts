/**
 * Disassembler derived from the instruction table: prints one instruction the way binutils
 * 2.40 `objdump -d` prints it (default options: ABI register names, aliases on), so our
 * listings can be compared with real ones byte for byte.
 *
 * How a word is shown:
 * - decode() finds the table entry; entries of extensions that are not enabled are illegal;
 * - a compressed word that is an RVC HINT with an objdump spelling (table `hints`) is shown
 *   that way, else by the first matching C_ALIASES entry, else as its expansion;
 * - a base word is shown by the first matching PSEUDOS entry, else by its own syntax;
 * - operands are formatted by field kind (see fields.ts); a rounding-mode operand holding
 *   `dyn` is left out, `aq`/`rl` bits become the mnemonic suffix `.aq`/`.rl`/`.aqrl`, and
 *   an operand field the syntax cannot show must be zero (else the word is not an
 *   instruction objdump knows: `fence` with an unknown fm);
 * - illegal words become objdump's data directives (`.2byte 0x4`, `.4byte 0x...`, `.8byte`,
 *   `.byte 0x1f, 0x00, ...` for 48-bit and 80..176-bit lengths).
 *
 * objdump also remembers auipc/lui results per register and appends `# <address>` to a
 * later addi/addiw/load/store/jalr that uses that register (AddressTracker reproduces it,
 * quirks included: the state survives until the register is used, whatever happens in
 * between, and %tp/zero-based offsets are shown as addresses).
 */
import { BY_NAME, TABLE, type Entry } from './table';
import { decode, expand, fieldsOf, hintOf, type Args } from './decode';
import { FIELDS, type FieldDef, type FieldName } from './fields';
import type { Ext, PseudoDef } from './entry';
import { C_ALIASES, PSEUDOS } from './pseudo';
import { FREG_NAMES, XREG_NAMES } from './regnames';

// ---- options and results ----------------------------------------------------------------------

/** Prints an address operand or comment (branch targets, `# addr`). */
export type AddressPrinter = (addr: bigint) => string;

/** objdump on a file without symbols: `0x1234`. */
export const plainAddress: AddressPrinter = (addr) => `0x${addr.toString(16)}`;

/**
 * objdump with symbols: `1234 <sym+0x10>`; `symbolize` returns what goes between the angle
 * brackets (`sym+0x10`), or undefined to print the bare hex address.
 */
export function symbolicAddress(symbolize: (addr: bigint) => string | undefined): AddressPrinter {
  return (addr) => {
    const s = symbolize(addr);
    return s === undefined ? addr.toString(16) : `${addr.toString(16)} <${s}>`;
  };
}

export interface DisasmOptions {
  /** How addresses are printed; default plainAddress unless `symbolize` is given. */
  readonly address?: AddressPrinter;
  /** Shorthand for `address: symbolicAddress(symbolize)`. */
  readonly symbolize?: (addr: bigint) => string | undefined;
  /** Enabled extensions (default: every extension in the table). */
  readonly exts?: ReadonlySet<Ext>;
  /** objdump's auipc/lui memory across instructions; pass one per listing to get `# addr` comments. */
  readonly tracker?: AddressTracker;
}

export interface Disassembled {
  /** Bytes the instruction (or data directive) covers. */
  readonly length: number;
  /** False for words printed as data directives. */
  readonly legal: boolean;
  readonly mnemonic: string;
  readonly operands: string;
  /** The printed address after ` # `, when objdump adds one. */
  readonly comment: string | undefined;
  /** objdump's text column: mnemonic, a tab and the operands, then ` # ` and the comment. */
  readonly text: string;
  /**
   * The table entry of a legal word (the compressed entry for a compressed word; for
   * `unimp`, 0x0000, the reserved c.addi4spn pattern it belongs to).
   */
  readonly entry: Entry | undefined;
}

// ---- extensions ---------------------------------------------------------------------------------

export const ALL_TABLE_EXTS: ReadonlySet<Ext> = new Set(TABLE.map((e) => e.ext));

/**
 * The extensions of an ISA string (`rv64gc`, `rv64i2p1_m2p0_..._zba1p0`) that the table knows.
 * binutils 2.40 files the privileged instructions (sret, wfi, ...) under the base ISA, so
 * objdump shows them whenever I is there: 'S' comes with `i`, `e` and `g`.
 */
export function parseArch(arch: string): Set<Ext> {
  const out = new Set<Ext>();
  const m = /^rv(32|64)(.*)$/i.exec(arch.trim());
  if (!m) return out;
  const parts = m[2]!.toLowerCase().split('_');
  const singles = parts.shift() ?? '';
  const add = (x: string) => {
    const named: Record<string, Ext[]> = {
      i: ['I', 'S'], e: ['I', 'S'], m: ['M'], a: ['A'], f: ['F', 'Zicsr'], d: ['D', 'F', 'Zicsr'], c: ['C'],
      g: ['I', 'S', 'M', 'A', 'F', 'D', 'Zicsr', 'Zifencei'],
      zicsr: ['Zicsr'], zifencei: ['Zifencei'], zba: ['Zba'], zbb: ['Zbb'], zbs: ['Zbs'], b: ['Zba', 'Zbb', 'Zbs'],
    };
    for (const e of named[x] ?? []) out.add(e);
  };
  // Single-letter extensions, each optionally followed by a version like 2p1.
  for (const s of singles.replace(/\d+(p\d+)?/g, '')) add(s);
  for (const p of parts) add(p.replace(/\d+(p\d+)?$/, ''));
  return out;
}

/** objdump's default for code without an ISA attribute. */
export const DEFAULT_ARCH = 'rv64gc';

function enabled(e: Entry, exts: ReadonlySet<Ext>): boolean {
  return exts.has(e.ext) && (e.size === 4 || exts.has('C'));
}

// ---- instruction length -------------------------------------------------------------------------

/** Instruction length in bytes from its first halfword, as binutils 2.40 computes it (2..22). */
export function objdumpLength(lo16: number): number {
  if ((lo16 & 0x3) !== 0x3) return 2;
  if ((lo16 & 0x1f) !== 0x1f) return 4;
  if ((lo16 & 0x3f) === 0x1f) return 6;
  if ((lo16 & 0x7f) === 0x3f) return 8;
  if ((lo16 & 0x7f) === 0x7f && (lo16 & 0x7000) !== 0x7000) return 10 + ((lo16 >>> 11) & 0xe);
  return 2;
}

// ---- objdump's multi-instruction address comments -----------------------------------------------

const GP = XREG_NAMES.indexOf('gp');
const TP = XREG_NAMES.indexOf('tp');

/**
 * What objdump remembers between instructions: the value each auipc/lui left in a register
 * (until some instruction uses it as a base) and the __global_pointer$ value, if known.
 */
export class AddressTracker {
  private readonly hi: (bigint | undefined)[] = new Array<bigint | undefined>(32).fill(undefined);
  /** Set while one instruction is printed. */
  private printAddr: bigint | undefined;

  constructor(readonly gp?: bigint) {}

  /** auipc/lui wrote `value` to `reg`. */
  set(reg: number, value: bigint): void {
    this.hi[reg] = BigInt.asUintN(64, value);
  }

  /** objdump's maybe_print_address: `reg` + `offset` is used as an address. */
  use(reg: number, offset: number, wide: boolean): void {
    let a: bigint;
    const hi = this.hi[reg];
    if (hi !== undefined) {
      a = (reg !== 0 ? hi : 0n) + BigInt(offset);
      this.hi[reg] = undefined;
    } else if (reg === GP && this.gp !== undefined) a = this.gp + BigInt(offset);
    else if (reg === TP || reg === 0) a = BigInt(offset);
    else return;
    this.printAddr = BigInt.asUintN(64, wide ? BigInt.asIntN(32, a) : a);
  }

  /** The address to print after the instruction just formatted, if any (clears it). */
  take(): bigint | undefined {
    const a = this.printAddr;
    this.printAddr = undefined;
    return a;
  }
}

// ---- CSR names ----------------------------------------------------------------------------------

/**
 * Every CSR name objdump 2.40 prints (latest privileged spec). `n..m` numbers a run of
 * consecutive CSRs; a trailing `h` after the range is part of each name.
 */
const CSR_SPEC =
  '1:fflags 2:frm 3:fcsr 8:vstart 9:vxsat a:vxrm f:vcsr 15:seed 100:sstatus 104:sie 105:stvec 106:scounteren ' +
  '10a:senvcfg 10c:sstateen0..3 114:sieh 140:sscratch 141:sepc 142:scause 143:stval 144:sip 14d:stimecmp ' +
  '150:siselect 151:sireg 154:siph 15c:stopei 15d:stimecmph 180:satp 200:vsstatus 204:vsie 205:vstvec 214:vsieh ' +
  '240:vsscratch 241:vsepc 242:vscause 243:vstval 244:vsip 24d:vstimecmp 250:vsiselect 251:vsireg 254:vsiph ' +
  '25c:vstopei 25d:vstimecmph 280:vsatp 300:mstatus 301:misa 302:medeleg 303:mideleg 304:mie 305:mtvec ' +
  '306:mcounteren 308:mvien 309:mvip 30a:menvcfg 30c:mstateen0..3 310:mstatush 313:midelegh 314:mieh 318:mvienh ' +
  '319:mviph 31a:menvcfgh 31c:mstateen0..3h 320:mcountinhibit 323:mhpmevent3..31 340:mscratch 341:mepc ' +
  '342:mcause 343:mtval 344:mip 34a:mtinst 34b:mtval2 350:miselect 351:mireg 354:miph 35c:mtopei ' +
  '3a0:pmpcfg0..15 3b0:pmpaddr0..63 5a8:scontext 600:hstatus 602:hedeleg 603:hideleg 604:hie 605:htimedelta ' +
  '606:hcounteren 607:hgeie 608:hvien 609:hvictl 60a:henvcfg 60c:hstateen0..3 613:hidelegh 615:htimedeltah ' +
  '618:hvienh 61a:henvcfgh 61c:hstateen0..3h 643:htval 644:hip 645:hvip 646:hviprio1 647:hviprio2 64a:htinst ' +
  '655:hviph 656:hviprio1h 657:hviprio2h 680:hgatp 6a8:hcontext 723:mhpmevent3..31h 747:mseccfg 757:mseccfgh ' +
  '7a0:tselect 7a1:tdata1..3 7a4:tinfo 7a5:tcontrol 7a8:mcontext 7aa:mscontext 7b0:dcsr 7b1:dpc 7b2:dscratch0 ' +
  '7b3:dscratch1 b00:mcycle b02:minstret b03:mhpmcounter3..31 b80:mcycleh b82:minstreth b83:mhpmcounter3..31h ' +
  'c00:cycle c01:time c02:instret c03:hpmcounter3..31 c20:vl c21:vtype c22:vlenb c80:cycleh c81:timeh ' +
  'c82:instreth c83:hpmcounter3..31h da0:scountovf db0:stopi e12:hgeip eb0:vstopi f11:mvendorid f12:marchid ' +
  'f13:mimpid f14:mhartid f15:mconfigptr fb0:mtopi';

export const OBJDUMP_CSR_NAMES: ReadonlyMap<number, string> = (() => {
  const m = new Map<number, string>();
  for (const item of CSR_SPEC.split(' ')) {
    const [num, name] = item.split(':') as [string, string];
    const base = parseInt(num, 16);
    const range = /^(.*?)(\d+)\.\.(\d+)(h?)$/.exec(name);
    if (!range) {
      m.set(base, name);
      continue;
    }
    const [, prefix, from, to, suffix] = range;
    for (let i = Number(from); i <= Number(to); i++) m.set(base + i - Number(from), `${prefix}${i}${suffix}`);
  }
  return m;
})();

// ---- operand formatting -------------------------------------------------------------------------

const RM_NAMES = ['rne', 'rtz', 'rdn', 'rup', 'rmm', 'unknown', 'unknown', 'dyn'];
const RM_DYN = 7;
/** Fence set bits, most significant first, as objdump spells them. */
const FENCE_BITS = 'iorw';

function fenceSet(v: number): string {
  let s = '';
  for (let i = 0; i < 4; i++) if (v & (8 >> i)) s += FENCE_BITS[i];
  return s === '' ? 'unknown' : s;
}

interface Token {
  readonly field: FieldName | undefined;
  readonly text: string;
}

const syntaxCache = new Map<string, Token[]>();

/** Splits a syntax string into field names and literal text. */
function tokens(syntax: string): Token[] {
  let t = syntaxCache.get(syntax);
  if (t) return t;
  t = [];
  for (const piece of syntax.split(/([A-Za-z_][A-Za-z0-9_.]*)/)) {
    if (piece === '') continue;
    t.push({ field: piece in FIELDS ? (piece as FieldName) : undefined, text: piece });
  }
  syntaxCache.set(syntax, t);
  return t;
}

function formatField(def: FieldDef, v: number, pc: bigint, address: AddressPrinter): string {
  switch (def.kind) {
    case 'xreg': return XREG_NAMES[v] ?? `x${v}`;
    case 'freg': return FREG_NAMES[v] ?? `f${v}`;
    case 'imm':
    case 'uimm':
    case 'bit': return String(v);
    case 'hex': return `0x${v.toString(16)}`;
    case 'upper': return `0x${((v >>> 12) & 0xfffff).toString(16)}`;
    case 'target': return address(BigInt.asUintN(64, pc + BigInt(v)));
    case 'csr': return OBJDUMP_CSR_NAMES.get(v) ?? `0x${v.toString(16)}`;
    case 'fence': return fenceSet(v);
    case 'rm': return RM_NAMES[v] ?? 'unknown';
  }
}

// ---- alias lookup -------------------------------------------------------------------------------

function byEntry(list: readonly PseudoDef[]): Map<string, PseudoDef[]> {
  const m = new Map<string, PseudoDef[]>();
  for (const a of list) {
    if (!BY_NAME.has(a.of)) throw new Error(`disasm: alias ${a.name} is of unknown entry ${a.of}`);
    let l = m.get(a.of);
    if (!l) m.set(a.of, (l = []));
    l.push(a);
  }
  return m;
}

const PSEUDOS_OF = byEntry(PSEUDOS);
const C_ALIASES_OF = byEntry(C_ALIASES);

function aliasMatches(a: PseudoDef, args: Args): boolean {
  for (const [f, v] of Object.entries(a.fixed) as [FieldName, number][]) if (args[f] !== v) return false;
  if (a.same && args[a.same[0]] !== args[a.same[1]]) return false;
  return true;
}

// ---- the printed form of one instruction -------------------------------------------------------

/** What will be printed: a name, a syntax, and the entry whose fields the syntax names. */
interface Form {
  readonly name: string;
  readonly syntax: string;
  readonly entry: Entry;
  readonly args: Args;
  /** Fields fixed by the alias or hidden by `same` (they need not appear in the syntax). */
  readonly covered: ReadonlySet<FieldName>;
}

function aliasForm(entry: Entry, args: Args, aliases: readonly PseudoDef[] | undefined): Form | undefined {
  for (const a of aliases ?? []) {
    if (!aliasMatches(a, args)) continue;
    const covered = new Set(Object.keys(a.fixed) as FieldName[]);
    if (a.same) covered.add(a.same[1]);
    return { name: a.name, syntax: a.syntax, entry, args, covered };
  }
  return undefined;
}

/** objdump's spelling of an RVC HINT (`c.nop 1`), if the word is one and objdump has one. */
function hintForm(entry: Entry, args: Args): Form | undefined {
  const h = hintOf(entry, args);
  if (!h?.objdump) return undefined;
  return { name: h.objdump.name, syntax: h.objdump.syntax, entry, args, covered: new Set(Object.keys(h.fixed) as FieldName[]) };
}

function formOf(entry: Entry, args: Args, aliases: readonly PseudoDef[] | undefined): Form {
  return aliasForm(entry, args, aliases) ?? { name: entry.name, syntax: entry.syntax, entry, args, covered: new Set() };
}

/** Base-instruction field that a compressed field becomes in the expansion, if any. */
function expandedField(c: Entry, f: FieldName): FieldName | undefined {
  for (const [to, src] of Object.entries(c.expand?.args ?? {})) if (src === f) return to as FieldName;
  return undefined;
}

interface Printed {
  readonly mnemonic: string;
  readonly operands: string;
}

/**
 * Formats a form; returns undefined when the word has an operand the form cannot show
 * (objdump then prints it as data).
 */
function printForm(form: Form, pc: bigint, address: AddressPrinter): Printed | undefined {
  const toks = tokens(form.syntax);
  const shown = new Set(toks.filter((t) => t.field).map((t) => t.field!));
  let suffix = '';
  for (const [f, def] of form.entry.defs) {
    if (shown.has(f) || form.covered.has(f)) continue;
    const v = form.args[f] ?? 0;
    if (def.kind === 'bit') {
      if (v !== 0) suffix += f;
    } else if (v !== 0) return undefined;
  }
  const parts: string[] = [];
  for (const t of toks) {
    if (!t.field) {
      parts.push(t.text);
      continue;
    }
    const def = FIELDS[t.field];
    const v = form.args[t.field] ?? 0;
    if (def.kind === 'rm' && v === RM_DYN) {
      if (parts[parts.length - 1] === ',') parts.pop();
      continue;
    }
    parts.push(formatField(def, v, pc, address));
  }
  return { mnemonic: suffix ? `${form.name}.${suffix}` : form.name, operands: parts.join('') };
}

/**
 * Feeds objdump's address memory: auipc/lui set it; addi/addiw immediates, memory operands
 * and jalr base registers use it (how often and in which order matters: see riscv-dis.c
 * print_insn_args, cases 'o', 'j', 's', 'q', 'Co', 'd').
 */
function track(tracker: AddressTracker, decoded: Entry, form: Form, base: { entry: Entry; args: Args }, pc: bigint): void {
  const name = base.entry.name;
  const a = base.args;
  if (name === 'auipc') tracker.set(a.rd!, pc + BigInt(a.imm20!));
  else if (name === 'lui') tracker.set(a.rd!, BigInt(a.imm20!));
  const toks = tokens(form.syntax);
  if (decoded.size === 2) {
    // Only c.addi/c.addiw ('Co') consult the memory: their immediate, with rs1 = rd from a field.
    if (name !== 'addi' && name !== 'addiw') return;
    const rs1Src = decoded.expand?.args.rs1;
    if (typeof rs1Src !== 'string' || a.rs1 === 0) return;
    const asBase = (f: FieldName) => (form.entry === decoded ? expandedField(decoded, f) : f);
    const immShown = toks.some((t) => t.field !== undefined && asBase(t.field) === 'imm12');
    if (immShown) tracker.use(a.rs1!, a.imm12!, name === 'addiw');
    return;
  }
  for (let i = 0; i < toks.length; i++) {
    const f = toks[i]!.field;
    if (!f) continue;
    const inMemory = toks[i + 1]?.text.startsWith('(') === true;
    if ((f === 'imm12' || f === 'simm12') && inMemory) {
      tracker.use(a.rs1!, a[f]!, false);
      if (name === 'jalr') tracker.use(a.rs1!, a.imm12!, false);
    } else if (f === 'imm12' && name === 'addi' && a.rs1 !== 0) tracker.use(a.rs1!, a.imm12!, false);
    else if (f === 'imm12' && name === 'addiw' && a.rs1 !== 0) tracker.use(a.rs1!, a.imm12!, true);
    else if (f === 'rs1' && name === 'jalr') tracker.use(a.rs1!, a.imm12!, false);
  }
}

// ---- data directives ----------------------------------------------------------------------------

function hexBytesLE(bytes: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let i = n - 1; i >= 0; i--) s += (bytes[at + i] ?? 0).toString(16).padStart(2, '0');
  return s;
}

/** objdump's text for an instruction it does not know (binutils 2.40 wording). */
function dataDirective(bytes: Uint8Array, at: number, length: number): Printed {
  if (length === 2 || length === 4 || length === 8) {
    const v = BigInt(`0x${hexBytesLE(bytes, at, length)}`);
    return { mnemonic: `.${length}byte`, operands: `0x${v.toString(16)}` };
  }
  const items: string[] = [];
  for (let i = 0; i < length; i++) items.push(`0x${(bytes[at + i] ?? 0).toString(16).padStart(2, '0')}`);
  return { mnemonic: '.byte', operands: items.join(', ') };
}

function result(p: Printed, length: number, legal: boolean, entry: Entry | undefined, comment: string | undefined): Disassembled {
  let text = p.operands === '' ? p.mnemonic : `${p.mnemonic}\t${p.operands}`;
  if (comment !== undefined) text += ` # ${comment}`;
  return { length, legal, mnemonic: p.mnemonic, operands: p.operands, comment, text, entry };
}

// ---- entry points -------------------------------------------------------------------------------

/** Finds an alias of an entry whose bit pattern matches a word the decoder rejected (unimp). */
function reservedAlias(word: number, size: 2 | 4, exts: ReadonlySet<Ext>): Form | undefined {
  for (const list of [C_ALIASES, PSEUDOS]) {
    for (const a of list) {
      const e = BY_NAME.get(a.of)!;
      if (e.size !== size || !enabled(e, exts) || ((word & e.mask) >>> 0) !== e.match) continue;
      const args = fieldsOf(e, word);
      // The alias must itself name the reserved values the decoder refused.
      const refused = [...(e.nonzero ?? []).filter((f) => args[f] === 0), ...Object.keys(e.not ?? {}).filter((f) => args[f as FieldName] === e.not![f as FieldName])];
      if (refused.length === 0 || refused.some((f) => !(f in a.fixed))) continue;
      const form = aliasForm(e, args, [a]);
      if (form) return form;
    }
  }
  return undefined;
}

/**
 * Disassembles the instruction at `bytes[at]`, whose address is `pc`. Returns undefined when
 * the instruction's length (from its first halfword) runs past the end of `bytes`; objdump
 * then reports the address as out of bounds.
 */
export function disasmAt(bytes: Uint8Array, at: number, pc: bigint, opts: DisasmOptions = {}): Disassembled | undefined {
  if (at + 2 > bytes.length) return undefined;
  const lo16 = bytes[at]! | (bytes[at + 1]! << 8);
  const length = objdumpLength(lo16);
  if (at + length > bytes.length) return undefined;
  const exts = opts.exts ?? ALL_TABLE_EXTS;
  const address = opts.address ?? (opts.symbolize ? symbolicAddress(opts.symbolize) : plainAddress);
  if (length !== 2 && length !== 4) return result(dataDirective(bytes, at, length), length, false, undefined, undefined);
  const word = length === 2 ? lo16 : (lo16 | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;

  const d = decode(word);
  let form: Form | undefined;
  let base: { entry: Entry; args: Args } | undefined;
  if (d && enabled(d.entry, exts)) {
    base = d.base;
    if (d.entry.size === 2) {
      // Without a hint spelling or compressed alias, objdump shows the expansion (through its own aliases).
      form = hintForm(d.entry, d.args) ?? aliasForm(d.entry, d.args, C_ALIASES_OF.get(d.entry.name)) ??
        formOf(d.base.entry, d.base.args, PSEUDOS_OF.get(d.base.entry.name));
    } else {
      form = formOf(d.entry, d.args, PSEUDOS_OF.get(d.entry.name));
    }
  } else if (!d) {
    form = reservedAlias(word, length, exts);
    if (form) base = expand(form.entry, form.args);
  }
  const printed = form && printForm(form, pc, address);
  if (!form || !base || !printed) return result(dataDirective(bytes, at, length), length, false, undefined, undefined);
  let comment: string | undefined;
  if (opts.tracker) {
    track(opts.tracker, d?.entry ?? form.entry, form, base, pc);
    const a = opts.tracker.take();
    if (a !== undefined) comment = address(a);
  }
  return result(printed, length, true, d?.entry ?? form.entry, comment);
}

/**
 * Disassembles one 16-bit or 32-bit instruction word at address `pc` (a word whose low two
 * bits are not 11 is a 16-bit instruction; its upper half is ignored). A 32-bit word that
 * only starts a longer (48-bit and up) encoding is shown as `.4byte`, since the rest is unknown.
 */
export function disasm(word: number, pc: bigint, opts: DisasmOptions = {}): Disassembled {
  const w = word >>> 0;
  const n = objdumpLength(w & 0xffff) === 2 ? 2 : 4;
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = (w >>> (8 * i)) & 0xff;
  const r = disasmAt(bytes, 0, pc, opts);
  return r ?? result(dataDirective(bytes, 0, 4), 4, false, undefined, undefined);
}
