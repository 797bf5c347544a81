/**
 * Host-call stubs: kernel C helpers (`__bpf_prog_enter`, ftrace ops callbacks, the return
 * sentinel of callKernel) implemented as TypeScript functions at kernel addresses. Each gets
 * a 16-byte slot in an executable area filled with `ebreak`, so a jump into the middle of a
 * slot traps instead of running the helper; a call to the slot's first byte runs the helper
 * and returns through ra (Machine.addHostCall).
 */
import type { HostCallOptions, HostFn, Machine } from '../../emulator/cpu/machine';
import { PAGE_SIZE } from '../../emulator/memory/memory';
import type { Kallsyms } from './kallsyms';
import { HOSTCALL_BASE, HOSTCALL_SIZE } from './memmap';

export const HOSTCALL_SLOT = 16;
const EBREAK = 0x00100073;

/** A slot's bytes: ebreak throughout (memory.writeBytes copies them). */
const SLOT_FILL: Uint8Array = (() => {
  const fill = new Uint8Array(HOSTCALL_SLOT);
  const view = new DataView(fill.buffer);
  for (let i = 0; i < HOSTCALL_SLOT; i += 4) view.setUint32(i, EBREAK, true);
  return fill;
})();

export interface HostCallEntry {
  readonly name: string;
  readonly addr: bigint;
  readonly size: number;
}

export class HostCallArea {
  private next: bigint;
  private readonly byName = new Map<string, HostCallEntry>();
  private readonly symTables: Kallsyms[] = [];

  constructor(
    readonly machine: Machine,
    readonly base: bigint = HOSTCALL_BASE,
    readonly size: number = HOSTCALL_SIZE,
  ) {
    this.next = base;
  }

  /** Binds fn to a fresh slot and returns its address. Names are unique. */
  add(name: string, fn: HostFn, opts: Omit<HostCallOptions, 'name'> = {}): bigint {
    if (this.byName.has(name)) throw new Error(`host call ${name} already exists`);
    const addr = this.next;
    if (addr + BigInt(HOSTCALL_SLOT) > this.base + BigInt(this.size)) throw new Error(`host-call area full (${this.size} bytes)`);
    this.next += BigInt(HOSTCALL_SLOT);
    const mem = this.machine.memory;
    if (!mem.isMapped(addr)) mem.map(addr, PAGE_SIZE, 'rx');
    mem.writeBytes(addr, SLOT_FILL, true);
    this.machine.addHostCall(addr, fn, { ...opts, name });
    const e: HostCallEntry = { name, addr, size: HOSTCALL_SLOT };
    this.byName.set(name, e);
    for (const k of this.symTables) k.add(name, addr, HOSTCALL_SLOT);
    return addr;
  }

  addressOf(name: string): bigint {
    const e = this.byName.get(name);
    if (!e) throw new Error(`no host call ${name}`);
    return e.addr;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  entries(): HostCallEntry[] {
    return [...this.byName.values()];
  }

  /** Makes kallsyms name every host call, the existing ones and those added later. */
  attach(k: Kallsyms): void {
    if (this.symTables.includes(k)) return;
    this.symTables.push(k);
    for (const e of this.byName.values()) k.add(e.name, e.addr, e.size);
  }
}

const areas = new WeakMap<Machine, HostCallArea>();

/** The machine's host-call area (created on first use at HOSTCALL_BASE). */
export function hostCallArea(machine: Machine): HostCallArea {
  let a = areas.get(machine);
  if (!a) {
    a = new HostCallArea(machine);
    areas.set(machine, a);
  }
  return a;
}
