/**
 * One RV64 hart: registers, pc, a predecoded instruction cache and the run loop.
 *
 * The run loop is the interpreter: fetch a predecoded Op for pc (decoding on first use),
 * call its handler, which returns the next pc. Traps unwind as TrapSignal and come back as a
 * RunResult; faults never escape as JavaScript exceptions.
 *
 * Instruction cache model: by default the cache is coherent (a store to code drops the
 * decoded page for every hart). With `staleIcache` a hart keeps executing the instructions it
 * has already fetched until it executes fence.i (or the embedder calls flushIcache), which is
 * how the harness makes a missing icache flush observable.
 */
import { Op, SINK, type Flow, type Handler } from './op';

// Flow codes (see op.ts) as module constants, which V8 folds into the hot loop.
const NEXT: Flow = 0;
const TAKEN: Flow = 1;
import { HANDLERS, NOT_EXECUTED } from './handlers';
import { illegal } from './exec/common';
import { FAST_KIND, HEAD_KIND, TRACE_KIND } from './fastpath';
import { buildTrace, translatable, type Trace } from './translate/trace';
import { TrapSignal, StopSignal, type RunResult, type Trap } from './trap';
import { decode } from '../isa/decode';
import type { Ext } from '../isa/entry';
import type { FieldName } from '../isa/fields';
import { Memory, MemFault, PAGE_SIZE, PERM_X, type CodeListener } from '../memory/memory';
import { toBig, toNum, pairToNum } from '../memory/address';
import type { Machine } from './machine';

export interface HartOptions {
  /** Enabled extensions; default RV64IMAC + Zicsr + Zifencei + Zba/Zbb/Zbs (F/D decode only). */
  readonly exts?: readonly Ext[];
  readonly staleIcache?: boolean;
  readonly hartId?: number;
  /** Run every instruction through its reference handler (no fast path); for differential tests. */
  readonly reference?: boolean;
  /**
   * Translate hot code into JavaScript functions (translate/trace.ts). The interpreter stays
   * the engine for cold code, single steps, traced runs and instrumented instructions.
   */
  readonly translate?: boolean;
  /** Entries of a block head before it is translated (default 32; 1 translates everything). */
  readonly hotThreshold?: number;
}

// 'S' (sret, mret, wfi, sfence.vma) is deliberately absent: harts run without a privilege
// model, so a privileged instruction is an illegal instruction, as in user mode.
const DEFAULT_EXTS: readonly Ext[] = ['I', 'M', 'A', 'C', 'F', 'D', 'Zicsr', 'Zifencei', 'Zba', 'Zbb', 'Zbs'];
const TWO32 = 4294967296;
/**
 * Decoded ops of a page are kept in chunks of CHUNK_OPS halfword slots (256 bytes of code), made
 * when first used: a fresh machine runs a few hundred instructions scattered over many pages,
 * and a whole page's slots (2048) per touched page were most of what it allocated.
 */
const CHUNK_SHIFT = 8;
const CHUNK_OPS = 1 << (CHUNK_SHIFT - 1);
type Chunk = (Op | undefined)[];
const EMPTY: (Chunk | undefined)[] = [];

/** Decoded instructions of one page: chunks indexed by (offset >> CHUNK_SHIFT), and the same ops as a list. */
interface PageOps {
  readonly chunks: (Chunk | undefined)[];
  readonly list: Op[];
}

/** The decoded op at page offset `off` (even), if any. */
function opAt(chunks: readonly (Chunk | undefined)[], off: number): Op | undefined {
  const c = chunks[off >> CHUNK_SHIFT];
  return c === undefined ? undefined : c[(off >> 1) & (CHUNK_OPS - 1)];
}

/** Cuts the successor links of a dropped page's ops, so a run holding one of them refetches. */
function unlink(p: PageOps): void {
  for (const o of p.list) {
    o.nOp = null;
    o.tOp = null;
  }
}

/**
 * What buildOp derives from an instruction word alone, worked out once per distinct word per
 * process (kernels are booted again and again with the same code): the table entry and its
 * operands in the form the handlers read them.
 */
interface Shape {
  readonly name: string;
  readonly ext: Ext;
  readonly rd: number;
  readonly rs1: number;
  readonly rs2: number;
  readonly imm: number | undefined;
  readonly aux: number;
  /** Branch or jump offset. */
  readonly off: number | undefined;
  /** The table handler of `name` (none for an entry without one). */
  readonly h: Handler | undefined;
}
// Keyed by the word's low 30 bits (small integers hash fast in V8); an entry remembers its word.
const SHAPES = new Map<number, { readonly word: number; readonly shape: Shape | null }>();
/** Bound on SHAPES: the hot set is small, generated code brings random constants (lui/addi) that never repeat. */
const MAX_SHAPES = 32_768;

function shapeOf(word: number): Shape | null {
  const known = SHAPES.get(word & 0x3fffffff);
  if (known !== undefined && known.word === word) return known.shape;
  let s: Shape | null;
  const d = decode(word);
  if (!d) s = null;
  else {
    const { entry, args } = d.base;
    const a = (f: FieldName) => args[f];
    const rd = a('rd');
    s = {
      name: entry.name,
      ext: entry.ext,
      rd: rd === undefined || rd === 0 ? SINK : rd | 0,
      rs1: (a('rs1') ?? 0) | 0,
      rs2: (a('rs2') ?? 0) | 0,
      imm: a('imm12') ?? a('simm12') ?? a('imm20') ?? a('zimm5'),
      aux: (a('shamt6') ?? a('shamt5') ?? a('csr') ?? 0) | 0,
      off: a('bimm12') ?? a('jimm20'),
      h: HANDLERS.get(entry.name),
    };
  }
  if (SHAPES.size >= MAX_SHAPES) SHAPES.clear();
  SHAPES.set(word & 0x3fffffff, { word, shape: s });
  return s;
}

const illegalOp: Handler = (_h, o) => illegal(o);

/**
 * Fast kinds by table handler: an op runs inline only while its handler is its instruction's
 * table handler (hooks, host calls and alignment wrappers replace it). Every instruction has a
 * handler of its own (fastpath.test.ts checks), so the handler names the instruction.
 */
export const FAST_BY_HANDLER: ReadonlyMap<Handler, number> = new Map(
  [...FAST_KIND].flatMap(([name, k]) => {
    const h = HANDLERS.get(name);
    return h ? [[h, k] as const] : [];
  }),
);

/** Embedder-defined CSR: read and (optionally) write behaviour. */
export interface CsrDef {
  read(): bigint;
  write?(v: bigint): void;
}

export class Hart implements CodeListener {
  /** Register low halves (index 32 is the x0 write sink). */
  readonly L: Int32Array;
  /** Register high halves. */
  readonly H: Int32Array;
  /** Both halves in one array (L at 0..32, H at 33..65), for the run loop: one array to check instead of two. */
  private readonly R: Int32Array;
  readonly m: Memory;
  readonly hartId: number;
  readonly exts: ReadonlySet<Ext>;
  /** 1 when compressed instructions are enabled (2-byte alignment), else 3. */
  readonly alignMask: number;
  staleIcache: boolean;
  readonly reference: boolean;
  /** Whether hot code runs as translated traces (HartOptions.translate). */
  readonly translate: boolean;
  private readonly hot: number;
  /** Bumped whenever decoded code is dropped; a running trace stops when it changes. */
  codeEpoch = 0;
  /** Set by a trace when it returns or traps: instructions retired in the run so far. */
  bn = 0;
  /** Set by a trace when it traps: the pc of the faulting instruction. */
  xpc = 0;
  reservation = NaN;
  /** Target of the last JUMP flow (jalr, host-call return). */
  jumpPc = 0;
  /** Instructions retired (all runs). */
  instret = 0;
  private pcNum = 0;

  // Decoded pages: page number -> chunks of ops indexed by offset (see PageOps).
  private readonly icache = new Map<number, PageOps>();
  private fBase = NaN;
  private fOps: (Chunk | undefined)[] = EMPTY;
  private readonly csrs = new Map<number, CsrDef>();
  /** Ring buffer of recently executed pcs, filled only by runTraced. */
  private trace: number[] = [];
  private traceAt = 0;

  constructor(readonly machine: Machine, opts: HartOptions = {}) {
    const regs = new ArrayBuffer(66 * 4);
    this.R = new Int32Array(regs);
    this.L = new Int32Array(regs, 0, 33);
    this.H = new Int32Array(regs, 33 * 4, 33);
    this.m = machine.memory;
    this.hartId = opts.hartId ?? 0;
    this.exts = new Set(opts.exts ?? DEFAULT_EXTS);
    this.alignMask = this.exts.has('C') ? 1 : 3;
    this.staleIcache = opts.staleIcache ?? false;
    this.reference = opts.reference ?? false;
    this.translate = (opts.translate ?? false) && !this.reference;
    this.hot = Math.max(1, opts.hotThreshold ?? 32);
    this.m.addCodeListener(this);
    const counter = () => BigInt(this.instret);
    this.csrs.set(0xc00, { read: counter });
    this.csrs.set(0xc01, { read: counter });
    this.csrs.set(0xc02, { read: counter });
  }

  // ---- architectural state -------------------------------------------------------------------

  get pc(): bigint {
    return toBig(this.pcNum);
  }
  set pc(v: bigint) {
    this.pcNum = toNum(v);
  }

  reg(i: number): bigint {
    return BigInt.asUintN(64, (BigInt(this.H[i]!) << 32n) | BigInt(this.L[i]! >>> 0));
  }

  setReg(i: number, v: bigint): void {
    if (i === 0) return;
    const u = BigInt.asUintN(64, v);
    this.L[i] = Number(u & 0xffffffffn) | 0;
    this.H[i] = Number(u >> 32n) | 0;
  }

  /** All 32 registers (x0..x31) as unsigned bigints. */
  regs(): bigint[] {
    return Array.from({ length: 32 }, (_, i) => this.reg(i));
  }

  defineCsr(num: number, def: CsrDef): void {
    this.csrs.set(num, def);
  }

  csrRead(num: number, o: Op): bigint {
    const c = this.csrs.get(num);
    if (!c) return this.illegal(o);
    if (num === 0xc00 || num === 0xc01 || num === 0xc02) return BigInt(this.instret + this.runCount());
    return c.read();
  }

  csrWrite(num: number, v: bigint, o: Op): void {
    const c = this.csrs.get(num);
    // CSRs 0xc00..0xfff are read-only by their number (bits 11..10 = 11).
    if (!c || !c.write || (num >>> 10) === 3) this.illegal(o);
    c.write(v);
  }

  private illegal(o: Op): never {
    throw new TrapSignal({ kind: 'illegal-instruction', pc: toBig(o.pc), word: o.word, size: o.size });
  }

  // ---- instruction cache -----------------------------------------------------------------------

  /**
   * CodeListener: bytes [off, off+len) of a page this hart may hold decoded instructions for
   * were written. Drops the instructions those bytes belong to (a 4-byte one may start 2 bytes
   * before), or the whole page when it has translated traces (they inline their ops); the
   * page's other instructions stay decoded, but every link between them is cut so that a run
   * refetches. Returns whether instructions of the page are still held.
   */
  codeWritten(pn: number, off: number, len: number): boolean {
    if (this.staleIcache) return false;
    const c = this.icache.get(pn);
    if (c === undefined) return false;
    if (len >= PAGE_SIZE || c.list.some((o) => o.tr !== null)) {
      this.dropPage(pn);
      return false;
    }
    this.codeEpoch++;
    unlink(c);
    const from = pn * PAGE_SIZE + off - 2;
    const to = pn * PAGE_SIZE + off + len;
    let kept = 0;
    for (const o of c.list) {
      if (o.pc >= from && o.pc < to) {
        const at = o.pc - pn * PAGE_SIZE;
        c.chunks[at >> CHUNK_SHIFT]![(at >> 1) & (CHUNK_OPS - 1)] = undefined;
      } else c.list[kept++] = o;
    }
    c.list.length = kept;
    if (kept > 0) return true;
    this.dropPage(pn);
    return false;
  }

  private dropPage(pn: number): void {
    this.codeEpoch++;
    const ops = this.icache.get(pn);
    if (ops) unlink(ops);
    this.icache.delete(pn);
    if (this.fBase === pn * PAGE_SIZE) {
      this.fBase = NaN;
      this.fOps = EMPTY;
    }
  }

  /**
   * fence.i, or an embedder's flush_icache_all: with the stale model, discards every decoded
   * instruction. A coherent hart has nothing to discard (every write to a decoded page, and
   * every change of its mapping or permissions, already dropped it), so it keeps its decoded
   * code: kernels flush after each text patch, and decoding everything again would be most
   * of the cost of the next call.
   */
  flushIcache(): void {
    this.codeEpoch++;
    if (!this.staleIcache) return;
    for (const ops of this.icache.values()) unlink(ops);
    this.icache.clear();
    this.fBase = NaN;
    this.fOps = EMPTY;
  }

  fenceI(): void {
    this.flushIcache();
  }

  /**
   * Code hooks over [start, end) changed: re-instruments the decoded ops there in place.
   * A page with translated traces is dropped instead (traces inline their ops).
   */
  reinstrument(start: number, end: number): void {
    this.codeEpoch++;
    for (let pn = Math.floor(start / PAGE_SIZE); pn <= Math.floor((Math.max(end, start + 1) - 1) / PAGE_SIZE); pn++) {
      const c = this.icache.get(pn);
      if (!c) continue;
      if (c.list.some((o) => o.tr !== null)) {
        this.dropPage(pn);
        continue;
      }
      for (const o of c.list) {
        if (o.pc < start || o.pc >= end) continue;
        o.h = o.inner;
        this.machine.applyHooks(o);
        this.setKind(o);
      }
    }
  }

  /** The op's interpreter kind: a fast kind while its handler is the plain table handler. */
  private setKind(op: Op): void {
    // Hooks, host calls and alignment wrappers replace op.h: those always call it.
    op.k = this.reference ? 0 : FAST_BY_HANDLER.get(op.h) ?? 0;
    op.k0 = -1;
    op.heat = 0;
  }

  /** Drops decoded instructions of the pages covering [addr, addr+len) (hooks changed). */
  invalidate(addr: bigint, len: number): void {
    const a = toNum(addr);
    for (let pn = Math.floor(a / PAGE_SIZE); pn <= Math.floor((a + Math.max(len, 1) - 1) / PAGE_SIZE); pn++) this.dropPage(pn);
  }

  private fetchSlow(pc: number): Op {
    if ((pc & this.alignMask) !== 0) {
      // Only reachable by setting pc from outside: jumps check alignment themselves.
      throw new TrapSignal({ kind: 'misaligned-fetch', pc: toBig(pc), target: toBig(pc) });
    }
    const pn = Math.floor(pc / PAGE_SIZE);
    const pg = this.m.page(pn);
    if (!pg) throw new TrapSignal({ kind: 'access-fault', pc: toBig(pc), access: 'fetch', addr: toBig(pc), reason: 'unmapped' });
    if ((pg.perm & PERM_X) === 0) throw new TrapSignal({ kind: 'access-fault', pc: toBig(pc), access: 'fetch', addr: toBig(pc), reason: 'permission' });
    let cached = this.icache.get(pn);
    if (!cached) {
      cached = { chunks: new Array<Chunk | undefined>(PAGE_SIZE >> CHUNK_SHIFT), list: [] };
      this.icache.set(pn, cached);
    }
    this.m.markCode(pg);
    this.fBase = pg.base;
    this.fOps = cached.chunks;
    const off = pc - pg.base;
    // Coming from another page: the op may be decoded already (and must be reused: under the
    // stale model it is what the hart fetched, and it carries the op's links and trace).
    const known = opAt(cached.chunks, off);
    if (known !== undefined) return known;
    const lo16 = pg.u8[off]! | (pg.u8[off + 1]! << 8);
    let word = lo16;
    let crosses = false;
    if ((lo16 & 3) === 3) {
      if (off + 2 >= PAGE_SIZE) {
        crosses = true;
        const next = this.m.page(pn + 1);
        if (!next) throw new TrapSignal({ kind: 'access-fault', pc: toBig(pc), access: 'fetch', addr: toBig(pc + 2), reason: 'unmapped' });
        if ((next.perm & PERM_X) === 0) throw new TrapSignal({ kind: 'access-fault', pc: toBig(pc), access: 'fetch', addr: toBig(pc + 2), reason: 'permission' });
        word = (lo16 | ((next.u8[0]! | (next.u8[1]! << 8)) << 16)) >>> 0;
      } else {
        word = (lo16 | ((pg.u8[off + 2]! | (pg.u8[off + 3]! << 8)) << 16)) >>> 0;
      }
    }
    const op = this.machine.instrument(this.buildOp(pc, word));
    this.setKind(op);
    if (!crosses) {
      (cached.chunks[off >> CHUNK_SHIFT] ??= new Array<Op | undefined>(CHUNK_OPS))[(off >> 1) & (CHUNK_OPS - 1)] = op;
      cached.list.push(op);
    }
    return op;
  }

  /** Builds the predecoded form of one instruction word at pc. */
  buildOp(pc: number, word: number): Op {
    const size = (word & 3) === 3 ? 4 : 2;
    const d = shapeOf(word);
    if (!d || !this.exts.has(d.ext) || (size === 2 && !this.exts.has('C'))) {
      return new Op(pc, size, word, '(illegal)', illegalOp);
    }
    if (NOT_EXECUTED.has(d.ext)) {
      const { ext, name } = d;
      return new Op(pc, size, word, name, (_h, o) => {
        throw new TrapSignal({ kind: 'unsupported-extension', pc: toBig(o.pc), word: o.word, ext, name });
      });
    }
    const o = new Op(pc, size, word, d.name, d.h!);
    o.rd = d.rd;
    o.rs1 = d.rs1;
    o.rs2 = d.rs2;
    if (d.imm !== undefined) {
      o.imm = d.imm | 0;
      o.immHi = o.imm < 0 ? -1 : 0;
    }
    o.aux = d.aux;
    const off = d.off;
    if (off !== undefined) o.target = pc + off;
    if (d.name === 'auipc') {
      const v = pc + o.imm;
      o.imm = v | 0;
      o.immHi = Math.floor(v / TWO32) | 0; // int32 (|v| < 2^52): keeps the field a small integer
    }
    // Taken targets that break alignment (only possible without C) trap when taken.
    if (off !== undefined && (o.target & this.alignMask) !== 0) {
      const inner = o.h;
      o.h = o.inner = (hh, oo) => {
        const flow = inner(hh, oo);
        if (flow === TAKEN) throw new TrapSignal({ kind: 'misaligned-fetch', pc: toBig(oo.pc), target: toBig(oo.target) });
        return flow;
      };
    }
    return o;
  }

  // ---- run loop ----------------------------------------------------------------------------------

  private runN = 0;
  /** Instructions retired so far in the current run (for counter CSRs mid-run). */
  private runCount(): number {
    return this.runN;
  }

  /**
   * Runs until a trap, a stop request or `budget` instructions. The pc after a trap is the
   * trapping instruction (nothing of it is committed); after ecall/ebreak the embedder decides
   * where to continue.
   */
  run(budget: number): RunResult {
    return this.loop(budget, false);
  }

  /** Like run, but records every executed pc in a ring buffer of `depth` entries (see recentPcs). */
  runTraced(budget: number, depth = 64): RunResult {
    if (this.trace.length !== depth) {
      this.trace = new Array<number>(depth).fill(NaN);
      this.traceAt = 0;
    }
    return this.loop(budget, true);
  }

  private loop(budget: number, traced: boolean): RunResult {
    let n = 0;
    let op: Op | undefined;
    try {
      op = this.fetchHead(this.pcNum);
      if (traced) {
        while (n < budget) {
          this.trace[this.traceAt] = op.pc;
          this.traceAt = (this.traceAt + 1) % this.trace.length;
          this.runN = n;
          op = this.follow(op, op.h(this, op));
          n++;
        }
      } else {
        // The interpreter's hot loop: threaded dispatch through same-page successor links.
        // Registers through R (low half at i, high half at i + 33), the one array behind L and
        // H: V8 checks an array again at each access here, so one array halves those checks.
        const R = this.R, m = this.m;
        // Loads and stores (cases 27-37) first try the page the op used last (Op.cLo...), then
        // the memory's cache (its tags and views), then the accessor: a hit in either is the
        // accessor's own fast path (see Memory), so faults, watches and code stores stay there.
        while (n < budget) {
          let flow: number = NEXT;
          // Inline fast path (fastpath.ts); each case mirrors the reference handler in exec/ and
          // moves to its successor itself (measured +8% over a shared flow dispatch after the switch).
          switch (op.k) {
            case 1: { const al = R[op.rs1]!; const lo = (al + op.imm) | 0; R[op.rd + 33] = (R[op.rs1 + 33]! + op.immHi + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0; R[op.rd] = lo; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 2: { const al = R[op.rs1]!, bl = R[op.rs2]!; const lo = (al + bl) | 0; R[op.rd + 33] = (R[op.rs1 + 33]! + R[op.rs2 + 33]! + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0; R[op.rd] = lo; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 3: { const al = R[op.rs1]!, bl = R[op.rs2]!; R[op.rd + 33] = (R[op.rs1 + 33]! - R[op.rs2 + 33]! - (al >>> 0 < bl >>> 0 ? 1 : 0)) | 0; R[op.rd] = (al - bl) | 0; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 4: { const hi = R[op.rs1 + 33]! ^ R[op.rs2 + 33]!; R[op.rd] = R[op.rs1]! ^ R[op.rs2]!; R[op.rd + 33] = hi; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 5: { const hi = R[op.rs1 + 33]! | R[op.rs2 + 33]!; R[op.rd] = R[op.rs1]! | R[op.rs2]!; R[op.rd + 33] = hi; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 6: { const hi = R[op.rs1 + 33]! & R[op.rs2 + 33]!; R[op.rd] = R[op.rs1]! & R[op.rs2]!; R[op.rd + 33] = hi; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 7: R[op.rd + 33] = R[op.rs1 + 33]! & op.immHi; R[op.rd] = R[op.rs1]! & op.imm; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue;
            case 8: R[op.rd + 33] = R[op.rs1 + 33]! | op.immHi; R[op.rd] = R[op.rs1]! | op.imm; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue;
            case 9: R[op.rd + 33] = R[op.rs1 + 33]! ^ op.immHi; R[op.rd] = R[op.rs1]! ^ op.imm; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue;
            case 10: {
              const s = op.aux, al = R[op.rs1]!, ah = R[op.rs1 + 33]!;
              if (s === 0) { R[op.rd + 33] = ah; R[op.rd] = al; } else if (s < 32) { R[op.rd + 33] = (ah << s) | (al >>> (32 - s)); R[op.rd] = al << s; } else { R[op.rd + 33] = al << (s - 32); R[op.rd] = 0; }
              n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue;
            }
            case 11: {
              const s = op.aux, al = R[op.rs1]!, ah = R[op.rs1 + 33]!;
              if (s === 0) { R[op.rd + 33] = ah; R[op.rd] = al; } else if (s < 32) { R[op.rd] = (al >>> s) | (ah << (32 - s)); R[op.rd + 33] = (ah >>> s) | 0; } else { R[op.rd] = (ah >>> (s - 32)) | 0; R[op.rd + 33] = 0; }
              n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue;
            }
            case 12: {
              const s = op.aux, al = R[op.rs1]!, ah = R[op.rs1 + 33]!;
              if (s === 0) { R[op.rd + 33] = ah; R[op.rd] = al; } else if (s < 32) { R[op.rd] = (al >>> s) | (ah << (32 - s)); R[op.rd + 33] = ah >> s; } else { R[op.rd] = ah >> (s - 32); R[op.rd + 33] = ah >> 31; }
              n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue;
            }
            case 13: { const v = (R[op.rs1]! + op.imm) | 0; R[op.rd] = v; R[op.rd + 33] = v >> 31; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 14: { const v = (R[op.rs1]! + R[op.rs2]!) | 0; R[op.rd] = v; R[op.rd + 33] = v >> 31; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 15: { const v = (R[op.rs1]! - R[op.rs2]!) | 0; R[op.rd] = v; R[op.rd + 33] = v >> 31; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 16: { const v = R[op.rs1]! << op.aux; R[op.rd] = v; R[op.rd + 33] = v >> 31; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 17: { const v = (R[op.rs1]! >>> op.aux) | 0; R[op.rd] = v; R[op.rd + 33] = v >> 31; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 18: { const v = R[op.rs1]! >> op.aux; R[op.rd] = v; R[op.rd + 33] = v >> 31; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 19: R[op.rd] = op.imm; R[op.rd + 33] = op.immHi; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue;
            case 20: n++; op = R[op.rs1] === R[op.rs2] && R[op.rs1 + 33] === R[op.rs2 + 33] ? (op.tOp !== null ? op.tOp : this.linkTarget(op)) : (op.nOp !== null ? op.nOp : this.linkNext(op)); continue;
            case 21: n++; op = R[op.rs1] !== R[op.rs2] || R[op.rs1 + 33] !== R[op.rs2 + 33] ? (op.tOp !== null ? op.tOp : this.linkTarget(op)) : (op.nOp !== null ? op.nOp : this.linkNext(op)); continue;
            case 22: { const ah: number = R[op.rs1 + 33]!, bh: number = R[op.rs2 + 33]!; n++; op = (ah === bh ? R[op.rs1]! >>> 0 < R[op.rs2]! >>> 0 : ah < bh) ? (op.tOp !== null ? op.tOp : this.linkTarget(op)) : (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 23: { const ah: number = R[op.rs1 + 33]!, bh: number = R[op.rs2 + 33]!; n++; op = (ah === bh ? R[op.rs1]! >>> 0 >= R[op.rs2]! >>> 0 : ah > bh) ? (op.tOp !== null ? op.tOp : this.linkTarget(op)) : (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 24: { const ah: number = R[op.rs1 + 33]! >>> 0, bh: number = R[op.rs2 + 33]! >>> 0; n++; op = (ah === bh ? R[op.rs1]! >>> 0 < R[op.rs2]! >>> 0 : ah < bh) ? (op.tOp !== null ? op.tOp : this.linkTarget(op)) : (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 25: { const ah: number = R[op.rs1 + 33]! >>> 0, bh: number = R[op.rs2 + 33]! >>> 0; n++; op = (ah === bh ? R[op.rs1]! >>> 0 >= R[op.rs2]! >>> 0 : ah > bh) ? (op.tOp !== null ? op.tOp : this.linkTarget(op)) : (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 26: R[op.rd] = op.nextLo; R[op.rd + 33] = op.nextHi; n++; op = (op.tOp !== null ? op.tOp : this.linkTarget(op)); continue;
            case 27: { const al: number = R[op.rs1]!, lo: number = (al + op.imm) | 0, hi: number = (R[op.rs1 + 33]! + op.immHi + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0; let v: number; if ((lo & -4093) === op.cLo && hi === op.cHi && op.cGen === m.cacheGen) v = op.cW[(lo & 4095) >> 2]!; else { const i = (lo >>> 12) & 255; if (m.rTagHi[i] === hi && (lo & -4093) === m.rTagLo[i]) { op.cLo = m.rTagLo[i]!; op.cHi = hi; op.cGen = m.cacheGen; op.cW = m.rI32[i]!; v = op.cW[(lo & 4095) >> 2]!; } else v = m.lw(hi * TWO32 + (lo >>> 0)); } R[op.rd] = v; R[op.rd + 33] = v >> 31; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 28: { const al: number = R[op.rs1]!, lo: number = (al + op.imm) | 0, hi: number = (R[op.rs1 + 33]! + op.immHi + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0; let v: number; if ((lo & -4096) === op.cLo && hi === op.cHi && op.cGen === m.cacheGen) v = op.cB[lo & 4095]!; else { const i = (lo >>> 12) & 255; if (m.rTagHi[i] === hi && (lo & -4096) === m.rTagLo[i]) { op.cLo = m.rTagLo[i]!; op.cHi = hi; op.cGen = m.cacheGen; op.cB = m.rU8[i]!; v = op.cB[lo & 4095]!; } else v = m.lbu(hi * TWO32 + (lo >>> 0)); } R[op.rd] = v; R[op.rd + 33] = 0; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 29: { const al: number = R[op.rs1]!, lo: number = (al + op.imm) | 0, hi: number = (R[op.rs1 + 33]! + op.immHi + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0; let v: number, vh: number; if ((lo & -4093) === op.cLo && hi === op.cHi && op.cGen === m.cacheGen && (lo & 4095) <= 4088) { const j = (lo & 4095) >> 2; v = op.cW[j]!; vh = op.cW[j + 1]!; } else { const i = (lo >>> 12) & 255; if (m.rTagHi[i] === hi && (lo & -4093) === m.rTagLo[i] && (lo & 4095) <= 4088) { op.cLo = m.rTagLo[i]!; op.cHi = hi; op.cGen = m.cacheGen; op.cW = m.rI32[i]!; const j = (lo & 4095) >> 2; v = op.cW[j]!; vh = op.cW[j + 1]!; } else { const a = hi * TWO32 + (lo >>> 0); v = m.lw(a); vh = m.lw(a + 4); } } R[op.rd] = v; R[op.rd + 33] = vh; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 30: { const al: number = R[op.rs1]!, lo: number = (al + op.imm) | 0, hi: number = (R[op.rs1 + 33]! + op.immHi + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0; if ((lo & -4093) === op.cLo && hi === op.cHi && op.cGen === m.cacheGen) { op.cW[(lo & 4095) >> 2] = R[op.rs2]!; } else { const i = (lo >>> 12) & 255; if (m.wTagHi[i] === hi && (lo & -4093) === m.wTagLo[i]) { op.cLo = m.wTagLo[i]!; op.cHi = hi; op.cGen = m.cacheGen; op.cW = m.wI32[i]!; op.cW[(lo & 4095) >> 2] = R[op.rs2]!; } else { m.sw(hi * TWO32 + (lo >>> 0), R[op.rs2]!); } } n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 31: { const al: number = R[op.rs1]!, lo: number = (al + op.imm) | 0, hi: number = (R[op.rs1 + 33]! + op.immHi + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0; if ((lo & -4093) === op.cLo && hi === op.cHi && op.cGen === m.cacheGen && (lo & 4095) <= 4088) { const j = (lo & 4095) >> 2; op.cW[j] = R[op.rs2]!; op.cW[j + 1] = R[op.rs2 + 33]!; } else { const i = (lo >>> 12) & 255; if (m.wTagHi[i] === hi && (lo & -4093) === m.wTagLo[i] && (lo & 4095) <= 4088) { op.cLo = m.wTagLo[i]!; op.cHi = hi; op.cGen = m.cacheGen; op.cW = m.wI32[i]!; const j = (lo & 4095) >> 2; op.cW[j] = R[op.rs2]!; op.cW[j + 1] = R[op.rs2 + 33]!; } else { m.sd(hi * TWO32 + (lo >>> 0), R[op.rs2]!, R[op.rs2 + 33]!); } } n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 32: { const al: number = R[op.rs1]!, lo: number = (al + op.imm) | 0, hi: number = (R[op.rs1 + 33]! + op.immHi + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0; if ((lo & -4096) === op.cLo && hi === op.cHi && op.cGen === m.cacheGen) { op.cB[lo & 4095] = R[op.rs2]!; } else { const i = (lo >>> 12) & 255; if (m.wTagHi[i] === hi && (lo & -4096) === m.wTagLo[i]) { op.cLo = m.wTagLo[i]!; op.cHi = hi; op.cGen = m.cacheGen; op.cB = m.wU8[i]!; op.cB[lo & 4095] = R[op.rs2]!; } else { m.sb(hi * TWO32 + (lo >>> 0), R[op.rs2]!); } } n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 33: { const al: number = R[op.rs1]!, lo: number = (al + op.imm) | 0, hi: number = (R[op.rs1 + 33]! + op.immHi + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0; let v: number; if ((lo & -4095) === op.cLo && hi === op.cHi && op.cGen === m.cacheGen) v = (op.cB[lo & 4095]! | (op.cB[(lo & 4095) + 1]! << 8)); else { const i = (lo >>> 12) & 255; if (m.rTagHi[i] === hi && (lo & -4095) === m.rTagLo[i]) { op.cLo = m.rTagLo[i]!; op.cHi = hi; op.cGen = m.cacheGen; op.cB = m.rU8[i]!; v = (op.cB[lo & 4095]! | (op.cB[(lo & 4095) + 1]! << 8)); } else v = m.lhu(hi * TWO32 + (lo >>> 0)); } R[op.rd] = v; R[op.rd + 33] = 0; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 34: { const al: number = R[op.rs1]!, lo: number = (al + op.imm) | 0, hi: number = (R[op.rs1 + 33]! + op.immHi + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0; let v: number; if ((lo & -4093) === op.cLo && hi === op.cHi && op.cGen === m.cacheGen) v = op.cW[(lo & 4095) >> 2]!; else { const i = (lo >>> 12) & 255; if (m.rTagHi[i] === hi && (lo & -4093) === m.rTagLo[i]) { op.cLo = m.rTagLo[i]!; op.cHi = hi; op.cGen = m.cacheGen; op.cW = m.rI32[i]!; v = op.cW[(lo & 4095) >> 2]!; } else v = m.lw(hi * TWO32 + (lo >>> 0)); } R[op.rd] = v; R[op.rd + 33] = 0; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 35: { const al: number = R[op.rs1]!, lo: number = (al + op.imm) | 0, hi: number = (R[op.rs1 + 33]! + op.immHi + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0; let v: number; if ((lo & -4096) === op.cLo && hi === op.cHi && op.cGen === m.cacheGen) v = op.cB[lo & 4095]!; else { const i = (lo >>> 12) & 255; if (m.rTagHi[i] === hi && (lo & -4096) === m.rTagLo[i]) { op.cLo = m.rTagLo[i]!; op.cHi = hi; op.cGen = m.cacheGen; op.cB = m.rU8[i]!; v = op.cB[lo & 4095]!; } else v = m.lbu(hi * TWO32 + (lo >>> 0)); } v = (v << 24) >> 24; R[op.rd] = v; R[op.rd + 33] = v >> 31; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 36: { const al: number = R[op.rs1]!, lo: number = (al + op.imm) | 0, hi: number = (R[op.rs1 + 33]! + op.immHi + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0; let v: number; if ((lo & -4095) === op.cLo && hi === op.cHi && op.cGen === m.cacheGen) v = (op.cB[lo & 4095]! | (op.cB[(lo & 4095) + 1]! << 8)); else { const i = (lo >>> 12) & 255; if (m.rTagHi[i] === hi && (lo & -4095) === m.rTagLo[i]) { op.cLo = m.rTagLo[i]!; op.cHi = hi; op.cGen = m.cacheGen; op.cB = m.rU8[i]!; v = (op.cB[lo & 4095]! | (op.cB[(lo & 4095) + 1]! << 8)); } else v = m.lhu(hi * TWO32 + (lo >>> 0)); } v = (v << 16) >> 16; R[op.rd] = v; R[op.rd + 33] = v >> 31; n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 37: { const al: number = R[op.rs1]!, lo: number = (al + op.imm) | 0, hi: number = (R[op.rs1 + 33]! + op.immHi + (lo >>> 0 < al >>> 0 ? 1 : 0)) | 0; if ((lo & -4095) === op.cLo && hi === op.cHi && op.cGen === m.cacheGen) { const j = lo & 4095; op.cB[j] = R[op.rs2]!; op.cB[j + 1] = R[op.rs2]! >>> 8; } else { const i = (lo >>> 12) & 255; if (m.wTagHi[i] === hi && (lo & -4095) === m.wTagLo[i]) { op.cLo = m.wTagLo[i]!; op.cHi = hi; op.cGen = m.cacheGen; op.cB = m.wU8[i]!; const j = lo & 4095; op.cB[j] = R[op.rs2]!; op.cB[j + 1] = R[op.rs2]! >>> 8; } else { m.sh(hi * TWO32 + (lo >>> 0), R[op.rs2]!); } } n++; op = (op.nOp !== null ? op.nOp : this.linkNext(op)); continue; }
            case 38: // HEAD_KIND: a block head; count its entries, translate it when hot
              if (++op.heat < this.hot || !this.promote(op)) {
                this.runN = n;
                this.pcNum = op.pc;
                flow = op.h(this, op);
                break;
              }
              continue; // the head has just become TRACE_KIND: dispatch it again
            case 39: { // TRACE_KIND: run the translated trace (translate/trace.ts for its contract)
              const tr = op.tr!;
              if (n + tr.max > budget) {
                this.runN = n;
                this.pcNum = op.pc;
                flow = op.h(this, op);
                break;
              }
              op = this.runTraces(tr, n, budget);
              n = this.bn;
              continue;
            }
            default:
              this.runN = n; // only handlers read counter CSRs mid-run
              this.pcNum = op.pc; // and may look at the pc (host calls unwinding the stack)
              flow = op.h(this, op);
          }
          n++;
          op = flow === NEXT ? (op.nOp !== null ? op.nOp : this.linkNext(op)) : flow === TAKEN ? (op.tOp !== null ? op.tOp : this.linkTarget(op)) : this.fetchHead(this.jumpPc);
        }
      }
      this.pcNum = op.pc;
      return { kind: 'budget', pc: toBig(op.pc) };
    } catch (e) {
      // The op that threw did not complete; when fetching its successor failed, it did.
      // A trace reports its faulting instruction and retired count itself.
      if (this.tracing) n = this.bn;
      const pc = this.inTrace ? this.xpc : this.faultPc ?? (op ? op.pc : this.pcNum);
      this.tracing = this.inTrace = false;
      this.faultPc = undefined;
      this.pcNum = pc;
      return this.unwind(e, pc);
    } finally {
      this.instret += n;
      this.runN = 0;
    }
  }

  /** Set while runTraces runs (h.bn is the run's retired count) / while a trace runs (h.xpc is its faulting pc). */
  private tracing = false;
  private inTrace = false;

  /**
   * Runs translated traces back to back, starting with tr, while they leave for another trace
   * head and the budget allows; returns the op to continue with and leaves the retired count
   * in this.bn. A small function of its own, so that V8 keeps it optimized independently of
   * the interpreter loop.
   */
  private runTraces(tr: Trace, n: number, budget: number): Op {
    const L = this.L, H = this.H, m = this.m;
    this.tracing = true;
    for (;;) {
      this.inTrace = true;
      const next = tr.fn(this, L, H, m, n, budget);
      this.inTrace = false;
      n = this.bn;
      const op = this.fetchHead(next);
      if (op.k !== TRACE_KIND || n + op.tr!.max > budget) {
        this.tracing = false;
        return op;
      }
      tr = op.tr!;
    }
  }

  /** Set while fetching a successor, so a fetch fault reports the address being fetched. */
  private faultPc: number | undefined = undefined;

  private follow(op: Op, flow: number): Op {
    return flow === NEXT ? (op.nOp !== null ? op.nOp : this.linkNext(op)) : flow === TAKEN ? (op.tOp !== null ? op.tOp : this.linkTarget(op)) : this.fetch(this.jumpPc);
  }

  private linkNext(op: Op): Op {
    const nx = this.fetch(op.next);
    if (this.samePage(op, nx)) op.nOp = nx;
    return nx;
  }

  private linkTarget(op: Op): Op {
    const t = this.fetchHead(op.target);
    if (this.samePage(op, t)) op.tOp = t;
    return t;
  }

  private samePage(a: Op, b: Op): boolean {
    return Math.floor(a.pc / PAGE_SIZE) === Math.floor(b.pc / PAGE_SIZE) && opAt(this.fOps, b.pc - this.fBase) === b;
  }

  /**
   * fetch, for an address control flow jumps to: with the translator on, the op becomes a
   * block head whose entries the interpreter counts (HEAD_KIND) until it is hot.
   */
  private fetchHead(pc: number): Op {
    const op = this.fetch(pc);
    if (this.translate && op.k0 < 0 && op.heat === 0) {
      op.k0 = op.k;
      if (translatable(op)) op.k = HEAD_KIND;
      else op.heat = -1;
    }
    return op;
  }

  /** A head became hot: translate the trace starting there, or leave it to the interpreter. */
  private promote(op: Op): boolean {
    op.heat = -1;
    const tr = buildTrace(op, (pc) => this.peek(pc));
    if (tr) {
      op.tr = tr;
      op.k = TRACE_KIND;
      return true;
    }
    op.k = op.k0;
    return false;
  }

  /** The op at pc for the translator, or undefined when fetching it would fault. */
  private peek(pc: number): Op | undefined {
    try {
      return this.fetch(pc);
    } catch {
      this.faultPc = undefined;
      return undefined;
    }
  }

  /** The op for pc, decoding it on first use. */
  fetch(pc: number): Op {
    const off = pc - this.fBase;
    const op = off >= 0 && off < PAGE_SIZE ? opAt(this.fOps, off) : undefined;
    if (op !== undefined) return op;
    this.faultPc = pc;
    const o = this.fetchSlow(pc);
    this.faultPc = undefined;
    return o;
  }

  /** The last executed pcs recorded by runTraced, oldest first (the faulting one last). */
  recentPcs(): bigint[] {
    const out: bigint[] = [];
    for (let i = 0; i < this.trace.length; i++) {
      const v = this.trace[(this.traceAt + i) % this.trace.length]!;
      if (!Number.isNaN(v)) out.push(toBig(v));
    }
    return out;
  }

  step(): RunResult {
    return this.run(1);
  }

  private unwind(e: unknown, pc: number): RunResult {
    if (e instanceof TrapSignal) return { kind: 'trap', trap: e.trap };
    if (e instanceof StopSignal) {
      if (e.pc !== undefined) this.pcNum = toNum(e.pc);
      return { kind: 'stop', reason: e.reason, pc: this.pc };
    }
    if (e instanceof MemFault) return { kind: 'trap', trap: this.faultTrap(e, pc) };
    throw e; // a bug in the emulator or an embedder callback: let it surface
  }

  private faultTrap(f: MemFault, pc: number): Trap {
    let addr: bigint;
    if (Number.isFinite(f.addr) && Math.abs(f.addr) < 2 ** 53) addr = toBig(f.addr);
    else {
      // The address was not exact as a number: recompute it from the instruction's operands.
      const op = opAt(this.fOps, pc - this.fBase) ?? this.buildOp(pc, this.m.lw(pc));
      addr = BigInt.asUintN(64, this.reg(op.rs1) + BigInt(op.imm));
    }
    return { kind: 'access-fault', pc: toBig(pc), access: f.access, addr, reason: f.reason };
  }

  /** Current pc as a number (for engines sharing this hart). */
  get pcNumber(): number {
    return this.pcNum;
  }

  /** Return address register as an address number, for host calls. */
  raNum(): number {
    return pairToNum(this.H[1]!, this.L[1]!);
  }
}
