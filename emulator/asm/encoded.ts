/**
 * Memo of encoded instructions whose bytes depend on nothing but what was written: a mnemonic
 * with operands that are numbers or register names (no label, symbol or expression, so no
 * layout and no assembler state beyond RVC on/off), or `li` of a constant. Generated code
 * (the property tests' functions) repeats such instructions all the time; the table-driven
 * path (forms, operand checks, RVC inversion, field checks) runs once per distinct one. Only
 * successfully encoded instructions are remembered, so every error still comes from the full
 * path.
 *
 * Keys are paths of primitive values in nested Maps (SameValueZero: the number 5, the bigint
 * 5n and the name "5" are different keys), which costs less than building and hashing a
 * string per instruction.
 */
import { xreg, freg } from '../isa/regnames';
import type { Operand } from './methods';

/** One or more encoded instruction words with their sizes. */
export interface Encoded<F> {
  /** What the listing text is made from (the chosen form), when the memo was filled. */
  readonly form: F;
  readonly words: readonly number[];
  readonly sizes: readonly (2 | 4)[];
}

type Key = string | number | bigint | boolean;

/** A memo entry: filled once the instruction has been encoded. */
export interface Slot<F> {
  readonly next: Map<Key, Slot<F>>;
  value: Encoded<F> | undefined;
}

/** Enough distinct instructions for any campaign; past it the memo starts over. */
const LIMIT = 20_000;

const newSlot = <F>(): Slot<F> => ({ next: new Map(), value: undefined });

export class EncodedMemo<F> {
  private root: Slot<F> = newSlot();
  private slots = 0;

  private child(n: Slot<F>, k: Key): Slot<F> {
    let c = n.next.get(k);
    if (!c) {
      n.next.set(k, (c = newSlot()));
      this.slots++;
    }
    return c;
  }

  private start(): Slot<F> {
    if (this.slots >= LIMIT) {
      this.root = newSlot();
      this.slots = 0;
    }
    return this.root;
  }

  /**
   * The entry of `name operands` assembled with RVC on or off, or undefined when an operand
   * could depend on the assembler's symbols or layout (anything but a number, a bigint or a
   * register name).
   */
  op(compressed: boolean, name: string, operands: readonly Operand[]): Slot<F> | undefined {
    for (const o of operands) {
      if (typeof o === 'string' ? xreg(o) === undefined && freg(o) === undefined : typeof o !== 'number' && typeof o !== 'bigint') return undefined;
    }
    let n = this.child(this.child(this.start(), compressed), name);
    for (const o of operands) n = this.child(n, o as Key);
    return n;
  }

  /** The entry of a sequence keyed by plain values (li: RVC, register, value). */
  of(...path: readonly Key[]): Slot<F> {
    let n = this.start();
    for (const k of path) n = this.child(n, k);
    return n;
  }
}
