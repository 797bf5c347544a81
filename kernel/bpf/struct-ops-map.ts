/**
 * struct_ops maps of a type a module registers (bpf_testmod_ops, v6.9+), as
 * kernel/bpf/bpf_struct_ops.c handles a `.struct_ops.link` map:
 *
 * - update (bpf_struct_ops_map_update_elem, which libbpf's bpf_map__attach_struct_ops makes):
 *   each function member with a program gets its trampoline (one fentry link,
 *   BPF_TRAMP_F_INDIRECT, RET_FENTRY_RET when the member returns something, the member's cfi
 *   stub as func_addr, and the member's model as the type was registered with it), packed one
 *   after the other into pages of their own: a page is
 *   allocated (arch_alloc_bpf_trampoline) when the next trampoline does not fit in what is
 *   left of the current one, at most MAX_TRAMP_IMAGE_PAGES; kdata's member points at it.
 *   Members without a program stay NULL; of the data members only those the type's
 *   init_member copies are taken from the user's value. The map is then READY. An error frees
 *   what was built (upstream then leaves the zeroed map to be updated again; here the caller
 *   gets no map).
 * - link create: the type's .reg(kdata, link) runs, C code in the module that calls members
 *   through kdata's pointers; the caller makes that call (regCall), so a selftest reports a
 *   crash in it with its oops machinery.
 * - link detach: .unreg(kdata, link); freeing the map frees the pages.
 *
 * Since v6.13 (7c8ce4ffb684) each trampoline has a ksym, bpf__<struct>_<member>.
 */
import { PAGE_SIZE } from '../../emulator/memory/memory';
import { PAGE_OFFSET } from '../image';
import { ERRNO, fail, ok, okVoid, type ErrnoName, type KResult } from '../errno';
import { STRUCT_OPS, type FuncModel, type StructOpsLayout, type StructOpsType } from './btf';
import type { Bpf } from './bpf';
import type { BpfProg } from './runtime';
import { memberTrampoline } from './struct-ops';

/** MAX_TRAMP_IMAGE_PAGES. */
const MAX_PAGES = 8;
/**
 * Where maps' kvalue data (kdata) and their links are kzalloc'd: one linear-map page per map,
 * kdata at its start, the struct bpf_link after it.
 */
const KVALUE_AREA = PAGE_OFFSET + 0x2500000n;
const LINK_OFF = 0x800n;

export interface StructOpsMapValue {
  /** The struct_ops type (a `.struct_ops.link` map of it). */
  readonly type: string;
  /** A loaded struct_ops program per function member that has one. */
  readonly progs: Readonly<Record<string, BpfProg>>;
  /** Values of data members (init_member copies those of the type's layout). */
  readonly data?: Readonly<Record<string, bigint>>;
}

export interface StructOpsTrampoline {
  readonly member: string;
  readonly addr: bigint;
  readonly size: number;
}

export class StructOpsMap {
  /** INIT before an update, READY after it (a link map), INUSE while its link is attached. */
  state: 'init' | 'ready' | 'inuse' | 'freed' = 'init';
  readonly pages: bigint[] = [];
  readonly trampolines: StructOpsTrampoline[] = [];
  constructor(
    readonly type: StructOpsType,
    /** The struct as this kernel has it. */
    readonly layout: StructOpsLayout,
    /** The kernel's copy of the struct (kvalue.data). */
    readonly kdata: bigint,
    /** The struct bpf_link a link create makes. */
    readonly link: bigint,
  ) {}
}

/** Eras whose kernels name each struct_ops trampoline with a ksym (v6.13+). */
const KSYM_ERAS: readonly string[] = ['v6.16', 'v7.0'];

/**
 * BPF_MAP_CREATE and BPF_MAP_UPDATE_ELEM of a `.struct_ops.link` map with `value`: the map,
 * READY for a link. Errors (a program for another member or type, a data member the type
 * does not take, no room) leave nothing allocated.
 */
export function structOpsMapUpdate(bpf: Bpf, value: StructOpsMapValue): KResult<StructOpsMap> {
  const k = bpf.kernel;
  const era = k.profile.trampoline;
  const type = STRUCT_OPS.find((t) => t.name === value.type);
  // libbpf creates the map from the kernel's BTF of the type (-ENOTSUP when it has none).
  const layout = type?.layouts?.[era];
  if (!type || (type.layouts && !layout)) return fail('EOPNOTSUPP', `struct ${value.type} is not found in kernel BTF`);
  if (!layout) return fail('EOPNOTSUPP', `struct ${value.type} cannot be registered`);
  if (!bpf.trampolines.traits) return fail('ENOTSUPP', `${k.profile.name} has no BPF trampoline`);
  for (const [member, prog] of Object.entries(value.progs)) {
    if (!(member in layout.funcs)) return fail('EINVAL', `struct ${type.name} has no operation ${member}`);
    if (prog.attach !== 'struct_ops' || prog.target !== `${type.name}.${member}`) return fail('EINVAL', `${prog.name} is not a struct_ops program for ${type.name}.${member}`);
    if (!prog.loaded) return fail('EBADF', `${prog.name} has been freed`);
  }
  for (const name of Object.keys(value.data ?? {})) if (!(name in layout.data)) return fail('EINVAL', `struct ${type.name}: ${name} must be zero`);

  // kvalue: zeroed, then the data members init_member takes.
  const mem = k.machine.memory;
  let page = KVALUE_AREA;
  while (mem.isMapped(page)) page += BigInt(PAGE_SIZE);
  mem.map(page, PAGE_SIZE, 'rw');
  const map = new StructOpsMap(type, layout, page, page + LINK_OFF);
  for (const [name, v] of Object.entries(value.data ?? {})) {
    const d = layout.data[name]!;
    mem.writeU(map.kdata + BigInt(d.offset), d.size, BigInt.asUintN(8 * d.size, v));
  }

  // On an error what was built goes, kvalue with it.
  const fail_ = (r: KResult<never>): KResult<StructOpsMap> => {
    freeTrampolines(bpf, map);
    mem.unmap(map.kdata, PAGE_SIZE);
    return r;
  };
  let image: bigint | undefined;
  let off = 0;
  // Members in declaration order (the struct's offsets).
  const members = type.members.filter((m) => value.progs[m.name] !== undefined);
  for (const btfModel of members) {
    const prog = value.progs[btfModel.name]!;
    const f = layout.funcs[btfModel.name]!;
    // A model registration left zero: no arguments, no return value (so no RET_FENTRY_RET).
    const model: FuncModel = f.emptyModel ? { name: btfModel.name, args: [], ret: 'void' } : btfModel;
    const spec = memberTrampoline(bpf, prog, model, f.stub === null ? 0n : k.sym(f.stub), true);
    const what = `${type.name}.${model.name}`;
    const sized = bpf.trampolines.sizeOf(spec);
    if (!sized.ok) return fail_(sized);
    if (image === undefined || sized.value > PAGE_SIZE - off) {
      if (map.pages.length >= MAX_PAGES) return fail_(fail('E2BIG', `${what}: the trampolines need more than ${MAX_PAGES} pages`));
      const p = bpf.trampolines.allocPage();
      if (!p.ok) return fail_(p);
      map.pages.push(p.value);
      image = p.value;
      off = 0;
    }
    const at = image + BigInt(off);
    const code = bpf.trampolines.writeAt(what, at, PAGE_SIZE - off, spec);
    if (!code.ok) return fail_(code);
    mem.writeU(map.kdata + BigInt(f.offset), 8, at);
    map.trampolines.push({ member: model.name, addr: at, size: sized.value });
    off += sized.value;
  }
  if (KSYM_ERAS.includes(era)) for (const t of map.trampolines) k.kallsyms.add(`bpf__${type.name}_${t.member}`, t.addr, t.size, { module: 'bpf' });
  map.state = 'ready';
  return ok(map);
}

/** BPF_LINK_CREATE of a READY map: the call of the type's .reg(kdata, link) to make. */
export function structOpsLinkCreate(map: StructOpsMap): KResult<{ readonly fn: string; readonly args: readonly bigint[] }> {
  if (map.state !== 'ready') return fail('EINVAL', `struct_ops map of ${map.type.name} is ${map.state}, not ready to attach`);
  return ok({ fn: map.layout.reg, args: [map.kdata, map.link] });
}

/** After .reg returned `ret`: 0 leaves the map attached (INUSE); an error (returned as the
 *  link create's) leaves it READY. */
export function structOpsLinkAttached(map: StructOpsMap, ret: number): KResult {
  if (ret !== 0) {
    const name = (Object.keys(ERRNO) as ErrnoName[]).find((n) => ERRNO[n] === -ret) ?? 'EINVAL';
    return fail(name, `${map.layout.reg} returned ${ret}`);
  }
  map.state = 'inuse';
  return okVoid;
}

/** Detaching the link: the call of .unreg(kdata, link) to make; the map is READY again. */
export function structOpsLinkDetach(map: StructOpsMap): KResult<{ readonly fn: string; readonly args: readonly bigint[] }> {
  if (map.state !== 'inuse') return fail('EINVAL', `struct_ops map of ${map.type.name} is not attached`);
  map.state = 'ready';
  return ok({ fn: map.layout.unreg, args: [map.kdata, map.link] });
}

/** The map's trampoline pages and their ksyms. */
function freeTrampolines(bpf: Bpf, map: StructOpsMap): void {
  const k = bpf.kernel;
  for (const t of map.trampolines) if (k.kallsyms.has(`bpf__${map.type.name}_${t.member}`)) k.kallsyms.remove(t.addr);
  for (const p of map.pages) bpf.trampolines.freePage(p);
  map.pages.length = 0;
  map.trampolines.length = 0;
}

/** Freeing the map: its trampoline pages, their ksyms and kvalue. */
export function structOpsMapFree(bpf: Bpf, map: StructOpsMap): void {
  freeTrampolines(bpf, map);
  const mem = bpf.kernel.machine.memory;
  if (mem.isMapped(map.kdata)) mem.unmap(map.kdata, PAGE_SIZE);
  map.state = 'freed';
}
