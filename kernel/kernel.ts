/**
 * The simulated kernel: a profile's GCC-built image loaded into a machine, the ftrace entry
 * code assembled next to it, dynamic ftrace booted (every sled converted to its disabled
 * state), and the pieces tests and the BPF layer use: kallsyms, the kernel log, host calls,
 * text patching and a way to call kernel functions.
 */
import { Machine } from '../emulator/cpu/machine';
import type { Hart, HartOptions } from '../emulator/cpu/hart';
import { PAGE_SIZE } from '../emulator/memory/memory';
import { getProfile, type Profile } from './profiles/profiles';
import { loadKernelImage, layoutExts, hostCallArea, KernelLog, callKernel, KERNEL_BASE, type KernelImage, type HostCallArea, type CallOptions, type CallResult } from './image';
import { TextPatcher, type PatchFaults } from './text/patch';
import { Ftrace } from './ftrace/core';
import { entryCode } from './ftrace/entry-code';
import { FunctionTracer } from './ftrace/tracer';
import { describeError } from './errno';
import type { MutantId } from './mutants/catalogue';
import { bootDefaults } from './mutants/active';

/** Where the ftrace entry code and its data live (inside the kernel's +-2 GiB window). */
export const FTRACE_TEXT = KERNEL_BASE + 0x400000n;
export const FTRACE_DATA = KERNEL_BASE + 0x500000n;

export interface BootOptions {
  /** Harts keep executing stale instructions until fence.i (makes missing flushes visible). */
  readonly staleIcache?: boolean;
  /** Number of harts (default 1). */
  readonly harts?: number;
  readonly patchFaults?: PatchFaults;
  /** Re-introduce one bug of the mutation catalogue (kernel/mutants/catalogue.ts). */
  readonly mutant?: MutantId;
  /** Execution engine of the harts: the block translator and its hotness threshold (default: interpreter). */
  readonly engine?: Pick<HartOptions, 'translate' | 'hotThreshold'>;
}

export class Kernel {
  readonly machine = new Machine();
  readonly harts: Hart[];
  readonly image: KernelImage;
  readonly log = new KernelLog();
  readonly host: HostCallArea;
  readonly text: TextPatcher;
  readonly ftrace: Ftrace;
  readonly tracer: FunctionTracer;
  readonly mutant: MutantId | undefined;

  constructor(readonly profile: Profile, opts: BootOptions = {}) {
    this.image = loadKernelImage(this.machine, profile.layout);
    this.host = hostCallArea(this.machine);
    this.host.attach(this.image.kallsyms);
    const exts = layoutExts(this.image.layout);
    this.harts = Array.from({ length: opts.harts ?? 1 }, () => this.machine.addHart({ ...opts.engine, exts, staleIcache: opts.staleIcache ?? false }));
    const m = (this.mutant = opts.mutant);
    const faults = m === 'f7-no-fence-i' ? { ...opts.patchFaults, skipFenceI: true } : opts.patchFaults;
    this.text = new TextPatcher(this.machine, this.log, faults ?? {});
    const mem = this.machine.memory;
    mem.map(FTRACE_TEXT, PAGE_SIZE, 'rx');
    mem.map(FTRACE_DATA, PAGE_SIZE * 4, 'rw');
    this.image.kallsyms.add('function_trace_op', FTRACE_DATA, 8, { kind: 'data' });
    this.ftrace = new Ftrace(profile, this.image, mem, this.text, this.log, this.host, this.image.kallsyms, { text: FTRACE_TEXT, data: FTRACE_DATA }, m);
    const entry = entryCode(profile.scheme, profile.directCalls === 'regs-t1', m, FTRACE_TEXT, FTRACE_DATA, profile.ftraceWith === 'ARGS', profile.rvc);
    mem.writeBytes(FTRACE_TEXT, entry.bytes, true);
    const syms = [...entry.symbols].sort((a, b) => (a[1] < b[1] ? -1 : 1));
    syms.forEach(([name, addr], i) => this.image.kallsyms.add(name, addr, Number((syms[i + 1]?.[1] ?? entry.end) - addr)));
    const booted = this.ftrace.boot(entry.symbols);
    if (!booted.ok) throw new Error(`kernel boot (${profile.name}): ${describeError(booted)}`);
    this.tracer = new FunctionTracer(this.ftrace);
  }

  get hart(): Hart {
    return this.harts[0]!;
  }

  get kallsyms() {
    return this.image.kallsyms;
  }

  /** Address of a kernel symbol. */
  sym(name: string): bigint {
    return this.image.kallsyms.addressOf(name);
  }

  /** Calls a kernel function by name or address on hart 0 (see kernel/image/call.ts). */
  call(fn: string | bigint, args: readonly bigint[] = [], opts: CallOptions = {}): CallResult {
    return callKernel(this.hart, typeof fn === 'string' ? this.sym(fn) : fn, args, opts);
  }
}

export function bootKernel(profile: Profile | string, opts: BootOptions = {}): Kernel {
  const d = bootDefaults();
  if (d) opts = { ...d, ...opts };
  return new Kernel(typeof profile === 'string' ? getProfile(profile) : profile, opts);
}
