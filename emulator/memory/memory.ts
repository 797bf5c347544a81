/**
 * Sparse, paged, little-endian guest memory with per-page R/W/X permissions.
 *
 * Faults are thrown as MemFault (caught by the hart and turned into a trap result); they never
 * escape the emulator's public run API. The hot accessors take signed address numbers (see
 * address.ts) and go through a one-entry cache per access kind; everything unusual (misaligned,
 * page-crossing, watched, code pages) takes the slow path.
 */
import { ADDR_LIMIT, toNum, toBig } from './address';
import { PageRanges } from './page-ranges';

export const PAGE_SIZE = 4096;
// Local alias: hot accessors read a module constant, not a property of `exports`.
const PAGE = 4096;
export const PERM_R = 1;
export const PERM_W = 2;
export const PERM_X = 4;

export type Access = 'load' | 'store' | 'fetch';
export type FaultReason = 'unmapped' | 'permission';

/** Thrown by accessors; the hart converts it into an access-fault trap. */
export class MemFault {
  constructor(readonly access: Access, readonly addr: number, readonly reason: FaultReason) {}
}

/**
 * Page storage is carved out of shared zero-filled slabs: a fresh machine materializes a dozen
 * or more pages, and a backing store of its own per page cost several times a view on a slab.
 * A slab stays allocated while any page cut from it is alive.
 */
const SLAB_PAGES = 16;
let slab: ArrayBuffer | undefined;
let slabUsed = SLAB_PAGES;

function pageStorage(): { readonly buffer: ArrayBuffer; readonly offset: number } {
  if (slabUsed === SLAB_PAGES) {
    slab = new ArrayBuffer(SLAB_PAGES * PAGE_SIZE);
    slabUsed = 0;
  }
  return { buffer: slab!, offset: slabUsed++ * PAGE_SIZE };
}

export class Page {
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  /** Set while some hart holds predecoded instructions from this page. */
  code = false;
  /** Set while a memory watch on reads (`read` or `both`) covers part of this page. */
  readWatched = false;
  /** Set while a memory watch on writes (`write` or `both`) covers part of this page. */
  writeWatched = false;
  constructor(readonly pn: number, readonly base: number, public perm: number) {
    const { buffer, offset } = pageStorage();
    this.u8 = new Uint8Array(buffer, offset, PAGE_SIZE);
    this.i32 = new Int32Array(buffer, offset, PAGE_SIZE >> 2);
  }
}

export interface Watch {
  readonly start: number;
  readonly end: number; // exclusive
  readonly on: 'read' | 'write' | 'both';
  readonly cb: (access: 'read' | 'write', addr: bigint, size: number, value: bigint) => void;
}

/** Something that caches decoded instructions and must hear about stores to code. */
export interface CodeListener {
  /** Bytes [off, off+len) of page pn changed (the whole page: len PAGE_SIZE); true while the listener still holds code from the page. */
  codeWritten(pn: number, off: number, len: number): boolean;
}

export function permString(p: number): string {
  return `${p & PERM_R ? 'r' : '-'}${p & PERM_W ? 'w' : '-'}${p & PERM_X ? 'x' : '-'}`;
}

export function parsePerm(s: string): number {
  let p = 0;
  for (const ch of s) {
    if (ch === 'r') p |= PERM_R;
    else if (ch === 'w') p |= PERM_W;
    else if (ch === 'x') p |= PERM_X;
    else if (ch !== '-') throw new Error(`memory: bad permission string "${s}"`);
  }
  return p;
}

const NO_PAGE = new Page(NaN, NaN, 0);
const TLB_SIZE = 256;
const TLB_MASK = TLB_SIZE - 1;
const tlbIndex = (a: number) => (a >>> 12) & TLB_MASK;
/** Tag of an empty cache entry: bit 11 set, which page-masked addresses never have. */
export const NO_TAG = 0x800;

/** Offset (from 0 of `bytes`) of the first of n bytes where page bytes from off differ from bytes from i, or -1. */
function firstDiffIn(pg: Page, off: number, bytes: Uint8Array, i: number, n: number): number {
  let j = 0;
  // Four bytes at a time where both sides are word-aligned (text snapshots always are).
  if ((off & 3) === 0 && ((bytes.byteOffset + i) & 3) === 0 && n >= 4) {
    const words = new Int32Array(bytes.buffer, bytes.byteOffset + i, n >> 2);
    const w0 = off >> 2;
    const mine = pg.i32;
    let k = 0;
    while (k < words.length && mine[w0 + k] === words[k]) k++;
    j = k << 2;
  }
  for (; j < n; j++) if (pg.u8[off + j] !== bytes[i + j]) return i + j;
  return -1;
}

export class Memory {
  private readonly pages = new Map<number, Page>();
  /** Mapped pages nobody has touched yet: only their permissions (zero-filled when materialized). */
  private readonly untouched = new PageRanges();
  private readonly watches: Watch[] = [];
  private readonly listeners: CodeListener[] = [];
  // One-entry caches. A cached page always has the permission its cache needs; the write
  // cache never holds code or write-watched pages, the read cache never holds read-watched ones.
  // Direct-mapped caches indexed by page number bits 0..7 of the address's page; an entry is
  // the page's base and its byte and word views (one load less than going through the Page).
  private readonly rBase = new Float64Array(TLB_SIZE).fill(NaN);
  readonly rU8: Uint8Array[] = new Array<Uint8Array>(TLB_SIZE).fill(NO_PAGE.u8);
  readonly rI32: Int32Array[] = new Array<Int32Array>(TLB_SIZE).fill(NO_PAGE.i32);
  private readonly wBase = new Float64Array(TLB_SIZE).fill(NaN);
  readonly wU8: Uint8Array[] = new Array<Uint8Array>(TLB_SIZE).fill(NO_PAGE.u8);
  readonly wI32: Int32Array[] = new Array<Int32Array>(TLB_SIZE).fill(NO_PAGE.i32);
  /**
   * The same caches as integer tags, for translated code (emulator/cpu/translate), which
   * computes addresses as register halves: entry i holds the page whose base has low word
   * rTagLo[i] and high word rTagHi[i]. An empty entry has the tag NO_TAG, which no masked
   * address matches. Kept in step with rBase/wBase by every fill and flush below.
   */
  readonly rTagLo = new Int32Array(TLB_SIZE).fill(NO_TAG);
  readonly rTagHi = new Int32Array(TLB_SIZE);
  readonly wTagLo = new Int32Array(TLB_SIZE).fill(NO_TAG);
  readonly wTagHi = new Int32Array(TLB_SIZE);
  /**
   * Bumped whenever a page leaves the caches' invariants (flushes, a page becoming code): a
   * copy of a cache entry held elsewhere (an interpreter op's last page) is valid only while
   * this is unchanged.
   */
  cacheGen = 0;

  // ---- mapping ----------------------------------------------------------------------------------

  /** Maps [addr, addr+size) (page-granular) with the given permissions, zero-filled. */
  map(addr: bigint, size: number, perm: number | string): void {
    const p = typeof perm === 'string' ? parsePerm(perm) : perm;
    const a = toNum(addr);
    if (Math.abs(a) >= ADDR_LIMIT || Math.abs(a + size) >= ADDR_LIMIT) throw new Error(`memory: cannot map 0x${toBig(a).toString(16)}: outside the addressable window`);
    const first = Math.floor(a / PAGE_SIZE);
    const last = Math.floor((a + Math.max(size, 1) - 1) / PAGE_SIZE);
    // Pages that exist keep their bytes; the runs between them are recorded as untouched.
    let gap = first;
    for (let pn = first; pn <= last; pn++) {
      const old = this.pages.get(pn);
      if (!old) continue;
      this.setPerm(old, p);
      if (gap < pn) this.untouched.set(gap, pn - 1, p);
      gap = pn + 1;
    }
    if (gap <= last) this.untouched.set(gap, last, p);
    this.flushCacheRange(first, last);
  }

  /** A page's permissions change: harts holding decoded code from it must drop it. */
  private setPerm(pg: Page, perm: number): void {
    if (pg.perm === perm) return;
    pg.perm = perm;
    if (pg.code) {
      pg.code = false;
      this.notifyCode(pg.pn);
    }
  }

  /** Changes permissions of already mapped pages (like set_memory_ro/x). */
  protect(addr: bigint, size: number, perm: number | string): void {
    const p = typeof perm === 'string' ? parsePerm(perm) : perm;
    const a = toNum(addr);
    const first = Math.floor(a / PAGE_SIZE), last = Math.floor((a + size - 1) / PAGE_SIZE);
    // Every page must be mapped before any changes.
    for (let pn = first; pn <= last; pn++) {
      if (!this.pages.has(pn) && !this.untouched.has(pn)) throw new Error(`memory: protect: 0x${toBig(pn * PAGE_SIZE).toString(16)} is not mapped`);
    }
    for (let pn = first; pn <= last; pn++) {
      const pg = this.pages.get(pn);
      if (pg) this.setPerm(pg, p);
    }
    this.untouched.update(first, last, p);
    this.flushCacheRange(first, last);
  }

  unmap(addr: bigint, size: number): void {
    const a = toNum(addr);
    const first = Math.floor(a / PAGE_SIZE), last = Math.floor((a + size - 1) / PAGE_SIZE);
    this.untouched.delete(first, last);
    for (let pn = first; pn <= last; pn++) if (this.pages.delete(pn)) this.notifyCode(pn);
    this.flushCacheRange(first, last);
  }

  isMapped(addr: bigint): boolean {
    const pn = Math.floor(toNum(addr) / PAGE_SIZE);
    return this.pages.has(pn) || this.untouched.has(pn);
  }

  permAt(addr: bigint): number | undefined {
    const pn = Math.floor(toNum(addr) / PAGE_SIZE);
    return this.pages.get(pn)?.perm ?? this.untouched.get(pn);
  }

  /** Page by page number, for the hart's fetch path. */
  page(pn: number): Page | undefined {
    return this.pages.get(pn) ?? this.materialize(pn);
  }

  /** The page for a mapped but untouched page number, created zero-filled on first use. */
  private materialize(pn: number): Page | undefined {
    const perm = this.untouched.get(pn);
    if (perm === undefined) return undefined;
    this.untouched.delete(pn);
    const pg = new Page(pn, pn * PAGE_SIZE, perm);
    this.pages.set(pn, pg);
    if (this.watches.length > 0) this.setWatched(pg);
    return pg;
  }

  addCodeListener(l: CodeListener): void {
    this.listeners.push(l);
  }

  /** Called by a hart when it caches decoded instructions from a page. */
  markCode(pg: Page): void {
    if (pg.code) return;
    pg.code = true;
    this.cacheGen++;
    const i = tlbIndex(pg.base);
    if (this.wU8[i] === pg.u8) this.emptyW(i);
  }

  watch(start: bigint, size: number, on: Watch['on'], cb: Watch['cb']): () => void {
    const w: Watch = { start: toNum(start), end: toNum(start) + size, on, cb };
    this.watches.push(w);
    this.refreshWatched();
    return () => {
      const i = this.watches.indexOf(w);
      if (i >= 0) this.watches.splice(i, 1);
      this.refreshWatched();
    };
  }

  private refreshWatched(): void {
    // Only pages that exist: an untouched page learns about watches when it materializes.
    for (const pg of this.pages.values()) this.setWatched(pg);
    this.flushCaches();
  }

  private setWatched(pg: Page): void {
    const start = pg.base;
    const on = this.watches.filter((w) => w.start < start + PAGE_SIZE && w.end > start);
    pg.readWatched = on.some((w) => w.on !== 'write');
    pg.writeWatched = on.some((w) => w.on !== 'read');
  }

  /** Empties the cache entries that can hold pages first..last (all of them for a long range). */
  private flushCacheRange(first: number, last: number): void {
    if (last - first + 1 >= TLB_SIZE) {
      this.flushCaches();
      return;
    }
    this.cacheGen++;
    for (let pn = first; pn <= last; pn++) {
      const i = tlbIndex(pn * PAGE_SIZE);
      this.emptyR(i);
      this.emptyW(i);
    }
  }

  private emptyR(i: number): void {
    this.rBase[i] = NaN;
    this.rU8[i] = NO_PAGE.u8;
    this.rI32[i] = NO_PAGE.i32;
    this.rTagLo[i] = NO_TAG;
  }

  private emptyW(i: number): void {
    this.wBase[i] = NaN;
    this.wU8[i] = NO_PAGE.u8;
    this.wI32[i] = NO_PAGE.i32;
    this.wTagLo[i] = NO_TAG;
  }

  private flushCaches(): void {
    this.cacheGen++;
    this.rBase.fill(NaN);
    this.rU8.fill(NO_PAGE.u8);
    this.rI32.fill(NO_PAGE.i32);
    this.rTagLo.fill(NO_TAG);
    this.wBase.fill(NaN);
    this.wU8.fill(NO_PAGE.u8);
    this.wI32.fill(NO_PAGE.i32);
    this.wTagLo.fill(NO_TAG);
  }

  /** Tells the code listeners about a write (or a whole page changing); whether any still holds code from the page. */
  private notifyCode(pn: number, off = 0, len = PAGE_SIZE): boolean {
    let held = false;
    for (const l of this.listeners) if (l.codeWritten(pn, off, len)) held = true;
    return held;
  }

  // ---- hot accessors (signed address numbers; values are int32 / unsigned small) ---------------

  /** Load a 32-bit word (sign-extended int32). */
  lw(a: number): number {
    const i = tlbIndex(a);
    const off = a - this.rBase[i]!;
    if (off >= 0 && off <= PAGE - 4 && (off & 3) === 0) return this.rI32[i]![off >> 2]!;
    return this.loadSlow(a, 4) | 0;
  }

  lhu(a: number): number {
    const i = tlbIndex(a);
    const off = a - this.rBase[i]!;
    if (off >= 0 && off <= PAGE - 2) {
      const u = this.rU8[i]!;
      return u[off]! | (u[off + 1]! << 8);
    }
    return this.loadSlow(a, 2);
  }

  lbu(a: number): number {
    const i = tlbIndex(a);
    const off = a - this.rBase[i]!;
    if (off >= 0 && off < PAGE) return this.rU8[i]![off]!;
    return this.loadSlow(a, 1);
  }

  sw(a: number, v: number): void {
    const i = tlbIndex(a);
    const off = a - this.wBase[i]!;
    if (off >= 0 && off <= PAGE - 4 && (off & 3) === 0) {
      this.wI32[i]![off >> 2] = v;
      return;
    }
    this.storeSlow(a, 4, v, 0);
  }

  /** Store a doubleword given as lo/hi halves; never half-done on a fault. */
  sd(a: number, lo: number, hi: number): void {
    const i = tlbIndex(a);
    const off = a - this.wBase[i]!;
    if (off >= 0 && off <= PAGE - 8 && (off & 3) === 0) {
      const w = this.wI32[i]!;
      w[off >> 2] = lo;
      w[(off >> 2) + 1] = hi;
      return;
    }
    this.storeSlow(a, 8, lo, hi);
  }

  sh(a: number, v: number): void {
    const i = tlbIndex(a);
    const off = a - this.wBase[i]!;
    if (off >= 0 && off <= PAGE - 2) {
      const u = this.wU8[i]!;
      u[off] = v;
      u[off + 1] = v >>> 8;
      return;
    }
    this.storeSlow(a, 2, v, 0);
  }

  sb(a: number, v: number): void {
    const i = tlbIndex(a);
    const off = a - this.wBase[i]!;
    if (off >= 0 && off < PAGE) {
      this.wU8[i]![off] = v;
      return;
    }
    this.storeSlow(a, 1, v, 0);
  }

  /** Checks that [a, a+size) may be written, throwing the fault a store would raise. */
  probeStore(a: number, size: number): void {
    for (let i = 0; i < size; i++) this.pageFor(a + i, 'store');
  }

  // ---- slow paths -----------------------------------------------------------------------------

  private pageFor(a: number, access: Access): Page {
    const pn = Math.floor(a / PAGE_SIZE);
    const pg = this.pages.get(pn) ?? this.materialize(pn);
    if (!pg) throw new MemFault(access, a, 'unmapped');
    const need = access === 'load' ? PERM_R : access === 'store' ? PERM_W : PERM_X;
    if ((pg.perm & need) === 0) throw new MemFault(access, a, 'permission');
    return pg;
  }

  /** Unsigned little-endian load of 1, 2 or 4 bytes (4 returned as uint32). */
  private loadSlow(a: number, size: number): number {
    if (!Number.isFinite(a) || Math.abs(a) >= ADDR_LIMIT) throw new MemFault('load', a, 'unmapped');
    let v = 0;
    // A page-crossing access is watched when either page is.
    let watched = false;
    for (let i = 0; i < size; i++) {
      const pg = this.pageFor(a + i, 'load');
      v += pg.u8[a + i - pg.base]! * 2 ** (8 * i);
      watched ||= pg.readWatched;
    }
    const pg = this.pageFor(a, 'load');
    if (watched) this.fireWatch('read', a, size, BigInt(v));
    if (!pg.readWatched) {
      const i = tlbIndex(pg.base);
      this.rU8[i] = pg.u8;
      this.rI32[i] = pg.i32;
      this.rBase[i] = pg.base;
      this.rTagLo[i] = pg.base | 0;
      this.rTagHi[i] = Math.floor(pg.base / 4294967296);
    }
    return v;
  }

  private storeSlow(a: number, size: number, lo: number, hi: number): void {
    if (!Number.isFinite(a) || Math.abs(a) >= ADDR_LIMIT) throw new MemFault('store', a, 'unmapped');
    // Check every byte first so that a faulting store changes nothing.
    for (let i = 0; i < size; i++) this.pageFor(a + i, 'store');
    let code = false;
    // A page-crossing access is watched when either page is.
    let watched = false;
    for (let i = 0; i < size; i++) {
      const pg = this.pageFor(a + i, 'store');
      const byte = i < 4 ? (lo >>> (8 * i)) & 0xff : (hi >>> (8 * (i - 4))) & 0xff;
      pg.u8[a + i - pg.base] = byte;
      watched ||= pg.writeWatched;
      if (pg.code) {
        code = true;
        pg.code = this.notifyCode(pg.pn, a + i - pg.base, 1);
      }
    }
    const pg = this.pageFor(a, 'store');
    if (watched) this.fireWatch('write', a, size, size === 8 ? (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0) : BigInt(lo >>> 0) & ((1n << BigInt(8 * size)) - 1n));
    if (!pg.writeWatched && !code && !pg.code) {
      const i = tlbIndex(pg.base);
      this.wU8[i] = pg.u8;
      this.wI32[i] = pg.i32;
      this.wBase[i] = pg.base;
      this.wTagLo[i] = pg.base | 0;
      this.wTagHi[i] = Math.floor(pg.base / 4294967296);
    }
  }

  private fireWatch(kind: 'read' | 'write', a: number, size: number, value: bigint): void {
    for (const w of this.watches) {
      if (w.on !== 'both' && w.on !== kind) continue;
      if (a + size <= w.start || a >= w.end) continue;
      w.cb(kind, toBig(a), size, value);
    }
  }

  // ---- host-side API (bigint addresses; used by loaders, the kernel model and tests) ----------

  /** Writes bytes as a store would (permissions ignored when `force`), notifying code caches. */
  writeBytes(addr: bigint, bytes: Uint8Array, force = false): void {
    const a = toNum(addr);
    // Check every page first, so a failed write changes nothing.
    for (let i = 0; i < bytes.length; ) {
      const pg = this.page(Math.floor((a + i) / PAGE_SIZE));
      if (!pg) throw new Error(`memory: write to unmapped address 0x${toBig(a + i).toString(16)}`);
      if (!force && (pg.perm & PERM_W) === 0) throw new Error(`memory: write to read-only address 0x${toBig(a + i).toString(16)}`);
      i += PAGE_SIZE - (a + i - pg.base);
    }
    for (let i = 0; i < bytes.length; ) {
      const pg = this.page(Math.floor((a + i) / PAGE_SIZE))!;
      const off = a + i - pg.base;
      const n = Math.min(PAGE_SIZE - off, bytes.length - i);
      pg.u8.set(bytes.subarray(i, i + n), off);
      if (pg.code) pg.code = this.notifyCode(pg.pn, off, n);
      i += n;
    }
  }

  readBytes(addr: bigint, len: number): Uint8Array {
    const a = toNum(addr);
    const first = this.page(Math.floor(a / PAGE_SIZE));
    // Within one page (nearly every read): one copy, no views.
    if (first && a - first.base + len <= PAGE_SIZE && len >= 0) return first.u8.slice(a - first.base, a - first.base + len);
    const out = new Uint8Array(len);
    for (let i = 0; i < len; ) {
      const pg = this.page(Math.floor((a + i) / PAGE_SIZE));
      if (!pg) throw new Error(`memory: read of unmapped address 0x${toBig(a + i).toString(16)}`);
      const off = a + i - pg.base;
      const n = Math.min(PAGE_SIZE - off, len - i);
      out.set(pg.u8.subarray(off, off + n), i);
      i += n;
    }
    return out;
  }

  /** Reads without throwing: undefined when any byte is unmapped. */
  tryReadBytes(addr: bigint, len: number): Uint8Array | undefined {
    try {
      return this.readBytes(addr, len);
    } catch {
      return undefined;
    }
  }

  /**
   * Where memory at addr differs from `bytes`: the offset of the first differing byte, -1 when
   * all are equal, undefined when any byte is unmapped. Compares in place (no copy).
   */
  firstDifference(addr: bigint, bytes: Uint8Array): number | undefined {
    const a = toNum(addr);
    let diff = -1;
    for (let i = 0; i < bytes.length; ) {
      const pg = this.page(Math.floor((a + i) / PAGE_SIZE));
      if (!pg) return undefined;
      const off = a + i - pg.base;
      const n = Math.min(PAGE_SIZE - off, bytes.length - i);
      if (diff < 0) diff = firstDiffIn(pg, off, bytes, i, n);
      i += n;
    }
    return diff;
  }

  readU(addr: bigint, size: 1 | 2 | 4 | 8): bigint {
    const a = toNum(addr);
    const pg = this.page(Math.floor(a / PAGE_SIZE));
    if (pg && a - pg.base + size <= PAGE_SIZE) {
      // Within one page: the value from the page's bytes, little-endian.
      const u = pg.u8;
      const off = a - pg.base;
      let lo = 0;
      for (let i = Math.min(size, 4) - 1; i >= 0; i--) lo = lo * 256 + u[off + i]!;
      if (size < 8) return BigInt(lo);
      const hi = u[off + 4]! | (u[off + 5]! << 8) | (u[off + 6]! << 16) | (u[off + 7]! << 24);
      return (BigInt(hi >>> 0) << 32n) | BigInt(lo);
    }
    const b = this.readBytes(addr, size);
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    return v;
  }

  writeU(addr: bigint, size: 1 | 2 | 4 | 8, value: bigint, force = false): void {
    const b = new Uint8Array(size);
    let v = BigInt.asUintN(size * 8, value);
    for (let i = 0; i < size; i++) {
      b[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    this.writeBytes(addr, b, force);
  }
}
