/**
 * The RV64 assembler: a builder API for TypeScript (Assembler) and a GNU-as-like text front
 * end (assemble), both driven by the instruction table.
 */
export { Assembler, type AssemblerOptions, type Program, type ListingLine, type Operand, type Where } from './assembler';
export type { Reg, Imm, Target, Csr, FenceSet } from './methods';
export { assemble } from './text';
export { AsmError } from './errors';
export { sym, num, hi, lo, pcrelHi, pcrelLo, rel, parseExpr, type Expr } from './expr';
export { liSequence, type LiStep } from './li';
export * from './regs';
