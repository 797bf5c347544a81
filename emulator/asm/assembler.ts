/**
 * The assembler's builder API: RV64 machine code from TypeScript, for the kernel model
 * (ftrace_caller, BPF trampolines, patched sleds) and for tests.
 *
 * ```ts
 * const a = new Assembler({ base: 0xffffffff80001000n, compressed: false });
 * a.label('loop');
 * a.addi(A0, A0, 1);            // named methods, operands in assembly order
 * a.bnez(A0, 'loop');           // labels, forward or backward
 * a.sd(RA, 8, SP);              // sd ra, 8(sp)
 * a.li(T0, 0x123456789abcdef0n);
 * a.call(0xffffffff80002000n);  // auipc ra + jalr ra
 * const prog = a.finish();      // { bytes, symbols, address(label), listing }
 * ```
 *
 * Every instruction goes through the table: a mnemonic's forms come from the entry's syntax
 * string and pseudo.ts (forms.ts), encoding is isa/encode.ts, and RVC forms are found by
 * inverting the table's expansions (compress.ts). Nothing here knows an opcode.
 *
 * Layout happens in `finish()`: instructions whose size depends on a label (a branch that may
 * become c.beqz / c.bnez / c.j) start short and grow until every one fits, so the result is
 * the same for forward and backward references. Everything is in one section at `base`;
 * expressions are evaluated, never left as relocations.
 */
import { FIELDS, insert, misfit, type FieldKind, type FieldName } from '../isa/fields';
import { encode, checkOperands, EncodeError } from '../isa/encode';
import { entry as lookup, type Entry } from '../isa/table';
import { xreg, freg, CSR_NAMES, XREG_NAMES, FREG_NAMES } from '../isa/regnames';
import type { Args } from '../isa/decode';
import { AsmError } from './errors';
import { evaluate, format, isExpr, num, sym, type EvalEnv, type Expr } from './expr';
import { FORMS, formsOf, defaultFieldValue, fenceSet, fitsSlot, ROUNDING_MODES, type Form, type Slot } from './forms';
import { compress, mayCompress, spellingFilter, type RvcFilter } from './compress';
import { liSequence } from './li';
import { methodName, type InsnMethods, type Operand, type Reg, type Imm, type Target } from './methods';
import { EncodedMemo } from './encoded';

export type { Operand, Reg, Imm, Target, Csr, FenceSet } from './methods';


export interface AssemblerOptions {
  /** Address of the first byte. Default 0. */
  readonly base?: bigint;
  /** Emit RVC forms where an instruction and its operands have one (`.option rvc`). Default false. */
  readonly compressed?: boolean;
  /** Symbols defined elsewhere (absolute addresses or constants), usable in every expression. */
  readonly symbols?: Readonly<Record<string, bigint | number>> | ReadonlyMap<string, bigint | number>;
}

/** One instruction or datum of the output, for listings and test diagnostics. */
export interface ListingLine {
  readonly address: bigint;
  readonly size: number;
  readonly text: string;
  readonly line?: number;
}

/** The assembled code. All addresses are bigint. */
export interface Program {
  readonly base: bigint;
  /** First address after the code. */
  readonly end: bigint;
  readonly bytes: Uint8Array;
  /** Labels by name, except assembler-local ones (`.L...`, numeric `1:`). */
  readonly symbols: ReadonlyMap<string, bigint>;
  readonly listing: readonly ListingLine[];
  /** Address of any label, local ones included; throws AsmError for an unknown one. */
  address(label: string): bigint;
}

/** Where an item came from, for error messages: the statement as written, and its line. */
export interface Where {
  readonly text: string;
  readonly line?: number;
}

/** A field value that needs the final layout: a label, `.`, or a pc-relative operator. */
interface Pending {
  readonly expr: Expr;
  /** target: address -> offset from pc; upper: 20-bit value -> imm20 field; value: as is. */
  readonly as: 'target' | 'upper' | 'value';
}
type FieldValue = number | Pending;

/** Operand names for messages, or how to make them (only an error needs them). */
type Names = Readonly<Partial<Record<FieldName, string>>> | (() => Readonly<Partial<Record<FieldName, string>>>);
const NO_NAMES: Readonly<Partial<Record<FieldName, string>>> = {};
const namesOf = (n: Names): Readonly<Partial<Record<FieldName, string>>> => (typeof n === 'function' ? n() : n);

type Item =
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly where: Where; readonly listed: boolean }
  /** An instruction already encoded (every operand was known when it was emitted). */
  | { readonly kind: 'code'; readonly word: number; readonly size: 2 | 4; readonly where: Where }
  | {
      readonly kind: 'insn';
      readonly entry: Entry;
      readonly args: Readonly<Partial<Record<FieldName, FieldValue>>>;
      readonly names: Names;
      /** May be replaced by an RVC form (then size starts at 2 and may grow to 4). */
      readonly shrink: boolean;
      readonly allow: RvcFilter | undefined;
      size: 2 | 4;
      readonly where: Where;
    }
  | { readonly kind: 'data'; readonly width: 1 | 2 | 4 | 8; readonly expr: Expr; readonly where: Where }
  | { readonly kind: 'align'; readonly to: number; readonly fill: number | 'nop'; readonly where: Where }
  | { readonly kind: 'label'; readonly name: string; readonly where: Where };

/** Instructions (op) and li sequences already encoded once, by what was written (encoded.ts). */
const OP_MEMO = new EncodedMemo<Form>();
const LI_MEMO = new EncodedMemo<undefined>();

/** The address of item i (i = items.length: the end) once laid out. */
type Addr = (i: number) => bigint;

/** Thrown by the constant evaluator for anything that needs the layout. */
const NOT_CONST = Symbol('not constant');

/** Alignment padding in code: nop (addi x0,x0,0) and c.nop (c.addi x0,0). */
const NOP = encode('addi', { rd: 0, rs1: 0, imm12: 0 });
const C_NOP = encode('c.addi', { crd: 0, c_imm6: 0 });
const AUIPC = lookup('auipc');
const ADDI = lookup('addi');
const JALR = lookup('jalr');
const CSR_BY_NAME: ReadonlyMap<string, number> = new Map([...CSR_NAMES].map(([n, name]) => [name, n]));

/** An operand as assembly text; a number in a register slot is shown as the register. */
function show(op: Operand, slot?: Slot): string {
  if (typeof op === 'number' && slot && 'field' in slot && (slot.kind === 'xreg' || slot.kind === 'freg')) {
    return (slot.kind === 'xreg' ? XREG_NAMES : FREG_NAMES)[op] ?? `${op}`;
  }
  if (typeof op === 'bigint') return `0x${BigInt.asUintN(64, op).toString(16)}`;
  if (typeof op === 'number') return `${op}`;
  if (typeof op === 'string') return op;
  return format(op);
}

const regText = (op: Operand): string => (typeof op === 'number' ? XREG_NAMES[op] ?? `${op}` : show(op));

function toExpr(op: Operand): Expr {
  if (isExpr(op)) return op;
  if (typeof op === 'string') return sym(op);
  if (typeof op === 'number' && !Number.isSafeInteger(op)) throw new AsmError(`${op} is not an integer`);
  return num(op);
}

function le(bytes: Uint8Array, at: number, value: bigint, width: number): void {
  for (let i = 0; i < width; i++) bytes[at + i] = Number((value >> BigInt(8 * i)) & 0xffn);
}

/** An instruction word (a uint32 number) in 2 or 4 little-endian bytes. */
function leWord(bytes: Uint8Array, at: number, word: number, size: 2 | 4): void {
  bytes[at] = word & 0xff;
  bytes[at + 1] = (word >>> 8) & 0xff;
  if (size === 4) {
    bytes[at + 2] = (word >>> 16) & 0xff;
    bytes[at + 3] = (word >>> 24) & 0xff;
  }
}

/**
 * Wheres whose text is only built when something reads it (an error message, the listing):
 * most instructions are never reported, and building every text was much of the assembler's
 * time. Classes, so the getter lives on the prototype.
 */
class LazyWhere implements Where {
  private made: string | undefined;
  constructor(private readonly make: () => string) {}
  get text(): string {
    return (this.made ??= this.make());
  }
}
const lazyWhere = (make: () => string): Where => new LazyWhere(make);

/** `name operands` as written, registers by ABI name when the form is known (Assembler.op). */
class OpWhere implements Where {
  private made: string | undefined;
  constructor(private readonly name: string, private readonly operands: readonly Operand[], private readonly form: Form | undefined) {}
  get text(): string {
    return (this.made ??= `${this.name} ${this.operands.map((o, i) => show(o, this.form?.slots[i])).join(', ')}`.trim());
  }
}

/** `call rd, address`. */
class CallWhere implements Where {
  private made: string | undefined;
  constructor(private readonly link: number, private readonly target: bigint) {}
  get text(): string {
    return (this.made ??= `call ${regText(this.link)}, ${show(this.target)}`);
  }
}

/** `name {json args}`: the text of an instruction given as raw fields (Assembler.insn). */
class RawWhere implements Where {
  private made: string | undefined;
  constructor(private readonly name: string, private readonly args: Args) {}
  get text(): string {
    return (this.made ??= `${this.name} ${JSON.stringify(this.args)}`);
  }
}

/**
 * What finish() returns. Symbols and the listing are made when first read: generated code
 * (trampolines, property-test modules) is assembled all the time and mostly only its bytes
 * and a label or two are ever looked at.
 */
class Assembled implements Program {
  readonly end: bigint;
  private syms: Map<string, bigint> | undefined;
  private lines: ListingLine[] | undefined;
  constructor(
    readonly base: bigint,
    readonly bytes: Uint8Array,
    /** Offset of each item from base (the layout), and of the end at [n]. */
    private readonly off: readonly number[],
    /** The items laid out: the first n (an assembler may go on after finish()). */
    private readonly n: number,
    private readonly items: readonly Item[],
    /** The assembler's labels (item indexes); those at n or beyond came after finish(). */
    private readonly labels: ReadonlyMap<string, number>,
  ) {
    this.end = this.addr(n);
  }

  private addr(i: number): bigint {
    return BigInt.asUintN(64, this.base + BigInt(this.off[i]!));
  }

  get symbols(): ReadonlyMap<string, bigint> {
    if (!this.syms) {
      this.syms = new Map();
      for (const [name, i] of this.labels) if (i < this.n && !name.startsWith('.L')) this.syms.set(name, this.addr(i));
    }
    return this.syms;
  }

  get listing(): readonly ListingLine[] {
    if (!this.lines) {
      const lines: ListingLine[] = [];
      for (let i = 0; i < this.n; i++) {
        const it = this.items[i]!;
        if (it.kind === 'label' || it.kind === 'align' || (it.kind === 'bytes' && !it.listed)) continue;
        const { where } = it;
        const address = this.addr(i);
        const size = this.off[i + 1]! - this.off[i]!;
        lines.push(where.line === undefined ? { address, size, text: where.text } : { address, size, text: where.text, line: where.line });
      }
      this.lines = lines;
    }
    return this.lines;
  }

  address(label: string): bigint {
    const i = this.labels.get(label);
    if (i === undefined || i >= this.n) throw new AsmError(`no label ${label}`);
    return this.addr(i);
  }
}

export class Assembler {
  readonly base: bigint;
  /** Emit RVC forms from here on (`.option rvc` / `.option norvc`). */
  compressed: boolean;
  private readonly items: Item[] = [];
  private readonly labels = new Map<string, number>();
  private readonly equs = new Map<string, { readonly expr: Expr; readonly at: number }>();
  private readonly externs = new Map<string, bigint>();
  private readonly optionStack: boolean[] = [];
  private hidden = 0;
  /** Items that may still grow in finish() (RVC branches); while there are none, offsets are final. */
  private shrinkable = 0;
  /** The items laid out so far by finalOffset, and the offset after them. */
  private readonly laidOut = { items: 0, offset: 0 };

  constructor(opts: AssemblerOptions = {}) {
    this.base = BigInt.asUintN(64, opts.base ?? 0n);
    this.compressed = opts.compressed ?? false;
    const syms = opts.symbols;
    const entries = syms === undefined ? [] : syms instanceof Map ? [...syms] : Object.entries(syms);
    for (const [name, v] of entries) this.externs.set(name, BigInt(v));
  }

  // ---- instructions -------------------------------------------------------------------------

  /**
   * Emits an instruction written as in assembly: `a.op('sd', 'ra', 8, 'sp')`,
   * `a.op('amoadd.w.aqrl', A0, A1, A2)`, `a.op('c.addi', A0, 1)`, `a.op('fadd.d', 'fa0', 'fa1', 'fa2', 'rtz')`.
   * A memory operand `off(base)` is two operands, offset then base. The named methods
   * (`a.addi(...)`) call this.
   */
  op(name: string, ...operands: Operand[]): this {
    return this.opList(name, operands);
  }

  /** op() with the operands as one array: what the named methods call (no second copy of them). */
  opList(name: string, operands: Operand[]): this {
    const plain = () => new OpWhere(name, operands, undefined);
    const [o0, o1] = operands;
    if (operands.length === 2 && (name === 'li' || name === 'la' || name === 'lla' || name === 'call' || name === 'jump')) {
      const where = name === 'jump' ? plain() : lazyWhere(() => `${name} ${regText(o0!)}, ${show(o1!)}`);
      if (name === 'li') return this.macroLi(o0!, o1!, where);
      return name === 'jump' ? this.macroPcrel(name, o1!, o0!, where) : this.macroPcrel(name, o0!, o1!, where);
    }
    if ((name === 'call' || name === 'tail') && operands.length === 1) return this.macroPcrel(name, undefined, o0!, plain());
    const memo = OP_MEMO.op(this.compressed, name, operands);
    const hit = memo?.value;
    if (hit) {
      this.items.push({ kind: 'code', word: hit.words[0]!, size: hit.sizes[0]!, where: new OpWhere(name, operands, hit.form) });
      return this;
    }
    const forms = formsOf(name);
    if (forms.length === 0) throw new AsmError(`${plain().text}: unknown instruction ${name}`);
    const counted = forms.filter((f) => operands.length <= f.slots.length && operands.length >= f.slots.length - f.optional);
    // The first form whose slots take these operands; else the first with the right count,
    // which then reports the operand that does not fit.
    const form = counted.find((f) => operands.every((op, i) => fitsSlot(f.slots[i]!, op))) ?? counted[0];
    if (!form) {
      const want = forms.map((f) => `${f.slots.length} (${f.syntax || 'no operands'})`).join(' or ');
      throw new AsmError(`${plain().text}: ${name} takes ${want} operands, got ${operands.length}`);
    }
    // Say it as it would be written: registers by ABI name.
    const at = this.items.length;
    this.emitForm(form, operands, new OpWhere(name, operands, form));
    const it = this.items[at];
    if (memo && this.items.length === at + 1 && it?.kind === 'code') memo.value = { form, words: [it.word], sizes: [it.size] };
    return this;
  }

  /**
   * Emits one table entry with raw field values, exactly as given (never compressed):
   * `a.insn('addi', { rd: 10, rs1: 10, imm12: 1 })`.
   */
  insn(name: string, args: Args): this {
    const where = new RawWhere(name, args);
    let e: Entry;
    try {
      e = lookup(name);
    } catch {
      throw new AsmError(`${where.text}: unknown instruction ${name}`);
    }
    this.emitInsn(e, args, NO_NAMES, where, false);
    return this;
  }

  /**
   * Emits a specific form with operands in its slot order. Low level: the text front end
   * uses it after choosing the form from the operands' shapes.
   */
  emitForm(form: Form, operands: readonly Operand[], where: Where): this {
    const fail = (why: string): never => {
      throw new AsmError(`${where.text}: ${why}`, where.line);
    };
    const n = form.slots.length;
    if (operands.length > n || operands.length < n - form.optional) fail(`${form.name} takes ${n} operands (${form.syntax}), got ${operands.length}`);
    const args: Partial<Record<FieldName, FieldValue>> = { ...form.fixed };
    const slots = form.slots;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const op = operands[i];
      if (op === undefined) continue;
      if ('literal' in slot) {
        if (this.register(op, 'xreg') !== slot.literal) fail(`operand ${i + 1} must be ${slot.text}, got ${show(op)}`);
        continue;
      }
      try {
        args[slot.field] = this.fieldValue(slot.kind, op);
      } catch (err) {
        if (err instanceof AsmError) fail(`operand ${i + 1} (${slot.field}): ${err.message}`);
        throw err;
      }
    }
    if (form.same) args[form.same[1]] = args[form.same[0]];
    for (const f of form.entry.fields) if (args[f] === undefined) args[f] = defaultFieldValue(f);
    // What each field is called in a message: the operand it came from, or the form.
    const names = (): Partial<Record<FieldName, string>> => {
      const n: Partial<Record<FieldName, string>> = {};
      slots.forEach((slot, i) => {
        if (operands[i] !== undefined && 'field' in slot) n[slot.field] = `operand ${i + 1} (${slot.field})`;
      });
      for (const f of form.entry.fields) n[f] ??= `${f} (implied by ${form.name})`;
      return n;
    };
    const rvc = spellingFilter(form);
    this.emitInsn(form.entry, args, names, where, rvc !== 'none', rvc === 'none' ? undefined : rvc);
    return this;
  }

  // ---- macros ---------------------------------------------------------------------------------

  /** `li rd, value`: any 64-bit constant, as lui/addi(w)/slli/addi (see li.ts). */
  li(rd: Reg, value: Imm): this {
    const where: Where = { text: `li ${regText(rd)}, ${show(value)}` };
    return this.macroLi(rd, value, where);
  }

  /** `lla rd, target`: auipc rd, %pcrel_hi(target); addi rd, rd, %pcrel_lo. */
  lla(rd: Reg, target: Target): this {
    return this.macroPcrel('lla', rd, target, { text: `lla ${regText(rd)}, ${show(target)}` });
  }

  /** `la rd, target`: the same as lla (GNU as without -fpic). */
  la(rd: Reg, target: Target): this {
    return this.macroPcrel('la', rd, target, { text: `la ${regText(rd)}, ${show(target)}` });
  }

  /** `call target`: auipc ra + jalr ra. `call(rd, target)`: auipc t1 + jalr rd (binutils 2.40). */
  call(target: Target): this;
  call(link: Reg, target: Target): this;
  call(a: Target, b?: Target): this {
    if (b === undefined) return this.macroPcrel('call', undefined, a, lazyWhere(() => `call ${show(a)}`));
    // `call reg, address` (generated code's calls to known functions), encoded at once.
    if (typeof b === 'bigint' && typeof a === 'number' && Number.isInteger(a) && a >= 0 && a < 32) {
      if (this.pcrelNow('call', 6, a, b, new CallWhere(a, b))) return this;
    }
    return this.macroPcrel('call', a, b, lazyWhere(() => `call ${regText(a)}, ${show(b)}`));
  }

  /** `tail target`: auipc t1 + jalr x0 (t1 as in binutils 2.40). */
  tail(target: Target): this {
    return this.macroPcrel('tail', undefined, target, { text: `tail ${show(target)}` });
  }

  /** `jump target, temp`: auipc temp + jalr x0. */
  jump(target: Target, temp: Reg): this {
    return this.macroPcrel('jump', temp, target, { text: `jump ${show(target)}, ${regText(temp)}` });
  }

  /** @internal Text front end: li with a source location. */
  macroLi(rd: Operand, value: Imm, where: Where): this {
    const r = this.register(rd, 'xreg');
    if (r === undefined) throw new AsmError(`${where.text}: operand 1 must be an integer register, got ${show(rd)}`, where.line);
    let v: bigint | undefined;
    try {
      v = typeof value === 'bigint' ? value : typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : this.constValue(toExpr(value));
    } catch (err) {
      if (err instanceof AsmError) throw new AsmError(`${where.text}: ${err.message}`, where.line);
      throw err;
    }
    if (v === undefined) throw new AsmError(`${where.text}: li needs a constant; use la/lla for an address`, where.line);
    const memo = LI_MEMO.of(this.compressed, r, v);
    const hit = memo.value;
    if (hit) {
      for (let i = 0; i < hit.words.length; i++) this.items.push({ kind: 'code', word: hit.words[i]!, size: hit.sizes[i]!, where });
      return this;
    }
    const at = this.items.length;
    for (const step of liSequence(r, v)) this.emitInsn(lookup(step.name), step.args, NO_NAMES, where, true);
    const made = this.items.slice(at);
    if (made.every((it) => it.kind === 'code')) {
      memo.value = { form: undefined, words: made.map((it) => (it.kind === 'code' ? it.word : 0)), sizes: made.map((it) => (it.kind === 'code' ? it.size : 4)) };
    }
    return this;
  }

  /**
   * @internal Text front end: the auipc pairs, with a source location. As binutils 2.40:
   * `la/lla rd` use rd; `call sym` is auipc ra + jalr ra; `call rd, sym` is auipc t1 +
   * jalr rd; `tail sym` is auipc t1 + jr; `jump sym, rt` is auipc rt + jr.
   */
  macroPcrel(kind: 'la' | 'lla' | 'call' | 'tail' | 'jump', rd: Operand | undefined, target: Target, where: Where): this {
    const r = rd === undefined ? undefined : this.register(rd, 'xreg');
    if (rd !== undefined && r === undefined) throw new AsmError(`${where.text}: expected an integer register, got ${show(rd)}`, where.line);
    let t: Expr;
    try {
      t = toExpr(target);
    } catch (err) {
      if (err instanceof AsmError) throw new AsmError(`${where.text}: ${err.message}`, where.line);
      throw err;
    }
    const [RA_, T1_] = [1, 6];
    const temp = kind === 'call' ? (r === undefined ? RA_ : T1_) : kind === 'tail' ? T1_ : r!;
    if (t.kind === 'num' && this.pcrelNow(kind, temp, r ?? RA_, t.value, where)) return this;
    const anchor = `.L pcrel ${this.hidden++}`;
    this.defineLabel(anchor, where);
    this.emitInsn(lookup('auipc'), { rd: temp, imm20: { expr: { kind: 'reloc', op: 'pcrel_hi', a: t }, as: 'upper' } }, NO_NAMES, where, false);
    const lo: Pending = { expr: { kind: 'reloc', op: 'pcrel_lo', a: sym(anchor) }, as: 'value' };
    if (kind === 'la' || kind === 'lla') this.emitInsn(lookup('addi'), { rd: temp, rs1: temp, imm12: lo }, NO_NAMES, where, false);
    else this.emitInsn(lookup('jalr'), { rd: kind === 'call' ? (r ?? RA_) : 0, rs1: temp, imm12: lo }, NO_NAMES, where, false);
    return this;
  }

  /**
   * The auipc pair to a constant address, encoded at once when its address is already final
   * (nothing before it can still change size): the words finish() would compute, without the
   * pending expressions. False (nothing emitted) when that is not possible or the target is
   * out of auipc's reach, so that finish() reports it as usual.
   */
  private pcrelNow(kind: 'la' | 'lla' | 'call' | 'tail' | 'jump', temp: number, link: number, target: bigint, where: Where): boolean {
    const o = this.finalOffset();
    if (o === undefined) return false;
    // target - (base + o), modulo 2^64, with as few BigInts as possible (this runs for every
    // call a trampoline makes): the distance from base, then the offset as a number.
    const fromBase = BigInt.asIntN(64, target - this.base);
    if (fromBase < -0x100000000n || fromBase > 0x100000000n) return false;
    const n = Number(fromBase) - o;
    if (n < -0x80000800 || n >= 0x7ffff800) return false; // beyond auipc's reach
    const hi = Math.floor((n + 0x800) / 4096);
    const lo = n - hi * 4096;
    // No anchor label: nothing refers to this auipc's %pcrel_hi (its pair is encoded here).
    this.emitInsn(AUIPC, { rd: temp, imm20: (hi << 12) | 0 }, NO_NAMES, where, false);
    if (kind === 'la' || kind === 'lla') this.emitInsn(ADDI, { rd: temp, rs1: temp, imm12: lo }, NO_NAMES, where, false);
    else this.emitInsn(JALR, { rd: kind === 'call' ? link : 0, rs1: temp, imm12: lo }, NO_NAMES, where, false);
    return true;
  }

  /** Offset of the next item from base while every earlier item's size is final, else undefined. */
  private finalOffset(): number | undefined {
    if (this.shrinkable > 0) return undefined;
    const k = this.laidOut;
    while (k.items < this.items.length) {
      k.offset += this.sizeAt(k.items, k.offset);
      k.items++;
    }
    return k.offset;
  }

  // ---- labels, symbols, options ---------------------------------------------------------------

  /** Defines `name` at the current position. */
  label(name: string): this {
    if (!/^[A-Za-z_.$][\w.$]*$/.test(name)) throw new AsmError(`${name}: bad label name`);
    this.defineLabel(name, { text: `${name}:` });
    return this;
  }

  /** @internal Any name, including the assembler's own (`.L pcrel 3`, numeric locals). */
  defineLabel(name: string, where: Where): void {
    if (this.labels.has(name) || this.equs.has(name)) throw new AsmError(`${where.text}: ${name} is already defined`, where.line);
    this.labels.set(name, this.items.length);
    this.items.push({ kind: 'label', name, where });
  }

  /** `.equ name, value`: a symbol for a constant or expression, usable before or after. */
  equ(name: string, value: Imm, where: Where = { text: `.equ ${name}, ${show(value)}` }): this {
    if (this.labels.has(name) || this.equs.has(name)) throw new AsmError(`${where.text}: ${name} is already defined`, where.line);
    this.equs.set(name, { expr: toExpr(value), at: this.items.length });
    return this;
  }

  /** `.option rvc | norvc | push | pop`. */
  option(o: 'rvc' | 'norvc' | 'push' | 'pop'): this {
    if (o === 'rvc') this.compressed = true;
    else if (o === 'norvc') this.compressed = false;
    else if (o === 'push') this.optionStack.push(this.compressed);
    else {
      const c = this.optionStack.pop();
      if (c === undefined) throw new AsmError('.option pop without push');
      this.compressed = c;
    }
    return this;
  }

  // ---- data -----------------------------------------------------------------------------------

  byte(...values: Imm[]): this {
    return this.data(1, values, '.byte');
  }
  half(...values: Imm[]): this {
    return this.data(2, values, '.half');
  }
  word(...values: Imm[]): this {
    return this.data(4, values, '.word');
  }
  dword(...values: Imm[]): this {
    return this.data(8, values, '.dword');
  }

  /** @internal Data values; `where` (text front end) names the statement. */
  data(width: 1 | 2 | 4 | 8, values: readonly Imm[], directive: string, at?: Where): this {
    for (const v of values) {
      const where: Where = at ?? lazyWhere(() => `${directive} ${show(v)}`);
      let e: Expr;
      let c: bigint | undefined;
      try {
        e = toExpr(v);
        // A plain number needs no evaluation (what constValue would make of it).
        c = e.kind === 'num' ? e.value : this.constValue(e);
      } catch (err) {
        if (err instanceof AsmError) throw new AsmError(`${where.text}: ${err.message}`, where.line);
        throw err;
      }
      if (c === undefined) {
        this.items.push({ kind: 'data', width, expr: e, where });
      } else {
        this.items.push({ kind: 'bytes', bytes: this.dataBytes(width, c, where), where, listed: true });
      }
    }
    return this;
  }

  /** Raw bytes. */
  bytes(data: Uint8Array | readonly number[], where: Where = { text: '.byte ...' }): this {
    this.items.push({ kind: 'bytes', bytes: Uint8Array.from(data), where, listed: true });
    return this;
  }

  /** `n` zero bytes (`.zero n`). */
  zero(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new AsmError(`.zero ${n}: bad size`);
    return this.bytes(new Uint8Array(n), { text: `.zero ${n}` });
  }

  /** A string's UTF-8 bytes (`.ascii`), or with a terminating NUL (`.asciz`). */
  ascii(s: string): this {
    return this.bytes(new TextEncoder().encode(s), { text: `.ascii ${JSON.stringify(s)}` });
  }
  asciz(s: string): this {
    return this.bytes(new TextEncoder().encode(`${s}\0`), { text: `.asciz ${JSON.stringify(s)}` });
  }

  /**
   * Pads to a multiple of `bytes` (a power of two): with nops in code (c.nop for a 2-byte
   * remainder, as GNU as does), or with the given fill byte.
   */
  align(bytes: number, fill: number | 'nop' = 'nop', where: Where = { text: `.balign ${bytes}` }): this {
    if (!Number.isInteger(bytes) || bytes < 1 || (bytes & (bytes - 1)) !== 0) throw new AsmError(`${where.text}: alignment must be a power of two`, where.line);
    this.items.push({ kind: 'align', to: bytes, fill, where });
    return this;
  }

  // ---- output ---------------------------------------------------------------------------------

  /** Lays the code out, resolves every label and expression, and returns the bytes. */
  finish(): Program {
    const n = this.items.length;
    const base = this.base;
    // Offsets from base (numbers); an item's address is base + its offset, modulo 2^64.
    const off: number[] = new Array<number>(n + 1);
    const addr: Addr = (i) => BigInt.asUintN(64, base + BigInt(off[i]!));
    const layout = () => {
      let o = 0;
      for (let i = 0; i < n; i++) {
        off[i] = o;
        o += this.sizeAt(i, o);
      }
      off[n] = o;
    };
    // Shrinkable branches start at 2 bytes; each pass grows the ones that no longer fit.
    // Sizes only grow, so this ends after at most one pass per such branch.
    for (;;) {
      layout();
      let grew = false;
      for (let i = 0; i < n; i++) {
        const it = this.items[i]!;
        if (it.kind !== 'insn' || !it.shrink || it.size !== 2) continue;
        let ok = false;
        try {
          ok = compress(it.entry, this.resolve(it, i, off, addr), it.allow) !== undefined;
        } catch {
          ok = false; // reported by the final pass at full size
        }
        if (!ok) {
          it.size = 4;
          grew = true;
        }
      }
      if (!grew) break;
    }
    const bytes = new Uint8Array(off[n]!);
    for (let i = 0; i < n; i++) {
      const it = this.items[i]!;
      const at = off[i]!;
      const where = it.where;
      switch (it.kind) {
        case 'label':
          break;
        case 'code':
          leWord(bytes, at, it.word, it.size);
          break;
        case 'bytes':
          bytes.set(it.bytes, at);
          break;
        case 'data': {
          const pc = addr(i);
          const v = this.wrap(where, () => evaluate(it.expr, this.env(pc, addr)));
          bytes.set(this.dataBytes(it.width, v, where), at);
          break;
        }
        case 'align': {
          const pad = this.sizeAt(i, at);
          let k = 0;
          if (it.fill !== 'nop') {
            bytes.fill(it.fill, at, at + pad);
          } else {
            for (; (pad - k) % 2 !== 0; k++) bytes[at + k] = 0;
            if ((pad - k) % 4 !== 0) {
              le(bytes, at + k, BigInt(C_NOP), 2);
              k += 2;
            }
            for (; k < pad; k += 4) le(bytes, at + k, BigInt(NOP), 4);
          }
          break;
        }
        case 'insn': {
          const args = this.wrap(where, () => this.resolve(it, i, off, addr));
          const c = it.size === 2 && it.entry.size === 4 ? compress(it.entry, args, it.allow) : undefined;
          if (it.size === 2 && it.entry.size === 4 && !c) throw new AsmError(`${where.text}: internal error: compressed form lost after layout`, where.line);
          const word = c ? this.encodeChecked(c.entry, c.args, NO_NAMES, where) : this.encodeChecked(it.entry, args, it.names, where);
          leWord(bytes, at, word, it.size);
          break;
        }
      }
    }
    return new Assembled(base, bytes, off, n, this.items, this.labels);
  }

  // ---- internals ------------------------------------------------------------------------------

  /** Register number of an operand, or undefined. */
  private register(op: Operand, kind: 'xreg' | 'freg'): number | undefined {
    if (typeof op === 'number') return Number.isInteger(op) && op >= 0 && op < 32 ? op : undefined;
    if (typeof op === 'string') return kind === 'xreg' ? xreg(op) : freg(op);
    return undefined;
  }

  /** Converts one written operand to a field value (or a pending expression). */
  private fieldValue(kind: FieldKind, op: Operand): FieldValue {
    switch (kind) {
      case 'xreg':
      case 'freg': {
        const r = this.register(op, kind);
        if (r === undefined) throw new AsmError(`expected ${kind === 'xreg' ? 'an integer' : 'a floating-point'} register, got ${show(op)}`);
        return r;
      }
      case 'csr': {
        if (typeof op === 'string') {
          const c = CSR_BY_NAME.get(op);
          if (c === undefined) throw new AsmError(`unknown CSR ${op}`);
          return c;
        }
        return this.immediate(op, 'value');
      }
      case 'fence': {
        if (typeof op === 'string') {
          const s = fenceSet(op);
          if (s === undefined) throw new AsmError(`bad fence set ${op} (expected letters of iorw)`);
          return s;
        }
        return this.immediate(op, 'value');
      }
      case 'rm': {
        if (typeof op === 'string') {
          const i = ROUNDING_MODES.indexOf(op);
          if (i < 0 || op === '') throw new AsmError(`bad rounding mode ${op} (expected ${ROUNDING_MODES.filter(Boolean).join(', ')})`);
          return i;
        }
        return this.immediate(op, 'value');
      }
      case 'target':
        if (typeof op === 'string' && (xreg(op) !== undefined || freg(op) !== undefined)) throw new AsmError(`expected a label or address, got register ${op}`);
        return { expr: toExpr(op), as: 'target' };
      case 'upper':
        return this.immediate(op, 'upper');
      case 'imm':
      case 'hex':
      case 'uimm':
      case 'bit':
        return this.immediate(op, 'value');
    }
  }

  private immediate(op: Operand, as: 'value' | 'upper'): FieldValue {
    // Plain numbers need no expression (what toExpr + constValue would make of them).
    if (typeof op === 'number' && Number.isSafeInteger(op)) return as === 'upper' ? upperField(BigInt(op)) : op === 0 ? 0 : op;
    if (typeof op === 'bigint') return as === 'upper' ? upperField(op) : safeNumber(op);
    if (typeof op === 'string' && (xreg(op) !== undefined || freg(op) !== undefined)) throw new AsmError(`expected an immediate, got register ${op}`);
    const e = toExpr(op);
    const c = this.constValue(e);
    if (c === undefined) return { expr: e, as };
    return as === 'upper' ? upperField(c) : safeNumber(c);
  }

  private emitInsn(
    e: Entry, args: Readonly<Partial<Record<FieldName, FieldValue>>>, names: Names,
    where: Where, compressible: boolean, allow?: RvcFilter,
  ): void {
    let known = true;
    for (const k in args) if (typeof args[k as FieldName] !== 'number') known = false;
    if (known) {
      const a = args as Args;
      const c = compressible && this.compressed && e.size === 4 ? compress(e, a, allow) : undefined;
      const word = c ? this.encodeChecked(c.entry, c.args, NO_NAMES, where) : this.encodeChecked(e, a, names, where);
      this.items.push({ kind: 'code', word, size: c ? 2 : e.size, where });
      return;
    }
    const values = Object.values(args) as FieldValue[];
    // GNU as never compresses an instruction with a relocated operand; only branch and jump
    // targets are worth relaxing.
    const shrink = compressible && this.compressed && e.size === 4 && mayCompress(e) && values.every((v) => typeof v === 'number' || v.as === 'target');
    if (shrink) this.shrinkable++;
    this.items.push({ kind: 'insn', entry: e, args, names, shrink, allow, size: e.size === 2 || shrink ? 2 : 4, where });
  }

  /** Encodes with messages that name the operand; the caller's `where` says which instruction. */
  private encodeChecked(e: Entry, args: Args, names: Names, where: Where): number {
    // encode(), with each field checked and inserted in one pass.
    let w = e.match;
    for (const [f, def] of e.defs) {
      const v = args[f];
      if (v === undefined) throw new AsmError(`${where.text}: missing ${f}`, where.line);
      const why = misfit(def, v);
      if (why) throw new AsmError(`${where.text}: ${namesOf(names)[f] ?? f}: ${why}`, where.line);
      w = insert(def, w, v);
    }
    try {
      checkOperands(e, args);
    } catch (err) {
      if (err instanceof EncodeError) throw new AsmError(`${where.text}: ${err.message}`, where.line);
      throw err;
    }
    return w >>> 0;
  }

  /** Field values of pending instruction i (offsets from base: `off`). */
  private resolve(it: Extract<Item, { kind: 'insn' }>, i: number, off: readonly number[], addr: Addr): Args {
    const out: Args = {};
    let env: EvalEnv | undefined;
    const args = it.args;
    for (const k in args) {
      const f = k as FieldName;
      const v = args[f]!;
      if (typeof v === 'number') {
        out[f] = v;
        continue;
      }
      const e = v.expr;
      if (v.as === 'target' && e.kind === 'sym') {
        // A branch to a label: the distance between two offsets (what evaluating it gives).
        const l = this.labels.get(e.name);
        if (l !== undefined) {
          const d = off[l]! - off[i]!;
          const why = misfit(FIELDS[f], d);
          if (why) throw new AsmError(`${namesOf(it.names)[f] ?? f}: target ${e.name} is ${d} bytes away: ${why.replace(/^-?\d+ /, '')}`);
          out[f] = d;
          continue;
        }
      }
      const pc = addr(i);
      const x = evaluate(e, (env ??= this.env(pc, addr)));
      if (v.as === 'upper') {
        out[f] = upperField(x);
      } else if (v.as === 'value') {
        out[f] = safeNumber(x);
      } else {
        const dist = BigInt.asIntN(64, x - pc);
        const why = misfit(FIELDS[f], Number(dist));
        if (why) {
          const name = namesOf(it.names)[f] ?? f;
          throw new AsmError(`${name}: target ${format(v.expr)} is ${dist} bytes away: ${why.replace(/^-?\d+ /, '')}`);
        }
        out[f] = Number(dist);
      }
    }
    return out;
  }

  private wrap<T>(where: Where, f: () => T): T {
    try {
      return f();
    } catch (err) {
      if (err instanceof AsmError && err.line === undefined) throw new AsmError(`${where.text}: ${err.message}`, where.line);
      throw err;
    }
  }

  /** Size of item i when it starts at offset `o` from base. */
  private sizeAt(i: number, o: number): number {
    const it = this.items[i]!;
    switch (it.kind) {
      case 'label': return 0;
      case 'code': return it.size;
      case 'bytes': return it.bytes.length;
      case 'data': return it.width;
      case 'insn': return it.size;
      case 'align': {
        const a = BigInt.asUintN(64, this.base + BigInt(o));
        return Number((BigInt(it.to) - (a % BigInt(it.to))) % BigInt(it.to));
      }
    }
  }

  private dataBytes(width: number, v: bigint, where: Where): Uint8Array {
    const bits = BigInt(width * 8);
    if (v < -(1n << (bits - 1n)) || v >= 1n << bits) throw new AsmError(`${where.text}: ${v} does not fit in ${width} bytes`, where.line);
    const out = new Uint8Array(width);
    le(out, 0, BigInt.asUintN(Number(bits), v), width);
    return out;
  }

  /** Value of an expression that does not depend on the layout, or undefined. */
  private constValue(e: Expr): bigint | undefined {
    const seen = new Set<string>();
    const env: EvalEnv = {
      get pc(): bigint {
        throw NOT_CONST;
      },
      symbol: (name) => {
        const q = this.equs.get(name);
        if (q) {
          if (seen.has(name)) throw new AsmError(`${name} is defined in terms of itself`);
          seen.add(name);
          const v = evaluate(q.expr, env);
          seen.delete(name);
          return v;
        }
        const x = this.externs.get(name);
        if (x !== undefined && !this.labels.has(name)) return x;
        throw NOT_CONST;
      },
      pcrelTarget: () => {
        throw NOT_CONST;
      },
    };
    try {
      return evaluate(e, env);
    } catch (err) {
      if (err === NOT_CONST) return undefined;
      throw err;
    }
  }

  private env(pc: bigint, addr: Addr): EvalEnv {
    const seen = new Set<string>();
    const symbol = (name: string): bigint => {
      const l = this.labels.get(name);
      if (l !== undefined) return addr(l);
      const q = this.equs.get(name);
      if (q) {
        if (seen.has(name)) throw new AsmError(`${name} is defined in terms of itself`);
        seen.add(name);
        const v = evaluate(q.expr, { pc: addr(q.at), symbol, pcrelTarget });
        seen.delete(name);
        return v;
      }
      const x = this.externs.get(name);
      if (x !== undefined) return x;
      throw new AsmError(`undefined symbol ${name}`);
    };
    const pcrelTarget = (label: string): bigint => {
      const l = this.labels.get(label);
      if (l === undefined) throw new AsmError(`%pcrel_lo(${label}): no such label`);
      let j = l;
      while (j < this.items.length && this.items[j]!.kind === 'label') j++;
      const it = this.items[j];
      const hi = it?.kind === 'insn' && it.entry.name === 'auipc' ? it.args.imm20 : undefined;
      if (hi === undefined || typeof hi === 'number' || hi.expr.kind !== 'reloc' || hi.expr.op !== 'pcrel_hi') {
        throw new AsmError(`%pcrel_lo(${label}): ${label} does not label an auipc with %pcrel_hi`);
      }
      const at = addr(j);
      return BigInt.asIntN(64, evaluate(hi.expr.a, { pc: at, symbol, pcrelTarget }) - at);
    };
    return { pc, symbol, pcrelTarget };
  }
}

/** A 20-bit upper immediate as written (0..0xfffff, or negative) -> the imm20 field value. */
function upperField(v: bigint): number {
  if (v < -0x80000n || v > 0xfffffn) throw new AsmError(`${v} is out of range for a 20-bit upper immediate (0..0xfffff)`);
  return Number(BigInt.asIntN(32, (v & 0xfffffn) << 12n));
}

function safeNumber(v: bigint): number {
  if (v < BigInt(Number.MIN_SAFE_INTEGER) || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new AsmError(`${v} is out of range`);
  return Number(v);
}

// The named instruction methods, one per mnemonic of the table and pseudo.ts, typed by methods.ts.
// eslint-disable-next-line @typescript-eslint/no-empty-interface, @typescript-eslint/no-unsafe-declaration-merging
export interface Assembler extends InsnMethods<Assembler> {}
for (const name of FORMS.keys()) {
  const m = methodName(name);
  if (m in Assembler.prototype) continue; // li: the macro, not the 12-bit pseudo
  Object.defineProperty(Assembler.prototype, m, {
    value: function (this: Assembler, ...operands: Operand[]) {
      return this.opList(name, operands);
    },
    writable: true,
    configurable: true,
  });
}
