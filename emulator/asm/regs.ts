/** Integer register numbers by ABI name, for the TypeScript API (`a.addi(A0, A0, 1)`). */
import { XREG_NAMES } from '../isa/regnames';

const n = (name: string): number => {
  const i = XREG_NAMES.indexOf(name);
  if (i < 0) throw new Error(`asm regs: no register ${name}`);
  return i;
};

export const ZERO = n('zero'), RA = n('ra'), SP = n('sp'), GP = n('gp'), TP = n('tp');
export const T0 = n('t0'), T1 = n('t1'), T2 = n('t2'), T3 = n('t3'), T4 = n('t4'), T5 = n('t5'), T6 = n('t6');
export const S0 = n('s0'), FP = S0, S1 = n('s1'), S2 = n('s2'), S3 = n('s3'), S4 = n('s4'), S5 = n('s5');
export const S6 = n('s6'), S7 = n('s7'), S8 = n('s8'), S9 = n('s9'), S10 = n('s10'), S11 = n('s11');
export const A0 = n('a0'), A1 = n('a1'), A2 = n('a2'), A3 = n('a3'), A4 = n('a4'), A5 = n('a5'), A6 = n('a6'), A7 = n('a7');
