/**
 * Kernel text patching, modelled on arch/riscv/kernel/patch.c:
 *
 * - `patchText` is the stop_machine path: every hart is parked, the last one writes the new
 *   bytes, then every hart executes a local fence.i before it runs again.
 * - `patchTextNosync` writes without stopping the machine and then flushes the instruction
 *   cache of every hart (flush_icache_range / flush_icache_all).
 *
 * Both must be called with text_mutex held (a missing lock is a WARN in the kernel log, as
 * lockdep would report). Text is read-only executable memory; the write goes through a
 * writable alias (the fixmap), which the model does with a forced write.
 *
 * With harts in stale-icache mode, a patch path that skips the flush is observable: a hart
 * keeps executing the old instructions.
 */
import type { Machine } from '../../emulator/cpu/machine';
import type { KernelLog } from '../image/klog';
import { hex } from '../../emulator/memory/address';

/** Switches that re-introduce historic text-patching bugs (mutation testing). */
export interface PatchFaults {
  /** Skip the per-hart fence.i after stop_machine patching (cf. the 2024 IPI/fence.i fixes). */
  readonly skipFenceI?: boolean;
}

export class TextMutex {
  private holder: string | undefined;
  lock(who: string): void {
    if (this.holder !== undefined) throw new Error(`text_mutex: ${who} would deadlock: held by ${this.holder}`);
    this.holder = who;
  }
  unlock(): void {
    this.holder = undefined;
  }
  get held(): boolean {
    return this.holder !== undefined;
  }
  /** Runs fn with the mutex held. */
  with<T>(who: string, fn: () => T): T {
    this.lock(who);
    try {
      return fn();
    } finally {
      this.unlock();
    }
  }
}

export class TextPatcher {
  readonly mutex = new TextMutex();
  /** Every patch, for tests and diagnostics. */
  readonly history: { addr: bigint; bytes: Uint8Array; sync: boolean }[] = [];

  constructor(
    private readonly machine: Machine,
    private readonly log: KernelLog,
    readonly faults: PatchFaults = {},
  ) {}

  private write(addr: bigint, bytes: Uint8Array, sync: boolean, who: string): void {
    if (!this.mutex.held) this.log.warn(`${who}: patching ${hex(addr)} without text_mutex held`);
    this.machine.memory.writeBytes(addr, bytes, true);
    this.history.push({ addr, bytes: bytes.slice(), sync });
  }

  /** stop_machine patching: write, then a local fence.i on every hart. */
  patchText(addr: bigint, bytes: Uint8Array): void {
    this.write(addr, bytes, true, 'patch_text');
    if (!this.faults.skipFenceI) for (const h of this.machine.harts) h.fenceI();
  }

  /** Patching without stop_machine, followed by a global icache flush. */
  patchTextNosync(addr: bigint, bytes: Uint8Array): void {
    this.write(addr, bytes, false, 'patch_text_nosync');
    if (!this.faults.skipFenceI) for (const h of this.machine.harts) h.flushIcache();
  }

  read(addr: bigint, len: number): Uint8Array | undefined {
    return this.machine.memory.tryReadBytes(addr, len);
  }
}
