/** Encoder derived from the table: the inverse of decode for one entry. */
import { FIELDS, fitsField, insert, misfit, type FieldName } from './fields';
import { entry as lookup, type Entry } from './table';
import type { Args } from './decode';

/** Thrown for operands that do not fit an encoding; the message names the instruction and field. */
export class EncodeError extends Error {}

/** Encodes `name` with the given field values. Every field of the entry must be given. */
export function encode(name: string | Entry, args: Args): number {
  const e = typeof name === 'string' ? lookup(name) : name;
  for (const [f, def] of e.defs) {
    const v = args[f];
    if (v === undefined) throw new EncodeError(`${e.name}: missing operand ${f}`);
    const why = misfit(def, v);
    if (why) throw new EncodeError(`${e.name}: operand ${f}: ${why}`);
  }
  return encodeFitted(e, args);
}

/**
 * encode() for operands the caller has already checked with misfit (the assembler does, to
 * name the operand in its message): the same word and the same other errors, without checking
 * every field twice.
 */
export function encodeFitted(e: Entry, args: Args): number {
  let w = e.match;
  for (const [f, def] of e.defs) {
    const v = args[f];
    if (v === undefined) throw new EncodeError(`${e.name}: missing operand ${f}`);
    w = insert(def, w, v);
  }
  checkOperands(e, args);
  return w >>> 0;
}

/** What encode() checks besides each field's value: no unknown operand, no refused value. */
export function checkOperands(e: Entry, args: Args): void {
  // Runs for every encoded instruction: no arrays or entries built on the way.
  for (const k in args) {
    if (!e.fields.includes(k as FieldName)) throw new EncodeError(`${e.name}: has no operand ${k}`);
  }
  const nonzero = e.nonzero;
  if (nonzero !== undefined) for (let i = 0; i < nonzero.length; i++) if (args[nonzero[i]!] === 0) throw new EncodeError(`${e.name}: operand ${nonzero[i]} must not be zero`);
  const not = e.not;
  if (not !== undefined) {
    for (const f in not) {
      const v = not[f as FieldName];
      if (args[f as FieldName] === v) throw new EncodeError(`${e.name}: operand ${f} must not be ${v}`);
    }
  }
}

/** True when `value` fits field `f` (used to choose compressed forms). */
export function fits(f: FieldName, value: number): boolean {
  return fitsField(FIELDS[f], value);
}
