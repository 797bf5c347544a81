/**
 * Assembly forms: every way an instruction can be written, derived from the table's
 * `syntax` strings (entries) and from pseudo.ts (aliases with some fields fixed).
 *
 * A syntax like `rs2,simm12(rs1)` becomes operand slots in written order; a slot names a
 * field, or a fixed register the text must repeat (`c.addi16sp sp,16`).
 */
import { FIELDS, type FieldKind, type FieldName } from '../isa/fields';
import { TABLE, entry, type Entry } from '../isa/table';
import { PSEUDOS } from '../isa/pseudo';
import type { PseudoDef } from '../isa/entry';
import { xreg, freg, CSR_NAMES } from '../isa/regnames';
import type { Args } from '../isa/decode';
import type { Operand } from './methods';

export type Slot =
  | { readonly field: FieldName; readonly kind: FieldKind }
  | { readonly literal: number; readonly text: string };

/** One written operand: `x`, `off(base)` or `(base)`. */
export type Token =
  | { readonly shape: 'plain'; readonly slot: Slot }
  | { readonly shape: 'mem'; readonly offset: Slot; readonly base: Slot }
  | { readonly shape: 'paren'; readonly base: Slot };

export interface Form {
  /** Mnemonic as written. */
  readonly name: string;
  /** The table entry it encodes. */
  readonly entry: Entry;
  /** Fields the mnemonic fixes (pseudo-instructions, `.aq`/`.rl` suffixes). */
  readonly fixed: Args;
  readonly syntax: string;
  readonly tokens: readonly Token[];
  /** Operand slots in order, with a memory operand counting as two (offset, base). */
  readonly slots: readonly Slot[];
  /** Trailing slots that may be left out (a floating-point rounding mode). */
  readonly optional: number;
  /** Fields copied from another field (`fmv.s fd,fs1` is fsgnj.s fd,fs1,fs1): [shown, hidden]. */
  readonly same?: readonly [FieldName, FieldName];
}

function slotOf(text: string, where: string): Slot {
  if (text in FIELDS) return { field: text as FieldName, kind: FIELDS[text as FieldName].kind };
  const r = xreg(text);
  if (r === undefined) throw new Error(`asm forms: ${where}: syntax names ${text}, neither a field nor a register`);
  return { literal: r, text };
}

/** Parses a table syntax string into written operands. */
export function parseSyntax(syntax: string, where: string): Token[] {
  if (syntax === '') return [];
  return syntax.split(',').map((part): Token => {
    const m = /^([\w.]*)\((\w+)\)$/.exec(part);
    if (!m) return { shape: 'plain', slot: slotOf(part, where) };
    const base = slotOf(m[2]!, where);
    return m[1] === '' ? { shape: 'paren', base } : { shape: 'mem', offset: slotOf(m[1]!, where), base };
  });
}

function makeForm(name: string, e: Entry, fixed: Args, syntax: string, same?: readonly [FieldName, FieldName]): Form {
  const tokens = parseSyntax(syntax, name);
  const slots = tokens.flatMap((t) => (t.shape === 'plain' ? [t.slot] : t.shape === 'mem' ? [t.offset, t.base] : [t.base]));
  const last = slots[slots.length - 1];
  const optional = last && 'field' in last && last.kind === 'rm' ? 1 : 0;
  return same ? { name, entry: e, fixed, syntax, tokens, slots, optional, same } : { name, entry: e, fixed, syntax, tokens, slots, optional };
}

/** Spellings GNU as accepts beyond the table and pseudo.ts (written like pseudo.ts entries). */
const ASM_ALIASES: readonly PseudoDef[] = [
  { name: 'fence', of: 'fence', fixed: { fm: 0, pred: 15, succ: 15 }, syntax: '' }, // fence = fence iorw,iorw
];

/**
 * All forms by mnemonic: the table entry first, then pseudo-instructions of the same name,
 * then the aliases above. `li`, `la`, `lla`, `call` and `tail` are macros (assembler.ts).
 */
export const FORMS: ReadonlyMap<string, readonly Form[]> = (() => {
  const m = new Map<string, Form[]>();
  const add = (f: Form) => {
    const list = m.get(f.name);
    if (list) list.push(f);
    else m.set(f.name, [f]);
  };
  for (const e of TABLE) add(makeForm(e.name, e, {}, e.syntax));
  for (const p of [...PSEUDOS, ...ASM_ALIASES]) {
    const known = m.get(p.name)?.some((f) => f.entry.name === p.of && f.syntax === p.syntax && JSON.stringify(f.fixed) === JSON.stringify(p.fixed));
    if (known) continue;
    add(makeForm(p.name, entry(p.of), p.fixed as Args, p.syntax, p.same));
  }
  return m;
})();

const ORDERINGS: Readonly<Record<string, Args>> = { aq: { aq: 1 }, rl: { rl: 1 }, aqrl: { aq: 1, rl: 1 } };

/**
 * Forms for a mnemonic, including the `.aq` / `.rl` / `.aqrl` spellings of atomics
 * (`amoadd.w.aqrl`), which fix the ordering bits of the plain form.
 */
export function formsOf(name: string): readonly Form[] {
  const direct = FORMS.get(name);
  if (direct) return direct;
  const m = /^(.*)\.(aq|rl|aqrl)$/.exec(name);
  if (!m) return [];
  const plain = FORMS.get(m[1]!) ?? [];
  return plain
    .filter((f) => f.entry.fields.includes('aq') && f.entry.fields.includes('rl'))
    .map((f) => ({ ...f, name, fixed: { ...f.fixed, ...ORDERINGS[m[2]!] } }));
}

export const ROUNDING_MODES: readonly string[] = ['rne', 'rtz', 'rdn', 'rup', 'rmm', '', '', 'dyn'];

/** Rounding mode `dyn`, which GNU as encodes when the operand is left out. */
const RM_DYN = ROUNDING_MODES.indexOf('dyn');

/**
 * Value of a field the written form leaves out (ordering bits, fence fm, rounding mode).
 * Exact conversions (fcvt.d.w) have no rm field at all: the table fixes their bits 14..12.
 */
export function defaultFieldValue(field: FieldName): number {
  return FIELDS[field].kind === 'rm' ? RM_DYN : 0;
}

/** `iorw` letters of a fence predecessor/successor set. */
export function fenceSet(text: string): number | undefined {
  if (text === '0') return 0;
  const m = /^(i?)(o?)(r?)(w?)$/.exec(text);
  if (!m || text === '') return undefined;
  return (m[1] ? 8 : 0) | (m[2] ? 4 : 0) | (m[3] ? 2 : 0) | (m[4] ? 1 : 0);
}

const CSR_NAMESET: ReadonlySet<string> = new Set(CSR_NAMES.values());

/**
 * Can this operand go in this slot? Used to choose among forms of one mnemonic with the same
 * operand count (`add a0,a1,a2` is add, `add a0,a1,3` is addi). A number fits a register
 * slot (it is the register number) as well as an immediate one; names decide the rest.
 */
export function fitsSlot(slot: Slot, op: Operand): boolean {
  const isReg = typeof op === 'string' && (xreg(op) !== undefined || freg(op) !== undefined);
  if ('literal' in slot) return (typeof op === 'string' ? xreg(op) : op) === slot.literal;
  switch (slot.kind) {
    case 'xreg':
      return typeof op === 'string' ? xreg(op) !== undefined : typeof op === 'number' && Number.isInteger(op) && op >= 0 && op < 32;
    case 'freg':
      return typeof op === 'string' ? freg(op) !== undefined : typeof op === 'number' && Number.isInteger(op) && op >= 0 && op < 32;
    case 'csr':
      return typeof op === 'string' ? CSR_NAMESET.has(op) : true;
    case 'fence':
      return typeof op === 'string' ? fenceSet(op) !== undefined : typeof op === 'number';
    case 'rm':
      return typeof op === 'string' ? op !== '' && ROUNDING_MODES.includes(op) : typeof op === 'number';
    default:
      return !isReg;
  }
}
