/**
 * Runs a property case on a fresh kernel of a profile and reports every way it departs from
 * the contract (gen/model.ts), as findings a kernel developer can read. Runner-agnostic: mocha
 * properties, fc.commands, the fuzz CLI and replay all go through `CaseRunner` / `runCase`.
 *
 * Checked after every step:
 *  - attach / detach / tracer results: what the kernel must answer (attach refusals exactly as
 *    the kernel refuses: no trampoline, no direct calls for kernel functions, too many
 *    argument slots, a program attached twice, BPF_MAX_TRAMP_LINKS), and a refusal changes no
 *    text byte
 *  - transparency: a call returns what the model says (the untraced value unless an fmod_ret
 *    program returned non-zero) and leaves the same memory effects (each body's output slot:
 *    hash and run count)
 *  - ABI: sp, gp, tp, s0-s11 preserved at the host call and at every generated function's
 *    boundary, bodies entered at their first instruction, control back at the call site
 *  - visibility: the programs that run, in order, once each, with the exact arguments, return
 *    value, cookie, ip and argument count; the function tracer's entries
 *  - restore: with nothing attached and the tracer off, the module text, the kernel text and
 *    the ftrace entry code are byte for byte what they were after loading
 *  - image contract: text patches only inside the trampoline images (as long as they were
 *    sized), the ftrace sleds and the ftrace call sites; during a call no guest store outside
 *    the live stack and the bodies' output slots; the kernel log free of WARN / BUG; the BPF
 *    runtime idle after each call
 */
import { bootKernel, type Kernel, FTRACE_TEXT } from '../../kernel/kernel';
import { getProfile, withinArgLimit, type Profile } from '../../kernel/profiles/profiles';
import type { MutantId } from '../../kernel/mutants/catalogue';
import { bpfOf, type Bpf } from '../../kernel/bpf/bpf';
import { TRAMP_AREA, TRAMP_AREA_SIZE, type BpfLink } from '../../kernel/bpf/trampoline/manager';
import { BPF_TEXT, BPF_TEXT_SIZE } from '../../kernel/bpf/runtime/layout';
import type { BpfObject, ProgSpec } from '../../kernel/bpf/runtime';
import type { ProgCtx } from '../../kernel/bpf/runtime/ctx';
import { defaultStack, returnSentinel, KERNEL_BASE } from '../../kernel/image';
import { loadModule, boundaryMonitor, type LoadedModule } from '../../kernel/module';
import type { CallBoundaryMonitor } from '../../kernel/monitor/call-boundary';
import { describeError, type ErrnoName } from '../../kernel/errno';
import { describeTrap } from '../../emulator/cpu/trap';
import { PAGE_SIZE } from '../../emulator/memory/memory';
import { moduleSpec } from './gen/body';
import { argWords, fnName, outName, progArgs, scalarOf, showValues, slotCount, type ArgValue } from './gen/func';
import { IDLE, modelCall, progName, untraced, type Expected, type ModelState, type Parent } from './gen/model';
import { describeStep, type PropCase, type Step } from './case';

export type CaseResult = { readonly ok: true } | { readonly ok: false; readonly findings: readonly string[] };

/** The contracts a property checks (a case can be run for some of them only). */
export type Contract = 'transparency' | 'abi' | 'visibility' | 'restore' | 'image';
export const CONTRACTS: readonly Contract[] = ['transparency', 'abi', 'visibility', 'restore', 'image'];

/** crash: a call that did not come back; answer: the kernel answered an operation wrongly;
 *  model: the generator's model disagrees with its machine code (a harness bug). */
export type Category = Contract | 'crash' | 'answer' | 'model';

export interface Finding {
  readonly category: Category;
  readonly text: string;
}

class Findings {
  readonly all: Finding[] = [];
  add(category: Category, text: string): void {
    this.all.push({ category, text });
  }
}

export interface RunOptions {
  /** Instruction budget per call (watchdog). Default 200,000. */
  readonly budget?: number;
  /** Report only findings of these contracts (plus crashes and wrong answers). Default: all. */
  readonly checks?: readonly Contract[];
  /** Boot the case's kernel with this bug of the mutation catalogue (rvtramp mutants). */
  readonly mutant?: MutantId;
}

/** What the kernel must answer to attaching program j now (undefined: success). */
export function expectedAttach(p: Profile, c: PropCase, st: ModelState, j: number): ErrnoName | undefined {
  const prog = c.progs[j]!;
  if (p.trampoline === 'none') return 'ENOTSUPP';
  if (st.attached.includes(j)) return 'EBUSY';
  // An fsession link is on the fentry and the fexit list: it counts twice, and a new one
  // needs room for two.
  const used = st.attached.filter((x) => c.progs[x]!.target === prog.target).reduce((n, x) => n + (c.progs[x]!.kind === 'fsession' ? 2 : 1), 0);
  if (used + (prog.kind === 'fsession' ? 1 : 0) >= p.maxTrampLinks) return 'E2BIG';
  const f = c.module.functions[prog.target]!;
  if (!withinArgLimit(p.argLimit, f.args.length, slotCount(f))) return 'ENOTSUPP';
  if (p.directCalls === 'none') return 'ENOTSUPP';
  return undefined;
}

/** Whether a profile can run BPF programs on (module) kernel functions at all. */
export function tracesKernelFunctions(p: Profile): boolean {
  return p.trampoline !== 'none' && p.directCalls !== 'none';
}

interface Observation {
  readonly prog: number;
  readonly args: readonly ArgValue[];
  readonly ret?: bigint;
  readonly cookie: bigint;
  readonly ip?: bigint;
  readonly nregs?: readonly [bigint, bigint];
  /** fsession: which side ran; with a session cookie, whether it held what it must (0 at
   *  entry, then the program's value; that value at exit). */
  readonly side?: 'entry' | 'exit';
  readonly sessionCookie?: boolean;
  readonly error?: string;
}

/** The value fsession program j writes to its session cookie at entry. */
const cookieValue = (j: number): bigint => BigInt.asUintN(64, 0x9e3779b97f4a7c15n * BigInt(j + 1));

const hx = (v: bigint) => `0x${BigInt.asUintN(64, v).toString(16)}`;
/** Byte-for-byte equality (a plain loop: this runs on every step with nothing attached). */
function equalBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class CaseRunner {
  readonly profile: Profile;
  readonly kernel: Kernel;
  readonly module: LoadedModule;
  readonly bpf: Bpf;
  readonly object: BpfObject | undefined;
  private st: ModelState = IDLE;
  private outs = new Map<number, { hash: bigint; runs: number }>();
  private readonly links = new Map<number, BpfLink>();
  private readonly observed: Observation[] = [];
  private readonly snapshot: { readonly addr: bigint; readonly bytes: Uint8Array; readonly what: string }[];
  private patchesSeen = 0;
  private logSeen = 0;
  private readonly budget: number;
  /** Guest stores into watched memory during the current call. */
  private readonly stores: string[] = [];
  private watching = false;
  private mons: CallBoundaryMonitor[] | undefined;
  private entrySp = 0n;

  constructor(profile: Profile | string, readonly c: PropCase, opts: RunOptions = {}) {
    this.profile = typeof profile === 'string' ? getProfile(profile) : profile;
    this.budget = opts.budget ?? 200_000;
    this.kernel = bootKernel(this.profile, opts.mutant !== undefined ? { mutant: opts.mutant } : {});
    const k = this.kernel;
    const mod = loadModule(k, moduleSpec(c.module));
    if (!mod.ok) throw new Error(`runCase: loading the generated module: ${describeError(mod)}`);
    this.module = mod.value;
    this.bpf = bpfOf(k);
    if (c.progs.length > 0) {
      const obj = this.bpf.runtime.tryLoad({ name: 'rvt_props', progs: c.progs.map((_, j) => this.progSpec(j)) });
      if (!obj.ok) throw new Error(`runCase: loading the programs on ${this.profile.name}: ${describeError(obj)}`);
      this.object = obj.value;
    }
    const mem = k.machine.memory;
    const region = (addr: bigint, size: number, what: string) => ({ addr, bytes: mem.readBytes(addr, size), what });
    this.snapshot = [
      region(this.module.text.start, Number(this.module.text.end - this.module.text.start), 'module text'),
      region(k.image.text.start, Number(k.image.text.end - k.image.text.start), 'kernel text'),
      region(FTRACE_TEXT, PAGE_SIZE, 'ftrace entry code'),
    ];
    this.patchesSeen = k.text.history.length;
    this.logSeen = k.log.lines().length;
    this.watchStores();
  }

  /**
   * Watches (for the runner's lifetime; host writes such as text patching do not trigger
   * watches) the kernel image and its runtime areas, the trampoline and BPF text areas, the
   * module's text, and the top of the call stack: during a call, a guest store there is an
   * image-contract finding, except below the call's entry sp.
   */
  private watchStores(): void {
    const k = this.kernel;
    const stack = defaultStack(k.hart);
    const top = stack.top;
    const onStore = (_: 'read' | 'write', addr: bigint, size: number) => {
      if (!this.watching) return;
      if (addr >= stack.base && addr < this.entrySp) return;
      this.stores.push(`${size}-byte store to ${k.kallsyms.format(addr)} (${hx(addr)})`);
    };
    const regions: [bigint, number][] = [
      [KERNEL_BASE, 0x900000],
      [TRAMP_AREA, TRAMP_AREA_SIZE],
      [BPF_TEXT, BPF_TEXT_SIZE],
      [this.module.text.start, Number(this.module.text.end - this.module.text.start)],
      [top - BigInt(PAGE_SIZE), PAGE_SIZE],
    ];
    for (const [a, n] of regions) k.machine.memory.watch(a, n, 'write', onStore);
  }

  get state(): ModelState {
    return this.st;
  }

  private progSpec(j: number): ProgSpec {
    const p = this.c.progs[j]!;
    const f = this.c.module.functions[p.target]!;
    return {
      name: progName(j),
      attach: p.kind,
      target: fnName(p.target),
      args: progArgs(f),
      ret: scalarOf(f.ret),
      usesFuncIp: p.usesIp,
      ...(p.session ? { usesSessionCookie: true } : {}),
      r0: p.r0,
      body: (ctx) => this.observe(j, ctx),
    };
  }

  /** A program's body: what it sees, recorded; an fmod_ret program returns its value. */
  private observe(j: number, ctx: ProgCtx): bigint {
    const p = this.c.progs[j]!;
    const f = this.c.module.functions[p.target]!;
    try {
      const args = f.args.map((k, a): ArgValue => {
        if (k !== 'struct16') return ctx.arg(a);
        const s = ctx.struct(a);
        return [s.lo!, s.hi!];
      });
      const ret = p.kind !== 'fentry' && f.ret !== 'void' ? ctx.ret() : undefined;
      const cnt = p.argCnt ? ctx.argCnt() : undefined;
      const side = p.kind === 'fsession' ? (ctx.sessionIsReturn() ? 'exit' : 'entry') : undefined;
      let sessionCookie: boolean | undefined;
      if (p.session) {
        if (side === 'entry') {
          sessionCookie = ctx.readCookie() === 0n;
          ctx.writeCookie(cookieValue(j));
        } else sessionCookie = ctx.readCookie() === cookieValue(j);
      }
      this.observed.push({
        prog: j, args, cookie: ctx.cookie(),
        ...(ret !== undefined ? { ret } : {}),
        ...(p.usesIp ? { ip: ctx.funcIp() } : {}),
        ...(cnt !== undefined ? { nregs: [cnt, ctx.getFuncArg(Number(cnt)).err] as const } : {}),
        ...(side !== undefined ? { side } : {}),
        ...(sessionCookie !== undefined ? { sessionCookie } : {}),
      });
    } catch (e) {
      this.observed.push({ prog: j, args: [], cookie: 0n, error: (e as Error).message });
    }
    return p.kind === 'fmod_ret' ? p.ret : 0n;
  }

  private showObs(o: Observation): string {
    const p = this.c.progs[o.prog]!;
    if (o.error !== undefined) return `${p.kind} ${progName(o.prog)}: ${o.error}`;
    const parts = [`${p.kind}${o.side !== undefined ? ` (${o.side})` : ''} ${progName(o.prog)} ${fnName(p.target)}${showValues(o.args)}`];
    if (o.ret !== undefined) parts.push(`ret ${o.ret}`);
    parts.push(`cookie ${hx(o.cookie)}`);
    if (o.ip !== undefined) parts.push(`ip ${this.kernel.kallsyms.format(o.ip)}`);
    if (o.nregs) parts.push(`nregs ${o.nregs[0]} arg(nregs) ${o.nregs[1]}`);
    if (o.sessionCookie !== undefined) parts.push(`session cookie ${o.sessionCookie ? 'as expected' : o.side === 'entry' ? 'not 0 at entry' : 'not what the entry side wrote'}`);
    return parts.join(', ');
  }

  private expectedObs(e: Extract<Expected, { kind: 'prog' }>): Observation {
    const p = this.c.progs[e.prog]!;
    const f = this.c.module.functions[e.fn]!;
    return {
      prog: e.prog, args: e.args, cookie: p.cookie,
      ...(e.ret !== undefined ? { ret: e.ret } : {}),
      ...(p.usesIp ? { ip: this.module.fn(fnName(e.fn)).addr } : {}),
      ...(p.argCnt ? { nregs: [BigInt(slotCount(f)), -22n] as const } : {}),
      ...(e.side !== undefined ? { side: e.side } : {}),
      ...(p.session ? { sessionCookie: true } : {}),
    };
  }

  private parentAddr(p: Parent): bigint {
    return p.kind === 'host' ? returnSentinel(this.kernel.machine) : this.module.address(`rvt_gen_f${p.fn}__ret`);
  }

  private showTrace(ip: bigint, parent: bigint): string {
    const ks = this.kernel.kallsyms;
    return `function tracer: ${ks.format(ip)} <- ${ks.symbolize(parent) ?? hx(parent)}`;
  }

  /** Runs one step; returns its findings (empty when the contract held). */
  step(s: Step): Finding[] {
    const f = new Findings();
    const k = this.kernel;
    switch (s.op) {
      case 'attach':
        this.attach(s.prog, f);
        break;
      case 'detach':
        this.detach(s.prog, f);
        break;
      case 'call':
        this.call(s.fn, s.args, f);
        break;
      case 'tracer-on': {
        if (this.st.tracer !== undefined) {
          const off = k.tracer.disable();
          if (!off.ok) f.add('answer', `function tracer off: ${describeError(off)}`);
        }
        const r = k.tracer.enable(s.fns.map(fnName));
        if (!r.ok) f.add('answer', `function tracer on: ${describeError(r)}`);
        this.st = { ...this.st, tracer: [...s.fns] };
        break;
      }
      case 'tracer-off': {
        if (this.st.tracer === undefined) break;
        const r = k.tracer.disable();
        if (!r.ok) f.add('answer', `function tracer off: ${describeError(r)}`);
        this.st = { ...this.st, tracer: undefined };
        break;
      }
    }
    this.checkPatches(f);
    this.checkLog(f);
    if (this.st.attached.length === 0 && this.st.tracer === undefined) this.checkRestored(f);
    return f.all;
  }

  private attach(j: number, f: Findings): void {
    const want = expectedAttach(this.profile, this.c, this.st, j);
    const before = this.moduleText();
    const r = this.bpf.attach(this.object!.prog(progName(j)), { cookie: this.c.progs[j]!.cookie });
    if (r.ok) {
      this.links.set(j, r.value);
      this.st = { ...this.st, attached: [...this.st.attached, j] };
      if (want !== undefined) f.add('answer', `attach ${progName(j)} succeeded; the kernel must refuse it with -${want}`);
      return;
    }
    if (want === undefined) f.add('answer', `attach ${progName(j)} failed: ${describeError(r)}`);
    else if (r.errno !== want) f.add('answer', `attach ${progName(j)}: ${describeError(r)}, expected -${want}`);
    if (!equalBytes(this.moduleText(), before)) f.add('restore', `attach ${progName(j)} was refused but changed the module text`);
  }

  private detach(j: number, f: Findings): void {
    const link = this.links.get(j);
    if (!this.st.attached.includes(j)) {
      if (!link) return; // never attached: nothing to detach
      const r = this.bpf.detach(link);
      if (r.ok || r.errno !== 'ENOENT') f.add('answer', `detaching ${progName(j)} a second time: ${describeError(r)}, expected -ENOENT`);
      return;
    }
    const r = this.bpf.detach(link!);
    if (!r.ok) {
      f.add('answer', `detach ${progName(j)}: ${describeError(r)}`);
      return;
    }
    this.st = { ...this.st, attached: this.st.attached.filter((x) => x !== j) };
  }

  /**
   * A call-boundary monitor on every generated function, installed at the first call and kept
   * for the case (reset before each call). A body may be skipped only where an fmod_ret
   * program returning non-zero is attached at the time of the return.
   */
  private monitors(): CallBoundaryMonitor[] {
    if (this.mons) return this.mons;
    const maySkip = (i: number) => this.st.attached.some((j) => this.c.progs[j]!.target === i && this.c.progs[j]!.kind === 'fmod_ret' && BigInt.asIntN(32, this.c.progs[j]!.ret) !== 0n);
    return (this.mons = this.c.module.functions.map((_, i) => boundaryMonitor(this.kernel, fnName(i), { bodyMaySkip: () => maySkip(i) })));
  }

  private moduleText(): Uint8Array {
    return this.kernel.machine.memory.readBytes(this.module.text.start, Number(this.module.text.end - this.module.text.start));
  }

  private call(fn: number, args: readonly ArgValue[], f: Findings): void {
    const k = this.kernel;
    const mem = k.machine.memory;
    const m = this.c.module;
    const words = argWords(m.functions[fn]!, args);
    const expect = modelCall(m, this.c.progs, this.st, fn, words, this.outs);
    const name = fnName(fn);

    // Monitors on every generated function; a body may be skipped only where an fmod_ret
    // program returning non-zero is attached.
    const monitors = this.monitors();
    for (const mo of monitors) mo.reset();
    // Guest stores outside the live stack and the output slots are image-contract findings.
    const stack = defaultStack(k.hart);
    this.entrySp = stack.top - 16n - BigInt(Math.ceil(Math.max(0, words.length - 8) / 2) * 16);
    this.stores.length = 0;
    this.watching = true;
    this.observed.length = 0;
    const traceStart = k.tracer.buffer.length;
    let r: ReturnType<Kernel['call']>;
    try {
      r = k.call(this.module.fn(name).addr, words, { budget: this.budget });
    } finally {
      this.watching = false;
    }
    // Named only when there is a finding to report.
    let named: string | undefined;
    const what = (): string => (named ??= `${name}${showValues(args)}`);

    if (r.kind !== 'returned') {
      const pc = r.kind === 'trap' ? r.trap.pc : r.pc;
      const why = r.kind === 'trap' ? describeTrap(r.trap) : r.kind === 'stop' ? `stopped: ${r.reason}` : `no return within ${this.budget} instructions`;
      f.add('crash', `${what()} did not return: ${why}${k.kallsyms.lookup(pc) ? ` (${k.kallsyms.format(pc)})` : ''}`);
      for (const mo of monitors) for (const x of mo.explainStuck(pc)) f.add('crash', x.message);
    } else {
      for (const v of r.abi) f.add('abi', `${what()} returned to the host with ${v.reg} ${hx(v.actual)} (was ${hx(v.expected)})`);
      if (expect.ret !== undefined && r.value !== expect.ret) {
        const base = untraced(m, fn, words).ret;
        f.add('transparency', `${what()} returned ${hx(r.value)}, expected ${hx(expect.ret)}${expect.ret === base ? ' (its untraced value)' : ` (set by fmod_ret; untraced ${hx(base)})`}`);
      }
    }
    if (f.all.some((x) => x.category === 'transparency')) this.crossCheck(fn, words, f);
    for (const mo of monitors) for (const x of mo.findings) f.add('abi', x.message);
    for (const s of this.stores.slice(0, 4)) f.add('image', `during ${what()}: ${s} outside the stack and the functions' data`);

    // Memory effects: every body's output slot.
    for (let i = 0; i < m.functions.length; i++) {
      const out = this.module.address(outName(i));
      const got = { hash: mem.readU(out, 8), runs: Number(mem.readU(out + 8n, 8)) };
      const want = expect.outs.get(i) ?? { hash: 0n, runs: 0 };
      if (got.hash !== want.hash || got.runs !== want.runs) {
        f.add('transparency', `after ${what()}: ${outName(i)} = { hash ${hx(got.hash)}, runs ${got.runs} }, expected { hash ${hx(want.hash)}, runs ${want.runs} }${got.runs > want.runs ? ' (the body ran when it must not)' : got.runs < want.runs ? ' (the body did not run)' : ''}`);
      }
      this.outs.set(i, got);
    }

    // Visibility: programs in order, once each, with what they must see; the tracer's entries.
    const wantObs = expect.events.filter((e): e is Extract<Expected, { kind: 'prog' }> => e.kind === 'prog').map((e) => this.showObs(this.expectedObs(e)));
    const gotObs = this.observed.map((o) => this.showObs(o));
    diffLists(() => `${what()}: BPF programs`, wantObs, gotObs, (x) => f.add('visibility', x));
    const wantTrace = expect.events.filter((e): e is Extract<Expected, { kind: 'trace' }> => e.kind === 'trace').map((e) => this.showTrace(k.ftrace.locationOf(fnName(e.fn))!, this.parentAddr(e.parent)));
    const gotTrace = k.tracer.buffer.slice(traceStart).map((e) => this.showTrace(e.ip, e.parentIp));
    diffLists(() => `${what()}: function tracer`, wantTrace, gotTrace, (x) => f.add('visibility', x));

    // The BPF runtime must be idle again.
    const rt = this.bpf.runtime;
    if (rt.pendingOn(k.hart).length > 0) f.add('image', `after ${what()}: ${rt.pendingOn(k.hart).length} __bpf_prog_enter calls without their exit`);
    if (rt.imagesInUse().length > 0) f.add('image', `after ${what()}: trampoline images still referenced (__bpf_tramp_enter without exit)`);
    if (rt.currentRunCtx(k.hart) !== 0n) f.add('image', `after ${what()}: current run_ctx is ${hx(rt.currentRunCtx(k.hart))}, not restored to 0`);
    for (const p of this.object?.progs.values() ?? []) if (p.active !== 0) f.add('image', `after ${what()}: ${p.name}->active is ${p.active}`);
  }

  /**
   * The expected values come from the TypeScript model; before blaming the kernel for a
   * different result, run the same call untraced on a fresh kernel: if that disagrees with the
   * model too, the generator is wrong, not the trampoline.
   */
  private crossCheck(fn: number, words: readonly bigint[], f: Findings): void {
    const k = bootKernel(this.profile);
    const mod = loadModule(k, moduleSpec(this.c.module));
    if (!mod.ok) return;
    const r = k.call(mod.value.fn(fnName(fn)).addr, words, { budget: this.budget });
    const want = untraced(this.c.module, fn, words);
    const hash = k.machine.memory.readU(mod.value.address(outName(fn)), 8);
    if (r.kind !== 'returned' || r.value !== want.ret || hash !== want.hash) {
      f.add('model', `untraced on a fresh kernel, ${fnName(fn)} gives ${r.kind === 'returned' ? `${hx(r.value)} (hash ${hx(hash)})` : r.kind}, the model ${hx(want.ret)} (hash ${hx(want.hash)}): the generator's model is wrong`);
    }
  }

  private checkPatches(f: Findings): void {
    const k = this.kernel;
    const hist = k.text.history;
    if (this.patchesSeen === hist.length) return; // no new patch to check
    const sleds = [...k.ftrace.records.values()].map((r) => [r.sled.address, r.sled.address + BigInt(r.sled.size)] as const);
    // Trampoline images as allocated (their sized length, not the pages they are mapped in)
    // at the time of the patch.
    const tramp = (a: bigint) => a >= TRAMP_AREA && a < TRAMP_AREA + BigInt(TRAMP_AREA_SIZE);
    const live = (i: number) => this.bpf.trampolines.allocations.filter((x) => x.from <= i && (x.to === undefined || i < x.to));
    const inside = (i: number, a: bigint, n: number) => {
      const e = a + BigInt(n);
      if (tramp(a)) return live(i).some((x) => a >= x.addr && e <= x.addr + BigInt(x.size));
      if (a >= FTRACE_TEXT && e <= FTRACE_TEXT + BigInt(PAGE_SIZE)) return true;
      return sleds.some(([s, t]) => a >= s && e <= t);
    };
    for (let i = this.patchesSeen; i < hist.length; i++) {
      const h = hist[i]!;
      if (inside(i, h.addr, h.bytes.length)) continue;
      const where = `text patch of ${h.bytes.length} bytes at ${k.kallsyms.format(h.addr)} (${hx(h.addr)})`;
      const img = tramp(h.addr) ? live(i).find((x) => h.addr >= x.addr && h.addr < x.addr + BigInt(x.size)) : undefined;
      if (img) f.add('image', `${where}: ${Number(h.addr + BigInt(h.bytes.length) - img.addr) - img.size} bytes past the end of its ${img.size}-byte trampoline image`);
      else f.add('image', `${where}: outside the trampoline images, the ftrace sleds and ftrace's call sites`);
    }
    this.patchesSeen = hist.length;
  }

  private checkLog(f: Findings): void {
    const lines = this.kernel.log.lines();
    for (let i = this.logSeen; i < lines.length; i++) if (lines[i]!.kind !== 'printk') f.add('image', `kernel log: ${lines[i]!.text}`);
    this.logSeen = lines.length;
  }

  private checkRestored(f: Findings): void {
    const mem = this.kernel.machine.memory;
    for (const s of this.snapshot) {
      const i = mem.firstDifference(s.addr, s.bytes);
      if (i === -1) continue;
      const at = s.addr + BigInt(i ?? 0);
      f.add('restore', `with nothing attached, the ${s.what} differs from the loaded bytes at ${this.kernel.kallsyms.format(at)} (${hx(at)})`);
    }
  }

  /** Detaches whatever is still attached, turns the tracer off, and checks the restore. */
  finish(): Finding[] {
    const out: Finding[] = [];
    for (const j of [...this.st.attached]) out.push(...this.step({ op: 'detach', prog: j }));
    if (this.st.tracer !== undefined) out.push(...this.step({ op: 'tracer-off' }));
    if (out.length === 0 && this.st.attached.length === 0) {
      const f = new Findings();
      this.checkRestored(f);
      out.push(...f.all);
    }
    return out;
  }
}

/** Lists that must be equal, reported as the first difference. */
function diffLists(what: () => string, want: readonly string[], got: readonly string[], add: (text: string) => void): void {
  const n = Math.max(want.length, got.length);
  for (let i = 0; i < n; i++) {
    if (want[i] === got[i]) continue;
    if (want[i] === undefined) add(`${what()}: unexpected #${i + 1}: ${got[i]} (expected ${want.length})`);
    else if (got[i] === undefined) add(`${what()}: missing #${i + 1}: ${want[i]} (saw ${got.length})`);
    else add(`${what()}: #${i + 1} is ${got[i]}, expected ${want[i]}`);
    return;
  }
}

/** Whether a finding belongs to the checked contracts (crashes, wrong answers and model errors always do). */
export function selected(f: Finding, checks: readonly Contract[] | undefined): boolean {
  return checks === undefined || f.category === 'crash' || f.category === 'answer' || f.category === 'model' || checks.includes(f.category);
}

/**
 * Runs every step of a case on a fresh kernel of the profile, then detaches everything and
 * checks the restore. Stops at the first step with findings (later steps would only report
 * the damage); findings name the step and the contract (`[abi] step 3 (call ...): ...`).
 */
export function runCase(profileName: string, c: PropCase, opts: RunOptions = {}): CaseResult {
  const run = new CaseRunner(profileName, c, opts);
  const fmt = (where: string, f: Finding) => `[${f.category}] ${where}: ${f.text}`;
  for (const [i, s] of c.steps.entries()) {
    const f = run.step(s).filter((x) => selected(x, opts.checks));
    if (f.length > 0) return { ok: false, findings: f.map((x) => fmt(`step ${i} (${describeStep(c, s)})`, x)) };
  }
  const f = run.finish().filter((x) => selected(x, opts.checks));
  if (f.length > 0) return { ok: false, findings: f.map((x) => fmt('teardown', x)) };
  return { ok: true };
}
