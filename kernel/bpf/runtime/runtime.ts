/**
 * The BPF runtime of the simulated kernel: the C helpers a trampoline calls, as host
 * functions, and the loaded programs they run.
 *
 * - `__bpf_prog_enter(prog, run_ctx)`: installs run_ctx as the hart's current run_ctx (the old
 *   one saved in run_ctx->saved_run_ctx), increments prog->active and returns 0 when the prog
 *   is already running on this hart (a recursion miss: the trampoline skips the body), else a
 *   start time from a deterministic clock (> 1; NO_START_TIME = 1 with stats disabled). The
 *   run_ctx is installed before the recursion check, as the kernel does, so exit can always
 *   restore it.
 * - `__bpf_prog_exit(prog, start, run_ctx)`: must get exactly what enter returned for this
 *   invocation (a WARN names the prog and both values otherwise: the trampoline lost the
 *   value, typically by keeping it in a caller-saved register across a call, since enter
 *   poisons them); restores the saved run_ctx, decrements prog->active, counts stats when
 *   start > 1.
 * - `__bpf_tramp_enter(im)` / `__bpf_tramp_exit(im)`: a reference count per trampoline image
 *   (percpu_ref get / put); an image still referenced after the traced call returned is a bug.
 *
 * Program bodies are host functions returning BPF R0 in a5 and its sign-extended low half in
 * a0 (what the JIT epilogue's `addiw a0, a5, 0` leaves); every other caller-saved register is
 * poisoned, as JITed code may clobber it.
 */
import type { Hart } from '../../../emulator/cpu/hart';
import type { Machine } from '../../../emulator/cpu/machine';
import { poisonValue } from '../../../emulator/cpu/machine';
import { StopSignal } from '../../../emulator/cpu/trap';
import type { Program } from '../../../emulator/asm';
import { PAGE_SIZE, PERM_W } from '../../../emulator/memory/memory';
import { hex } from '../../../emulator/memory/address';
import type { HostCallArea, Kallsyms, KernelLog } from '../../image';
import { ABI_NAMES, entryValue, unusedValue } from '../../image/call';
import type { Profile, TrampolineEra } from '../../profiles/profiles';
import { ProgCtx, type CtxHost } from './ctx';
import { progImageCode, sledInsns, tailCallOffset, type ProgImageOptions } from './image';
import {
  ATTACH_TYPE_VALUE, BPF_DATA, BPF_DATA_SIZE, BPF_PROG, BPF_PROG_FLAG_CALL_GET_FUNC_IP, BPF_PROG_STRUCTS, BPF_PROG_STRUCT_SIZE,
  BPF_TEXT, BPF_TEXT_SIZE, BPF_TRAMP_RUN_CTX, CURRENT_RUN_CTX, MAX_HARTS, NO_START_TIME,
} from './layout';
import { BpfObject, BpfProg, checkProg, type ObjectSpec, type ProgSpec } from './prog';
import { jitSupportsFsession } from '../trampoline/era';
import { structOpsMember } from '../btf';
import { fail, ok, type ErrnoName, type KResult } from '../../errno';

/** What the runtime needs of the kernel (a Kernel from kernel/kernel.ts has all of it). */
export interface RuntimeKernel {
  readonly machine: Machine;
  readonly log: KernelLog;
  readonly host: HostCallArea;
  readonly kallsyms: Kallsyms;
  readonly profile: Pick<Profile, 'trampoline' | 'rvc'>;
}

/** A program image in kernel text. */
export interface ProgImage {
  readonly addr: bigint;
  readonly size: number;
  readonly era: TrampolineEra;
  /** The entry sled bpf_arch_text_poke patches (addr = the image's first byte). */
  readonly sled: { readonly addr: bigint; readonly size: number; readonly insns: number };
  /** Where a tail call into this program enters (after the sled and the counter init). */
  readonly tailCallEntry: bigint;
  /** Return addresses of the image's calls, in order (call i returns to retAddrs[i]). */
  readonly retAddrs: readonly bigint[];
  readonly program: Program;
}

/** One __bpf_prog_enter not yet matched by its __bpf_prog_exit. */
export interface Invocation {
  readonly prog: BpfProg;
  readonly start: bigint;
  readonly runCtx: bigint;
  /** The run_ctx enter saved (and exit must restore). */
  readonly saved: bigint;
  /** The cookie the trampoline had written into run_ctx at enter. */
  readonly cookie: bigint;
}

export type RuntimeEvent =
  | { readonly kind: 'enter'; readonly hart: number; readonly prog: BpfProg; readonly start: bigint; readonly cookie: bigint; readonly runCtx: bigint }
  | { readonly kind: 'run'; readonly hart: number; readonly prog: BpfProg; readonly ctx: bigint; readonly r0: bigint }
  | { readonly kind: 'exit'; readonly hart: number; readonly prog: BpfProg; readonly start: bigint }
  | { readonly kind: 'tramp_enter' | 'tramp_exit'; readonly hart: number; readonly im: bigint };

export interface LoadOptions {
  /** Load only these programs (the others are not autoloaded). */
  readonly only?: readonly string[];
}

const A0 = 10, A1 = 11, A2 = 12, A5 = 15;

/** A refusal, typed as the failure it is. */
const refuse = (errno: ErrnoName, message: string) => fail(errno, message) as Extract<KResult<never>, { ok: false }>;
const HOST_BODY_SLOTS = 1024;
const CLOCK_START = 1_000_000n;
const CLOCK_STEP = 1_000n;

/** "the poison of t2 ..." when v is a marker value the harness put in a register. */
export function markerHint(v: bigint): string {
  for (let r = 1; r < 32; r++) {
    if (v === poisonValue(r)) return ` (the poison a host call leaves in ${ABI_NAMES[r]}: a value kept in a caller-saved register across a call)`;
    if (v === unusedValue(r)) return ` (the value callKernel puts in an unused ${ABI_NAMES[r]}: never written)`;
    if (v === entryValue(r)) return ` (the value ${ABI_NAMES[r]} held when the kernel call began: never written)`;
  }
  return '';
}

/** FNV-1a 64 of a string, as 16 hex digits: a stand-in for the kernel's program tag. */
function tagOf(s: string): string {
  let h = 0xcbf29ce484222325n;
  for (const c of Buffer.from(s, 'utf8')) h = BigInt.asUintN(64, (h ^ BigInt(c)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

const PAGE = BigInt(PAGE_SIZE);

export class BpfRuntime implements CtxHost {
  /** __bpf_prog_enter / __bpf_prog_exit (bpf_trampoline_enter/exit of a tracing prog). */
  readonly progEnter: bigint;
  readonly progExit: bigint;
  /** __bpf_tramp_enter / __bpf_tramp_exit. */
  readonly trampEnter: bigint;
  readonly trampExit: bigint;
  /** kernel.bpf_stats_enabled: with it off, enter returns NO_START_TIME (1) instead of a time. */
  statsEnabled = true;
  /** Events while recording (startRecording), for ordering checks. */
  events: RuntimeEvent[] | undefined;

  private readonly machine: Machine;
  private readonly log: KernelLog;
  private readonly host: HostCallArea;
  private readonly kallsyms: Kallsyms;
  private readonly era: TrampolineEra;
  private readonly rvc: boolean;
  /** CtxHost: ctx[-1] is func_meta (the fsession era). */
  readonly funcMeta: boolean;
  private readonly byAddr = new Map<bigint, BpfProg>();
  private readonly pending = new Map<Hart, Invocation[]>();
  private readonly refs = new Map<bigint, number>();
  private readonly bodySlots: { readonly addr: bigint; prog: BpfProg | undefined }[] = [];
  private readonly freeStructs: bigint[] = [];
  private nextStruct = BPF_PROG_STRUCTS;
  private nextText = BPF_TEXT;
  private nextId = 1;
  private clock = CLOCK_START;

  constructor(k: RuntimeKernel) {
    this.machine = k.machine;
    this.log = k.log;
    this.host = k.host;
    this.kallsyms = k.kallsyms;
    this.era = k.profile.trampoline;
    this.funcMeta = jitSupportsFsession(this.era);
    this.rvc = k.profile.rvc;
    this.ensureMapped(BPF_DATA, PAGE_SIZE, 'rw');
    this.kallsyms.add('bpf_current_run_ctx', CURRENT_RUN_CTX, 8 * MAX_HARTS, { kind: 'data' });
    this.progEnter = this.host.add('__bpf_prog_enter', (h) => this.enter(h), { returns: 1 });
    this.progExit = this.host.add('__bpf_prog_exit', (h) => this.exit(h), { returns: 0 });
    this.trampEnter = this.host.add('__bpf_tramp_enter', (h) => this.trampRef(h, +1), { returns: 0 });
    this.trampExit = this.host.add('__bpf_tramp_exit', (h) => this.trampRef(h, -1), { returns: 0 });
  }

  // ---- programs ---------------------------------------------------------------------------------

  /**
   * BPF_PROG_LOAD as far as the simulated kernel refuses anything: an fsession program where
   * the JIT has no fsession support (bpf_jit_supports_fsession, checked by 7.0's verifier in
   * bpf_check_attach_target: -EOPNOTSUPP, "JIT does not support fsession"). Profiles before
   * 7.0 answer the same, as a 7.0 kernel without riscv's fsession JIT would; a real kernel of
   * their time did not know BPF_TRACE_FSESSION at all. Otherwise load().
   */
  tryLoad(spec: ObjectSpec, opts: LoadOptions = {}): KResult<BpfObject> {
    const refused = this.refusal(spec, opts);
    if (refused) return refused;
    return ok(this.load(spec, opts));
  }

  /**
   * Why the kernel refuses to load the object, if it does: an fsession program without JIT
   * support (-EOPNOTSUPP); a struct_ops program of a type or member this kernel does not
   * have (-EOPNOTSUPP, as libbpf answers), for a member without a cfi stub ("unsupported
   * member", -ENOTSUPP), or a sleepable one for a member that may not sleep (check_member:
   * -EINVAL).
   */
  private refusal(spec: ObjectSpec, opts: LoadOptions): Extract<KResult<never>, { ok: false }> | undefined {
    for (const p of spec.progs) {
      if (opts.only && !opts.only.includes(p.name)) continue;
      if (p.attach === 'fsession' && !this.funcMeta) return refuse('EOPNOTSUPP', `prog '${p.name}': JIT does not support fsession`);
      if (p.attach === 'struct_ops') {
        const m = structOpsMember(p.target!);
        if (!m) return refuse('EINVAL', `prog '${p.name}': no struct_ops member ${p.target}`);
        // libbpf finds no such type or member in the kernel's BTF (-ENOTSUP).
        const layout = m.type.layouts?.[this.era];
        if (m.type.layouts && !layout) return refuse('EOPNOTSUPP', `prog '${p.name}': struct ${m.type.name} is not found in kernel BTF`);
        const f = layout?.funcs[m.model.name];
        if (layout && !f) return refuse('EOPNOTSUPP', `prog '${p.name}': struct ${m.type.name} member ${m.model.name} is not found in kernel BTF`);
        // The verifier refuses a member without a cfi stub (e42ac1418055, v6.12), -ENOTSUPP.
        if (layout?.checksStubs && f?.stub === null) return refuse('ENOTSUPP', `prog '${p.name}': attach to unsupported member ${m.model.name} of struct ${m.type.name}`);
        if (p.sleepable && !m.type.sleepable.includes(m.model.name)) return refuse('EINVAL', `prog '${p.name}': attach to unsupported member ${m.model.name} of struct ${m.type.name}`);
      }
    }
    return undefined;
  }

  /** Loads an object's programs: a struct bpf_prog each, bodies installed, images built. A
   *  program the kernel would refuse (see tryLoad) is a bug in the caller: it throws. */
  load(spec: ObjectSpec, opts: LoadOptions = {}): BpfObject {
    const refused = this.refusal(spec, opts);
    if (refused) throw new Error(`bpf object ${spec.name}: the kernel refuses it: ${refused.message} (use tryLoad)`);
    const obj = new BpfObject(spec, (p) => this.unload(p));
    for (const name of opts.only ?? []) if (!spec.progs.some((p) => p.name === name)) throw new Error(`bpf object ${spec.name}: no program '${name}'`);
    const names = new Set<string>();
    for (const p of spec.progs) {
      if (names.has(p.name)) throw new Error(`bpf object ${spec.name}: program '${p.name}' defined twice`);
      names.add(p.name);
      if (opts.only && !opts.only.includes(p.name)) continue;
      obj.progs.set(p.name, this.loadProg(p, obj));
    }
    return obj;
  }

  /** Loads one program (into its own object unless one is given). */
  loadProg(spec: ProgSpec, object?: BpfObject): BpfProg {
    const obj = object ?? new BpfObject({ name: spec.name, progs: [spec] }, (p) => this.unload(p));
    const layout = checkProg(spec, obj.name);
    const id = this.nextId++;
    const ksym = `bpf_prog_${tagOf(`${obj.name}/${spec.name}/${id}`)}_${spec.name}`;
    const addr = this.allocStruct();
    const slot = this.bodySlot();
    const prog = new BpfProg(this.machine.memory, id, spec, obj, addr, slot.addr, ksym, layout.args, layout.slots);
    slot.prog = prog;
    const wantImage = spec.image ?? (spec.attach === 'classifier' || spec.attach === 'struct_ops');
    if (wantImage !== false) {
      const calls = (wantImage === true ? ['body' as const] : wantImage).map((c) => (c === 'body' ? slot.addr : c));
      prog.image = this.buildProgImage(this.era, calls, { rvc: this.rvc });
      prog.bpfFunc = prog.image.addr;
      this.kallsyms.add(ksym, prog.image.addr, prog.image.size, { module: 'bpf' });
      this.rename(slot.addr, `${ksym}.body`);
    } else {
      this.rename(slot.addr, ksym);
    }
    this.writeStruct(prog);
    this.byAddr.set(addr, prog);
    if (object === undefined) obj.progs.set(spec.name, prog);
    return prog;
  }

  /** Live references to a program other than its object's (tracing links: the attached program and a target program). */
  private readonly holds = new Map<BpfProg, number>();
  /** Programs whose object let go of them while links held them or they ran: freed with the last link or exit. */
  private readonly letGo = new Set<BpfProg>();

  /** A link takes a reference to prog (bpf_prog_inc). */
  hold(prog: BpfProg): void {
    this.holds.set(prog, (this.holds.get(prog) ?? 0) + 1);
  }

  /** A link drops its reference (bpf_prog_put): the last one frees a program already let go of. */
  release(prog: BpfProg): void {
    const n = (this.holds.get(prog) ?? 0) - 1;
    if (n > 0) {
      this.holds.set(prog, n);
      return;
    }
    this.holds.delete(prog);
    if (prog.active === 0 && this.letGo.delete(prog)) this.unload(prog);
  }

  /**
   * Frees a program: its struct is zeroed, its image filled with illegal instructions. While
   * a link still holds it (as the attached program or as the target), closing its object only
   * lets go of it, as closing the fds does in Linux; the last link's release frees it.
   */
  unload(prog: BpfProg): void {
    if (!prog.loaded) return;
    // Held by a link, or running (its free waits for an RCU grace period): freed later.
    if (this.holds.has(prog) || prog.active !== 0) {
      this.letGo.add(prog);
      return;
    }
    prog.loaded = false;
    this.byAddr.delete(prog.addr);
    const mem = this.machine.memory;
    mem.writeBytes(prog.addr, new Uint8Array(BPF_PROG_STRUCT_SIZE), true);
    this.freeStructs.push(prog.addr);
    const slot = this.bodySlots.find((s) => s.prog === prog);
    if (slot) {
      slot.prog = undefined;
      this.rename(slot.addr, `bpf_prog_free_${this.bodySlots.indexOf(slot)}`);
    }
    if (prog.image) {
      this.writeText(prog.image.addr, new Uint8Array(prog.image.size));
      this.kallsyms.remove(prog.image.addr);
    }
  }

  /** The loaded program whose struct bpf_prog is at addr. */
  progAt(addr: bigint): BpfProg | undefined {
    return this.byAddr.get(BigInt.asUintN(64, addr));
  }

  /** The loaded program whose code (body or image) contains addr. */
  progByText(addr: bigint): BpfProg | undefined {
    for (const p of this.byAddr.values()) {
      if (p.bodyAddr === addr) return p;
      if (p.image && addr >= p.image.addr && addr < p.image.addr + BigInt(p.image.size)) return p;
    }
    return undefined;
  }

  progs(): BpfProg[] {
    return [...this.byAddr.values()];
  }

  /** is_bpf_text_address: in a loaded program's image. */
  isBpfText(addr: bigint): boolean {
    const p = this.progByText(addr);
    return p?.image !== undefined && addr !== p.bodyAddr;
  }

  /** bpf_trampoline_enter(prog) / bpf_trampoline_exit(prog): the helpers for this prog. */
  enterExitFor(prog: BpfProg): { readonly enter: bigint; readonly exit: bigint } {
    if (prog.attach === 'classifier') throw new Error(`bpf: prog ${prog} is not a tracing program`);
    // A struct_ops program gets __bpf_prog_enter without the recursion check (unless its JIT
    // uses a private stack), a sleepable one __bpf_prog_enter_sleepable; ours always checks
    // recursion and models no sleeping, which a program that neither recurses nor sleeps
    // never notices.
    return { enter: this.progEnter, exit: this.progExit };
  }

  // ---- run_ctx, invocations, images -------------------------------------------------------------

  /** current->bpf_ctx of a hart (0 when none is installed). */
  currentRunCtx(hart: Hart): bigint {
    return this.machine.memory.readU(this.currentSlot(hart), 8);
  }

  /** __bpf_prog_enter calls not yet matched by an exit, oldest first. */
  pendingOn(hart: Hart): readonly Invocation[] {
    return this.pending.get(hart) ?? [];
  }

  /** References __bpf_tramp_enter took on a trampoline image and exit has not dropped. */
  imageRefs(im: bigint): number {
    return this.refs.get(BigInt.asUintN(64, im)) ?? 0;
  }

  /** Images with references (should be empty whenever no traced call is in flight). */
  imagesInUse(): bigint[] {
    return [...this.refs].filter(([, n]) => n !== 0).map(([im]) => im);
  }

  startRecording(): RuntimeEvent[] {
    this.events = [];
    return this.events;
  }

  stopRecording(): RuntimeEvent[] {
    const e = this.events ?? [];
    this.events = undefined;
    return e;
  }

  /** The deterministic clock (sched_clock): advances on every read. */
  now(): bigint {
    this.clock += CLOCK_STEP;
    return this.clock;
  }

  // ---- program images ---------------------------------------------------------------------------

  /**
   * A JIT-shaped program image calling `body` (one address, or several in order), in the BPF
   * text area. Its sled is the era's (see image.ts); bpf_arch_text_poke patches sled.addr.
   */
  buildProgImage(era: TrampolineEra, body: bigint | readonly bigint[], opts: ProgImageOptions = {}): ProgImage {
    const calls = typeof body === 'bigint' ? [body] : body;
    const size = progImageCode(era, 0n, calls.map(() => 0n), opts).bytes.length;
    const addr = this.allocText(size);
    const program = progImageCode(era, addr, calls, opts);
    this.writeText(addr, program.bytes);
    const sledSize = sledInsns(era) * 4;
    return {
      addr,
      size: program.bytes.length,
      era,
      sled: { addr, size: sledSize, insns: sledInsns(era) },
      tailCallEntry: addr + BigInt(tailCallOffset(era)),
      retAddrs: calls.map((_, i) => program.address(`ret${i}`)),
      program,
    };
  }

  /** Reserves `size` bytes (16-byte aligned, zero-filled, rx) in the BPF text area. */
  allocText(size: number): bigint {
    const addr = this.nextText;
    const end = addr + BigInt((size + 15) & ~15);
    if (end > BPF_TEXT + BigInt(BPF_TEXT_SIZE)) throw new Error(`bpf: text area full (${BPF_TEXT_SIZE} bytes)`);
    this.ensureMapped(addr, Number(end - addr), 'rx');
    this.nextText = end;
    return addr;
  }

  /** Writes code into the BPF text area (the JIT's copy) and flushes every hart's icache. */
  writeText(addr: bigint, bytes: Uint8Array): void {
    this.machine.memory.writeBytes(addr, bytes, true);
    for (const h of this.machine.harts) h.flushIcache();
  }

  // ---- CtxHost ----------------------------------------------------------------------------------

  kread(addr: bigint, size: 1 | 2 | 4 | 8, who: string): bigint {
    const b = this.machine.memory.tryReadBytes(addr, size);
    if (!b) this.oops(addr, who);
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    return v;
  }

  probeRead(addr: bigint, size: number): Uint8Array | undefined {
    return this.machine.memory.tryReadBytes(addr, size);
  }

  warn(text: string): void {
    this.log.warn(text);
  }

  // ---- host functions ---------------------------------------------------------------------------

  private enter(h: Hart): bigint {
    const prog = this.progArg(h.reg(A0), '__bpf_prog_enter');
    const runCtx = h.reg(A1);
    const saved = this.currentRunCtx(h);
    const cookie = this.kread(runCtx + BigInt(BPF_TRAMP_RUN_CTX.bpfCookie), 8, `__bpf_prog_enter: prog ${prog}: run_ctx`);
    this.kwrite(runCtx + BigInt(BPF_TRAMP_RUN_CTX.savedRunCtx), saved, `__bpf_prog_enter: prog ${prog}: run_ctx->saved_run_ctx`);
    this.machine.memory.writeU(this.currentSlot(h), 8, runCtx);
    const active = this.addActive(prog, h, +1);
    let start: bigint;
    if (active !== 1) {
      this.addCounter(prog, BPF_PROG.recursionMisses, 1n);
      start = 0n;
    } else {
      start = this.statsEnabled ? this.now() : NO_START_TIME;
    }
    this.stack(h).push({ prog, start, runCtx, saved, cookie });
    this.events?.push({ kind: 'enter', hart: h.hartId, prog, start, cookie, runCtx });
    return start;
  }

  private exit(h: Hart): void {
    const prog = this.progArg(h.reg(A0), '__bpf_prog_exit');
    const start = h.reg(A1);
    const runCtx = h.reg(A2);
    const stack = this.stack(h);
    let i = stack.length - 1;
    while (i >= 0 && !(stack[i]!.prog === prog && stack[i]!.runCtx === runCtx)) i--;
    const restore = this.kread(runCtx + BigInt(BPF_TRAMP_RUN_CTX.savedRunCtx), 8, `__bpf_prog_exit: prog ${prog}: run_ctx->saved_run_ctx`);
    if (i < 0) {
      this.log.warn(`__bpf_prog_exit: prog ${prog}: no __bpf_prog_enter with run_ctx ${hex(runCtx)} is in flight on hart ${h.hartId}`);
    } else {
      const inv = stack[i]!;
      for (const lost of stack.slice(i + 1).reverse()) {
        this.log.warn(`__bpf_prog_exit: prog ${lost.prog} entered (start ${hex(lost.start)}, run_ctx ${hex(lost.runCtx)}) but never exited before prog ${prog} exited`);
      }
      stack.length = i;
      if (start !== inv.start) {
        this.log.warn(`__bpf_prog_exit: prog ${prog} got start ${hex(start)}, but __bpf_prog_enter returned ${hex(inv.start)} for this invocation${markerHint(start)}`);
      }
      if (restore !== inv.saved) {
        this.log.warn(`__bpf_prog_exit: prog ${prog}: run_ctx->saved_run_ctx at ${hex(runCtx)} is ${hex(restore)}, __bpf_prog_enter saved ${hex(inv.saved)} (run_ctx overwritten)`);
      }
    }
    this.machine.memory.writeU(this.currentSlot(h), 8, restore);
    if (start > NO_START_TIME) {
      this.addCounter(prog, BPF_PROG.runCnt, 1n);
      this.addCounter(prog, BPF_PROG.runTimeNs, BigInt.asUintN(64, this.now() - start));
    }
    if (this.addActive(prog, h, -1) < 0) this.log.warn(`__bpf_prog_exit: prog ${prog}: active count below zero on hart ${h.hartId}`);
    this.events?.push({ kind: 'exit', hart: h.hartId, prog, start });
    if (prog.active === 0 && !this.holds.has(prog) && this.letGo.delete(prog)) this.unload(prog);
  }

  private trampRef(h: Hart, delta: 1 | -1): void {
    const im = h.reg(A0);
    const n = this.imageRefs(im);
    this.events?.push({ kind: delta > 0 ? 'tramp_enter' : 'tramp_exit', hart: h.hartId, im });
    if (delta < 0 && n === 0) {
      this.log.warn(`__bpf_tramp_exit: image ${hex(im)} (${this.kallsyms.format(im)}) has no reference to drop${markerHint(im)}`);
      return;
    }
    if (n + delta === 0) this.refs.delete(im);
    else this.refs.set(im, n + delta);
  }

  private runBody(h: Hart, slot: { readonly addr: bigint; prog: BpfProg | undefined }): bigint {
    const prog = slot.prog;
    if (!prog) this.bug(`call into a freed bpf program at ${hex(slot.addr)}`);
    const ctx = h.reg(A0);
    const v = prog.spec.body(new ProgCtx(this, prog, h, ctx));
    const raw = v === undefined ? 0n : typeof v === 'boolean' ? (v ? 1n : 0n) : BigInt(v);
    const r0 = BigInt.asUintN(prog.spec.r0 ?? 64, raw);
    prog.runs++;
    this.events?.push({ kind: 'run', hart: h.hartId, prog, ctx, r0 });
    h.setReg(A5, r0);
    return BigInt.asUintN(64, BigInt.asIntN(32, r0));
  }

  // ---- internals --------------------------------------------------------------------------------

  private progArg(addr: bigint, who: string): BpfProg {
    const p = this.progAt(addr);
    if (!p) this.bug(`${who}: ${hex(addr)} is not a loaded bpf_prog${markerHint(addr)}`);
    return p;
  }

  private stack(h: Hart): Invocation[] {
    let s = this.pending.get(h);
    if (!s) {
      s = [];
      this.pending.set(h, s);
    }
    return s;
  }

  private currentSlot(h: Hart): bigint {
    if (h.hartId < 0 || h.hartId >= MAX_HARTS) throw new Error(`bpf: hart ${h.hartId} out of range (MAX_HARTS ${MAX_HARTS})`);
    return CURRENT_RUN_CTX + BigInt(8 * h.hartId);
  }

  private addActive(prog: BpfProg, h: Hart, delta: number): number {
    const n = prog.activeOn(h.hartId) + delta;
    this.machine.memory.writeU(prog.activeAddr(h.hartId), 8, BigInt(n));
    return n;
  }

  private addCounter(prog: BpfProg, off: number, delta: bigint): void {
    const a = prog.addr + BigInt(off);
    const mem = this.machine.memory;
    mem.writeU(a, 8, mem.readU(a, 8) + delta);
  }

  /** A store to kernel memory (u64 unless said); an unmapped or read-only address is an oops. */
  kwrite(addr: bigint, value: bigint, who: string, size: 1 | 2 | 4 | 8 = 8): void {
    const mem = this.machine.memory;
    const perm = mem.permAt(addr);
    const perm2 = mem.permAt(addr + BigInt(size - 1));
    if (perm === undefined || perm2 === undefined || !(perm & PERM_W) || !(perm2 & PERM_W)) this.oops(addr, who);
    mem.writeU(addr, size, BigInt.asUintN(8 * size, value));
  }

  private oops(addr: bigint, who: string): never {
    this.bug(`Unable to handle kernel paging request at virtual address ${hex(addr).padStart(16, '0')} (${who})${markerHint(addr)}`);
  }

  private bug(text: string): never {
    const line = this.log.bug(text);
    throw new StopSignal(line.text);
  }

  private allocStruct(): bigint {
    let addr: bigint;
    if (this.nextStruct + BigInt(BPF_PROG_STRUCT_SIZE) <= BPF_DATA + BigInt(BPF_DATA_SIZE)) {
      addr = this.nextStruct;
      this.nextStruct += BigInt(BPF_PROG_STRUCT_SIZE);
    } else {
      const reused = this.freeStructs.shift();
      if (reused === undefined) throw new Error('bpf: no room for another struct bpf_prog');
      addr = reused;
    }
    this.ensureMapped(addr, BPF_PROG_STRUCT_SIZE, 'rw');
    return addr;
  }

  private bodySlot(): { readonly addr: bigint; prog: BpfProg | undefined } {
    if (this.bodySlots.length < HOST_BODY_SLOTS) {
      const slot: { addr: bigint; prog: BpfProg | undefined } = { addr: 0n, prog: undefined };
      slot.addr = this.host.add(`bpf_prog_slot_${this.bodySlots.length}`, (h) => this.runBody(h, slot), { outputs: [A0, A5] });
      this.bodySlots.push(slot);
      return slot;
    }
    const free = this.bodySlots.find((s) => s.prog === undefined);
    if (!free) throw new Error(`bpf: all ${HOST_BODY_SLOTS} program slots are in use`);
    return free;
  }

  private rename(addr: bigint, name: string): void {
    const cur = this.kallsyms.lookup(addr);
    const size = cur && cur.addr === addr ? cur.size : 16n;
    if (cur && cur.addr === addr) this.kallsyms.remove(addr);
    this.kallsyms.add(name, addr, size, { module: 'bpf' });
  }

  private writeStruct(p: BpfProg): void {
    const mem = this.machine.memory;
    const b = new Uint8Array(BPF_PROG_STRUCT_SIZE);
    const v = new DataView(b.buffer);
    v.setBigUint64(BPF_PROG.bpfFunc, p.bpfFunc, true);
    v.setUint32(BPF_PROG.id, p.id, true);
    // A struct_ops program's expected_attach_type is the index of the member it implements.
    const attachType = p.attach === 'struct_ops' ? structOpsMember(p.target!)!.index : ATTACH_TYPE_VALUE[p.attach];
    v.setUint32(BPF_PROG.expectedAttachType, attachType, true);
    v.setBigUint64(BPF_PROG.flags, p.usesFuncIp ? BPF_PROG_FLAG_CALL_GET_FUNC_IP : 0n, true);
    b.set(Buffer.from(p.name, 'utf8').subarray(0, 15), BPF_PROG.name);
    mem.writeBytes(p.addr, b, true);
  }

  private ensureMapped(addr: bigint, size: number, perm: 'rw' | 'rx'): void {
    const mem = this.machine.memory;
    const first = addr - (addr % PAGE);
    for (let p = first; p < addr + BigInt(size); p += PAGE) if (!mem.isMapped(p)) mem.map(p, PAGE_SIZE, perm);
  }
}

const runtimes = new WeakMap<Machine, BpfRuntime>();

/** The kernel's BPF runtime (created on first use: host functions installed, data mapped). */
export function bpfRuntime(k: RuntimeKernel): BpfRuntime {
  let rt = runtimes.get(k.machine);
  if (!rt) {
    rt = new BpfRuntime(k);
    runtimes.set(k.machine, rt);
  }
  return rt;
}
