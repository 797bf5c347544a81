/**
 * Choosing an RVC form for a base instruction, derived from the table's `expand` mappings:
 * a compressed entry fits when some value of its fields expands to exactly the given base
 * instruction and operands. Two additions make the choice match what GNU as 2.40 emits for
 * ordinary code:
 *  - HINT encodings (legal RVC words the spec reserves for hints, e.g. `c.li x0, 5`; the
 *    table lists them in each entry's `hints`) are never chosen; the base form is kept;
 *  - a few base forms are also tried as an equivalent base form that does have a
 *    compressed encoding (`addi rd,rs,0` as `add rd,x0,rs` = c.mv; `add rd,rs1,rd` with its
 *    sources swapped = c.add).
 */
import { fitsField, type FieldName } from '../isa/fields';
import { TABLE, type Entry } from '../isa/table';
import { isHint, type Args } from '../isa/decode';

/** A compressed entry with its expansion as lists (inverted for every instruction emitted with RVC). */
interface Candidate {
  readonly entry: Entry;
  /** [base field, compressed field or the constant the base field must hold]. */
  readonly from: readonly (readonly [FieldName, FieldName | number])[];
  readonly not: readonly (readonly [FieldName, number])[];
}

/** Compressed entries by the base instruction they expand to, in table order (first wins). */
const BY_BASE: ReadonlyMap<string, readonly Candidate[]> = (() => {
  const m = new Map<string, Candidate[]>();
  for (const e of TABLE) {
    if (!e.expand) continue;
    const c: Candidate = {
      entry: e,
      from: Object.entries(e.expand.args) as [FieldName, FieldName | number][],
      not: Object.entries(e.not ?? {}) as [FieldName, number][],
    };
    const list = m.get(e.expand.to);
    if (list) list.push(c);
    else m.set(e.expand.to, [c]);
  }
  return m;
})();

/** Base forms worth trying as another, equivalent base form. */
const EQUIVALENTS: Readonly<Record<string, { readonly to: string; readonly map: (a: Args) => Args | undefined }>> = {
  // mv rd,rs (addi rd,rs,0) is add rd,x0,rs, which is c.mv.
  addi: { to: 'add', map: (a) => (a.imm12 === 0 ? { rd: a.rd!, rs1: 0, rs2: a.rs1! } : undefined) },
  // Commutative operations with rd as the second source: c.add/c.and/... rd,rs1. (Only
  // then: GNU as keeps `add rd,rs1,x0` as add, although c.mv rd,rs1 would do.)
  ...Object.fromEntries(
    ['add', 'and', 'or', 'xor', 'addw'].map((n) => [n, { to: n, map: (a: Args): Args | undefined => (a.rs2 === a.rd ? { rd: a.rd!, rs1: a.rs2!, rs2: a.rs1! } : undefined) }]),
  ),
};

/** The compressed entry's fields that expand to `args`, if any. */
function invert(cand: Candidate, args: Args): Args | undefined {
  const c = cand.entry;
  const out: Args = {};
  for (const [baseField, src] of cand.from) {
    const v = args[baseField];
    if (v === undefined) return undefined;
    if (typeof src === 'number') {
      if (v !== src) return undefined;
    } else if (out[src] === undefined) {
      out[src] = v;
    } else if (out[src] !== v) {
      return undefined;
    }
  }
  for (const [f, def] of c.defs) {
    const v = out[f];
    if (v === undefined || !fitsField(def, v)) return undefined;
  }
  if (c.nonzero) for (const f of c.nonzero) if (out[f] === 0) return undefined;
  for (const [f, v] of cand.not) if (out[f] === v) return undefined;
  if (isHint(c, out)) return undefined;
  return out;
}

function direct(name: string, args: Args, allow?: RvcFilter): { entry: Entry; args: Args } | undefined {
  for (const c of BY_BASE.get(name) ?? []) {
    if (allow && !allow(c.entry)) continue;
    const a = invert(c, args);
    if (a) return { entry: c.entry, args: a };
  }
  return undefined;
}

/** Which RVC entries a written form may become; undefined means any. */
export type RvcFilter = (c: Entry) => boolean;

/**
 * GNU as 2.40 chooses RVC forms by spelling for jumps and `mv`: jal becomes c.j only when
 * written `j`, jalr becomes c.jr / c.jalr only when written `jr rs`, `jalr rs` or `ret`, and
 * `mv rd,rs` only ever becomes c.mv (so `mv rd,zero` stays addi, though c.li rd,0 would do).
 * We follow it, so the same source gives the same bytes; write `c.*` to force a form.
 */
export function spellingFilter(form: { readonly name: string; readonly entry: Entry; readonly slots: readonly unknown[] }): RvcFilter | 'none' | undefined {
  if (form.entry.name === 'jal' || form.entry.name === 'jalr') return form.slots.length <= 1 ? undefined : 'none';
  if (form.name === 'mv') return (c) => c.name === 'c.mv';
  return undefined;
}

/** The RVC form of a base instruction with these operands, or undefined when it has none. */
export function compress(base: Entry, args: Args, allow?: RvcFilter): { entry: Entry; args: Args } | undefined {
  const found = direct(base.name, args, allow);
  if (found) return found;
  const eq = EQUIVALENTS[base.name];
  const alt = eq?.map(args);
  return eq && alt ? direct(eq.to, alt, allow) : undefined;
}

/** True when some operands of this base instruction have an RVC form. */
export function mayCompress(base: Entry): boolean {
  const eq = EQUIVALENTS[base.name];
  return BY_BASE.has(base.name) || (eq !== undefined && BY_BASE.has(eq.to));
}
