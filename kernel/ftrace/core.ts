/**
 * Dynamic ftrace core (the model of kernel/trace/ftrace.c): ftrace records for every sled,
 * ftrace_ops with ip filters, direct calls, and the update that decides what each site calls
 * and patches the difference through the architecture half (arch.ts) and text patching.
 *
 * Ops callbacks are host functions: ftrace_caller calls a list function at a kernel address,
 * which runs the TypeScript callback of every ops whose filter contains the ip. Direct calls
 * (BPF trampolines) are either called straight from the sled (the only user of a site) or
 * reached through the caller's saved t1 (scheme B) / ops->direct_call (scheme C).
 *
 * Every operation validates all affected sites before writing any byte, so an error leaves
 * nothing half-patched; errors are the kernel's negative errno values.
 */
import type { Hart } from '../../emulator/cpu/hart';
import type { Memory } from '../../emulator/memory/memory';
import { hex } from '../../emulator/memory/address';
import type { Profile } from '../profiles/profiles';
import type { KernelImage, Sled, KernelLog, HostCallArea, Kallsyms } from '../image';
import type { TextPatcher } from '../text/patch';
import type { MutantId } from '../mutants/catalogue';
import { archFtrace, NOP_STATE, type ArchFtrace, type SiteState } from './arch';
import { bootPlan } from './boot-plan';
import { PT, FREGS, FREGS_CALL_OPS, OPS, ptReg } from './entry';
import { callPair, REG, u64bytes } from './insn';
import { fail, ok, okVoid, type KResult } from '../errno';

/** The saved-register area an ops callback receives (a3), by the caller that built it. */
export class FtraceRegs {
  constructor(
    private readonly mem: Memory,
    readonly addr: bigint,
    readonly kind: 'abi' | 'pt_regs' | 'fregs',
    /** Where a0 is saved in the area (a1-a7 follow). */
    readonly a0Offset: number,
  ) {}

  /** The traced function's argument register a<n> (0-7) as the caller saved it. */
  arg(n: number): bigint {
    return this.mem.readU(this.addr + BigInt(this.a0Offset + 8 * n), 8);
  }

  /** arch_ftrace_set_direct_caller: make the caller continue at a direct trampoline. */
  setDirectCaller(tramp: bigint): boolean {
    const off = this.kind === 'pt_regs' ? PT.T1 : this.kind === 'fregs' ? FREGS.T1 : undefined;
    if (off === undefined) return false;
    this.mem.writeU(this.addr + BigInt(off), 8, tramp);
    return true;
  }
}

export interface FtraceCallContext {
  readonly hart: Hart;
  readonly ip: bigint;
  readonly parentIp: bigint;
  readonly regs: FtraceRegs;
}

export interface FtraceOpsOptions {
  readonly name: string;
  readonly func: (ctx: FtraceCallContext) => void;
  /** FTRACE_OPS_FL_SAVE_REGS: the callback needs full registers (ftrace_regs_caller). */
  readonly saveRegs?: boolean;
  /**
   * FTRACE_OPS_FL_SAVE_REGS_IF_SUPPORTED: full registers where the kernel has them; a kernel
   * built WITH_ARGS then gives the ftrace_regs area instead of refusing the ops.
   */
  readonly saveRegsIfSupported?: boolean;
}

export class FtraceOps {
  /** null: every ftrace location. */
  filter: Set<bigint> | null = null;
  registered = false;
  /** For direct ops: the trampoline. */
  direct: bigint | undefined;
  /** FTRACE_OPS_FL_SAVE_REGS_IF_SUPPORTED. */
  saveRegsIfSupported = false;
  constructor(
    readonly name: string,
    readonly func: (ctx: FtraceCallContext) => void,
    readonly saveRegs: boolean,
    /** Address of this ops' struct ftrace_ops in kernel memory. */
    readonly addr: bigint,
  ) {}

  matches(ip: bigint): boolean {
    return this.filter === null || this.filter.has(ip);
  }
}

export interface FtraceRecord {
  readonly ip: bigint;
  readonly sled: Sled;
  state: SiteState;
  /** Scheme C: the ops literal before the function. */
  literal: bigint;
  /** Scheme C: the address the ftrace core last asked for (a direct trampoline or ftrace_caller). */
  coreAddr?: bigint;
}

export interface FtraceAreas {
  /** Where the entry code is assembled (rx). */
  readonly text: bigint;
  /** function_trace_op and struct ftrace_ops storage (rw). */
  readonly data: bigint;
}

const OPS_SLOTS = 256;

export class Ftrace {
  readonly arch: ArchFtrace;
  readonly records = new Map<bigint, FtraceRecord>();
  private readonly ops: FtraceOps[] = [];
  private nextOps = 0;
  /** Slots of ops that were freed (a direct ops once unregistered), reused lowest first. */
  private readonly freeSlots: bigint[] = [];
  private entry: ReadonlyMap<string, bigint> = new Map();
  readonly listOps: FtraceOps;
  readonly nopOps: FtraceOps;
  /** desired() of a record no ops matches (the same answer every time). */
  private unused: KResult<{ state: SiteState; literal: bigint }> | undefined;
  private listFuncsInstalled = false;

  constructor(
    readonly profile: Profile,
    private readonly image: KernelImage,
    private readonly mem: Memory,
    private readonly text: TextPatcher,
    private readonly log: KernelLog,
    private readonly host: HostCallArea,
    private readonly kallsyms: Kallsyms,
    readonly areas: FtraceAreas,
    private readonly mutant?: MutantId,
  ) {
    this.arch = archFtrace(profile.scheme, () => this.sym('ftrace_caller'), mutant);
    this.listOps = this.allocOps('ftrace_list_ops', () => undefined, false);
    this.nopOps = this.allocOps('ftrace_nop_ops', () => undefined, false);
  }

  /** Address of an entry-code symbol (ftrace_caller, ftrace_regs_caller, ftrace_stub ...). */
  sym(name: string): bigint {
    const a = this.entry.get(name);
    if (a === undefined) throw new Error(`ftrace: no entry symbol ${name}`);
    return a;
  }

  hasSym(name: string): boolean {
    return this.entry.has(name);
  }

  /** Called by the kernel's boot with the assembled entry code's symbols. */
  boot(entrySymbols: ReadonlyMap<string, bigint>): KResult {
    this.entry = entrySymbols;
    const fto = this.areas.data;
    this.mem.writeU(fto, 8, this.listOps.addr, true);
    // Host functions the entry code reaches through ops->func / ftrace_call.
    const list = this.host.add('ftrace_ops_list_func', (h) => this.runList(h, this.profile.ftraceWith === 'ARGS' ? 'fregs' : 'abi'));
    const listRegs = this.host.add('ftrace_ops_list_func_regs', (h) => this.runList(h, 'pt_regs'));
    const assist = this.host.add('ftrace_ops_assist_func', (h) => this.runOne(h));
    this.listFunc = list;
    this.listRegsFunc = listRegs;
    this.writeOpsStruct(this.listOps, list);
    this.writeOpsStruct(this.nopOps, this.sym('ftrace_stub'));
    this.assistFunc = assist;
    // ftrace_init_nop for every sled: check the compiler's bytes, then convert.
    const shared = bootPlan(this.arch, `${this.profile.scheme} ${this.profile.ftraceWith} ${this.profile.directCalls} ${this.mutant ?? ''}`, this.image.sleds, this.image.layout, this.sym('ftrace_caller'), this.nopOps.addr);
    if (shared) {
      for (const { sled, ip, want } of shared.sleds) {
        const have = this.mem.tryReadBytes(want.addr, want.bytes.length);
        if (!have || !equal(have, want.bytes)) {
          return fail('EINVAL', `ftrace: ${sled.func}: sled at ${hex(want.addr)} is not the compiler's nops (${hexBytes(have)})`);
        }
        this.records.set(ip, { ip, sled, state: NOP_STATE, literal: this.nopOps.addr });
      }
      this.text.mutex.with('ftrace_init', () => shared.patches.forEach((p) => this.text.patchTextNosync(p.addr, p.bytes)));
      return okVoid;
    }
    const plan: { addr: bigint; bytes: Uint8Array }[] = [];
    for (const sled of this.image.sleds) {
      const want = this.arch.compilerBytes(sled, this.image.layout);
      const have = this.mem.tryReadBytes(want.addr, want.bytes.length);
      if (!have || !equal(have, want.bytes)) {
        return fail('EINVAL', `ftrace: ${sled.func}: sled at ${hex(want.addr)} is not the compiler's nops (${hexBytes(have)})`);
      }
      const init = this.arch.initBytes(sled, this.sym('ftrace_caller'), this.nopOps.addr);
      if (!init.ok) return init;
      plan.push(...init.value);
      this.records.set(this.arch.recIp(sled), { ip: this.arch.recIp(sled), sled, state: NOP_STATE, literal: this.nopOps.addr });
    }
    // Early boot patching (one hart, before anything runs): patch_text_nosync and a flush.
    this.text.mutex.with('ftrace_init', () => plan.forEach((p) => this.text.patchTextNosync(p.addr, p.bytes)));
    return okVoid;
  }

  /**
   * ftrace_module_init: make the sleds of newly loaded code (a module, generated test
   * functions) ftrace locations. The compiler's nops are checked and converted like at boot;
   * on any mismatch nothing is converted.
   */
  addSleds(sleds: readonly Sled[]): KResult {
    const plan: { addr: bigint; bytes: Uint8Array }[] = [];
    const recs: FtraceRecord[] = [];
    for (const sled of sleds) {
      const ip = this.arch.recIp(sled);
      if (this.records.has(ip)) return fail('EEXIST', `ftrace: ${sled.func} is already an ftrace location`);
      const want = this.arch.compilerBytes(sled, this.image.layout);
      const have = this.mem.tryReadBytes(want.addr, want.bytes.length);
      if (!have || !equal(have, want.bytes)) return fail('EINVAL', `ftrace: ${sled.func}: sled at ${hex(want.addr)} is not the compiler's nops (${hexBytes(have)})`);
      const init = this.arch.initBytes(sled, this.sym('ftrace_caller'), this.nopOps.addr);
      if (!init.ok) return init;
      plan.push(...init.value);
      recs.push({ ip, sled, state: NOP_STATE, literal: this.nopOps.addr });
    }
    this.text.mutex.with('ftrace_module_init', () => plan.forEach((p) => this.text.patchTextNosync(p.addr, p.bytes)));
    for (const r of recs) this.records.set(r.ip, r);
    return okVoid;
  }

  /** ftrace_release_mod: forget the records of unloaded code (they must be disabled). */
  removeSleds(funcs: readonly string[]): KResult {
    const recs = [...this.records.values()].filter((r) => funcs.includes(r.sled.func));
    const busy = recs.find((r) => r.state.kind !== 'nop');
    if (busy) return fail('EBUSY', `ftrace: ${busy.sled.func} is still traced`);
    for (const r of recs) this.records.delete(r.ip);
    return okVoid;
  }

  private listFunc = 0n;
  private listRegsFunc = 0n;
  private assistFunc = 0n;

  private allocOps(name: string, func: (ctx: FtraceCallContext) => void, saveRegs: boolean): FtraceOps {
    let addr: bigint;
    if (this.freeSlots.length > 0) {
      this.freeSlots.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      addr = this.freeSlots.shift()!;
    } else {
      if (this.nextOps >= OPS_SLOTS) throw new Error('ftrace: out of ftrace_ops slots');
      addr = this.areas.data + 0x100n + BigInt(this.nextOps++ * OPS.SIZE);
    }
    this.kallsyms.add(name, addr, OPS.SIZE, { kind: 'data' });
    return new FtraceOps(name, func, saveRegs, addr);
  }

  /**
   * Frees an ops nobody holds any more (the kernel frees a trampoline's direct ops with it):
   * its slot is reused, so attaching and detaching in a loop does not run out of slots.
   */
  private freeOps(o: FtraceOps): void {
    this.kallsyms.remove(o.addr);
    this.mem.writeBytes(o.addr, new Uint8Array(OPS.SIZE), true);
    this.freeSlots.push(o.addr);
  }

  private writeOpsStruct(o: FtraceOps, func: bigint): void {
    this.mem.writeU(o.addr + BigInt(OPS.FUNC), 8, func, true);
    this.mem.writeU(o.addr + BigInt(OPS.DIRECT_CALL), 8, o.direct ?? 0n, true);
    this.mem.writeU(o.addr + BigInt(OPS.FLAGS), 8, o.saveRegs ? 1n : 0n, true);
  }

  /** A new ftrace_ops (not yet registered). */
  createOps(opts: FtraceOpsOptions): FtraceOps {
    const o = this.allocOps(opts.name, opts.func, opts.saveRegs ?? false);
    o.saveRegsIfSupported = opts.saveRegsIfSupported ?? false;
    this.writeOpsStruct(o, this.assistFunc);
    return o;
  }

  // ---- callbacks (host functions) -----------------------------------------------------------

  private ctx(h: Hart, kind: FtraceRegs['kind']): FtraceCallContext {
    return { hart: h, ip: h.reg(10), parentIp: h.reg(11), regs: new FtraceRegs(this.mem, h.reg(13), kind, this.a0Offset(kind)) };
  }

  /** Where each entry code saves a0 (entry.ts). */
  private a0Offset(kind: FtraceRegs['kind']): number {
    if (kind === 'pt_regs') return ptReg(10);
    if (kind === 'fregs') return this.profile.scheme === 'C' ? FREGS_CALL_OPS.A0 : FREGS.A0;
    // ftrace_caller without full registers: the 80-byte ABI area, or (WITH_REGS and direct
    // calls, SAVE_ABI_REGS 0) a pt_regs-sized frame with only epc, ra and a0-a7 in it.
    return this.profile.scheme === 'B' && this.profile.directCalls === 'regs-t1' ? ptReg(10) : 0;
  }

  private runList(h: Hart, kind: FtraceRegs['kind']): void {
    const c = this.ctx(h, kind);
    for (const o of this.ops) if (o.matches(c.ip)) this.invoke(o, c);
  }

  private runOne(h: Hart): void {
    const addr = h.reg(12);
    const o = this.ops.find((x) => x.addr === addr);
    if (!o) {
      this.log.warn(`ftrace: ops callback for unknown ops ${hex(addr)}`);
      return;
    }
    const c = this.ctx(h, 'fregs');
    if (o.matches(c.ip)) this.invoke(o, c);
  }

  private invoke(o: FtraceOps, c: FtraceCallContext): void {
    if (o.direct !== undefined) {
      // call_direct_funcs: send the caller on to the trampoline.
      if (!c.regs.setDirectCaller(o.direct)) this.log.warn(`ftrace: direct ops ${o.name} reached without saved registers at ${hex(c.ip)}`);
      return;
    }
    o.func(c);
  }

  // ---- registration ---------------------------------------------------------------------------

  /** ftrace_location: the record ip for an address, if it is one. */
  location(ip: bigint): FtraceRecord | undefined {
    return this.records.get(ip);
  }

  /** The ftrace location of a function by name (its rec->ip). */
  locationOf(func: string): bigint | undefined {
    for (const r of this.records.values()) if (r.sled.func === func) return r.ip;
    return undefined;
  }

  /** ftrace_set_filter_ip. */
  setFilterIp(o: FtraceOps, ip: bigint, remove = false): KResult {
    if (!this.records.has(ip)) return fail('EINVAL', `ftrace: ${hex(ip)} (${this.kallsyms.format(ip)}) is not an ftrace location`);
    const next = new Set(o.filter ?? []);
    if (remove) {
      if (!next.delete(ip)) return fail('ENOENT', `ftrace: ${hex(ip)} is not in ${o.name}'s filter`);
    } else next.add(ip);
    const prev = o.filter;
    o.filter = next;
    if (!o.registered) return okVoid;
    const r = this.update();
    if (!r.ok) o.filter = prev;
    return r;
  }

  /** Filters an ops to the named functions (all must be traceable). */
  setFilterFunctions(o: FtraceOps, names: readonly string[]): KResult {
    const ips: bigint[] = [];
    for (const n of names) {
      const ip = this.locationOf(n);
      if (ip === undefined) return fail('EINVAL', `ftrace: ${n} is not a traceable function`);
      ips.push(ip);
    }
    const prev = o.filter;
    o.filter = new Set(ips);
    if (!o.registered) return okVoid;
    const r = this.update();
    if (!r.ok) o.filter = prev;
    return r;
  }

  register(o: FtraceOps): KResult {
    if (o.registered) return fail('EBUSY', `ftrace: ${o.name} is already registered`);
    // __register_ftrace_function without CONFIG_DYNAMIC_FTRACE_WITH_REGS. (Direct ops ask for
    // FTRACE_OPS_FL_SAVE_ARGS, which is no flag at all on such a kernel.)
    if (this.profile.ftraceWith === 'ARGS' && o.saveRegs && !o.saveRegsIfSupported && o.direct === undefined) {
      return fail('EINVAL', `ftrace: ${o.name} asks for FTRACE_OPS_FL_SAVE_REGS, and ${this.profile.name} is built with DYNAMIC_FTRACE_WITH_ARGS only`);
    }
    this.ops.push(o);
    o.registered = true;
    const r = this.update();
    if (!r.ok) {
      this.ops.splice(this.ops.indexOf(o), 1);
      o.registered = false;
    }
    return r;
  }

  unregister(o: FtraceOps): KResult {
    if (!o.registered) return fail('ENOENT', `ftrace: ${o.name} is not registered`);
    const i = this.ops.indexOf(o);
    this.ops.splice(i, 1);
    o.registered = false;
    const r = this.update();
    if (!r.ok) {
      this.ops.splice(i, 0, o);
      o.registered = true;
    }
    return r;
  }

  /** register_ftrace_direct: calls at ip go to tramp (needs DYNAMIC_FTRACE_WITH_DIRECT_CALLS). */
  registerDirect(ip: bigint, tramp: bigint, name = `direct_${hex(tramp)}`): KResult<FtraceOps> {
    if (this.profile.directCalls === 'none') return fail('ENOTSUPP', `ftrace: ${this.profile.name} has no DYNAMIC_FTRACE_WITH_DIRECT_CALLS`);
    if (!this.records.has(ip)) return fail('EINVAL', `ftrace: ${hex(ip)} (${this.kallsyms.format(ip)}) is not an ftrace location`);
    if (this.ops.some((o) => o.direct !== undefined && o.matches(ip))) return fail('EBUSY', `ftrace: ${this.kallsyms.format(ip)} already has a direct call`);
    const o = this.allocOps(name, () => undefined, true);
    o.direct = tramp;
    o.filter = new Set([ip]);
    this.writeOpsStruct(o, this.assistFunc);
    const r = this.register(o);
    if (!r.ok) this.freeOps(o);
    return r.ok ? ok(o) : r;
  }

  /** unregister_ftrace_direct: the ops registerDirect made is freed with its registration. */
  unregisterDirect(o: FtraceOps): KResult {
    if (o.direct === undefined) return fail('EINVAL', `ftrace: ${o.name} is not a direct ops`);
    const r = this.unregister(o);
    if (r.ok) this.freeOps(o);
    return r;
  }

  /** modify_ftrace_direct: retarget a registered direct ops. */
  modifyDirect(o: FtraceOps, tramp: bigint): KResult {
    if (o.direct === undefined || !o.registered) return fail('EINVAL', `ftrace: ${o.name} is not a registered direct ops`);
    const prev = o.direct;
    o.direct = tramp;
    this.writeOpsStruct(o, this.assistFunc);
    const r = this.update();
    if (!r.ok) {
      o.direct = prev;
      this.writeOpsStruct(o, this.assistFunc);
    }
    return r;
  }

  registeredOps(): readonly FtraceOps[] {
    return this.ops;
  }

  // ---- update -------------------------------------------------------------------------------

  /** What a record should call, and (scheme C) which ops its literal names. */
  private desired(rec: FtraceRecord): KResult<{ state: SiteState; literal: bigint; coreAddr?: bigint }> {
    // Every record is asked on every update, and most have no users: no array for those.
    let users: FtraceOps[] | undefined;
    for (const o of this.ops) if (o.matches(rec.ip)) (users ??= []).push(o);
    if (users === undefined) return (this.unused ??= ok({ state: NOP_STATE, literal: this.nopOps.addr }));
    const only = users.length === 1 ? users[0]! : undefined;
    if (this.profile.scheme === 'C') {
      // ftrace_make_call calls a direct trampoline straight only when it is near ftrace_caller
      // (the boot-time auipc); anything else, a far trampoline included, goes through
      // ftrace_caller and the ops literal. A site that already calls something changes through
      // ftrace_modify_call, which always writes ftrace_caller.
      const direct = only?.direct;
      const caller = this.sym('ftrace_caller');
      const coreAddr = direct ?? caller;
      const literal = only ? only.addr : this.listOps.addr;
      if (rec.state.kind === 'call' && rec.coreAddr === coreAddr) return ok({ state: rec.state, literal, coreAddr });
      if (rec.state.kind === 'call') return ok({ state: { kind: 'call', target: caller }, literal, coreAddr }); // ftrace_modify_call
      const near = direct !== undefined && this.arch.reaches(rec.sled, direct);
      if (direct !== undefined && !near && this.mutant === 'f12-far-direct-call') {
        // Before v4 11/12, ftrace_make_call refused a target beyond JALR_RANGE.
        return fail('EINVAL', `ftrace: direct trampoline ${hex(direct)} is beyond the jalr reach of ${this.kallsyms.format(rec.ip)}`);
      }
      return ok({ state: { kind: 'call', target: near ? direct! : caller }, literal, coreAddr });
    }
    if (only?.direct !== undefined) {
      // The sled calls the trampoline itself; auipc + jalr reach +-2 GiB.
      if (!this.arch.reaches(rec.sled, only.direct)) {
        return fail('EINVAL', `ftrace: direct trampoline ${hex(only.direct)} is out of reach of ${this.kallsyms.format(rec.ip)}`);
      }
      return ok({ state: { kind: 'call', target: only.direct }, literal: 0n });
    }
    // WITH_ARGS: ftrace_caller serves every ops (there is no ftrace_regs_caller).
    if (this.profile.ftraceWith === 'ARGS') return ok({ state: { kind: 'call', target: this.sym('ftrace_caller') }, literal: 0n });
    const regs = this.mutant === 'direct-via-ftrace-caller'
      ? users.some((o) => o.saveRegs && o.direct === undefined)
      : users.some((o) => o.saveRegs || o.direct !== undefined);
    return ok({ state: { kind: 'call', target: this.sym(regs ? 'ftrace_regs_caller' : 'ftrace_caller') }, literal: 0n });
  }

  /**
   * ftrace_replace_code: bring every site to its desired state. All changes are computed and
   * every site's current bytes are checked first; only then is anything written.
   */
  update(): KResult {
    const writes: { addr: bigint; bytes: Uint8Array; nosync: boolean }[] = [];
    const changes: { rec: FtraceRecord; state: SiteState; literal: bigint; coreAddr?: bigint }[] = [];
    /** Records whose bytes stay, but whose requested address changes (applied with the rest). */
    const coreOnly: { rec: FtraceRecord; coreAddr?: bigint }[] = [];
    for (const rec of this.records.values()) {
      const wanted = this.desired(rec);
      if (!wanted.ok) return wanted;
      const want = wanted.value;
      const sameState = sameSite(rec.state, want.state);
      const sameLiteral = this.profile.scheme !== 'C' || rec.literal === want.literal;
      if (sameState && sameLiteral) {
        if (want.coreAddr !== rec.coreAddr) coreOnly.push({ rec, coreAddr: want.coreAddr });
        continue;
      }
      // The site must hold exactly what we last wrote (ftrace_bug otherwise).
      const cur = this.arch.siteBytes(rec.sled, rec.state);
      if (!cur.ok) return cur;
      const have = this.mem.tryReadBytes(cur.value.addr, cur.value.bytes.length);
      if (!have) return fail('EFAULT', `ftrace: cannot read ${this.kallsyms.format(cur.value.addr)}`);
      if (!equal(have, cur.value.bytes)) {
        this.log.warn(`ftrace failed to modify [<${hex(cur.value.addr)}>] ${this.kallsyms.format(cur.value.addr)}: actual ${hexBytes(have)} expected ${hexBytes(cur.value.bytes)}`);
        return fail('EINVAL', `ftrace: ${rec.sled.func}: site bytes ${hexBytes(have)} differ from the expected ${hexBytes(cur.value.bytes)}`);
      }
      if (this.profile.scheme === 'C' && !sameLiteral && this.mutant !== 'callops-literal-not-written') {
        writes.push({ addr: rec.sled.funcAddr - 8n, bytes: u64bytes(want.literal), nosync: true });
      }
      if (!sameState) {
        const next = this.arch.siteBytes(rec.sled, want.state);
        if (!next.ok) return next;
        writes.push({ addr: next.value.addr, bytes: next.value.bytes, nosync: this.profile.scheme === 'C' });
      }
      changes.push({ rec, state: want.state, literal: want.literal, coreAddr: want.coreAddr });
    }
    const callSites = this.retargetCallSites();
    if (!callSites.ok) return callSites;
    writes.push(...callSites.value);
    for (const c of coreOnly) c.rec.coreAddr = c.coreAddr;
    if (writes.length === 0) return okVoid;
    this.text.mutex.with('ftrace_modify_all_code', () => {
      for (const w of writes) {
        if (w.nosync) this.text.patchTextNosync(w.addr, w.bytes);
        else this.text.patchText(w.addr, w.bytes);
      }
    });
    for (const c of changes) {
      c.rec.state = c.state;
      c.rec.literal = c.literal;
      c.rec.coreAddr = c.coreAddr;
    }
    this.listFuncsInstalled = this.ops.length > 0;
    return okVoid;
  }

  /** ftrace_update_ftrace_func: point ftrace_call(_regs) at the list functions while any ops exist. */
  private retargetCallSites(): KResult<{ addr: bigint; bytes: Uint8Array; nosync: boolean }[]> {
    if (this.profile.scheme === 'C') return ok([]);
    const want = this.ops.length > 0;
    if (want === this.listFuncsInstalled) return ok([]);
    const out: { addr: bigint; bytes: Uint8Array; nosync: boolean }[] = [];
    const sites: [string, bigint][] = [['ftrace_call', this.listFunc]];
    if (this.hasSym('ftrace_regs_call')) sites.push(['ftrace_regs_call', this.listRegsFunc]);
    for (const [site, fn] of sites) {
      const pc = this.sym(site);
      const bytes = callPair(pc, want ? fn : this.sym('ftrace_stub'), REG.ra, REG.ra);
      if (!bytes) return fail('EINVAL', `ftrace: ${site} cannot reach its target`);
      out.push({ addr: pc, bytes, nosync: false });
    }
    return ok(out);
  }
}

function sameSite(a: SiteState, b: SiteState): boolean {
  return a.kind === b.kind && (a.kind === 'nop' || a.target === (b as { target: bigint }).target);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hexBytes(b: Uint8Array | undefined): string {
  return b ? Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('') : '(unmapped)';
}
