/**
 * Code loaded after boot, like a kernel module (load_module + ftrace_module_init + BTF): the
 * property tests' generated functions, or any hand-written test function.
 *
 * `loadModule(kernel, { name, functions: [{ name, model, asm | bytes }], data })` lays every
 * function out exactly as the profile's compiler would (kernel/image/layouts.ts): function
 * alignment, `bytesBefore` of the sled's nops before the symbol (the CALL_OPS literal slot),
 * the rest of the sled at the symbol, then the body. It maps the code in the module area
 * (within +-2 GiB of the kernel image, so auipc + jalr reach ftrace_caller and trampolines),
 * adds kallsyms entries (`name [module]`), makes the sleds ftrace locations (ftrace_module_init:
 * the compiler's nops are checked and converted as at boot, then ftrace_module_enable patches
 * them for any ops already tracing every function), and registers the BTF function models so
 * BPF programs can be attached. `unloadModule` undoes all of it, and refuses (-EBUSY) while a
 * function is still traced by ftrace or has BPF links.
 *
 * Memory (data first, so the code can address its globals with a fixed-size auipc + addi):
 *
 *   base                      data objects (rw), each 8-byte aligned, page-rounded
 *   base + data pages         text (rx): [align][pre-nops] name: [nops] body ... , page-rounded
 */
import type { Kernel } from '../kernel';
import { Assembler, type Program } from '../../emulator/asm';
import { PAGE_SIZE } from '../../emulator/memory/memory';
import { hex } from '../../emulator/memory/address';
import { KERNEL_BASE, type Sled, type SledLayout } from '../image';
import { fail, ok, okVoid, type KResult } from '../errno';
import type { FuncModel } from '../bpf/btf';
import { bpfOf } from '../bpf/bpf';

/**
 * Where modules are mapped: inside MODULES_VADDR..MODULES_END, below the BPF trampoline area
 * (KERNEL_BASE - 256 MiB) and the BPF program text (KERNEL_BASE - 16 MiB).
 */
export const MODULE_AREA = KERNEL_BASE - 0x20000000n;
export const MODULE_AREA_SIZE = 0x1000000;

export interface ModuleFunctionSpec {
  readonly name: string;
  /** What BTF says about it (model.name must be the function's name). */
  readonly model: FuncModel;
  /**
   * Emits the body (everything after the sled) with the assembler, positioned at the body's
   * first byte, compressed as the profile's layout is. Other functions of the module and its
   * data objects are labels / symbols by name. Labels must not clash across functions.
   */
  readonly asm?: (a: Assembler) => void;
  /** Or the body as raw machine code (must not depend on its address). */
  readonly bytes?: Uint8Array;
}

export interface ModuleDataSpec {
  readonly name: string;
  /** Bytes (rounded up to 8). */
  readonly size: number;
  readonly init?: Uint8Array;
}

export interface ModuleSpec {
  readonly name: string;
  readonly functions: readonly ModuleFunctionSpec[];
  readonly data?: readonly ModuleDataSpec[];
  /** Kernel symbols the code refers to by name (absolute addresses). */
  readonly symbols?: Readonly<Record<string, bigint>>;
}

export interface ModuleFunction {
  readonly name: string;
  /** The symbol's address (what kallsyms and BTF name). */
  readonly addr: bigint;
  /** kallsyms size: up to the next function's symbol, or the end of the text. */
  readonly size: bigint;
  /** First byte after the sled: where the body starts. */
  readonly bodyStart: bigint;
  /** One past the body's last instruction (before the next function's padding / sled). */
  readonly end: bigint;
  readonly sled: Sled;
  readonly model: FuncModel;
}

export interface LoadedModule {
  readonly name: string;
  readonly base: bigint;
  /** Mapped bytes in total (data pages + text pages). */
  readonly mappedSize: number;
  readonly text: { readonly start: bigint; readonly end: bigint };
  readonly data: ReadonlyMap<string, { readonly addr: bigint; readonly size: number }>;
  readonly functions: ReadonlyMap<string, ModuleFunction>;
  readonly sleds: readonly Sled[];
  /** The assembled text, with its listing. */
  readonly program: Program;
  /** Address of any label of the text (local ones included) or data object. */
  address(label: string): bigint;
  fn(name: string): ModuleFunction;
}

interface ModuleState {
  next: bigint;
  readonly loaded: Map<string, LoadedModule>;
}

const states = new WeakMap<Kernel, ModuleState>();

function stateOf(k: Kernel): ModuleState {
  let s = states.get(k);
  if (!s) states.set(k, (s = { next: MODULE_AREA, loaded: new Map() }));
  return s;
}

const PAGE = BigInt(PAGE_SIZE);
const pageUp = (n: number) => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The modules currently loaded into a kernel. */
export function loadedModules(kernel: Kernel): LoadedModule[] {
  return [...stateOf(kernel).loaded.values()];
}

/** The loaded module function called `name`, if any. */
export function moduleFunction(kernel: Kernel, name: string): ModuleFunction | undefined {
  for (const m of stateOf(kernel).loaded.values()) {
    const f = m.functions.get(name);
    if (f) return f;
  }
  return undefined;
}

/** Emits the sled's compiler nops (c.nop with RVC, nop without), as -fpatchable-function-entry does. */
function emitNops(a: Assembler, layout: SledLayout, bytes: number): void {
  for (let i = 0; i < bytes; i += layout.nopSize) {
    if (layout.nopSize === 2) a.half(layout.nopWord);
    else a.word(layout.nopWord);
  }
}

function check(kernel: Kernel, spec: ModuleSpec): string | undefined {
  const where = `loadModule(${spec.name})`;
  if (!IDENT.test(spec.name)) return `${where}: module name is not a C identifier`;
  if (spec.functions.length === 0) return `${where}: no functions`;
  const names = new Set<string>();
  for (const f of spec.functions) {
    if (!IDENT.test(f.name)) return `${where}: function name '${f.name}' is not a C identifier`;
    if (names.has(f.name)) return `${where}: function ${f.name} defined twice`;
    names.add(f.name);
    if (kernel.kallsyms.has(f.name)) return `${where}: symbol ${f.name} already exists`;
    if (f.model.name !== f.name) return `${where}: ${f.name}'s model is named ${f.model.name}`;
    if ((f.asm === undefined) === (f.bytes === undefined)) return `${where}: ${f.name} needs exactly one of asm and bytes`;
  }
  for (const d of spec.data ?? []) {
    if (!IDENT.test(d.name)) return `${where}: data name '${d.name}' is not a C identifier`;
    if (names.has(d.name)) return `${where}: ${d.name} defined twice`;
    names.add(d.name);
    if (kernel.kallsyms.has(d.name)) return `${where}: symbol ${d.name} already exists`;
    if (!(d.size > 0) || !Number.isInteger(d.size)) return `${where}: data ${d.name} needs a positive integer size`;
    if (d.init && d.init.length > d.size) return `${where}: data ${d.name} init is larger than its size`;
  }
  return undefined;
}

/**
 * load_module for generated code. Errors: -EINVAL for a malformed spec or code that does not
 * assemble, -EEXIST for a module or symbol that already exists, -ENOMEM when the module area
 * is full; on error nothing stays mapped or registered.
 */
export function loadModule(kernel: Kernel, spec: ModuleSpec): KResult<LoadedModule> {
  const st = stateOf(kernel);
  if (st.loaded.has(spec.name)) return fail('EEXIST', `loadModule: module ${spec.name} is already loaded`);
  const bad = check(kernel, spec);
  if (bad) return fail(bad.includes('already exists') ? 'EEXIST' : 'EINVAL', bad);
  const layout = kernel.image.layout;
  const mem = kernel.machine.memory;

  // ---- data: 8-byte aligned objects at the module base -------------------------------------
  const base = st.next;
  const data = new Map<string, { addr: bigint; size: number }>();
  let dataBytes = 0;
  for (const d of spec.data ?? []) {
    const size = Math.ceil(d.size / 8) * 8;
    data.set(d.name, { addr: base + BigInt(dataBytes), size });
    dataBytes += size;
  }
  const dataPages = pageUp(dataBytes);
  const textBase = base + BigInt(dataPages);

  // ---- text: every function as the compiler lays it out ------------------------------------
  const symbols: Record<string, bigint> = { ...(spec.symbols ?? {}) };
  for (const [n, d] of data) symbols[n] = d.addr;
  const a = new Assembler({ base: textBase, compressed: layout.rvc, symbols });
  const align = layout.funcAlign ?? (layout.rvc ? 2 : 4);
  const endLabel = (i: number) => `.Lrvt_module_end_${i}`;
  let program: Program;
  try {
    spec.functions.forEach((f, i) => {
      a.align(align);
      emitNops(a, layout, layout.bytesBefore);
      a.label(f.name);
      emitNops(a, layout, layout.bytesAfter);
      if (f.asm) f.asm(a);
      else a.bytes(f.bytes!);
      a.label(endLabel(i));
    });
    program = a.finish();
  } catch (e) {
    return fail('EINVAL', `loadModule(${spec.name}): ${(e as Error).message}`);
  }
  const textPages = pageUp(program.bytes.length);
  const mappedSize = dataPages + textPages;
  if (base + BigInt(mappedSize) > MODULE_AREA + BigInt(MODULE_AREA_SIZE)) return fail('ENOMEM', `loadModule(${spec.name}): module area exhausted`);

  const fns = new Map<string, ModuleFunction>();
  const textEnd = program.end;
  spec.functions.forEach((f, i) => {
    const addr = program.address(f.name);
    const next = spec.functions[i + 1];
    const symEnd = next ? program.address(next.name) : textEnd;
    const sled: Sled = { address: addr - BigInt(layout.bytesBefore), func: f.name, funcAddr: addr, size: layout.sledBytes, before: layout.bytesBefore };
    fns.set(f.name, { name: f.name, addr, size: symEnd - addr, bodyStart: addr + BigInt(layout.bytesAfter), end: program.address(endLabel(i)), sled, model: f.model });
  });

  // ---- map, register ------------------------------------------------------------------------
  if (dataPages > 0) {
    mem.map(base, dataPages, 'rw');
    for (const d of spec.data ?? []) if (d.init) mem.writeBytes(data.get(d.name)!.addr, d.init);
  }
  mem.map(textBase, textPages, 'rx');
  mem.writeBytes(textBase, program.bytes, true);
  const unmap = () => {
    mem.unmap(base, mappedSize);
    for (const h of kernel.machine.harts) h.invalidate(base, mappedSize);
  };
  const sleds = [...fns.values()].map((f) => f.sled);
  const added = kernel.ftrace.addSleds(sleds);
  if (!added.ok) {
    unmap();
    return added;
  }
  const ks = kernel.kallsyms;
  for (const [n, d] of data) ks.add(n, d.addr, d.size, { kind: 'data', module: spec.name });
  for (const f of fns.values()) ks.add(f.name, f.addr, f.size, { kind: 'text', module: spec.name });
  const models = bpfOf(kernel).trampolines.models;
  for (const f of spec.functions) models.add(f.model);
  // ftrace_module_enable: ops that trace every function start tracing these too.
  const enabled = kernel.ftrace.update();
  if (!enabled.ok) kernel.log.warn(`ftrace_module_enable(${spec.name}): ${enabled.message}`);

  st.next = base + BigInt(mappedSize) + PAGE; // an unmapped page between modules
  const mod: LoadedModule = {
    name: spec.name,
    base,
    mappedSize,
    text: { start: textBase, end: textEnd },
    data,
    functions: fns,
    sleds,
    program,
    address: (label) => data.get(label)?.addr ?? program.address(label),
    fn: (name) => {
      const f = fns.get(name);
      if (!f) throw new Error(`module ${spec.name}: no function ${name}`);
      return f;
    },
  };
  st.loaded.set(spec.name, mod);
  kernel.log.info(`module ${spec.name}: ${fns.size} functions at ${hex(textBase)}`);
  return ok(mod);
}

/**
 * delete_module: -EBUSY while a function still has BPF links or ftrace has it patched
 * (ftrace_release_mod expects disabled records), -ENOENT for a module not loaded.
 */
export function unloadModule(kernel: Kernel, mod: LoadedModule): KResult {
  const st = stateOf(kernel);
  if (st.loaded.get(mod.name) !== mod) return fail('ENOENT', `unloadModule: ${mod.name} is not loaded`);
  const bpf = bpfOf(kernel);
  for (const f of mod.functions.values()) {
    const tr = bpf.trampolines.trampolineOf({ kind: 'kernel', name: f.name });
    if (tr && tr.count > 0) return fail('EBUSY', `unloadModule: ${f.name} has ${tr.count} BPF links`);
  }
  const released = kernel.ftrace.removeSleds([...mod.functions.keys()]);
  if (!released.ok) return released;
  for (const f of mod.functions.values()) {
    bpf.trampolines.models.remove(f.name);
    kernel.kallsyms.remove(f.addr);
  }
  for (const d of mod.data.values()) kernel.kallsyms.remove(d.addr);
  kernel.machine.memory.unmap(mod.base, mod.mappedSize);
  for (const h of kernel.machine.harts) h.invalidate(mod.base, mod.mappedSize);
  st.loaded.delete(mod.name);
  kernel.log.info(`module ${mod.name}: unloaded`);
  return okVoid;
}
