/**
 * Table-driven decoder. Candidates are bucketed by the bits every entry of a size fixes
 * (the major opcode for 32-bit words, quadrant + funct3 for 16-bit ones) and tried most
 * specific first. The decoder never throws: an unknown word decodes to `undefined`.
 */
import { extract, type FieldName } from './fields';
import { TABLE, BY_NAME, type Entry } from './table';
import type { HintDef } from './entry';

export type Args = Partial<Record<FieldName, number>>;

export interface Decoded {
  readonly entry: Entry;
  readonly args: Args;
  /** For a compressed instruction: the base instruction it stands for. */
  readonly base: { readonly entry: Entry; readonly args: Args };
}

const key32 = (w: number) => w & 0x7f;
const key16 = (w: number) => ((w >>> 11) & 0x1c) | (w & 3); // funct3 and quadrant

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v; v &= v - 1) n++;
  return n;
}

function buckets(size: 2 | 4, key: (w: number) => number): Map<number, Entry[]> {
  const m = new Map<number, Entry[]>();
  const sorted = TABLE.filter((e) => e.size === size).sort((a, b) => popcount(b.mask) - popcount(a.mask));
  for (const e of sorted) {
    const k = key(e.match);
    if ((key(e.mask) & key(0xffffffff)) !== key(0xffffffff)) throw new Error(`decode: ${e.name} does not fix its bucket bits`);
    let list = m.get(k);
    if (!list) m.set(k, (list = []));
    list.push(e);
  }
  return m;
}

const B32 = buckets(4, key32);
const B16 = buckets(2, key16);

/** The field values of a word for one entry. */
export function fieldsOf(e: Entry, word: number): Args {
  const args: Args = {};
  for (const [name, def] of e.defs) args[name] = extract(def, word);
  return args;
}

function accepts(e: Entry, args: Args): boolean {
  for (const f of e.nonzero ?? []) if (args[f] === 0) return false;
  if (e.not) for (const [f, v] of Object.entries(e.not)) if (args[f as FieldName] === v) return false;
  return true;
}

/** The RVC HINT (entry.hints, first match) that a word of this entry with these fields is, if any. */
export function hintOf(e: Entry, args: Args): HintDef | undefined {
  return e.hints?.find((h) =>
    Object.entries(h.fixed).every(([f, v]) => args[f as FieldName] === v) && (h.nonzero ?? []).every((f) => args[f] !== 0));
}

/** True for an RVC HINT encoding: the assembler never chooses one for a base instruction. */
export function isHint(e: Entry, args: Args): boolean {
  return hintOf(e, args) !== undefined;
}

/** Expands a compressed instruction's fields to its base instruction. */
export function expand(e: Entry, args: Args): { entry: Entry; args: Args } {
  if (!e.expand) return { entry: e, args };
  const base = BY_NAME.get(e.expand.to)!;
  const out: Args = {};
  for (const [f, src] of Object.entries(e.expand.args) as [FieldName, FieldName | number][]) {
    out[f] = typeof src === 'number' ? src : args[src]!;
  }
  return { entry: base, args: out };
}

/** Length in bytes of the instruction whose low halfword is `lo16`. */
export function insnLength(lo16: number): 2 | 4 {
  return (lo16 & 3) === 3 ? 4 : 2;
}

/**
 * Decodes one instruction word (a 16-bit parcel when its low bits are not 11).
 * Returns undefined for an illegal or reserved encoding.
 */
export function decode(word: number): Decoded | undefined {
  const w = word >>> 0;
  // A 16-bit parcel decodes from its low half alone.
  const key = (w & 3) === 3 ? w : w & 0xffff;
  const hit = decoded.get(key);
  if (hit !== undefined) return hit ?? undefined;
  const d = decodeWord(w);
  if (decoded.size >= DECODED_LIMIT) decoded.clear();
  decoded.set(key, d ? freeze(d) : null);
  return d;
}

/**
 * Words decoded so far (null: illegal). Every emulated machine predecodes the same kernel and
 * generated code again; the table search runs once per distinct word. The results are frozen,
 * since every caller gets the same object.
 */
const decoded = new Map<number, Decoded | null>();
const DECODED_LIMIT = 1 << 14;

function freeze(d: Decoded): Decoded {
  Object.freeze(d.args);
  Object.freeze(d.base.args);
  Object.freeze(d.base);
  return Object.freeze(d);
}

function decodeWord(w: number): Decoded | undefined {
  const is32 = (w & 3) === 3;
  const list = is32 ? B32.get(key32(w)) : B16.get(key16(w & 0xffff));
  if (!list) return undefined;
  const ww = is32 ? w : w & 0xffff;
  for (const e of list) {
    if (((ww & e.mask) >>> 0) !== e.match) continue;
    const args = fieldsOf(e, ww);
    if (!accepts(e, args)) continue;
    return { entry: e, args, base: expand(e, args) };
  }
  return undefined;
}
