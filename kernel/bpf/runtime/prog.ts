/**
 * BPF programs and objects as the runtime models them. A program is TypeScript: a body that
 * receives a typed view of the ctx the trampoline built (ctx.ts) and returns BPF R0. At run
 * time it is a host function at a kernel address (its bpf_func), or, with an image, real
 * machine code shaped like the riscv JIT's output that calls the body (image.ts).
 *
 * ```ts
 * const fexit = defineObject({
 *   name: 'fexit_test',
 *   bss: { test1_result: 0n },
 *   progs: [{
 *     name: 'test1', attach: 'fexit', target: 'bpf_fentry_test1', args: [{ name: 'a', type: 'int' }],
 *     body: (ctx) => { ctx.bss.test1_result = ctx.arg('a') === 1n && ctx.ret() === 2n ? 1n : 0n; },
 *   }],
 * });
 * const obj = bpfRuntime(kernel).load(fexit);      // struct bpf_prog objects, bodies installed
 * obj.prog('test1').bpfFunc                        // what the trampoline calls with a0 = ctx
 * ```
 *
 * Loading an object does not attach it: attaching (trampolines, links, cookies) is the
 * generic layer's job.
 */
import type { Memory } from '../../../emulator/memory/memory';
import type { ProgCtx } from './ctx';
import { argLayout, rawArgs, type ArgLayout, type ArgSpec, type ScalarType } from './types';
import { BPF_PROG, MAX_HARTS } from './layout';
import type { ProgImage } from './runtime';

/** fsession (7.0): one program run at the function's entry and at its exit (bpf_session_is_return tells which). */
export type AttachType = 'fentry' | 'fexit' | 'fmod_ret' | 'fsession';

/** A tracing program's attach type, a program that is run directly (a BPF target prog), or a
 *  struct_ops program (a member of a struct_ops type, called through its trampoline). */
export type ProgKind = AttachType | 'classifier' | 'struct_ops';

/** A program body: returns BPF R0 (void is 0; a boolean is 1 / 0). */
export type ProgBody = (ctx: ProgCtx) => bigint | number | boolean | void;

/** A call in a program image: the program's own body, or any kernel address. */
export type ImageCall = 'body' | bigint;

export interface ProgSpec {
  readonly name: string;
  readonly attach: ProgKind;
  /** The traced function (a kernel symbol, or a BPF program's function); tracing programs.
   *  struct_ops programs: the member they implement, `<struct>.<member>` (SEC("struct_ops/test_1")
   *  in a `struct bpf_dummy_ops` map is `bpf_dummy_ops.test_1`). */
  readonly target?: string;
  /** A sleepable program (SEC("struct_ops.s/..."), fentry.s, ...). */
  readonly sleepable?: boolean;
  /**
   * The traced function's arguments as the program declares them (BPF_PROG(...)): typed
   * reads by name, and the slot of the return value. A number n declares n u64 arguments
   * named a0..a(n-1), like the upstream all-__u64 variants. Leave out to read raw words only.
   */
  readonly args?: readonly ArgSpec[] | number;
  /** C type of the traced function's return value for ctx.ret() (default int; u64 for raw args). */
  readonly ret?: ScalarType;
  /** The program calls bpf_get_func_ip: the trampoline must set BPF_TRAMP_F_IP_ARG. */
  readonly usesFuncIp?: boolean;
  /** An fsession program calls bpf_session_cookie: the trampoline gives it a cookie slot. */
  readonly usesSessionCookie?: boolean;
  /**
   * Width of the BPF R0 value the body produces in a5: 64 (default) keeps the value as
   * returned, 32 zero-extends its low half as ALU32 code and 32-bit loads leave it.
   */
  readonly r0?: 32 | 64;
  /**
   * Give the program a JIT image with an entry sled (so a trampoline can be attached to it):
   * true calls the body; a list gives the calls in order ('body' for the body). Default:
   * true for classifier and struct_ops programs, false for tracing programs (their bpf_func is
   * the body).
   */
  readonly image?: boolean | readonly ImageCall[];
  readonly body: ProgBody;
}

export interface ObjectSpec {
  readonly name: string;
  /** .bss / .data globals with their initial values; when given, only these names exist. */
  readonly bss?: Readonly<Record<string, bigint | number>>;
  readonly progs: readonly ProgSpec[];
}

export function isTracing(k: ProgKind): k is AttachType {
  return k !== 'classifier' && k !== 'struct_ops';
}

/** Checks an object definition without a kernel (names, targets, argument types). */
export function defineObject<S extends ObjectSpec>(spec: S): S {
  const names = new Set<string>();
  for (const p of spec.progs) {
    if (names.has(p.name)) throw new Error(`bpf object ${spec.name}: program '${p.name}' defined twice`);
    names.add(p.name);
    checkProg(p, spec.name);
  }
  return spec;
}

/** Validates one program definition; returns its argument layout. */
export function checkProg(p: ProgSpec, objName = '(none)'): { readonly args?: readonly ArgLayout[]; readonly slots?: number } {
  const where = `bpf object ${objName}: program '${p.name}'`;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.name)) throw new Error(`${where}: not a C identifier`);
  if (isTracing(p.attach) && !p.target) throw new Error(`${where}: ${p.attach} programs need a target`);
  if (p.attach === 'struct_ops' && !/^[A-Za-z_]\w*\.[A-Za-z_]\w*$/.test(p.target ?? '')) throw new Error(`${where}: struct_ops programs need a target <struct>.<member>`);
  if (p.usesSessionCookie && p.attach !== 'fsession') throw new Error(`${where}: only fsession programs may call bpf_session_cookie`);
  if (p.image !== undefined && typeof p.image !== 'boolean' && p.image.length === 0) throw new Error(`${where}: an image needs at least one call`);
  if (p.args === undefined) return {};
  const list = typeof p.args === 'number' ? rawArgs(p.args) : p.args;
  try {
    return argLayout(list);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
}

/** The .bss results of an object: u64 values by name. */
export type Bss = Record<string, bigint>;

/**
 * A .bss store: numbers are stored as bigint; with declared names, reading or writing any
 * other name throws (a typo in a test would otherwise read as 0).
 */
export function makeBss(objName: string, initial: Readonly<Record<string, bigint | number>> | undefined): Bss {
  const target: Bss = {};
  for (const [k, v] of Object.entries(initial ?? {})) target[k] = BigInt(v);
  const strict = initial !== undefined;
  const check = (key: string | symbol): void => {
    if (strict && typeof key === 'string' && !(key in target)) throw new Error(`bpf object ${objName}: no .bss variable '${key}' (declared: ${Object.keys(target).join(', ') || 'none'})`);
  };
  return new Proxy(target, {
    get(t, key) {
      if (typeof key === 'string' && !(key in t)) {
        check(key);
        return 0n;
      }
      return Reflect.get(t, key);
    },
    set(t, key, value: unknown) {
      check(key);
      if (typeof value !== 'bigint' && typeof value !== 'number' && typeof value !== 'boolean') throw new Error(`bpf object ${objName}: .bss ${String(key)} = ${String(value)}: not a number`);
      return Reflect.set(t, key, typeof value === 'bigint' ? value : BigInt(value));
    },
  });
}

export interface ProgStats {
  /** bpf_prog_stats.cnt: runs counted by __bpf_prog_exit (start > 1). */
  readonly cnt: bigint;
  readonly nsecs: bigint;
}

/** A loaded program. Counters are read from its struct bpf_prog in kernel memory. */
export class BpfProg {
  /** Times the body ran (whatever called it). */
  runs = 0;
  /** BTF pointer reads (ctx.read) that faulted and read as 0. */
  probeFaults = 0;
  loaded = true;
  /** The image, when the program has one (then bpfFunc is its first byte). */
  image: ProgImage | undefined;
  bpfFunc: bigint;

  constructor(
    private readonly mem: Memory,
    readonly id: number,
    readonly spec: ProgSpec,
    readonly object: BpfObject,
    /** Address of its struct bpf_prog: what a trampoline passes in a0 to enter/exit. */
    readonly addr: bigint,
    /** The host function running the body. */
    readonly bodyAddr: bigint,
    /** kallsyms name: bpf_prog_<tag>_<name>. */
    readonly ksym: string,
    readonly args: readonly ArgLayout[] | undefined,
    /** Argument slots the program declares (where ctx.ret() reads), if it declares them. */
    readonly argSlots: number | undefined,
  ) {
    this.bpfFunc = bodyAddr;
  }

  get name(): string {
    return this.spec.name;
  }

  get attach(): ProgKind {
    return this.spec.attach;
  }

  get target(): string | undefined {
    return this.spec.target;
  }

  get usesFuncIp(): boolean {
    return this.spec.usesFuncIp ?? false;
  }

  get usesSessionCookie(): boolean {
    return this.spec.usesSessionCookie ?? false;
  }

  get bss(): Bss {
    return this.object.bss;
  }

  /** C type ctx.ret() reads. */
  get retType(): ScalarType {
    return this.spec.ret ?? (typeof this.spec.args === 'number' ? 'u64' : 'int');
  }

  get recursionMisses(): bigint {
    return this.mem.readU(this.addr + BigInt(BPF_PROG.recursionMisses), 8);
  }

  get stats(): ProgStats {
    return {
      cnt: this.mem.readU(this.addr + BigInt(BPF_PROG.runCnt), 8),
      nsecs: this.mem.readU(this.addr + BigInt(BPF_PROG.runTimeNs), 8),
    };
  }

  /** prog->active of one hart (the per-cpu recursion counter). */
  activeOn(hartId: number): number {
    if (hartId < 0 || hartId >= MAX_HARTS) throw new Error(`bpf: hart ${hartId} out of range`);
    return Number(BigInt.asIntN(64, this.mem.readU(this.activeAddr(hartId), 8)));
  }

  /** prog->active summed over harts: 0 whenever no invocation is in flight. */
  get active(): number {
    let n = 0;
    for (let i = 0; i < MAX_HARTS; i++) n += this.activeOn(i);
    return n;
  }

  activeAddr(hartId: number): bigint {
    return this.addr + BigInt(BPF_PROG.active + 8 * hartId);
  }

  toString(): string {
    return `${this.name} (id ${this.id})`;
  }
}

/** A loaded object (the skeleton): its programs and their shared .bss. */
export class BpfObject {
  readonly progs = new Map<string, BpfProg>();
  readonly bss: Bss;

  constructor(
    readonly spec: ObjectSpec,
    private readonly unloader: (p: BpfProg) => void,
  ) {
    this.bss = makeBss(spec.name, spec.bss);
  }

  get name(): string {
    return this.spec.name;
  }

  prog(name: string): BpfProg {
    const p = this.progs.get(name);
    if (!p) throw new Error(`bpf object ${this.name}: no program '${name}' (loaded: ${[...this.progs.keys()].join(', ') || 'none'})`);
    return p;
  }

  /** memset(bss, 0, sizeof(*bss)): every variable back to 0 (not to its initial value). */
  resetBss(): void {
    for (const k of Object.keys(this.bss)) this.bss[k] = 0n;
  }

  /** Unloads every program (their struct bpf_prog and code become invalid). */
  close(): void {
    for (const p of this.progs.values()) if (p.loaded) this.unloader(p);
  }
}
