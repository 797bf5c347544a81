/**
 * Types of the Assembler's named instruction methods (`a.addi(A0, A0, 1)`).
 *
 * The methods themselves are generated from the table when assembler.ts loads, one per
 * mnemonic, with `.` spelled `_` (`a.lr_w`, `a.sext_w`). This file only gives them
 * TypeScript signatures: the mnemonics of each table syntax string. A test checks that
 * every name here has exactly these syntaxes in the table, and that every integer
 * instruction of the table is listed, so the types cannot drift from the table. Floating
 * point and explicit `c.*` forms are reachable through `a.op(name, ...)`.
 */
import type { Expr } from './expr';

/** Anything written as an operand: register, immediate, CSR, fence set, rounding mode, target. */
export type Operand = number | bigint | string | Expr;

/** A register: number 0..31 or a name (`'a0'`, `'x10'`, `'fp'`). */
export type Reg = number | string;
/** An immediate: a number, a symbol name, or an expression (`hi('sym')`, `lo('sym')`). */
export type Imm = number | bigint | string | Expr;
/** A branch or jump target: a label name, an absolute address, or an expression (`rel(8)`). */
export type Target = number | bigint | string | Expr;
/** A CSR: number or name (`'sstatus'`). */
export type Csr = number | string;
/** A fence set: `'iorw'` letters, or the 4-bit number. */
export type FenceSet = string | number;

/** One signature per table syntax string. */
export interface Shapes<Self> {
  '': () => Self;
  'rd,imm20': (rd: Reg, upper20: Imm) => Self;
  'rd,jimm20': (rd: Reg, target: Target) => Self;
  'jimm20': (target: Target) => Self;
  'rd,imm12(rs1)': (rd: Reg, offset: Imm, base: Reg) => Self;
  'rs1': (rs1: Reg) => Self;
  'rs1,rs2': (rs1: Reg, rs2: Reg) => Self;
  'rs1,rs2,bimm12': (rs1: Reg, rs2: Reg, target: Target) => Self;
  'rs1,bimm12': (rs1: Reg, target: Target) => Self;
  'rs2,bimm12': (rs2: Reg, target: Target) => Self;
  'rs2,simm12(rs1)': (rs2: Reg, offset: Imm, base: Reg) => Self;
  'rd,rs1,imm12': (rd: Reg, rs1: Reg, imm: Imm) => Self;
  'rd,rs1,rs2': (rd: Reg, rs1: Reg, rs2: Reg) => Self;
  'rd,rs1': (rd: Reg, rs1: Reg) => Self;
  'rd,rs2': (rd: Reg, rs2: Reg) => Self;
  'rd,rs1,shamt6': (rd: Reg, rs1: Reg, shamt: Imm) => Self;
  'rd,rs1,shamt5': (rd: Reg, rs1: Reg, shamt: Imm) => Self;
  'pred,succ': (pred: FenceSet, succ: FenceSet) => Self;
  'rd,(rs1)': (rd: Reg, address: Reg) => Self;
  'rd,rs2,(rs1)': (rd: Reg, rs2: Reg, address: Reg) => Self;
  'rd,csr,rs1': (rd: Reg, csr: Csr, rs1: Reg) => Self;
  'rd,csr,zimm5': (rd: Reg, csr: Csr, uimm: Imm) => Self;
  'rd,csr': (rd: Reg, csr: Csr) => Self;
  'csr,rs1': (csr: Csr, rs1: Reg) => Self;
  'csr,zimm5': (csr: Csr, uimm: Imm) => Self;
}

/** Mnemonics by syntax (a mnemonic with several forms is listed under each: overloads). */
export const TYPED = {
  '': ['ecall', 'ebreak', 'fence.i', 'nop', 'ret', 'fence.tso', 'fence', 'sret', 'mret', 'wfi', 'sfence.vma'],
  'rd,imm20': ['lui', 'auipc'],
  'rd,jimm20': ['jal'],
  'jimm20': ['jal', 'j'],
  'rd,imm12(rs1)': ['jalr', 'lb', 'lh', 'lw', 'lbu', 'lhu', 'ld', 'lwu'],
  'rs1': ['jalr', 'jr', 'sfence.vma'],
  'rs1,rs2': ['sfence.vma'],
  'rs1,rs2,bimm12': ['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu'],
  'rs1,bimm12': ['beqz', 'bnez', 'bgez', 'bltz'],
  'rs2,bimm12': ['blez', 'bgtz'],
  'rs2,simm12(rs1)': ['sb', 'sh', 'sw', 'sd'],
  'rd,rs1,imm12': ['addi', 'slti', 'sltiu', 'xori', 'ori', 'andi', 'addiw'],
  'rd,rs1,rs2': [
    'add', 'sub', 'sll', 'slt', 'sltu', 'xor', 'srl', 'sra', 'or', 'and', 'addw', 'subw', 'sllw', 'srlw', 'sraw',
    'mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu', 'mulw', 'divw', 'divuw', 'remw', 'remuw',
    'sh1add', 'sh2add', 'sh3add', 'add.uw', 'sh1add.uw', 'sh2add.uw', 'sh3add.uw', 'andn', 'orn', 'xnor',
    'max', 'maxu', 'min', 'minu', 'rol', 'ror', 'rolw', 'rorw', 'bclr', 'bext', 'binv', 'bset',
  ],
  'rd,rs1': [
    'clz', 'ctz', 'cpop', 'sext.b', 'sext.h', 'clzw', 'ctzw', 'cpopw', 'orc.b', 'rev8', 'zext.h',
    'mv', 'not', 'sext.w', 'seqz', 'sltz',
  ],
  'rd,rs2': ['neg', 'negw', 'snez', 'sgtz'],
  'rd,rs1,shamt6': ['slli', 'srli', 'srai', 'slli.uw', 'rori', 'bclri', 'bexti', 'binvi', 'bseti'],
  'rd,rs1,shamt5': ['slliw', 'srliw', 'sraiw', 'roriw'],
  'pred,succ': ['fence'],
  'rd,(rs1)': ['lr.w', 'lr.d'],
  'rd,rs2,(rs1)': [
    'sc.w', 'amoadd.w', 'amoswap.w', 'amoxor.w', 'amoor.w', 'amoand.w', 'amomin.w', 'amomax.w', 'amominu.w', 'amomaxu.w',
    'sc.d', 'amoadd.d', 'amoswap.d', 'amoxor.d', 'amoor.d', 'amoand.d', 'amomin.d', 'amomax.d', 'amominu.d', 'amomaxu.d',
  ],
  'rd,csr,rs1': ['csrrw', 'csrrs', 'csrrc'],
  'rd,csr,zimm5': ['csrrwi', 'csrrsi', 'csrrci'],
  'rd,csr': ['csrr'],
  'csr,rs1': ['csrw', 'csrs', 'csrc'],
  'csr,zimm5': ['csrwi', 'csrsi', 'csrci'],
} as const satisfies { readonly [S in keyof Shapes<unknown>]: readonly string[] };

type Typed = typeof TYPED;
type TypedName = Typed[keyof Typed][number];
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** `lr.w` -> `lr_w`. */
export type MethodName<N extends string> = N extends `${infer A}.${infer B}` ? MethodName<`${A}_${B}`> : N;
type Overloads<Self, N extends string> = UnionToIntersection<
  { [S in keyof Typed]: N extends Typed[S][number] ? Shapes<Self>[S] : never }[keyof Typed]
>;

/** The generated instruction methods, typed. */
export type InsnMethods<Self> = { [N in TypedName as MethodName<N>]: Overloads<Self, N> };

/** Method name of a mnemonic. */
export const methodName = (mnemonic: string): string => mnemonic.replace(/\./g, '_');
