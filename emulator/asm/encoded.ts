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

interface Node<F> {
  readonly next: Map<Key, Node<F>>;
  value: Encoded<F> | undefined;
}

/** Enough distinct instructions for any campaign; past it the memo starts over. */
const LIMIT = 200_000;

export class EncodedMemo<F> {
  private root: Node<F> = { next: new Map(), value: undefined };
  private size = 0;

  /** The node of a key path (created when `make`), or undefined. */
  private node(path: readonly Key[], make: boolean): Node<F> | undefined {
    let n = this.root;
    for (const k of path) {
      let c = n.next.get(k);
      if (!c) {
        if (!make) return undefined;
        n.next.set(k, (c = { next: new Map(), value: undefined }));
      }
      n = c;
    }
    return n;
  }

  get(path: readonly Key[]): Encoded<F> | undefined {
    return this.node(path, false)?.value;
  }

  set(path: readonly Key[], v: Encoded<F>): void {
    if (this.size >= LIMIT) {
      this.root = { next: new Map(), value: undefined };
      this.size = 0;
    }
    const n = this.node(path, true)!;
    if (!n.value) this.size++;
    n.value = v;
  }
}

/**
 * The memo key of `name operands` assembled with RVC on or off, or undefined when an operand
 * could depend on the assembler's symbols or layout (anything but a number, a bigint or a
 * register name).
 */
export function encodedKey(compressed: boolean, name: string, operands: readonly Operand[]): Key[] | undefined {
  const key: Key[] = [compressed, name];
  for (const o of operands) {
    if (typeof o === 'number' || typeof o === 'bigint') key.push(o);
    else if (typeof o === 'string' && (xreg(o) !== undefined || freg(o) !== undefined)) key.push(o);
    else return undefined;
  }
  return key;
}
