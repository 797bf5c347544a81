/**
 * The block translator: turns a hot stretch of guest code into one JavaScript function.
 *
 * A trace starts at a block head (a branch or jump target the interpreter found hot) and
 * follows the fall-through path through conditional branches (each becomes a side exit) and
 * through `jal` to targets on the same page, for at most MAX_TRACE instructions, all on the
 * head's page. A branch or jump back to the head becomes a JavaScript loop, so a guest loop
 * runs without leaving the function. The trace ends at jalr (its handler computes the target),
 * before any instruction it leaves to the interpreter (CSR access, ecall/ebreak, fence.i,
 * illegal or instrumented ops: hooks and host calls), at the end of the page, or at the limit.
 *
 * Contract with the run loop (hart.ts):
 *  - called as fn(h, L, H, m, n, lim) with n the instructions retired so far in this run and
 *    lim the budget; the caller guarantees n + max <= lim, and the trace keeps that true
 *    before each loop iteration, so watchdog budgets stay exact;
 *  - returns the next pc and leaves the new retired count in h.bn;
 *  - on a trap (MemFault, TrapSignal, StopSignal from a watch) sets h.bn to the count before
 *    the faulting instruction and h.xpc to its pc, and rethrows: nothing of that instruction
 *    is committed, exactly as in the interpreter;
 *  - after every store it compares h.codeEpoch with its value on entry: when a store dropped
 *    decoded code (coherent icache) the trace stops after the store, and the run loop fetches
 *    the next instruction afresh.
 */
import type { Op } from '../op';
import type { Hart } from '../hart';
import type { Memory } from '../../memory/memory';
import { HANDLERS } from '../handlers';
import { PAGE_SIZE, NO_TAG } from '../../memory/memory';
import { emit, lit, lo, hi, FORGET } from './codegen';

export type TraceFn = (h: Hart, L: Int32Array, H: Int32Array, m: Memory, n: number, lim: number) => number;

export interface Trace {
  readonly fn: TraceFn;
  /** Most instructions one call can retire between budget checks. */
  readonly max: number;
  /** Guest pcs of the trace's instructions, in trace order. */
  readonly pcs: readonly number[];
  /** The generated JavaScript (for golden tests and debugging). */
  readonly source: string;
}

export const MAX_TRACE = 128;

/** Instructions the translator leaves to the interpreter even when uninstrumented. */
const INTERPRETED: ReadonlySet<string> = new Set(['ecall', 'ebreak', 'fence.i', 'csrrw', 'csrrs', 'csrrc', 'csrrwi', 'csrrsi', 'csrrci']);

/** Whether the translator may inline op (an uninstrumented table instruction it can express). */
export function translatable(o: Op): boolean {
  return o.h === HANDLERS.get(o.name) && !INTERPRETED.has(o.name);
}

const pageOf = (pc: number) => Math.floor(pc / PAGE_SIZE);

/** Placeholder for the register write-back, filled in once the whole trace is known. */
const WB = '\u0001';

/**
 * Builds the trace starting at head, or null when head itself is left to the interpreter.
 * `peek(pc)` returns the decoded op at pc, or undefined when fetching it would fault.
 */
export function buildTrace(head: Op, peek: (pc: number) => Op | undefined): Trace | null {
  if (!translatable(head)) return null;
  const page = pageOf(head.pc);
  const ops: Op[] = [];
  const seen = new Set<number>();
  const used = new Set<number>();
  const written = new Set<number>();
  const caches: string[] = [];
  /** Ops the generated code calls the handler of, as `o<k>` constants. */
  let calls = '';
  const body: string[] = [];
  const note = (reads: readonly number[], writes: readonly number[] = []) => {
    for (const r of reads) used.add(r);
    for (const r of writes) {
      used.add(r);
      written.add(r);
    }
  };
  // Every way out goes through one exit (write-back, count, return) after the labelled block,
  // which keeps the function small and gives V8 type feedback for it early.
  const leave = (pc: string, k: number) => `nx=${pc};k=${k};break x;`;
  // Code that ends an iteration at `pc` after `k` instructions: loop back or leave.
  const goTo = (pc: number, k: number): string =>
    pc === head.pc ? `n+=${k};if(n+MAX>lim){${leave(lit(pc), 0)}}continue;` : leave(lit(pc), k);
  const leaveIfCodeChanged = (o: Op, k: number) => `if(h.codeEpoch!==e0){${leave(lit(o.next), k + 1)}}`;
  /** The next op to inline at pc, or undefined when the trace must leave for pc. */
  const follow = (pc: number): Op | undefined => {
    if (pc === head.pc || seen.has(pc) || pageOf(pc) !== page || ops.length >= MAX_TRACE) return undefined;
    const o = peek(pc);
    return o !== undefined && translatable(o) ? o : undefined;
  };
  let o: Op | undefined = head;
  let tail = '';
  while (o !== undefined) {
    const k = ops.length;
    ops.push(o);
    seen.add(o.pc);
    body.push(`// ${k}: ${lit(o.pc)} ${o.name}`);
    const e = emit(o, k);
    if (e.kind === 'straight' || e.kind === 'store') {
      if (e.cache !== undefined) caches.push(`c${k}=${NO_TAG},g${k}=0,a${k}=${e.cache === 'B' ? 'rB[0]' : 'rW[0]'}`);
    }
    if (e.kind === 'branch') {
      note(e.reads);
      body.push(`if(${e.cond}){${goTo(o.target, k + 1)}}`);
    } else if (e.kind === 'jal') {
      note([], e.writes);
      body.push(e.link);
      const nx = follow(o.target);
      if (nx === undefined) {
        tail = goTo(o.target, k + 1);
        break;
      }
      o = nx;
      continue;
    } else if (e.kind === 'call') {
      note(e.reads, e.writes);
      calls += `,o${k}=O[${k}]`;
      // The handler reads the hart's registers and writes its result there.
      body.push(e.reads.map((r) => `L[${r}]=${lo(r)};H[${r}]=${hi(r)};`).join('') + e.code + e.writes.map((r) => `l${r}=L[${r}];h${r}=H[${r}];`).join(''));
      if (e.jump) {
        tail = leave('h.jumpPc', k + 1);
        break;
      }
      if (e.store) body.push(leaveIfCodeChanged(o, k));
    } else if (e.kind === 'store') {
      note(e.reads);
      body.push(e.code(leaveIfCodeChanged(o, k)));
    } else {
      note(e.reads, e.writes);
      body.push(e.code);
    }
    const nx = follow(o.next);
    if (nx === undefined) {
      tail = goTo(o.next, k + 1);
      break;
    }
    o = nx;
  }
  const max = ops.length;
  const regs = [...used].sort((x, y) => x - y);
  const wb = [...written].sort((x, y) => x - y).map((r) => `L[${r}]=l${r};H[${r}]=h${r};`).join('');
  const load = regs.map((r) => `l${r}=L[${r}],h${r}=H[${r}]`).concat(['l32=0', 'h32=0'], caches).join(',');
  const forget = caches.map((c) => c.slice(0, c.indexOf(',')) + ';').join('');
  const pcs = ops.map((x) => x.pc);
  const source = (
    `const MAX=${max},P=O.map((x)=>x.pc)${calls};\n` +
    `return function trace_${head.pc.toString(16).replace('-', 'm')}(h,L,H,m,n,lim){\n` +
    `const rL=m.rTagLo,rH=m.rTagHi,rB=m.rU8,rW=m.rI32,wL=m.wTagLo,wH=m.wTagHi,wB=m.wU8,wW=m.wI32,e0=h.codeEpoch;\n` +
    `let t=0,nx=0,k=0,${load};\n` +
    `x:try{for(;;){\n${body.join('\n')}\n${tail}\n}}catch(e){${WB}h.bn=n+t;h.xpc=P[t];throw e;}\n` +
    `${WB}h.bn=n+k;return nx;\n};`
  ).split(WB).join(wb).split(FORGET).join(forget);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const fn = new Function('O', source)(ops) as TraceFn;
  return { fn, max, pcs, source };
}
