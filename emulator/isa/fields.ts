/**
 * Instruction fields: where each operand lives in an instruction word.
 *
 * A field is a list of slices `[instHi, instLo, valueLo]`: instruction bits
 * instHi..instLo become value bits valueLo + (instHi - instLo) .. valueLo.
 * Scaled immediates simply have no slice for their low bits. `extract` and
 * `insert` are both derived from the slice list, so they cannot disagree.
 */

/** How a field's value is shown and parsed in assembly text. */
export type FieldKind =
  | 'xreg' // integer register x0..x31
  | 'freg' // floating-point register f0..f31
  | 'imm' // immediate printed in decimal (offsets, addi)
  | 'hex' // immediate printed in hex (shift amounts)
  | 'upper' // lui/auipc: a 32-bit value whose low 12 bits are zero, printed as its 20-bit hex
  | 'target' // pc-relative branch/jump offset, printed as an absolute address
  | 'csr' // CSR number, printed by name
  | 'uimm' // unsigned immediate printed in decimal (csrrwi zimm)
  | 'fence' // fence predecessor/successor set (iorw)
  | 'rm' // floating-point rounding mode
  | 'bit'; // a single flag bit (aq, rl)

export type Slice = readonly [instHi: number, instLo: number, valueLo: number];

export interface FieldDef {
  readonly slices: readonly Slice[];
  /** Number of value bits (including implied low zero bits). */
  readonly width: number;
  readonly signed: boolean;
  readonly kind: FieldKind;
  /** Added after extraction (compressed 3-bit registers name x8..x15). */
  readonly bias?: number;
}

const f = (kind: FieldKind, width: number, signed: boolean, slices: Slice[], bias?: number): FieldDef =>
  withFit(bias === undefined ? { kind, width, signed, slices } : { kind, width, signed, slices, bias });

/**
 * What misfit / insert need of a field, computed once: the accepted raw range, the value bits
 * some slice carries, and each slice as shift / mask. The assembler checks and inserts every
 * field of every instruction it emits, so these two are hot.
 */
interface Fit {
  readonly bias: number;
  readonly lo: number;
  readonly hi: number;
  /** 2 ** width: added to a negative raw value to get its two's complement bits. */
  readonly mod: number;
  /** Value bits some slice carries (all fields are at most 32 bits wide). */
  readonly covered: number;
  /** Per slice: instruction bit lo, value bit lo, and the slice's bit mask (width n, at 0). */
  readonly slices: readonly (readonly [instLo: number, valueLo: number, bits: number])[];
}

const FIT = Symbol('fit');
type WithFit = FieldDef & { readonly [FIT]?: Fit };

function computeFit(def: FieldDef): Fit {
  let covered = 0;
  for (const [hi, lo, vlo] of def.slices) covered = (covered | ((2 ** (hi - lo + 1) - 1) * 2 ** vlo)) >>> 0;
  return {
    bias: def.bias ?? 0,
    lo: def.signed ? -(2 ** (def.width - 1)) : 0,
    hi: def.signed ? 2 ** (def.width - 1) - 1 : 2 ** def.width - 1,
    mod: 2 ** def.width,
    covered,
    slices: def.slices.map(([hi, lo, vlo]) => [lo, vlo, hi - lo + 1 >= 32 ? 0xffffffff : (1 << (hi - lo + 1)) - 1] as const),
  };
}

/** The table's own fields carry their Fit (not enumerable: a FieldDef still compares as plain data). */
function withFit(def: FieldDef): FieldDef {
  Object.defineProperty(def, FIT, { value: computeFit(def), enumerable: false });
  return def;
}

/** Field definitions made elsewhere (tests) get theirs on first use. */
const fitCache = new WeakMap<FieldDef, Fit>();
function fitOf(def: FieldDef): Fit {
  const own = (def as WithFit)[FIT];
  if (own) return own;
  let c = fitCache.get(def);
  if (!c) fitCache.set(def, (c = computeFit(def)));
  return c;
}

export const FIELDS = {
  // ---- 32-bit formats --------------------------------------------------------------------------
  rd: f('xreg', 5, false, [[11, 7, 0]]),
  rs1: f('xreg', 5, false, [[19, 15, 0]]),
  rs2: f('xreg', 5, false, [[24, 20, 0]]),
  fd: f('freg', 5, false, [[11, 7, 0]]),
  fs1: f('freg', 5, false, [[19, 15, 0]]),
  fs2: f('freg', 5, false, [[24, 20, 0]]),
  fs3: f('freg', 5, false, [[31, 27, 0]]),
  imm12: f('imm', 12, true, [[31, 20, 0]]),
  simm12: f('imm', 12, true, [[31, 25, 5], [11, 7, 0]]),
  bimm12: f('target', 13, true, [[31, 31, 12], [30, 25, 5], [11, 8, 1], [7, 7, 11]]),
  imm20: f('upper', 32, true, [[31, 12, 12]]),
  jimm20: f('target', 21, true, [[31, 31, 20], [30, 21, 1], [20, 20, 11], [19, 12, 12]]),
  shamt6: f('hex', 6, false, [[25, 20, 0]]),
  shamt5: f('hex', 5, false, [[24, 20, 0]]),
  csr: f('csr', 12, false, [[31, 20, 0]]),
  zimm5: f('uimm', 5, false, [[19, 15, 0]]),
  fm: f('hex', 4, false, [[31, 28, 0]]),
  pred: f('fence', 4, false, [[27, 24, 0]]),
  succ: f('fence', 4, false, [[23, 20, 0]]),
  aq: f('bit', 1, false, [[26, 26, 0]]),
  rl: f('bit', 1, false, [[25, 25, 0]]),
  rm: f('rm', 3, false, [[14, 12, 0]]),

  // ---- 16-bit (RVC) formats ---------------------------------------------------------------------
  crd: f('xreg', 5, false, [[11, 7, 0]]),
  crs2: f('xreg', 5, false, [[6, 2, 0]]),
  crdp: f('xreg', 3, false, [[4, 2, 0]], 8),
  crs1p: f('xreg', 3, false, [[9, 7, 0]], 8),
  crs2p: f('xreg', 3, false, [[4, 2, 0]], 8),
  cfrdp: f('freg', 3, false, [[4, 2, 0]], 8),
  cfrs2p: f('freg', 3, false, [[4, 2, 0]], 8),
  cfrd: f('freg', 5, false, [[11, 7, 0]]),
  cfrs2: f('freg', 5, false, [[6, 2, 0]]),
  c_nzuimm10: f('imm', 10, false, [[12, 11, 4], [10, 7, 6], [6, 6, 2], [5, 5, 3]]),
  c_uimm7: f('imm', 7, false, [[12, 10, 3], [6, 6, 2], [5, 5, 6]]),
  c_uimm8: f('imm', 8, false, [[12, 10, 3], [6, 5, 6]]),
  c_imm6: f('imm', 6, true, [[12, 12, 5], [6, 2, 0]]),
  c_nzimm10: f('imm', 10, true, [[12, 12, 9], [6, 6, 4], [5, 5, 6], [4, 3, 7], [2, 2, 5]]),
  c_nzimm18: f('upper', 18, true, [[12, 12, 17], [6, 2, 12]]),
  c_shamt: f('hex', 6, false, [[12, 12, 5], [6, 2, 0]]),
  c_jimm: f('target', 12, true, [[12, 12, 11], [11, 11, 4], [10, 9, 8], [8, 8, 10], [7, 7, 6], [6, 6, 7], [5, 3, 1], [2, 2, 5]]),
  c_bimm: f('target', 9, true, [[12, 12, 8], [11, 10, 3], [6, 5, 6], [4, 3, 1], [2, 2, 5]]),
  c_uimm8sp: f('imm', 8, false, [[12, 12, 5], [6, 4, 2], [3, 2, 6]]),
  c_uimm9sp: f('imm', 9, false, [[12, 12, 5], [6, 5, 3], [4, 2, 6]]),
  c_uimm8sp_s: f('imm', 8, false, [[12, 9, 2], [8, 7, 6]]),
  c_uimm9sp_s: f('imm', 9, false, [[12, 10, 3], [9, 7, 6]]),
} as const satisfies Record<string, FieldDef>;

export type FieldName = keyof typeof FIELDS;

/** Bits of the instruction word that a field occupies. */
export function fieldMask(def: FieldDef): number {
  let m = 0;
  for (const [hi, lo] of def.slices) m |= (((1 << (hi - lo + 1)) - 1) << lo) >>> 0;
  return m >>> 0;
}

/** Reads a field's value out of an instruction word. */
export function extract(def: FieldDef, word: number): number {
  let v = 0;
  for (const [hi, lo, vlo] of def.slices) {
    const bits = (word >>> lo) & ((1 << (hi - lo + 1)) - 1);
    v += bits * 2 ** vlo;
  }
  if (def.signed && v >= 2 ** (def.width - 1)) v -= 2 ** def.width;
  return v + (def.bias ?? 0);
}

/** Whether a value can be put in a field (misfit without the message: the RVC search asks
 *  this of many candidate forms that do not fit). */
export function fitsField(def: FieldDef, value: number): boolean {
  const fit = fitOf(def);
  const raw = value - fit.bias;
  if (raw >= fit.lo && raw <= fit.hi && Number.isInteger(raw)) {
    const u = raw < 0 ? raw + fit.mod : raw;
    // Bits of the value that no slice carries must be zero (scaled immediates).
    return ((u & ~fit.covered) >>> 0) === 0;
  }
  return false;
}

/** Why a value cannot be put in a field, or undefined when it fits. */
export function misfit(def: FieldDef, value: number): string | undefined {
  return fitsField(def, value) ? undefined : whyMisfit(def, value, fitOf(def));
}

/** misfit's message, once the fast check above has failed. */
function whyMisfit(def: FieldDef, value: number, fit: Fit): string | undefined {
  if (!Number.isInteger(value)) return `${value} is not an integer`;
  const raw = value - fit.bias;
  const { lo, hi } = fit;
  if (raw < lo || raw > hi) {
    return def.bias === undefined ? `${value} is out of range [${lo}, ${hi}]` : `x${value} is not one of x${lo + def.bias}..x${hi + def.bias}`;
  }
  const u = raw < 0 ? raw + fit.mod : raw;
  if (((u & ~fit.covered) >>> 0) !== 0) {
    const lowZero = def.slices.reduce((m, sl) => Math.min(m, sl[2]), 99);
    return `${value} is not a multiple of ${2 ** lowZero}`;
  }
  return undefined;
}

/** Puts a value into a field of an instruction word. The value must fit (see misfit). */
export function insert(def: FieldDef, word: number, value: number): number {
  const fit = fitOf(def);
  const raw = value - fit.bias;
  const u = raw < 0 ? raw + fit.mod : raw;
  if (u >>> 0 === u) {
    // The usual case, a 32-bit pattern: shifts instead of divisions.
    let w = word >>> 0;
    for (const [lo, vlo, bits] of fit.slices) {
      const m = (bits << lo) >>> 0;
      w = ((w & ~m) | (((u >>> vlo) & bits) << lo & m)) >>> 0;
    }
    return w;
  }
  let w = word >>> 0;
  for (const [hi, lo, vlo] of def.slices) {
    const n = hi - lo + 1;
    const bits = Math.floor(u / 2 ** vlo) % 2 ** n;
    const m = (((1 << n) - 1) << lo) >>> 0;
    w = ((w & ~m) | ((bits << lo) & m)) >>> 0;
  }
  return w >>> 0;
}
