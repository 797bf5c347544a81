/**
 * Machine code for generated functions, written as a compiler following the RV64 psABI would
 * write it, so that any corrupted argument, clobbered callee-saved register, broken frame or
 * skipped instruction changes what the function returns and writes.
 *
 * The body computes a hash of EVERY argument word (registers and stack), in order:
 *
 *   h = salt;  for each word w:  h = mix(h, w)       mix(h, w) = x ^ (x >> 29), x = (h ^ w) * MIX
 *
 * Each step is a bijection of h for fixed w and of w for fixed h, so a change in any one word
 * changes the final hash. Then, with a frame:
 *
 *   s_j = h ^ j               for j = 1..saved  (callee-saved registers, live to the end)
 *   local_l = h + l + 1       for l = 0..locals-1 (stack slots, read back at the end)
 *   if callee:  r = callee(h ^ 1, h ^ 2, ... each word normalized to the callee's type)
 *               h = (s1 ^ 1 | local_0 - 1)      the hash survives the call only in memory / s1
 *               h = mix(h, r)                    unless the callee returns void
 *   h += sum s_j + sum local_l
 *   out.hash = h; out.runs += 1
 *   return h normalized to the return type (sign-extended char/short/int)
 *
 * A frameless leaf does only the hash (t registers, stack arguments read from sp). model.ts is
 * the same computation in TypeScript; the generator tests check the two agree on every profile.
 *
 * Registers: t5 = h, t6 = MIX, t3/t4 temporaries; nothing but a0 and the saved registers is
 * live across the call.
 */
import type { Assembler } from '../../../emulator/asm';
import type { ModuleSpec } from '../../../kernel/module';
import { checkModule, fnName, funcModel, outName, retLabel, slotCount, type ArgKind, type GenFunc, type GenModule, type RetKind, MODULE_NAME } from './func';

/** The multiplier of mix() (odd, so multiplication is a bijection mod 2^64). */
export const MIX = 0x9e3779b97f4a7c15n;
export const MIX_SHIFT = 29;

const A = (i: number) => `a${i}`;
const S = (j: number) => `s${j}`;

/** Frame layout of an 'fp' function (offsets from sp after the prologue). */
export interface FrameLayout {
  readonly size: number;
  /** Outgoing stack-argument area for the callee, at sp + 0. */
  readonly outgoing: number;
  localOff(l: number): number;
  savedOff(j: number): number;
}

export function frameLayout(m: GenModule, f: GenFunc): FrameLayout {
  const calleeSlots = f.callee === undefined ? 0 : slotCount(m.functions[f.callee]!);
  const outgoing = 8 * Math.max(0, calleeSlots - 8);
  const size = Math.ceil((16 + 8 * f.saved + 8 * f.locals + outgoing) / 16) * 16 + f.pad;
  return {
    size,
    outgoing,
    localOff: (l) => outgoing + 8 * l,
    savedOff: (j) => size - 16 - 8 * j,
  };
}

/** The kinds of each word of a function's arguments (a struct16 gives two 'u64' words). */
export function wordKinds(f: GenFunc): Exclude<ArgKind, 'struct16'>[] {
  return f.args.flatMap((k) => (k === 'struct16' ? (['u64', 'u64'] as const) : [k]));
}

/** Sign-extends reg in place as a psABI caller / callee does for a narrow type. */
function normalize(a: Assembler, reg: string, src: string, k: Exclude<ArgKind, 'struct16'> | RetKind): void {
  switch (k) {
    case 'char':
      a.slli(reg, src, 56).srai(reg, reg, 56);
      return;
    case 'short':
      a.slli(reg, src, 48).srai(reg, reg, 48);
      return;
    case 'int':
      a.addiw(reg, src, 0);
      return;
    default:
      if (reg !== src) a.mv(reg, src);
  }
}

function mixIn(a: Assembler, w: string): void {
  a.xor('t5', 't5', w).mul('t5', 't5', 't6').srli('t3', 't5', MIX_SHIFT).xor('t5', 't5', 't3');
}

/** Emits the body of function i (everything after its sled). */
export function emitBody(a: Assembler, m: GenModule, i: number): void {
  const f = m.functions[i]!;
  const fp = f.frame === 'fp';
  const fr = fp ? frameLayout(m, f) : undefined;
  const n = slotCount(f);

  if (fr) {
    a.addi('sp', 'sp', -fr.size);
    a.sd('ra', fr.size - 8, 'sp').sd('s0', fr.size - 16, 'sp');
    for (let j = 1; j <= f.saved; j++) a.sd(S(j), fr.savedOff(j), 'sp');
    a.addi('s0', 'sp', fr.size);
  }
  a.li('t6', MIX).li('t5', BigInt.asIntN(64, f.salt));
  for (let w = 0; w < n; w++) {
    if (w < 8) mixIn(a, A(w));
    else {
      // Stack arguments: at the caller's sp, which is s0 with a frame and sp without.
      a.ld('t4', 8 * (w - 8), fp ? 's0' : 'sp');
      mixIn(a, 't4');
    }
  }
  if (fr) {
    for (let j = 1; j <= f.saved; j++) a.xori(S(j), 't5', j);
    for (let l = 0; l < f.locals; l++) a.addi('t4', 't5', l + 1).sd('t4', fr.localOff(l), 'sp');
    if (f.callee !== undefined) {
      const c = m.functions[f.callee]!;
      wordKinds(c).forEach((k, w) => {
        const reg = w < 8 ? A(w) : 't4';
        a.xori(reg, 't5', w + 1);
        normalize(a, reg, reg, k);
        if (w >= 8) a.sd('t4', 8 * (w - 8), 'sp');
      });
      a.call(fnName(f.callee)).label(retLabel(i));
      if (f.saved > 0) a.xori('t5', 's1', 1);
      else a.ld('t5', fr.localOff(0), 'sp').addi('t5', 't5', -1);
      if (c.ret !== 'void') {
        a.li('t6', MIX);
        mixIn(a, 'a0');
      }
    }
    for (let j = 1; j <= f.saved; j++) a.add('t5', 't5', S(j));
    for (let l = 0; l < f.locals; l++) a.ld('t4', fr.localOff(l), 'sp').add('t5', 't5', 't4');
  }
  a.lla('t4', outName(i)).sd('t5', 0, 't4').ld('t3', 8, 't4').addi('t3', 't3', 1).sd('t3', 8, 't4');
  normalize(a, 'a0', 't5', f.ret);
  if (fr) {
    a.ld('ra', fr.size - 8, 'sp').ld('s0', fr.size - 16, 'sp');
    for (let j = 1; j <= f.saved; j++) a.ld(S(j), fr.savedOff(j), 'sp');
    a.addi('sp', 'sp', fr.size);
  }
  a.ret();
}

/** The module loadModule() loads for a generated module. */
export function moduleSpec(m: GenModule): ModuleSpec {
  const bad = checkModule(m);
  if (bad) throw new Error(`generated module: ${bad}`);
  return {
    name: MODULE_NAME,
    data: m.functions.map((_, i) => ({ name: outName(i), size: 16 })),
    functions: m.functions.map((f, i) => ({ name: fnName(i), model: funcModel(f, i), asm: (a: Assembler) => emitBody(a, m, i) })),
  };
}
