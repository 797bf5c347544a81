/**
 * JavaScript text for one predecoded instruction, for the block translator (trace.ts).
 *
 * The statements are the interpreter's fast-path cases (hart.ts, fastpath.ts) with the op's
 * fields folded in as constants: same register halves, same order of reads and writes, same
 * results. Two things differ in form, not in meaning:
 *  - guest registers live in JavaScript locals (l5/h5 for the halves of x5) for the length of
 *    a trace; the trace loads them on entry and writes them back to the hart on every exit,
 *    before a handler call and when a trap unwinds (x0 reads as the constant 0; writes to x0
 *    go to the sink l32/h32, never written back);
 *  - loads and stores first try the memory's translation caches inline, with the address as
 *    register halves (Memory rTagLo/rTagHi, wTagLo/wTagHi), and otherwise call the same Memory accessor the
 *    interpreter calls. A cache hit is the accessor's own fast path (the write cache never
 *    holds code or write-watched pages, the read cache never read-watched ones), so faults, watches and
 *    code invalidation all happen in the accessor.
 * Instructions without a fast kind call their reference handler (exec/) through the op
 * itself, so both engines share one set of semantics. Control flow (branches, jal, jalr) is
 * left to the trace builder, which knows where the trace goes next.
 *
 * Other names in scope: h (hart), L/H (the hart's register halves), m (memory), rL/rH with rB/rW and
 * wL/wH with wB/wW (read and write cache tags with their pages' byte and word views), o<k> (the op of instruction k), t (index of
 * the instruction that may trap), e0 (h.codeEpoch on entry).
 */
import type { Op } from '../op';

const TWO32 = 4294967296;

/** A number literal that is safe to splice into an expression. */
export function lit(v: number): string {
  return v < 0 || Object.is(v, -0) ? `(${v})` : String(v);
}

/** Local holding the low / high half of register i (x0 reads as 0). */
export const lo = (i: number): string => (i === 0 ? '0' : `l${i}`);
export const hi = (i: number): string => (i === 0 ? '0' : `h${i}`);

/** The condition under which a conditional branch is taken, or undefined for other ops. */
export function branchCondition(o: Op): string | undefined {
  const la = lo(o.rs1), ha = hi(o.rs1), lb = lo(o.rs2), hb = hi(o.rs2);
  switch (o.name) {
    case 'beq': return `${la}===${lb}&&${ha}===${hb}`;
    case 'bne': return `${la}!==${lb}||${ha}!==${hb}`;
    case 'blt': return `(${ha}===${hb}?(${la}>>>0)<(${lb}>>>0):${ha}<${hb})`;
    case 'bge': return `(${ha}===${hb}?(${la}>>>0)>=(${lb}>>>0):${ha}>${hb})`;
    case 'bltu': return `(${ha}===${hb}?(${la}>>>0)<(${lb}>>>0):(${ha}>>>0)<(${hb}>>>0))`;
    case 'bgeu': return `(${ha}===${hb}?(${la}>>>0)>=(${lb}>>>0):(${ha}>>>0)>(${hb}>>>0))`;
    default: return undefined;
  }
}

export type Emitted =
  /** `cache`: the instruction keeps a one-page cache in locals c<k>/g<k>/a<k> (a byte or word view). */
  | { readonly kind: 'straight'; readonly code: string; readonly reads: readonly number[]; readonly writes: readonly number[]; readonly cache?: 'B' | 'W' }
  /** A store; `code(after)` runs `after` when the store took the accessor's slow path, the only
   *  one that can write to code. */
  | { readonly kind: 'store'; readonly code: (after: string) => string; readonly reads: readonly number[]; readonly cache: 'B' | 'W' }
  | { readonly kind: 'branch'; readonly cond: string; readonly reads: readonly number[] }
  | { readonly kind: 'jal'; readonly link: string; readonly writes: readonly number[] }
  /** A handler call: the trace writes back `reads` before it and reloads `writes` after. */
  | { readonly kind: 'call'; readonly code: string; readonly reads: readonly number[]; readonly writes: readonly number[]; readonly store: boolean; readonly jump: boolean };

/** rs1 + imm as register halves in block-scoped consts `lo` and `hi` (a 64-bit add). */
function address(o: Op): string {
  const a = o.rs1;
  if (a === 0) return `const lo=${lit(o.imm)},hi=${lit(o.immHi)};`;
  if (o.imm === 0) return `const lo=${lo(a)},hi=${hi(a)};`;
  return `const lo=(${lo(a)}+${lit(o.imm)})|0,hi=(${hi(a)}+${lit(o.immHi)}+((lo>>>0)<(${lo(a)}>>>0)?1:0))|0;`;
}

/** The same address as one address number (as exec/common.ts ea() computes it) for the accessors. */
const NUM = `hi*${TWO32}+(lo>>>0)`;

// Masks: any byte (-4096), 2-byte aligned (-4095), 4-byte aligned (-4093). A masked address
// equals a page's tag only when it is in that page and its low bits the mask keeps are zero.
const ANY = -4096, AL2 = -4095, AL4 = -4093;

/**
 * Placeholder for "forget every instruction's own page cache", which the trace builder fills
 * in: after an accessor's slow path or a handler call, host code (a watch callback) may have
 * changed mappings, permissions or watches, which flush the memory's caches.
 */
export const FORGET = '\u0002';

/**
 * Memory access k. Each memory instruction of a trace keeps the page it used last in locals
 * (c<k>: low tag, g<k>: high tag, a<k>: the page's byte or word view): a loop touching the
 * same page skips even the memory cache lookup. The page is taken only from the memory's
 * cache (so it has the permission the access needs and, for stores, is neither code nor
 * watched), and dropped (FORGET) whenever host code may have run.
 */
function access(k: number, c: 'r' | 'w', mask: number, view: 'B' | 'W', within: string, hit: (arr: string) => string, slow: string): string {
  const tagOk = `(lo&${lit(mask)})`;
  return (
    `if(${tagOk}===c${k}&&hi===g${k}${within}){${hit(`a${k}`)}}` +
    `else{const i=(lo>>>12)&255;if(${c}H[i]===hi&&${tagOk}===${c}L[i]${within}){c${k}=${c}L[i];g${k}=hi;a${k}=${c}${view}[i];${hit(`a${k}`)}}` +
    `else{${slow}${FORGET}}}`
  );
}
const IN8 = '&&(lo&4095)<=4088';

const R = (...rs: number[]) => rs.filter((r) => r !== 0);
const W = (d: number) => (d === 32 ? [] : [d]);

/** JavaScript for instruction k (its op is `o<k>` in the generated code). */
export function emit(o: Op, k: number): Emitted {
  const d = o.rd, a = o.rs1, b = o.rs2, I = lit(o.imm), IH = lit(o.immHi), s = o.aux;
  const ld = `l${d}`, hd = `h${d}`, la = lo(a), ha = hi(a), lb = lo(b), hb = hi(b);
  const cond = branchCondition(o);
  if (cond !== undefined) return { kind: 'branch', cond, reads: R(a, b) };
  const alu = (code: string, reads: number[]): Emitted => ({ kind: 'straight', code, reads: R(...reads), writes: W(d) });
  /** A load into v (or vl/vh), then `set` writes rd. */
  const load = (mask: number, view: 'B' | 'W', get: (arr: string) => string, slow: string, set: string, within = ''): Emitted => ({
    kind: 'straight',
    code: `t=${k};{${address(o)}let v;${access(k, 'r', mask, view, within, (arr) => `v=${get(arr)};`, `v=${slow};`)}${set}}`,
    reads: R(a),
    writes: W(d),
    cache: view,
  });
  const store = (mask: number, view: 'B' | 'W', put: (arr: string) => string, slow: string, within = ''): Emitted => ({
    kind: 'store',
    code: (after) => `t=${k};{${address(o)}${access(k, 'w', mask, view, within, put, slow + after)}}`,
    reads: R(a, b),
    cache: view,
  });

  switch (o.name) {
    case 'jal': return { kind: 'jal', link: `${ld}=${lit(o.nextLo)};${hd}=${lit(o.nextHi)};`, writes: W(d) };
    case 'addi':
      if (o.imm === 0) return alu(`${ld}=${la};${hd}=${ha};`, [a]);
      if (a === 0) return alu(`${ld}=${I};${hd}=${IH};`, []);
      return alu(`{const al=${la};const lo=(al+${I})|0;${hd}=(${ha}+${IH}+((lo>>>0)<(al>>>0)?1:0))|0;${ld}=lo;}`, [a]);
    case 'add': return alu(`{const al=${la},bl=${lb};const lo=(al+bl)|0;${hd}=(${ha}+${hb}+((lo>>>0)<(al>>>0)?1:0))|0;${ld}=lo;}`, [a, b]);
    case 'sub': return alu(`{const al=${la},bl=${lb};${hd}=(${ha}-${hb}-((al>>>0)<(bl>>>0)?1:0))|0;${ld}=(al-bl)|0;}`, [a, b]);
    case 'xor': return alu(`{const x=${ha}^${hb};${ld}=${la}^${lb};${hd}=x;}`, [a, b]);
    case 'or': return alu(`{const x=${ha}|${hb};${ld}=${la}|${lb};${hd}=x;}`, [a, b]);
    case 'and': return alu(`{const x=${ha}&${hb};${ld}=${la}&${lb};${hd}=x;}`, [a, b]);
    case 'andi': return alu(`${hd}=${ha}&${IH};${ld}=${la}&${I};`, [a]);
    case 'ori': return alu(`${hd}=${ha}|${IH};${ld}=${la}|${I};`, [a]);
    case 'xori': return alu(`${hd}=${ha}^${IH};${ld}=${la}^${I};`, [a]);
    case 'slli':
      if (s === 0) return alu(`${ld}=${la};${hd}=${ha};`, [a]);
      if (s < 32) return alu(`{const al=${la};${hd}=(${ha}<<${s})|(al>>>${32 - s});${ld}=al<<${s};}`, [a]);
      return alu(`${hd}=${la}<<${s - 32};${ld}=0;`, [a]);
    case 'srli':
      if (s === 0) return alu(`${ld}=${la};${hd}=${ha};`, [a]);
      if (s < 32) return alu(`{const al=${la},ah=${ha};${ld}=(al>>>${s})|(ah<<${32 - s});${hd}=(ah>>>${s})|0;}`, [a]);
      return alu(`${ld}=(${ha}>>>${s - 32})|0;${hd}=0;`, [a]);
    case 'srai':
      if (s === 0) return alu(`${ld}=${la};${hd}=${ha};`, [a]);
      if (s < 32) return alu(`{const al=${la},ah=${ha};${ld}=(al>>>${s})|(ah<<${32 - s});${hd}=ah>>${s};}`, [a]);
      return alu(`{const ah=${ha};${ld}=ah>>${s - 32};${hd}=ah>>31;}`, [a]);
    case 'addiw': return alu(`{const v=(${la}+${I})|0;${ld}=v;${hd}=v>>31;}`, [a]);
    case 'addw': return alu(`{const v=(${la}+${lb})|0;${ld}=v;${hd}=v>>31;}`, [a, b]);
    case 'subw': return alu(`{const v=(${la}-${lb})|0;${ld}=v;${hd}=v>>31;}`, [a, b]);
    case 'slliw': return alu(`{const v=${la}<<${s};${ld}=v;${hd}=v>>31;}`, [a]);
    case 'srliw': return alu(`{const v=(${la}>>>${s})|0;${ld}=v;${hd}=v>>31;}`, [a]);
    case 'sraiw': return alu(`{const v=${la}>>${s};${ld}=v;${hd}=v>>31;}`, [a]);
    case 'lui':
    case 'auipc': return alu(`${ld}=${I};${hd}=${IH};`, []);
    case 'lw': return load(AL4, 'W', (x) => `${x}[(lo&4095)>>2]`, `m.lw(${NUM})`, `${ld}=v;${hd}=v>>31;`);
    case 'lwu': return load(AL4, 'W', (x) => `${x}[(lo&4095)>>2]`, `m.lw(${NUM})`, `${ld}=v;${hd}=0;`);
    case 'lbu': return load(ANY, 'B', (x) => `${x}[lo&4095]`, `m.lbu(${NUM})`, `${ld}=v;${hd}=0;`);
    case 'lb': return load(ANY, 'B', (x) => `${x}[lo&4095]`, `m.lbu(${NUM})`, `v=(v<<24)>>24;${ld}=v;${hd}=v>>31;`);
    case 'lhu': return load(AL2, 'B', (x) => `${x}[lo&4095]|(${x}[(lo&4095)+1]<<8)`, `m.lhu(${NUM})`, `${ld}=v;${hd}=0;`);
    case 'lh': return load(AL2, 'B', (x) => `${x}[lo&4095]|(${x}[(lo&4095)+1]<<8)`, `m.lhu(${NUM})`, `v=(v<<16)>>16;${ld}=v;${hd}=v>>31;`);
    case 'ld':
      // v holds the low word; the high word goes straight to vh.
      return {
        kind: 'straight',
        code: `t=${k};{${address(o)}let v,vh;${access(k, 'r', AL4, 'W', IN8, (x) => `const j=(lo&4095)>>2;v=${x}[j];vh=${x}[j+1];`, `const A=${NUM};v=m.lw(A);vh=m.lw(A+4);`)}${ld}=v;${hd}=vh;}`,
        reads: R(a),
        writes: W(d),
        cache: 'W',
      };
    case 'sb': return store(ANY, 'B', (x) => `${x}[lo&4095]=${lb};`, `m.sb(${NUM},${lb});`);
    case 'sh': return store(AL2, 'B', (x) => `const j=lo&4095;${x}[j]=${lb};${x}[j+1]=${lb}>>>8;`, `m.sh(${NUM},${lb});`);
    case 'sw': return store(AL4, 'W', (x) => `${x}[(lo&4095)>>2]=${lb};`, `m.sw(${NUM},${lb});`);
    case 'sd': return store(AL4, 'W', (x) => `const j=(lo&4095)>>2;${x}[j]=${lb};${x}[j+1]=${hb};`, `m.sd(${NUM},${lb},${hb});`, IN8);
    default:
      // Everything else straight-line (M, A, Zb*, the rest of I) and jalr run their reference
      // handler. AMOs and sc store, so they end like a store.
      return { kind: 'call', code: `t=${k};o${k}.h(h,o${k});${FORGET}`, reads: R(a, b), writes: W(d), store: /^(amo|sc\.)/.test(o.name), jump: o.name === 'jalr' };
  }
}
