import type { FieldName } from './fields';

/**
 * ISA extensions an entry belongs to (the CPU enables them as a set). 'S' is not an ISA
 * extension but the privileged instructions (sret, mret, wfi, sfence.vma).
 */
export type Ext = 'I' | 'M' | 'A' | 'C' | 'F' | 'D' | 'Zicsr' | 'Zifencei' | 'Zba' | 'Zbb' | 'Zbs' | 'S';

/**
 * One instruction encoding, as plain data.
 *
 * `fixed` maps a bit range ("14..12") or a single bit ("25") to its constant value; every
 * other bit must belong to exactly one operand field. `syntax` is the operand list in
 * assembly order: field names separated by commas, with `imm(reg)` for a memory operand.
 */
export interface EntryDef {
  readonly name: string;
  readonly ext: Ext;
  readonly size: 2 | 4;
  readonly fields: readonly FieldName[];
  readonly fixed: Readonly<Record<string, number>>;
  readonly syntax: string;
  /** Fields that must not be zero (RVC reserved encodings and those that belong to another entry). */
  readonly nonzero?: readonly FieldName[];
  /** Field values that make the word something else (c.lui with rd = sp is c.addi16sp). */
  readonly not?: Readonly<Partial<Record<FieldName, number>>>;
  /** Compressed instructions: the base instruction they stand for and how its fields are filled. */
  readonly expand?: { readonly to: string; readonly args: Readonly<Partial<Record<FieldName, FieldName | number>>> };
  /** Compressed instructions: which of their words are RVC HINTs (see HintDef); the first match applies. */
  readonly hints?: readonly HintDef[];
}

/**
 * RVC HINT encodings of a compressed entry (unprivileged spec, "RVC HINT Instructions"):
 * legal words that decode and execute as their expansion, but that the spec sets aside for
 * hints, so the assembler never chooses them for base code (`addi x0,x0,5` stays 32-bit),
 * and objdump gives most of them a `c.` name of their own. A word is the hint when its
 * fields hold the `fixed` values and none of the `nonzero` fields is zero.
 */
export interface HintDef {
  readonly fixed: Readonly<Partial<Record<FieldName, number>>>;
  readonly nonzero?: readonly FieldName[];
  /**
   * How binutils 2.40 objdump prints the hint (`c.nop 1`, `c.li zero,5`); without it the
   * word is printed like any other word of its entry (`add a0,a0,0`).
   */
  readonly objdump?: { readonly name: string; readonly syntax: string };
}

/**
 * A one-to-one alias of an entry: `mv rd,rs1` is `addi rd,rs1,0`. The alias applies to the
 * words whose fields hold the `fixed` values (and, with `same`, repeat one field in another).
 */
export interface PseudoDef {
  readonly name: string;
  readonly of: string;
  readonly fixed: Readonly<Partial<Record<FieldName, number>>>;
  readonly syntax: string;
  /**
   * [shown, hidden]: field `hidden` must equal field `shown`, and only `shown` is in the
   * syntax (`fmv.s fd,fs1` is `fsgnj.s fd,fs1,fs1`).
   */
  readonly same?: readonly [FieldName, FieldName];
}
